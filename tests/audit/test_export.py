"""Exports verify anywhere with only the public key; any change to them is named."""

import copy
import io
import json
import shutil
import subprocess
import sys

import pytest

from lfr_portal.audit_chain import load_public_key
from lfr_portal.audit_verify import ExportInvalid, parse_csv_export, verify_export
from lfr_portal.models import AuditEvent
from lfr_portal.services import audit
from tests import builders
from tests.processes import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_key():
    return load_public_key(audit.public_key_pem())


@pytest.fixture
def trail(operator):
    """Two deployments' worth of real service actions, and a periodic checkpoint between."""
    first = builders.live(operator)
    audit.audit_checkpoint_create()
    second = builders.submitted()
    return first, second


def _export(client, user, fmt="json", **params):
    client.force_login(user)
    response = client.get(f"/audit/export.{fmt}", params)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return response, body


def test_a_full_json_export_verifies(client, compliance, public_key, trail):
    response, body = _export(client, compliance)
    export = json.loads(body)
    summary = verify_export(export, public_key)
    assert summary.startswith("OK:")
    assert int(response["X-Export-Rows"]) == len(export["rows"])
    # The export was opened last, so it shows every row of the tree its head signs.
    assert export["tree_head"]["tree_size"] == len(export["rows"])
    assert all(row["inclusion_proof"] for row in export["rows"])
    assert AuditEvent.objects.filter(action="audit.export", actor=compliance).exists()


def test_a_deployment_export_verifies_and_carries_only_its_rows(
    client, compliance, public_key, trail
):
    first, _ = trail
    _, body = _export(client, compliance, deployment=str(first.public_id))
    export = json.loads(body)
    assert {r["deployment_public_id"] for r in export["rows"]} == {str(first.public_id)}
    assert export["tree_head"]["tree_size"] > len(export["rows"])
    assert verify_export(export, public_key).startswith("OK:")


def test_csv_export_verifies_too(client, compliance, public_key, trail):
    _, body = _export(client, compliance, fmt="csv")
    export = parse_csv_export(body.splitlines())
    assert verify_export(export, public_key).startswith("OK:")


def _tampered(export, change):
    forged = copy.deepcopy(export)
    change(forged)
    return forged


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda e: e["rows"][3].update(reason="nothing to see"), "row 4: its content was changed"),
        (lambda e: e["rows"][2].update(actor_username="someone_else"), "row 3: its content"),
        (lambda e: e["rows"].pop(5), "rows were removed or added"),
        (lambda e: e["rows"].insert(2, e["rows"].pop(4)), "out of order"),
        (lambda e: e["rows"][6]["inclusion_proof"].pop(), "row 7: its content"),
        (lambda e: e["rows"][6]["inclusion_proof"].reverse(), "row 7: its content"),
        (lambda e: e["rows"].insert(1, {**e["rows"][1], "seq": 999}), "not part of the signed"),
        (lambda e: e["rows"].pop(), "rows were removed"),
        (lambda e: e["tree_head"].update(tree_size=e["tree_head"]["tree_size"] - 1), "signature"),
        (lambda e: e["tree_head"].update(root_hash="0" * 64), "signature"),
    ],
)
def test_any_change_to_an_export_is_named(client, compliance, public_key, trail, change, named):
    _, body = _export(client, compliance)
    export = json.loads(body)
    with pytest.raises(ExportInvalid, match=named):
        verify_export(_tampered(export, change), public_key)


def test_an_export_signed_by_another_key_is_refused(client, compliance, trail, tmp_path, settings):
    _, body = _export(client, compliance)
    settings.LFR_AUDIT_SIGNING_KEY_FILE = str(tmp_path / "other.pem")
    other_key = load_public_key(audit.public_key_pem())
    with pytest.raises(ExportInvalid, match="different key"):
        verify_export(json.loads(body), other_key)


def test_the_standalone_verifier_needs_only_the_export_and_the_key(
    client, compliance, trail, tmp_path
):
    _, body = _export(client, compliance)
    # A machine with only the verifier's two modules: no Django project, no database.
    package = tmp_path / "offline" / "lfr_portal"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in ("audit_chain.py", "audit_verify.py", "merkle.py"):
        shutil.copy(ROOT / "lfr_portal" / name, package / name)
    (tmp_path / "export.json").write_text(body)
    (tmp_path / "key.pem").write_bytes(audit.public_key_pem())
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "offline")}
    command = [
        sys.executable,
        "-m",
        "lfr_portal.audit_verify",
        "export.json",
        "--public-key",
        "key.pem",
    ]

    good = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("OK:")

    export = json.loads(body)
    export["rows"][1]["reason"] = "edited afterwards"
    (tmp_path / "export.json").write_text(json.dumps(export))
    bad = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "TAMPERED: row 2: its content was changed" in bad.stderr


def test_verify_audit_command_reports_the_tree(trail):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("OK: rows 1 to ")
    assert "signed tree heads agree" in out.getvalue()


def test_only_compliance_officers_read_the_trail_and_reading_is_audited(
    client, compliance, planner, trail
):
    client.force_login(planner)
    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/export.json").status_code == 404
    client.force_login(compliance)
    response = client.get("/audit/", {"action": "deployment."})
    assert response.status_code == 200
    assert b"deployment.approve" in response.content
    read = AuditEvent.objects.filter(action="audit.read").last()
    assert read.actor == compliance and read.changes["filters"] == {"action": "deployment."}


def test_the_deployment_report_is_a_pdf_without_images(client, compliance, trail):
    first, _ = trail
    client.force_login(compliance)
    response = client.get(f"/deployments/{first.public_id}/report.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert b"/Subtype /Image" not in response.content
    assert AuditEvent.objects.filter(action="audit.deployment_report").exists()


def test_reading_the_trail_in_the_admin_is_audited(client, trail):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", "root@example.invalid", "pw-for-tests-only")
    client.force_login(admin)
    assert client.get("/admin/lfr_portal/auditevent/").status_code == 200
    assert AuditEvent.objects.filter(action="audit.read", actor=admin).exists()
    row = AuditEvent.objects.first()
    assert client.post(f"/admin/lfr_portal/auditevent/{row.pk}/delete/").status_code == 403
