"""The policy library's services: documents, numbered versions whose files are checked by
content and hashed into the audit chain, publication, and each refusal."""

import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import AuditEvent, PolicyDocument, PolicyKind, PolicyVersion
from lfr_portal.services import policies as services
from lfr_portal.services.audit import audit_verify_database
from tests import policy_builders as lib

pytestmark = pytest.mark.django_db


def _zip(entries, name):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in entries:
            archive.writestr(member, data)
    return SimpleUploadedFile(name, buffer.getvalue())


def odt():
    return _zip(
        [("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", "<x/>")],
        "policy.odt",
    )


def docx():
    return _zip([("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w/>")], "p.docx")


def _upload(actor, document, upload, **kw):
    today = timezone.localdate()
    return services.policy_version_upload(
        actor=actor,
        document=document,
        upload=upload,
        issued_on=kw.get("issued_on", today),
        review_by=kw.get("review_by", today + timedelta(days=365)),
        change_summary=kw.get("change_summary", "First issue."),
        stated_retention=kw.get("stated_retention"),
    )


# --- documents -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["planner", "manager", "operator", "field_officer"])
def test_only_authorising_and_compliance_officers_add_documents(request, role):
    with pytest.raises(NotPermitted, match="authorising officer or a compliance officer"):
        services.policy_document_create(
            actor=request.getfixturevalue(role), kind=PolicyKind.SOP, title="LFR SOP"
        )
    assert not PolicyDocument.objects.exists()
    assert not AuditEvent.objects.filter(action="policy.document_create").exists()


def test_an_ao_adds_a_document_and_it_is_audited(ao):
    document = services.policy_document_create(actor=ao, kind=PolicyKind.SOP, title=" LFR SOP ")
    assert document.title == "LFR SOP" and document.created_by == ao
    event = AuditEvent.objects.get(action="policy.document_create")
    assert event.changes == {"kind": "sop", "title": "LFR SOP"}


@pytest.mark.parametrize(
    ("kind", "title", "field"),
    [("sop", "  ", "title"), ("secret_manual", "X", "kind"), ("sop", "lfr sop", "title")],
)
def test_a_document_needs_a_known_kind_and_a_new_title(compliance, kind, title, field):
    services.policy_document_create(actor=compliance, kind=PolicyKind.SOP, title="LFR SOP")
    with pytest.raises(RuleViolation) as refused:
        services.policy_document_create(actor=compliance, kind=kind, title=title)
    assert refused.value.field == field
    assert PolicyDocument.objects.count() == 1


# --- versions ------------------------------------------------------------------------


def test_versions_are_numbered_and_their_hash_enters_the_audit_chain(compliance):
    document = lib.document(compliance)
    body = "Policy text, version one.\n"
    first = _upload(compliance, document, lib.text_file(body))
    second = _upload(compliance, document, lib.pdf_file(), change_summary="Section 4 rewritten.")
    assert (first.number, second.number) == (1, 2)
    assert first.sha256 == hashlib.sha256(body.encode()).hexdigest()
    assert second.sha256 == hashlib.sha256(lib.PDF).hexdigest()
    with default_storage.open(second.file.name, "rb") as stored:
        assert stored.read() == lib.PDF
    assert (first.content_type, second.content_type) == (
        "text/plain; charset=utf-8",
        "application/pdf",
    )
    assert first.file.name != second.file.name and "policy" not in first.file.name.split("/")[-1]
    rows = AuditEvent.objects.filter(action="policy.version_upload").order_by("seq")
    assert [row.changes["sha256"] for row in rows] == [first.sha256, second.sha256]
    assert rows[1].changes["number"] == 2 and rows[1].object_public_id == str(second.public_id)
    ok, message = audit_verify_database()
    assert ok, message


@pytest.mark.parametrize(
    ("upload", "content_type", "extension"),
    [
        (odt, "application/vnd.oasis.opendocument.text", "odt"),
        (
            docx,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        # The content decides, not the name: text called .pdf is stored as text.
        (lambda: lib.text_file(name="looks.pdf"), "text/plain; charset=utf-8", "txt"),
    ],
)
def test_the_type_is_told_by_content(compliance, upload, content_type, extension):
    version = _upload(compliance, lib.document(compliance), upload())
    assert version.content_type == content_type
    assert version.file.name.endswith("." + extension)


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (
            lambda: SimpleUploadedFile("x.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
            "policy_file_type",
        ),
        (lambda: SimpleUploadedFile("x.docx", b"MZ\x90\x00\x03\x00\x00\x00"), "policy_file_type"),
        (lambda: _zip([("a.txt", "x")], "x.docx"), "policy_file_type"),
        (lambda: SimpleUploadedFile("x.txt", b"\xff\xfe not utf-8"), "policy_file_type"),
        (lambda: SimpleUploadedFile("x.txt", b""), "policy_file_empty"),
    ],
)
def test_files_that_are_not_documents_are_refused(compliance, upload, code):
    document = lib.document(compliance)
    with pytest.raises(RuleViolation) as refused:
        _upload(compliance, document, upload())
    assert (refused.value.code, refused.value.field) == (code, "file")
    assert not PolicyVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="policy.version_upload").exists()


