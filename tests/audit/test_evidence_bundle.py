"""An alert's evidence bundle: signed with the audit key, verifiable offline, tamper-evident."""

import hashlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.base import ContentFile
from django.utils import timezone

from lfr_portal.audit_chain import load_public_key, sign_bundle
from lfr_portal.audit_verify import ExportInvalid, verify_evidence_bundle
from lfr_portal.errors import NotPermitted
from lfr_portal.models import AuditEvent, CalibrationRecord, Engagement
from lfr_portal.services import audit
from lfr_portal.services import holds as hold_services
from lfr_portal.services.evidence_bundle import evidence_bundle_export
from tests.factories import AlertFactory
from tests.processes import ROOT

pytestmark = pytest.mark.django_db

CROP = b"\xff\xd8 the crop \xff\xd9"
REFERENCE = b"\xff\xd8 the reference photograph \xff\xd9"


@pytest.fixture
def public_key():
    return load_public_key(audit.public_key_pem())


@pytest.fixture
def alert(ao, operator, field_officer):
    alert = AlertFactory()
    alert.crop.save("crop.jpg", ContentFile(CROP), save=True)
    alert.entry.reference_image.save("ref.jpg", ContentFile(REFERENCE), save=True)
    CalibrationRecord.objects.create(
        engine=alert.deployment.engine,
        description="old",
        measured_at=alert.captured_at - timedelta(days=90),
        identities=10,
        images=20,
        genuine_pairs=30,
        impostor_pairs=40,
    )
    CalibrationRecord.objects.create(
        engine=alert.deployment.engine,
        description="in force",
        measured_at=alert.captured_at - timedelta(hours=1),
        identities=100,
        images=200,
        genuine_pairs=300,
        impostor_pairs=400,
    )
    CalibrationRecord.objects.create(  # measured after the alert: not the one in force
        engine=alert.deployment.engine,
        description="later",
        measured_at=alert.captured_at + timedelta(days=1),
        identities=1,
        images=2,
        genuine_pairs=3,
        impostor_pairs=4,
    )
    Engagement.objects.create(
        alert=alert,
        dispatched_by=operator,
        dispatched_at=timezone.now(),
        officer=field_officer,
        acknowledged_at=timezone.now(),
    )
    hold_services.alert_hold_place(
        actor=ao,
        alert=alert,
        reason="R v Smith",
        review_by=timezone.localdate() + timedelta(days=90),
        custody_reference="CUST/77",
    )
    return alert


def _files(bundle):
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_an_authorising_officers_bundle_holds_the_record_and_verifies(alert, ao, public_key):
    bundle = evidence_bundle_export(actor=ao, alert=alert)
    files = _files(bundle)
    assert set(files) == {"manifest.json", "audit.jsonl", "crop.jpg", "signature.json"}
    assert files["crop.jpg"] == CROP
    manifest = json.loads(files["manifest.json"])
    assert manifest["alert"]["public_id"] == str(alert.public_id)
    assert manifest["alert"]["score"] == str(alert.score)
    assert manifest["alert"]["threshold"] == str(alert.deployment.threshold)
    assert manifest["alert"]["engine"] == alert.deployment.engine
    assert manifest["calibration"]["description"] == "in force"
    entry = manifest["watchlist_entry"]
    assert entry["reference_number"] == alert.entry_reference
    assert entry["reference_image_sha256"] == hashlib.sha256(REFERENCE).hexdigest()
    # The reference photograph itself is nowhere in the bundle.
    assert not any(REFERENCE in data for data in files.values())
    decisions = manifest["decisions"]
    assert decisions["engagement"]["officer"] is not None
    assert decisions["holds"][0]["custody_reference"] == "CUST/77"
    actions = [json.loads(line)["action"] for line in files["audit.jsonl"].splitlines()]
    assert "alert.hold_place" in actions and actions[-1] == "alert.evidence_bundle_export"
    assert verify_evidence_bundle(bundle, public_key).startswith("OK:")


def test_a_compliance_officers_bundle_leaves_the_crop_out_and_verifies(
    alert, compliance, public_key
):
    bundle = evidence_bundle_export(actor=compliance, alert=alert)
    files = _files(bundle)
    assert "crop.jpg" not in files and not any(CROP in data for data in files.values())
    manifest = json.loads(files["manifest.json"])
    assert manifest["crop"]["sha256"] == hashlib.sha256(CROP).hexdigest()
    assert manifest["crop"]["included"] is False
    assert "crop not included" in verify_evidence_bundle(bundle, public_key)
    row = AuditEvent.objects.get(action="alert.evidence_bundle_export")
    assert row.actor == compliance and row.object_public_id == str(alert.public_id)


