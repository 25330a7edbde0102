"""A deployment's complete record as a PDF a court can read. No images, no embeddings.

The data comes from the record selector and is laid out by lfr_portal/report_render.py;
this module signs the checkpoint the record cites and puts the export on the trail.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..models import CheckpointKind, Deployment
from ..report_render import deployment_record_pdf
from ..selectors.reports import deployment_record
from .audit import audit_checkpoint_create, audit_record


def deployment_report_pdf(deployment: Deployment) -> bytes:
    """Build the PDF in memory, citing a tree head signed for it, and return its bytes."""
    produced_at = timezone.now()
    record = deployment_record(deployment)
    checkpoint = audit_checkpoint_create(kind=CheckpointKind.EXPORT)
    return deployment_record_pdf(record, checkpoint, produced_at=produced_at)


def deployment_report_export(*, actor: AbstractBaseUser, deployment: Deployment) -> bytes:
    """The record for a reader: the export goes on the trail first, so the record shows it."""
    with transaction.atomic():
        audit_record(actor=actor, action="audit.deployment_report", obj=deployment)
    return deployment_report_pdf(deployment)
