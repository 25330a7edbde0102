"""The deployment's PDF record carries its post-deployment review: open, then signed off
with its figures, findings, lessons and summary."""

import pytest

from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services.reports import deployment_report_pdf
from lfr_portal.services.reviews import review_sign_off
from tests import builders
from tests.views.test_deployment_report import _text

pytestmark = pytest.mark.django_db


def test_the_record_shows_the_review_open_then_signed_off(operator, ao):
    deployment = builders.live(operator)
    assert "Post-deployment review" not in _text(deployment_report_pdf(deployment))
    lifecycle.deployment_stop(actor=operator, deployment=deployment)
    deployment.refresh_from_db()
    text = _text(deployment_report_pdf(deployment))
    assert "Post-deployment review" in text and "not signed off" in text
    assert "Suspensions for false alerts" in text and "Complaints linked to it" in text
    review_sign_off(
        actor=ao,
        review=deployment.review,
        findings="Findings ZF1.",
        lessons="Lessons ZL2.",
        public_summary="Summary ZS3.",
    )
    text = _text(deployment_report_pdf(deployment))
    assert f"Signed off by {ao.get_username()}" in text
    for words in ("Findings ZF1.", "Lessons ZL2.", "Summary ZS3.", "Summary for the public"):
        assert words in text, words