def test_the_size_limit_is_a_setting(compliance, settings):
    settings.LFR_POLICY_MAX_UPLOAD_BYTES = 1024 * 1024
    document = lib.document(compliance)
    with pytest.raises(RuleViolation, match="larger than 1 MB") as refused:
        _upload(compliance, document, lib.text_file("a" * (1024 * 1024 + 1)))
    assert refused.value.code == "policy_file_too_large"
    assert _upload(compliance, document, lib.text_file("a" * 1024)).number == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"review_by": timezone.localdate() - timedelta(days=1)}, "review_by"),
        ({"change_summary": "   "}, "change_summary"),
        ({"stated_retention": {"alert_images_forever": 9}}, "stated_retention"),
        ({"stated_retention": {"alert_images": "thirty"}}, "stated_retention"),
        ({"stated_retention": {"alert_images": -1}}, "stated_retention"),
        ({"stated_retention": ["alert_images", 31]}, "stated_retention"),
    ],
)
def test_a_version_needs_sound_dates_a_summary_and_numeric_periods(compliance, changes, field):
    document = lib.document(compliance)
    with pytest.raises(RuleViolation) as refused:
        _upload(compliance, document, lib.text_file(), **changes)
    assert refused.value.field == field
    assert not PolicyVersion.objects.exists()


@pytest.mark.parametrize("role", ["planner", "manager", "operator", "field_officer"])
def test_other_roles_cannot_upload(request, compliance, role):
    document = lib.document(compliance)
    with pytest.raises(NotPermitted):
        _upload(request.getfixturevalue(role), document, lib.text_file())
    assert not PolicyVersion.objects.exists()


def test_stated_retention_differing_from_the_rules_in_force_is_a_warning(compliance, settings):
    settings.LFR_ALERT_RETENTION = timedelta(days=31)
    version = _upload(
        compliance,
        lib.document(compliance),
        lib.text_file(),
        stated_retention={"alert_images": 30, "signage_photos": 365},
    )
    assert version.stated_retention == {"alert_images": 30, "signage_photos": 365}
    row = AuditEvent.objects.get(action="policy.version_upload")
    assert row.changes["stated_retention"] == {"alert_images": 30, "signage_photos": 365}
    assert row.changes["retention_differences"] == [
        "Alert images and captured crops: the document states 30 days; the rule in force "
        "is 31 days."
    ]


# --- publication ---------------------------------------------------------------------


def test_marking_publishable_and_back_needs_a_reason_to_withdraw(compliance, ao):
    version = lib.version(actor=compliance)
    version = services.policy_version_set_publishable(actor=ao, version=version, publishable=True)
    assert version.publishable and version.publishable_marked_by == ao
    with pytest.raises(InvalidTransition, match="already publishable"):
        services.policy_version_set_publishable(actor=ao, version=version, publishable=True)
    with pytest.raises(RuleViolation, match="needs a reason") as refused:
        services.policy_version_set_publishable(actor=ao, version=version, publishable=False)
    assert refused.value.field == "reason"
    version.refresh_from_db()
    assert version.publishable
    services.policy_version_set_publishable(
        actor=compliance, version=version, publishable=False, reason="Superseded by a correction."
    )
    version.refresh_from_db()
    assert not version.publishable
    actions = list(
        AuditEvent.objects.filter(action__startswith="policy.version_")
        .exclude(action="policy.version_upload")
        .values_list("action", "reason")
    )
    assert actions == [
        ("policy.version_publishable", ""),
        ("policy.version_unpublishable", "Superseded by a correction."),
    ]


@pytest.mark.parametrize("role", ["planner", "manager", "operator", "field_officer"])
def test_other_roles_cannot_publish(request, compliance, role):
    version = lib.version(actor=compliance)
    with pytest.raises(NotPermitted):
        services.policy_version_set_publishable(
            actor=request.getfixturevalue(role), version=version, publishable=True
        )
    version.refresh_from_db()
    assert not version.publishable