@pytest.mark.parametrize("role", ["operator", "field_officer", "planner", "manager"])
def test_other_roles_cannot_export(alert, role, request):
    with pytest.raises(NotPermitted):
        evidence_bundle_export(actor=request.getfixturevalue(role), alert=alert)
    assert not AuditEvent.objects.filter(action="alert.evidence_bundle_export").exists()


def _tampered(files, name, change):
    files = dict(files)
    if change is None:
        files.pop(name)
    else:
        files[name] = change(files.get(name, b""))
    return _zip(files)


@pytest.mark.parametrize(
    ("name", "change", "problem"),
    [
        ("manifest.json", lambda d: d.replace(b"CUST/77", b"CUST/78"), "manifest.json was changed"),
        ("audit.jsonl", lambda d: d.replace(b"R v Smith", b"R v Jones"), "audit.jsonl was changed"),
        ("audit.jsonl", lambda d: b"\n".join(d.splitlines()[1:]) + b"\n", "audit.jsonl"),
        ("crop.jpg", lambda d: d + b"x", "crop.jpg was changed"),
        ("crop.jpg", None, "removed"),
        ("extra.txt", lambda d: b"added", "added"),
        (
            "signature.json",
            lambda d: d.replace(b'"signature": "', b'"signature": "AA'),
            "signature",
        ),
        ("signature.json", None, "signature.json"),
    ],
)
def test_any_change_fails_verification(alert, ao, public_key, name, change, problem):
    files = _files(evidence_bundle_export(actor=ao, alert=alert))
    with pytest.raises(ExportInvalid) as caught:
        verify_evidence_bundle(_tampered(files, name, change), public_key)
    assert problem in str(caught.value)


def test_a_bundle_re_signed_with_another_key_fails(alert, ao, public_key):
    files = _files(evidence_bundle_export(actor=ao, alert=alert))
    files["manifest.json"] = files["manifest.json"].replace(b"CUST/77", b"CUST/78")
    del files["signature.json"]
    other = Ed25519PrivateKey.generate()
    signed = sign_bundle(other, {n: hashlib.sha256(d).hexdigest() for n, d in files.items()})
    files["signature.json"] = json.dumps(signed).encode()
    with pytest.raises(ExportInvalid, match="different key"):
        verify_evidence_bundle(_zip(files), public_key)
    other_public = other.public_key()
    # Even under the forger's own key the audit extract's tree head does not verify.
    with pytest.raises(ExportInvalid, match="tree head"):
        verify_evidence_bundle(_zip(files), other_public)


def test_the_standalone_verifier_checks_a_bundle_offline(alert, ao, tmp_path):
    package = tmp_path / "offline" / "lfr_portal"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in ("audit_chain.py", "audit_verify.py", "merkle.py"):
        shutil.copy(ROOT / "lfr_portal" / name, package / name)
    files = _files(evidence_bundle_export(actor=ao, alert=alert))
    (tmp_path / "bundle.zip").write_bytes(_zip(files))
    (tmp_path / "key.pem").write_bytes(
        load_public_key(audit.public_key_pem()).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "offline")}
    command = [
        sys.executable,
        "-m",
        "lfr_portal.audit_verify",
        "--bundle",
        "bundle.zip",
        "--public-key",
        "key.pem",
    ]
    good = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("OK: evidence bundle for alert")

    (tmp_path / "bundle.zip").write_bytes(_tampered(files, "crop.jpg", lambda d: d + b"!"))
    bad = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "TAMPERED: crop.jpg was changed" in bad.stderr


def test_an_alert_whose_image_was_deleted_still_exports_and_verifies(alert, ao, public_key):
    alert.crop_deleted_at = timezone.now()
    alert.save()
    files = _files(evidence_bundle_export(actor=ao, alert=alert))
    assert "crop.jpg" not in files
    crop = json.loads(files["manifest.json"])["crop"]
    assert crop == {
        "sha256": None,
        "included": False,
        "note": "The image is no longer held (deleted under the retention rule).",
    }
    assert verify_evidence_bundle(_zip(files), public_key).startswith("OK:")
