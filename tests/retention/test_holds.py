"""Evidence holds: placed, extended and released with reasons; reminders before review."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone

from lfr_portal.celery import app
from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import AlertHold, AuditEvent, Engagement, Notification
from lfr_portal.selectors.holds import hold_state, holds_in_state, holds_visible_to
from lfr_portal.services import holds as hold_services
from lfr_portal.services import retention
from lfr_portal.tasks import remind_holds
from tests.factories import AlertFactory, user_with_role

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def alert():
    alert = AlertFactory()
    alert.crop.save("crop.jpg", ContentFile(b"crop bytes"), save=True)
    return alert


def _place(actor, alert, days=60, **kwargs):
    return hold_services.alert_hold_place(
        actor=actor,
        alert=alert,
        reason=kwargs.pop("reason", "Evidence in R v Smith"),
        review_by=TODAY() + timedelta(days=days),
        **kwargs,
    )


def _engaged(alert, operator, officer):
    return Engagement.objects.create(
        alert=alert, dispatched_by=operator, dispatched_at=timezone.now(), officer=officer
    )


def test_an_authorising_officer_places_a_hold_with_a_custody_reference(alert, ao):
    hold = _place(ao, alert, custody_reference="CUST/123")
    assert hold.custody_reference == "CUST/123" and hold.placed_by == ao
    row = AuditEvent.objects.get(action="alert.hold_place")
    assert row.object_public_id == str(alert.public_id)
    assert row.changes["custody_reference"] == "CUST/123"
    assert row.changes["hold"] == str(hold.public_id)


def test_the_arresting_officer_places_a_hold_only_with_a_custody_reference(
    alert, operator, field_officer
):
    _engaged(alert, operator, field_officer)
    with pytest.raises(NotPermitted):
        _place(field_officer, alert)
    hold = _place(field_officer, alert, custody_reference="CUST/9")
    assert hold.placed_by == field_officer


def test_another_field_officer_or_a_compliance_officer_cannot_place_one(
    alert, operator, field_officer, compliance
):
    _engaged(alert, operator, field_officer)
    other = user_with_role("field_officer")
    for actor in (other, compliance, operator):
        with pytest.raises(NotPermitted):
            _place(actor, alert, custody_reference="CUST/9")
    assert not AlertHold.objects.exists()


def test_the_arresting_officer_cannot_hold_another_deployments_alert(
    alert, operator, field_officer
):
    _engaged(alert, operator, field_officer)
    elsewhere = AlertFactory()
    assert elsewhere.deployment != alert.deployment
    with pytest.raises(NotPermitted):
        _place(field_officer, elsewhere, custody_reference="CUST/9")
    assert not AlertHold.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"days": 0}, "review_by"),
        ({"days": 400}, "review_by"),
    ],
)
def test_a_hold_needs_a_reason_and_a_review_date_within_a_year(alert, ao, kwargs, field):
    with pytest.raises(RuleViolation) as refused:
        _place(ao, alert, **kwargs)
    assert refused.value.field == field
    assert not AlertHold.objects.exists()


def test_no_hold_on_an_alert_whose_image_is_gone(alert, ao):
    alert.crop_deleted_at = timezone.now()
    alert.save()
    with pytest.raises(InvalidTransition):
        _place(ao, alert)


def test_authorising_and_compliance_officers_extend_with_a_reason(alert, ao, compliance):
    hold = _place(ao, alert, days=30)
    for actor, days in ((ao, 60), (compliance, 90)):
        hold = hold_services.alert_hold_extend(
            actor=actor, hold=hold, review_by=TODAY() + timedelta(days=days), reason="Trial moved"
        )
        assert hold.review_by == TODAY() + timedelta(days=days)
    rows = list(AuditEvent.objects.filter(action="alert.hold_extend").order_by("seq"))
    assert [r.actor for r in rows] == [ao, compliance]
    assert rows[1].changes["review_by"] == {
        "before": (TODAY() + timedelta(days=60)).isoformat(),
        "after": (TODAY() + timedelta(days=90)).isoformat(),
    }
    assert rows[1].reason == "Trial moved"


def test_extension_refusals(alert, ao, operator):
    hold = _place(ao, alert, days=30)
    later = TODAY() + timedelta(days=40)
    with pytest.raises(NotPermitted):
        hold_services.alert_hold_extend(actor=operator, hold=hold, review_by=later, reason="x")
    with pytest.raises(RuleViolation) as refused:
        hold_services.alert_hold_extend(
            actor=ao, hold=hold, review_by=TODAY() + timedelta(days=20), reason="x"
        )
    assert refused.value.field == "review_by"
    with pytest.raises(RuleViolation) as refused:
        hold_services.alert_hold_extend(actor=ao, hold=hold, review_by=later, reason=" ")
    assert refused.value.field == "reason"
    hold_services.alert_hold_release(actor=ao, hold=hold, reason="Case dropped")
    with pytest.raises(InvalidTransition):
        hold_services.alert_hold_extend(actor=ao, hold=hold, review_by=later, reason="x")
    hold.refresh_from_db()
    assert hold.review_by == TODAY() + timedelta(days=30)
    assert not AuditEvent.objects.filter(action="alert.hold_extend").exists()


def test_a_compliance_officer_releases_with_a_reason(alert, ao, compliance):
    hold = _place(ao, alert)
    with pytest.raises(RuleViolation):
        hold_services.alert_hold_release(actor=compliance, hold=hold, reason="")
    released = hold_services.alert_hold_release(actor=compliance, hold=hold, reason="Acquitted")
    assert released.released_by == compliance
    assert AuditEvent.objects.get(action="alert.hold_release").reason == "Acquitted"


def test_a_lapsed_hold_renewed_in_time_keeps_the_image(alert, ao):
    hold = _place(ao, alert, days=10)
    with time_machine.travel(timezone.now() + timedelta(days=11), tick=False):
        assert hold_state(hold) == "lapsed"
        hold_services.alert_hold_extend(
            actor=ao, hold=hold, review_by=TODAY() + timedelta(days=30), reason="Renewed"
        )
    with time_machine.travel(timezone.now() + timedelta(days=33), tick=False):
        retention.retention_apply()
    alert.refresh_from_db()
    assert alert.crop_deleted_at is None and alert.crop.name


@override_settings(LFR_HOLD_REMINDER_DAYS=14)
def test_states_and_visibility(alert, ao, compliance, operator):
    due = _place(ao, alert, days=10)
    active = _place(ao, AlertFactory(), days=60)
    released = _place(ao, AlertFactory(), days=60)
    hold_services.alert_hold_release(actor=ao, hold=released, reason="done")
    lapsed = _place(ao, AlertFactory(), days=5)
    with time_machine.travel(timezone.now() + timedelta(days=6), tick=False):
        holds = holds_visible_to(compliance)
        assert set(holds_in_state(holds, "lapsed")) == {lapsed}
        assert set(holds_in_state(holds, "due")) == {due}
        assert set(holds_in_state(holds, "active")) == {due, active}
        assert {h.public_id for h in holds_in_state(holds, "released")} == {released.public_id}
    assert not holds_visible_to(operator).exists()


@override_settings(LFR_HOLD_REMINDER_DAYS=14)
def test_reminders_go_once_a_period_to_the_placer_and_authorising_officers(
    alert, ao, ao2, compliance, operator, field_officer
):
    _engaged(alert, operator, field_officer)
    hold = _place(field_officer, alert, days=20, custody_reference="CUST/1")
    far = _place(ao, AlertFactory(), days=200)
    assert hold_services.alert_holds_remind() == 0  # 20 days out: not yet
    soon = TODAY() + timedelta(days=7)
    assert hold_services.alert_holds_remind(today=soon) == 1
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {field_officer.username, ao.username, ao2.username}
    note = Notification.objects.filter(recipient=ao).get()
    assert str(hold.public_id) in note.link and note.kind == "hold_review_due"
    # Once per period: the next days send nothing more.
    assert hold_services.alert_holds_remind(today=soon + timedelta(days=1)) == 0
    assert Notification.objects.count() == 3
    row = AuditEvent.objects.get(action="alert.hold_remind")
    assert row.changes["hold"] == str(hold.public_id)
    # Extended: a new period, and its own reminder before the new date.
    hold_services.alert_hold_extend(
        actor=ao, hold=hold, review_by=TODAY() + timedelta(days=60), reason="Adjourned"
    )
    assert hold_services.alert_holds_remind(today=TODAY() + timedelta(days=50)) == 1
    assert Notification.objects.count() == 6
    far.refresh_from_db()
    assert far.reminded_at is None


@override_settings(LFR_HOLD_REMINDER_DAYS=14)
def test_released_and_lapsed_holds_are_not_reminded(alert, ao):
    hold = _place(ao, alert, days=5)
    hold_services.alert_hold_release(actor=ao, hold=hold, reason="done")
    _place(ao, AlertFactory(), days=3)
    assert hold_services.alert_holds_remind(today=TODAY() + timedelta(days=4)) == 0
    assert not Notification.objects.exists()


@override_settings(LFR_HOLD_REMINDER_DAYS=14)
def test_beat_runs_the_reminders_daily(alert, ao):
    entry = app.conf.beat_schedule["remind-holds"]
    assert entry["task"] == remind_holds.name == "lfr_portal.remind_holds"
    _place(ao, alert, days=3)
    assert remind_holds() == 1 and remind_holds() == 0
