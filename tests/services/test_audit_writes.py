import pytest
from django.db import transaction

from lfr_portal.models import AuditEvent, Deployment
from lfr_portal.services import audit
from lfr_portal.services import deployments as dep
from tests.services.test_deployments import VALID

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_failed_audit_write_undoes_the_change(planner, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(dep, "audit_record", broken)
    with pytest.raises(RuntimeError):
        dep.deployment_create(actor=planner, **VALID)
    assert not Deployment.objects.exists()


def test_audit_rows_cannot_be_written_outside_a_transaction(planner):
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit.audit_record(actor=planner, action="test.outside")
    with transaction.atomic():
        audit.audit_record(actor=planner, action="test.inside")
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.inside"]
