"""Policy library data for tests: documents and versions made through the services, so
every version has a real stored file, its hash and its audit row."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lfr_portal.models import PolicyKind, Role
from lfr_portal.services import policies as services
from tests.factories import user_with_role

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def text_file(body="Live facial recognition policy.\nSection 1: purpose.\n", name="policy.txt"):
    return SimpleUploadedFile(name, body.encode(), content_type="text/plain")


def pdf_file(name="policy.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def library_manager():
    return user_with_role(Role.COMPLIANCE_OFFICER)


def document(actor=None, *, kind=PolicyKind.POLICY, title=None):
    actor = actor or library_manager()
    title = title or f"LFR policy {timezone.now().timestamp()}"
    return services.policy_document_create(actor=actor, kind=kind, title=title)


def version(doc=None, actor=None, *, upload=None, review_days=365, publishable=False, **kw):
    actor = actor or library_manager()
    doc = doc or document(actor)
    today = timezone.localdate()
    made = services.policy_version_upload(
        actor=actor,
        document=doc,
        upload=upload or text_file(),
        issued_on=kw.pop("issued_on", today - timedelta(days=30)),
        review_by=kw.pop("review_by", today + timedelta(days=review_days)),
        change_summary=kw.pop("change_summary", "First issue."),
        stated_retention=kw.pop("stated_retention", None),
    )
    if publishable:
        made = services.policy_version_set_publishable(actor=actor, version=made, publishable=True)
    return made
