"""The PDF record: readable values where there were dashes and codes, and free text of any
length the API accepts flowing over as many pages as it needs."""

import base64
import re
import uuid
import zlib

import pytest
from django.utils import timezone

from lfr_portal.models import Deployment
from lfr_portal.services.reports import deployment_report_pdf
from lfr_portal.views import audit as audit_views
from tests import builders
from tests.factories import DeploymentFactory

pytestmark = pytest.mark.django_db


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", pdf))


def _text(pdf: bytes) -> str:
    """The page contents, decoded: enough to find the words drawn on them. reportlab
    writes each stream as ASCII85 over Flate."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        stream = stream.strip()
        if stream.endswith(b"~>"):
            out.append(zlib.decompress(base64.a85decode(stream, adobe=True)).decode("latin-1"))
    return "".join(out)


@pytest.mark.parametrize(
    "justification",
    [
        ("Necessary because of a pattern of robberies at the station. " * 340)[:19_990] + " ZEND",
        "\n".join(["A paragraph of the case, line after line of reasons."] * 360) + "\nZEND",
        "x" * 19_995 + " ZEND",  # one unbreakable word
    ],
    ids=["one-long-paragraph", "many-lines", "unbreakable"],
)
def test_a_20000_character_justification_gives_a_multi_page_pdf(justification):
    assert len(justification) >= 19_000
    deployment = DeploymentFactory(justification=justification)
    pdf = deployment_report_pdf(deployment)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert _pages(pdf) >= 3
    assert "ZEND" in _text(pdf)


def test_the_report_page_answers_with_the_pdf_for_a_long_justification(client, compliance):
    deployment = DeploymentFactory(justification="Reasons. " * 2_200)
    client.force_login(compliance)
    response = client.get(f"/deployments/{deployment.public_id}/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert _pages(response.content) >= 3


def test_the_record_fills_in_readable_values(operator):
    deployment = builders.live(operator)
    text = _text(deployment_report_pdf(deployment))
    assert "OpenCV YuNet + SFace, threshold" in text
    assert "opencv-sface" not in text
    assert "Not ended" in text
    assert "Deployment went live" in text  # the audit rows use the readable labels

    Deployment.objects.filter(pk=deployment.pk).update(
        status="completed", ended_at=timezone.now(), ended_by=operator, end_reason="Window over."
    )
    deployment.refresh_from_db()
    text = _text(deployment_report_pdf(deployment))
    assert "Window over." in text and "Ended" in text and "Not ended" not in text


def test_a_deployment_the_reader_may_not_see_answers_404(client, compliance):
    client.force_login(compliance)
    response = client.get(f"/deployments/{uuid.uuid4()}/report.pdf")
    assert response.status_code == 404


class _LostConnection:
    """A visible-deployments read whose database fails mid-request."""

    def get(self, **kwargs):
        raise RuntimeError("the database connection was lost")


def _broken_report(**kwargs):
    raise RuntimeError("the PDF library failed")


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("deployments_visible_to", lambda user: _LostConnection()),
        ("deployment_report_export", _broken_report),
    ],
    ids=["lookup-fails", "building-fails"],
)
def test_an_unexpected_failure_is_a_server_error_not_a_404(
    client, compliance, monkeypatch, name, replacement
):
    """Only "not found or not visible" reads as 404; a fault surfaces as a server error."""
    deployment = DeploymentFactory()
    monkeypatch.setattr(audit_views, name, replacement)
    client.force_login(compliance)
    client.raise_request_exception = False
    response = client.get(f"/deployments/{deployment.public_id}/report.pdf")
    assert response.status_code == 500
