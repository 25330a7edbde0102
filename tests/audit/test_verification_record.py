"""Each verification of the audit log is recorded in the log itself (`audit.verify`),
so a later verification covers the earlier results; beat runs it on a schedule."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from lfr_portal.celery import app
from lfr_portal.models import AuditEvent
from lfr_portal.selectors.audit import ACTION_LABELS
from lfr_portal.selectors.dashboard import chain_verification_status
from lfr_portal.services import audit
from lfr_portal.tasks import audit_verify
from tests.audit import tamper
from tests.audit.test_chain import write


def _latest_verification() -> AuditEvent:
    return AuditEvent.objects.filter(action="audit.verify").latest("seq")


@pytest.mark.django_db
def test_the_task_records_ok_on_a_clean_log():
    write(5)
    audit.audit_checkpoint_create()

    assert audit_verify() is True

    row = _latest_verification()
    assert row.actor is None and row.actor_username == "system"
    assert row.changes["ok"] is True
    assert row.changes["tree_size"] == 5
    assert len(row.changes["root_hash"]) == 64
    assert row.changes["failed_checks"] == []
    status = chain_verification_status()
    assert status.verified is True and status.rows_checked == 5
    assert status.verified_at == row.occurred_at


@pytest.mark.django_db
def test_a_later_verification_covers_the_earlier_result():
    write(3)
    audit_verify()
    audit_verify()

    rows = list(AuditEvent.objects.filter(action="audit.verify").order_by("seq"))
    assert [r.changes["tree_size"] for r in rows] == [3, 4]
    ok, message = audit.audit_verify_database()
    assert ok, message


@pytest.mark.django_db(transaction=True)
def test_after_a_tamper_the_next_verification_records_the_failed_check():
    write(5)
    audit_verify()
    with tamper.superuser(triggers=False) as conn:
        conn.execute("UPDATE lfr_portal_auditevent SET reason = 'nothing' WHERE seq = 3")

    assert audit_verify() is False

    row = _latest_verification()
    assert row.changes["ok"] is False
    assert row.changes["failed_checks"] == ["row_content"]
    # Names of checks only: the failure's message, which may quote a row, stays out.
    assert "nothing" not in json.dumps(row.changes)
    status = chain_verification_status()
    assert status.verified is False and status.failed_checks == ["row_content"]


@pytest.mark.django_db
def test_the_command_records_its_run_unless_told_not_to(tmp_path, settings):
    settings.LFR_AUDIT_TREE_HEAD_EVERY_ROWS = 0
    write(4)
    head = audit.audit_checkpoint_create()
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps(head.tree_head()))

    call_command("verify_audit", no_record=True)
    assert not AuditEvent.objects.filter(action="audit.verify").exists()

    call_command("verify_audit", earlier_head=str(kept))
    row = _latest_verification()
    assert row.changes["ok"] is True and row.changes["earlier_head_size"] == 4


@pytest.mark.django_db
def test_the_command_records_a_failure_before_it_reports_it(tmp_path):
    write(2)
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps({"tree_size": 9, "root_hash": "00" * 32}))

    with pytest.raises(CommandError, match="not carry a valid signature"):
        call_command("verify_audit", earlier_head=str(kept))

    row = _latest_verification()
    assert row.changes["ok"] is False and row.changes["failed_checks"] == ["earlier_head"]


def test_beat_runs_the_verification_every_configured_hours(settings):
    entry = app.conf.beat_schedule["audit-verify"]
    assert entry["task"] == "lfr_portal.audit_verify" == audit_verify.name
    assert entry["schedule"] == timedelta(hours=settings.LFR_AUDIT_VERIFY_HOURS)
    assert audit_verify.soft_time_limit < audit_verify.time_limit


def test_the_verification_has_a_label():
    assert ACTION_LABELS["audit.verify"]
