"""Every CSV the software writes is safe to open in a spreadsheet (CSV injection)."""

import csv
import io

import pytest
from django.core.cache import cache
from django.db import transaction

from lfr_portal import csv_safe
from lfr_portal.audit_chain import load_public_key
from lfr_portal.audit_verify import parse_csv_export, verify_export
from lfr_portal.services import audit
from lfr_portal.services.audit import audit_record
from tests.transparency.conftest import public_deployment

# The probe's payload and every prefix a spreadsheet reads as the start of a formula.
PAYLOADS = [
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]


def _cells(text):
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_cell_is_written_as_text_and_read_back_unchanged(payload):
    out = io.StringIO()
    csv_safe.writer(out).writerow(["record", payload, 7, None])
    raw = _cells(out.getvalue())
    assert raw[1] == "'" + payload
    assert list(csv_safe.reader(io.StringIO(out.getvalue()))) == [["record", payload, "7", ""]]


@pytest.mark.parametrize("text", ["'=already quoted", "'", "plain", "", "O'Brien", "1-2"])
def test_restoring_is_exact_for_text_that_needs_no_neutralising(text):
    out = io.StringIO()
    csv_safe.writer(out).writerow([text])
    assert next(csv_safe.reader(io.StringIO(out.getvalue()))) == [text]
    assert csv_safe.neutralise(-1.5) == -1.5  # numbers keep their sign


@pytest.mark.django_db
def test_the_audit_csv_export_neutralises_typed_text_and_still_verifies(client, compliance):
    with transaction.atomic():
        for payload in PAYLOADS:
            audit_record(actor=compliance, action="test.typed_text", reason=payload)
    audit.audit_checkpoint_create()
    client.force_login(compliance)
    response = client.get("/audit/export.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    cells = _cells(body)
    for payload in PAYLOADS:
        assert "'" + payload in cells
        assert payload not in cells
    assert not [c for c in cells if c[:1] in tuple("=+-@\t\r")]
    export = parse_csv_export(io.StringIO(body, newline=""))
    assert verify_export(export, load_public_key(audit.public_key_pem())).startswith("OK:")


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_public_open_data_csv_neutralises_every_prefix(client, payload):
    cache.clear()  # the public page is cached per URL
    public_deployment(location_name=payload)
    rows = list(csv.DictReader(io.StringIO(client.get("/transparency/deployments.csv").text)))
    assert rows[0]["location_name"] == "'" + payload
