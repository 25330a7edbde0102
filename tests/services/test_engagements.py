"""The alert's life after the operator: each transition, its refusals (wrong role, wrong
state, wrong deployment), its audit row, its notifications and its webhook."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import (
    Adjudication,
    AlertHold,
    AuditEvent,
    DeploymentStatus,
    Engagement,
    Notification,
    Role,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from lfr_portal.permissions import grant_field_officer, grant_operator
from lfr_portal.selectors.engagements import (
    EngagementStage,
    engagement_for,
    engagement_stage,
    engagements_visible_to,
    open_engagements_for,
)
from lfr_portal.services import deployment_staff as staff
from lfr_portal.services import engagements as svc
from lfr_portal.services.notifications import notification_mark_read, notification_send
from tests.factories import AlertFactory, DeploymentFactory, user_with_role

pytestmark = pytest.mark.django_db

ALL_EVENTS = [e.value for e in WebhookEvent]


def _actions():
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def _alert(operator, field_officer, **deployment):
    alert = AlertFactory(deployment__decided_by=user_with_role(Role.AUTHORISING_OFFICER))
    if deployment:
        type(alert.deployment).objects.filter(pk=alert.deployment.pk).update(**deployment)
        alert.deployment.refresh_from_db()
    grant_operator(operator, alert.deployment)
    grant_field_officer(field_officer, alert.deployment)
    return alert


def _sent(operator, field_officer):
    return svc.alert_send_for_engagement(actor=operator, alert=_alert(operator, field_officer))


def _taken(operator, field_officer):
    engagement = _sent(operator, field_officer)
    return svc.engagement_acknowledge(actor=field_officer, engagement=engagement)


def _found(operator, field_officer):
    engagement = _taken(operator, field_officer)
    return svc.engagement_result_record(
        actor=field_officer,
        engagement=engagement,
        result="confirmed_person",
        engaged_at=timezone.now(),
        stop_minutes=4,
        identity_check="document",
    )


def _subscribe(admin):
    return WebhookSubscription.objects.create(
        name="Control room", url="https://cad.example/hook", secret="s" * 32,
        events=ALL_EVENTS, created_by=admin,
    )  # fmt: skip


# --- sending ---------------------------------------------------------------------------


def test_sending_confirms_the_alert_notifies_the_officers_and_emits(operator, field_officer):
    _subscribe(operator)
    alert = _alert(operator, field_officer)
    other_officer = user_with_role(Role.FIELD_OFFICER)  # not on this deployment

    engagement = svc.alert_send_for_engagement(actor=operator, alert=alert)

    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.CONFIRMED
    assert alert.adjudicated_by == operator
    assert engagement.dispatched_by == operator and engagement.officer is None
    assert "alert.send_for_engagement" in _actions()
    notes = Notification.objects.filter(kind="engagement.sent")
    assert [n.recipient for n in notes] == [field_officer]
    assert str(engagement.public_id) in notes[0].link
    assert not Notification.objects.filter(recipient=other_officer).exists()
    delivery = WebhookDelivery.objects.get(event=WebhookEvent.ALERT_SENT)
    assert delivery.payload["alert"] == str(alert.public_id)
    assert delivery.payload["camera"] == str(alert.camera.camera.public_id)
    assert delivery.payload["entry_category"] == alert.entry.category
    text = str(delivery.payload)
    assert operator.username not in text and alert.entry.display_name not in text


@pytest.mark.parametrize("role", [Role.FIELD_OFFICER, Role.AUTHORISING_OFFICER])
def test_sending_is_refused_to_other_roles(operator, field_officer, role):
    alert = _alert(operator, field_officer)
    with pytest.raises(NotPermitted):
        svc.alert_send_for_engagement(actor=user_with_role(role), alert=alert)
    assert not Engagement.objects.exists()


def test_sending_is_refused_to_an_operator_of_another_deployment(operator, field_officer):
    alert = _alert(operator, field_officer)
    stranger = user_with_role(Role.OPERATOR)
    grant_operator(stranger, DeploymentFactory(status=DeploymentStatus.LIVE))
    with pytest.raises(NotPermitted):
        svc.alert_send_for_engagement(actor=stranger, alert=alert)
    assert not Engagement.objects.exists()


def test_sending_is_refused_in_the_wrong_state(operator, field_officer):
    decided = _alert(operator, field_officer)
    decided.adjudication = Adjudication.FALSE_ALERT
    decided.save()
    with pytest.raises(InvalidTransition):
        svc.alert_send_for_engagement(actor=operator, alert=decided)
    ended = _alert(operator, field_officer, status=DeploymentStatus.COMPLETED)
    with pytest.raises(InvalidTransition):
        svc.alert_send_for_engagement(actor=operator, alert=ended)
    sent = _alert(operator, field_officer)
    svc.alert_send_for_engagement(actor=operator, alert=sent)
    with pytest.raises(InvalidTransition):
        svc.alert_send_for_engagement(actor=operator, alert=sent)
    assert Engagement.objects.count() == 1


def test_sending_needs_a_field_officer_on_the_deployment(operator):
    alert = AlertFactory()
    grant_operator(operator, alert.deployment)
    with pytest.raises(RuleViolation) as refused:
        svc.alert_send_for_engagement(actor=operator, alert=alert)
    assert refused.value.code == "no_field_officer"
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.PENDING
    assert "alert.send_for_engagement" not in _actions()


# --- acknowledging ---------------------------------------------------------------------


def test_one_assigned_field_officer_takes_it(operator, field_officer):
    engagement = _sent(operator, field_officer)
    colleague = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(colleague, engagement.alert.deployment)

    svc.engagement_acknowledge(actor=field_officer, engagement=engagement)

    engagement.refresh_from_db()
    assert engagement.officer == field_officer and engagement.acknowledged_at is not None
    assert _actions().count("engagement.acknowledge") == 1
    with pytest.raises(InvalidTransition):
        svc.engagement_acknowledge(actor=colleague, engagement=engagement)
    # Tapping twice on the phone changes nothing and writes nothing more.
    svc.engagement_acknowledge(actor=field_officer, engagement=engagement)
    assert _actions().count("engagement.acknowledge") == 1


def test_acknowledging_is_refused_to_the_wrong_role_and_deployment(operator, field_officer):
    engagement = _sent(operator, field_officer)
    elsewhere = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(elsewhere, DeploymentFactory(status=DeploymentStatus.LIVE))
    for actor in (operator, elsewhere, user_with_role(Role.AUTHORISING_OFFICER)):
        with pytest.raises(NotPermitted):
            svc.engagement_acknowledge(actor=actor, engagement=engagement)
    engagement.refresh_from_db()
    assert engagement.officer is None


def test_acknowledging_is_refused_once_the_deployment_stopped(operator, field_officer):
    engagement = _sent(operator, field_officer)
    type(engagement.alert.deployment).objects.filter(pk=engagement.alert.deployment.pk).update(
        status=DeploymentStatus.COMPLETED
    )
    with pytest.raises(InvalidTransition):
        svc.engagement_acknowledge(actor=field_officer, engagement=engagement)


# --- the result ------------------------------------------------------------------------


def test_confirmed_person_needs_time_stop_length_and_identity_check(operator, field_officer):
    engagement = _taken(operator, field_officer)
    base = {"actor": field_officer, "engagement": engagement, "result": "confirmed_person"}
    full = {
        "engaged_at": timezone.now(),
        "stop_minutes": 3,
        "identity_check": "verbal",
    }
    for missing in full:
        with pytest.raises(RuleViolation) as refused:
            svc.engagement_result_record(**base, **{k: v for k, v in full.items() if k != missing})
        assert refused.value.field == missing
    for wrong in (timezone.now() + timedelta(hours=1), timezone.now() - timedelta(hours=1)):
        with pytest.raises(RuleViolation) as refused:
            svc.engagement_result_record(**base, **{**full, "engaged_at": wrong})
        assert refused.value.field == "engaged_at"

    svc.engagement_result_record(**base, **full, not_engaged_reason="ignored")

    engagement.refresh_from_db()
    assert engagement.result == "confirmed_person" and engagement.stop_minutes == 3
    assert engagement.not_engaged_reason == ""
    assert engagement_stage(engagement.alert) == EngagementStage.RESULT_RECORDED
    assert _actions().count("engagement.result") == 1
    assert WebhookDelivery.objects.count() == 0  # no subscription, nothing queued


def test_misidentified_person_records_treatment_and_tells_the_ao(operator, field_officer):
    _subscribe(operator)
    engagement = _taken(operator, field_officer)
    ao = engagement.alert.deployment.decided_by
    args = {
        "actor": field_officer,
        "engagement": engagement,
        "result": "not_the_person",
        "engaged_at": timezone.now(),
        "stop_minutes": 8,
        "identity_check": "mobile_fingerprint",
        "held_minutes": 6,
        "explanation_given": True,
        "complaints_route_given": False,
    }
    for missing in ("held_minutes", "explanation_given", "complaints_route_given"):
        with pytest.raises(RuleViolation) as refused:
            svc.engagement_result_record(**{**args, missing: None})
        assert refused.value.field == missing
    with pytest.raises(RuleViolation):
        svc.engagement_result_record(**{**args, "held_minutes": 9})  # longer than the stop
    assert not Notification.objects.filter(recipient=ao).exists()

    svc.engagement_result_record(**args)

    engagement.refresh_from_db()
    assert (engagement.held_minutes, engagement.explanation_given) == (6, True)
    assert engagement.complaints_route_given is False
    assert Notification.objects.get(recipient=ao).kind == "engagement.misidentified"
    assert engagement_stage(engagement.alert) == EngagementStage.CLOSED
    payload = WebhookDelivery.objects.get(event=WebhookEvent.ENGAGEMENT).payload
    assert payload["result"] == "not_the_person" and payload["stop_minutes"] == 8
    with pytest.raises(InvalidTransition):
        svc.engagement_result_record(**args)
    with pytest.raises(InvalidTransition):
        svc.engagement_outcome_record(
            actor=field_officer, engagement=engagement, outcome="no_further_action"
        )


def test_not_engaged_needs_a_reason(operator, field_officer):
    engagement = _taken(operator, field_officer)
    with pytest.raises(RuleViolation) as refused:
        svc.engagement_result_record(
            actor=field_officer, engagement=engagement, result="not_engaged", not_engaged_reason=" "
        )
    assert refused.value.field == "not_engaged_reason"
    svc.engagement_result_record(
        actor=field_officer,
        engagement=engagement,
        result="not_engaged",
        not_engaged_reason="Crowd too dense to approach safely.",
    )
    event = AuditEvent.objects.get(action="engagement.result")
    assert event.reason == "Crowd too dense to approach safely."


def test_the_result_is_refused_before_taking_and_to_anyone_but_the_holder(operator, field_officer):
    engagement = _sent(operator, field_officer)
    args = {"engagement": engagement, "result": "not_located"}
    with pytest.raises(InvalidTransition):
        svc.engagement_result_record(actor=field_officer, **args)
    svc.engagement_acknowledge(actor=field_officer, engagement=engagement)
    colleague = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(colleague, engagement.alert.deployment)
    elsewhere = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(elsewhere, DeploymentFactory(status=DeploymentStatus.LIVE))
    for actor in (colleague, elsewhere, operator, user_with_role(Role.AUTHORISING_OFFICER)):
        with pytest.raises(NotPermitted):
            svc.engagement_result_record(actor=actor, **args)
    engagement.refresh_from_db()
    assert engagement.result == ""


# --- the outcome -----------------------------------------------------------------------


def test_an_arrest_places_a_hold_with_the_custody_reference(operator, field_officer):
    _subscribe(operator)
    engagement = _found(operator, field_officer)
    review_by = timezone.localdate() + timedelta(days=90)

    svc.engagement_outcome_record(
        actor=field_officer,
        engagement=engagement,
        outcome="arrest",
        arrest_category="wanted_by_courts",
        custody_reference=" CUST/42 ",
        crime_reference="CRIME/7",
        hold_review_by=review_by,
    )

    engagement.refresh_from_db()
    assert (engagement.outcome, engagement.custody_reference) == ("arrest", "CUST/42")
    hold = AlertHold.objects.get(alert=engagement.alert)
    assert (hold.custody_reference, hold.review_by, hold.placed_by) == (
        "CUST/42",
        review_by,
        field_officer,
    )
    actions = _actions()
    assert actions.index("engagement.outcome") < actions.index("alert.hold_place")
    payload = WebhookDelivery.objects.get(event=WebhookEvent.OUTCOME).payload
    assert payload["arrest_category"] == "wanted_by_courts"
    assert "CUST/42" not in str(payload)
    assert engagement_stage(engagement.alert) == EngagementStage.OUTCOME_RECORDED


def test_an_arrest_needs_a_hold_or_a_reason_for_none(operator, field_officer):
    engagement = _found(operator, field_officer)
    arrest = {
        "actor": field_officer,
        "engagement": engagement,
        "outcome": "arrest",
        "arrest_category": "suspected_offence",
        "custody_reference": "CUST/9",
    }
    with pytest.raises(RuleViolation) as refused:
        svc.engagement_outcome_record(**arrest)
    assert refused.value.code == "hold_required"
    for missing in ("arrest_category", "custody_reference"):
        with pytest.raises(RuleViolation) as refused:
            svc.engagement_outcome_record(**{**arrest, missing: "", "no_hold_reason": "x"})
        assert refused.value.field == missing
    with pytest.raises(RuleViolation):
        svc.engagement_outcome_record(**arrest, hold_review_by=timezone.localdate())
    assert not AlertHold.objects.exists()

    svc.engagement_outcome_record(**arrest, no_hold_reason="Arrested on a warrant alone.")

    assert not AlertHold.objects.exists()
    event = AuditEvent.objects.get(action="engagement.outcome")
    assert event.reason == "Arrested on a warrant alone."


def test_a_hold_that_cannot_be_placed_undoes_the_outcome(operator, field_officer):
    engagement = _found(operator, field_officer)
    alert = engagement.alert
    alert.crop_deleted_at = timezone.now()
    alert.save()
    with pytest.raises(InvalidTransition):
        svc.engagement_outcome_record(
            actor=field_officer,
            engagement=engagement,
            outcome="arrest",
            arrest_category="wanted_by_courts",
            custody_reference="CUST/1",
            hold_review_by=timezone.localdate() + timedelta(days=30),
        )
    engagement.refresh_from_db()
    assert engagement.outcome == ""
    assert "engagement.outcome" not in _actions()


def test_outcomes_other_than_arrest_take_no_arrest_fields(operator, field_officer):
    engagement = _found(operator, field_officer)
    with pytest.raises(RuleViolation) as refused:
        svc.engagement_outcome_record(
            actor=field_officer,
            engagement=engagement,
            outcome="safeguarding",
            custody_reference="CUST/1",
        )
    assert refused.value.field == "custody_reference"
    svc.engagement_outcome_record(
        actor=field_officer, engagement=engagement, outcome="safeguarding"
    )
    engagement.refresh_from_db()
    assert engagement_stage(engagement.alert) == EngagementStage.CLOSED
    with pytest.raises(InvalidTransition):
        svc.engagement_outcome_record(
            actor=field_officer, engagement=engagement, outcome="words_of_advice"
        )


def test_the_outcome_is_refused_before_the_person_was_found_and_to_others(operator, field_officer):
    engagement = _taken(operator, field_officer)
    with pytest.raises(InvalidTransition):
        svc.engagement_outcome_record(
            actor=field_officer, engagement=engagement, outcome="no_further_action"
        )
    svc.engagement_result_record(
        actor=field_officer,
        engagement=engagement,
        result="confirmed_person",
        engaged_at=timezone.now(),
        stop_minutes=1,
        identity_check="none",
    )
    elsewhere = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(elsewhere, DeploymentFactory(status=DeploymentStatus.LIVE))
    for actor in (elsewhere, operator, user_with_role(Role.COMPLIANCE_OFFICER)):
        with pytest.raises(NotPermitted):
            svc.engagement_outcome_record(
                actor=actor, engagement=engagement, outcome="no_further_action"
            )


# --- the later outcome -----------------------------------------------------------------


def _arrested(operator, field_officer):
    engagement = _found(operator, field_officer)
    return svc.engagement_outcome_record(
        actor=field_officer,
        engagement=engagement,
        outcome="arrest",
        arrest_category="multi_agency",
        custody_reference="CUST/5",
        no_hold_reason="Evidence held by the partner agency.",
    )


def test_the_later_outcome_is_recorded_and_corrected_with_before_and_after(
    operator, field_officer, ao, compliance
):
    engagement = _arrested(operator, field_officer)
    svc.engagement_later_outcome_record(
        actor=field_officer, engagement=engagement, later_outcome="released"
    )
    svc.engagement_later_outcome_record(actor=ao, engagement=engagement, later_outcome="charged")
    svc.engagement_later_outcome_record(
        actor=compliance, engagement=engagement, later_outcome="charged"
    )

    engagement.refresh_from_db()
    assert engagement.later_outcome == "charged"
    changes = list(
        AuditEvent.objects.filter(action="engagement.later_outcome")
        .order_by("seq")
        .values_list("changes", flat=True)
    )
    assert changes == [
        {"later_outcome": ["", "released"]},
        {"later_outcome": ["released", "charged"]},
    ]
    assert engagement_stage(engagement.alert) == EngagementStage.CLOSED


def test_the_later_outcome_is_refused_to_others_and_before_an_arrest(operator, field_officer, ao):
    engagement = _found(operator, field_officer)
    with pytest.raises(InvalidTransition):
        svc.engagement_later_outcome_record(
            actor=ao, engagement=engagement, later_outcome="charged"
        )
    engagement = _arrested(operator, field_officer)
    colleague = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(colleague, engagement.alert.deployment)
    elsewhere = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(elsewhere, DeploymentFactory(status=DeploymentStatus.LIVE))
    for actor in (operator, colleague, elsewhere, user_with_role(Role.DEPLOYMENT_PLANNER)):
        with pytest.raises(NotPermitted):
            svc.engagement_later_outcome_record(
                actor=actor, engagement=engagement, later_outcome="charged"
            )
    with pytest.raises(RuleViolation):
        svc.engagement_later_outcome_record(actor=ao, engagement=engagement, later_outcome="")


# --- selectors -------------------------------------------------------------------------


def test_stages_from_raised_to_no_match(operator, field_officer):
    alert = _alert(operator, field_officer)
    assert engagement_stage(alert) == EngagementStage.RAISED
    alert.adjudication = Adjudication.FALSE_ALERT
    assert engagement_stage(alert) == EngagementStage.NO_MATCH
    engagement = _sent(operator, field_officer)
    assert engagement_stage(engagement.alert) == EngagementStage.SENT
    svc.engagement_acknowledge(actor=field_officer, engagement=engagement)
    engagement.refresh_from_db()
    assert engagement_stage(engagement.alert) == EngagementStage.ACKNOWLEDGED


def test_who_sees_which_engagement(operator, field_officer, ao, compliance, planner):
    engagement = _sent(operator, field_officer)
    other_operator = user_with_role(Role.OPERATOR)
    other_officer = user_with_role(Role.FIELD_OFFICER)
    elsewhere = DeploymentFactory(status=DeploymentStatus.LIVE)
    grant_operator(other_operator, elsewhere)
    grant_field_officer(other_officer, elsewhere)
    for user in (operator, field_officer, ao, compliance):
        assert engagement_for(user, engagement.public_id) == engagement
    for user in (other_operator, other_officer, planner, user_with_role(Role.WATCHLIST_MANAGER)):
        assert not engagements_visible_to(user).exists()
        with pytest.raises(Engagement.DoesNotExist):
            engagement_for(user, engagement.public_id)


def test_the_phone_lists_open_engagements_free_or_held_by_the_officer(operator, field_officer):
    free = _sent(operator, field_officer)
    held = _taken(operator, field_officer)
    done = _found(operator, field_officer)
    svc.engagement_outcome_record(actor=field_officer, engagement=done, outcome="words_of_advice")
    gone = _taken(operator, field_officer)
    svc.engagement_result_record(actor=field_officer, engagement=gone, result="not_located")
    colleague = user_with_role(Role.FIELD_OFFICER)
    for engagement in (free, held):
        grant_field_officer(colleague, engagement.alert.deployment)

    assert list(open_engagements_for(field_officer)) == [held, free]
    assert list(open_engagements_for(colleague)) == [free]
    assert not open_engagements_for(operator).exists()
    type(free.alert.deployment).objects.filter(pk=free.alert.deployment.pk).update(
        status=DeploymentStatus.COMPLETED
    )
    assert list(open_engagements_for(colleague)) == []


# --- field officer assignment and notifications --------------------------------------


def test_field_officers_are_assigned_and_removed_by_the_planner_or_an_ao(
    planner, ao, field_officer, operator
):
    deployment = DeploymentFactory(created_by=planner)
    staff.deployment_field_officer_assign(
        actor=planner, deployment=deployment, officer=field_officer
    )
    assert field_officer.has_perm("lfr_portal.engage_deployment", deployment)
    with pytest.raises(RuleViolation):
        staff.deployment_field_officer_assign(
            actor=planner, deployment=deployment, officer=operator
        )
    with pytest.raises(NotPermitted):
        staff.deployment_field_officer_assign(
            actor=user_with_role(Role.DEPLOYMENT_PLANNER),
            deployment=deployment,
            officer=field_officer,
        )
    staff.deployment_field_officer_remove(actor=ao, deployment=deployment, officer=field_officer)
    field_officer = type(field_officer).objects.get(pk=field_officer.pk)
    assert not field_officer.has_perm("lfr_portal.engage_deployment", deployment)
    with pytest.raises(RuleViolation):
        staff.deployment_field_officer_remove(
            actor=ao, deployment=deployment, officer=field_officer
        )
    ended = DeploymentFactory(created_by=planner, status=DeploymentStatus.COMPLETED)
    with pytest.raises(InvalidTransition):
        staff.deployment_field_officer_assign(
            actor=planner, deployment=ended, officer=field_officer
        )
    actions = _actions()
    assert actions.count("deployment.field_officer_assign") == 1
    assert actions.count("deployment.field_officer_remove") == 1


def test_notifications_go_once_to_active_users_and_only_the_recipient_reads_them(
    field_officer, operator
):
    inactive = user_with_role(Role.FIELD_OFFICER, is_active=False)
    sent = notification_send(
        recipients=[field_officer, field_officer, inactive], kind="test", message="Hello"
    )
    assert sent == 1
    note = Notification.objects.get()
    with pytest.raises(NotPermitted):
        notification_mark_read(actor=operator, notification=note)
    notification_mark_read(actor=field_officer, notification=note)
    note.refresh_from_db()
    assert note.read_at is not None
    assert _actions() == ["notification.read"]


def test_an_alert_with_an_engagement_is_not_sent_again(operator, field_officer):
    engagement = _sent(operator, field_officer)
    alert = engagement.alert
    alert.adjudication = Adjudication.UNRESOLVED  # even if its decision were reopened
    alert.save()
    with pytest.raises(InvalidTransition):
        svc.alert_send_for_engagement(actor=operator, alert=alert)
    assert Engagement.objects.count() == 1
