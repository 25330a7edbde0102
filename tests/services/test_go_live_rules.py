"""Going live: finalising is judged against the window's start, and blockers stand apart
from advisories (the server enforces the first and asks a reason for the second)."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from lfr_portal.errors import RuleViolation
from lfr_portal.models import AuditEvent, Deployment, DeploymentStatus, Role, Watchlist
from lfr_portal.selectors.pages import actions_for, go_live_checklist
from lfr_portal.selectors.readiness import approval_problems, go_live_problems
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import watchlists as wl
from tests import builders
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return user_with_role(Role.OPERATOR)


@pytest.fixture
def manager():
    return user_with_role(Role.WATCHLIST_MANAGER)


def _local(moment):
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}"


# --- finalising against the window's start -------------------------------------------


def test_finalising_three_and_a_half_days_ahead_is_refused_saying_from_when(manager):
    starts = timezone.now() + timedelta(days=3, hours=12)
    deployment = builders.submitted(starts_at=starts)
    with pytest.raises(RuleViolation) as refused:
        wl.watchlist_finalise(
            actor=manager, watchlist=deployment.watchlist, still_wanted_as_of=timezone.now()
        )
    message = refused.value.message
    assert "within 24 hours before its window starts" in message
    assert f"It can be finalised from {_local(starts - timedelta(hours=24))}." in message
    assert refused.value.code == "finalise_too_early"
    deployment.watchlist.refresh_from_db()
    assert deployment.watchlist.finalised_at is None
    assert not AuditEvent.objects.filter(action="watchlist.finalise").exists()


@override_settings(LFR_WATCHLIST_FINALISE_MAX_AGE=timedelta(hours=96))
def test_the_finalising_period_is_the_setting(manager):
    deployment = builders.submitted(starts_at=timezone.now() + timedelta(days=3, hours=12))
    finalised = wl.watchlist_finalise(
        actor=manager, watchlist=deployment.watchlist, still_wanted_as_of=timezone.now()
    )
    assert finalised.finalised_at is not None


def test_finalised_two_hours_before_the_start_goes_live(operator, manager):
    deployment = builders.ready_to_go_live(operator=operator)
    # Finalised 2 h before a start that is 10 minutes ago.
    Watchlist.objects.filter(pk=deployment.watchlist.pk).update(
        finalised_at=deployment.starts_at - timedelta(hours=2)
    )
    live = lifecycle.deployment_start(actor=operator, deployment=deployment)
    assert live.status == DeploymentStatus.LIVE


def test_a_finalisation_older_than_the_period_before_the_start_blocks(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    Watchlist.objects.filter(pk=deployment.watchlist.pk).update(
        finalised_at=deployment.starts_at - timedelta(hours=25)
    )
    deployment = Deployment.objects.get(pk=deployment.pk)
    problems = go_live_problems(deployment)
    assert [p.code for p in problems] == ["watchlist_finalised_too_early"]
    assert "Finalise it again" in problems[0].message
    with pytest.raises(RuleViolation, match="within 24 hours before the window starts"):
        lifecycle.deployment_start(actor=operator, deployment=deployment)


def test_the_checklist_says_valid_at_start_only_when_it_will_be(operator, manager):
    # A future window: finalised 2 h before its start is valid at the start.
    starts = timezone.now() + timedelta(hours=2)
    deployment = builders.approved(starts_at=starts)
    wl.watchlist_finalise(
        actor=manager, watchlist=deployment.watchlist, still_wanted_as_of=timezone.now()
    )
    deployment.refresh_from_db()
    checklist, _ = go_live_checklist(deployment, probe_cameras=False)
    line = next(c for c in checklist.blockers if c.label.startswith("Watchlist finalised"))
    assert line.ok is True and "will be valid at the start" in line.detail
    # Moved to 26 h before the start (as an old finalisation would be): never a tick.
    Watchlist.objects.filter(pk=deployment.watchlist.pk).update(
        finalised_at=starts - timedelta(hours=26)
    )
    deployment = Deployment.objects.get(pk=deployment.pk)
    checklist, _ = go_live_checklist(deployment, probe_cameras=False)
    line = next(c for c in checklist.blockers if c.label.startswith("Watchlist finalised"))
    assert line.ok is False and "Finalise it again" in line.detail
    # The window line says it blocks now, before the start.
    window = next(c for c in checklist.blockers if c.label.startswith("Now is inside"))
    assert window.ok is False


def test_before_approval_the_checklist_judges_nothing_but_the_status():
    deployment = builders.submitted()
    checklist, problems = go_live_checklist(deployment, probe_cameras=False)
    assert [p.code for p in problems] == ["not_approved"]
    assert checklist.blockers[0].ok is False
    assert all(c.ok is None for c in checklist.blockers[1:])


# --- blockers apart from advisories ------------------------------------------------------


def test_problems_carry_stable_codes_and_read_as_sentences(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    deployment.signage.all().delete()
    problems = go_live_problems(deployment)
    assert [p.code for p in problems] == ["no_signage"]
    assert problems[0].message == "No sign is recorded as up at the location."
    draft = builders.complete_draft(purpose="")
    assert "purpose_missing" in [p.code for p in approval_problems(draft)]


def test_each_go_live_problem_has_its_checklist_line(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    deployment.signage.all().delete()
    Deployment.objects.filter(pk=deployment.pk).update(
        starts_at=timezone.now() + timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=3)
    )
    deployment = Deployment.objects.get(pk=deployment.pk)
    checklist, problems = go_live_checklist(deployment, probe_cameras=False)
    unmet = {c.label for c in checklist.blockers if c.ok is False}
    assert unmet == {
        "Now is inside the authorised window",
        "Cameras, window, threshold and watchlist are as approved",
        "Signs are up at the location",
    }
    assert {p.code for p in problems} == {"outside_window", "window_changed", "no_signage"}
    assert actions_for(operator, deployment)["start"] is False


def test_the_go_live_button_shows_only_when_nothing_blocks(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    assert actions_for(operator, deployment)["start"] is True
    deployment.signage.all().delete()
    assert actions_for(operator, deployment)["start"] is False


@override_settings(LFR_GO_LIVE_PROBE_CAMERAS=True)
def test_an_unreachable_camera_is_an_advisory_that_needs_a_reason(operator):
    deployment = builders.ready_to_go_live(operator=operator)  # its camera is a .invalid host
    checklist, problems = go_live_checklist(deployment)
    assert problems == [] and not checklist.blocked
    assert [a.ok for a in checklist.advisories] == [False]
    assert actions_for(operator, deployment)["start"] is True

    with pytest.raises(RuleViolation, match="needs a recorded reason") as refused:
        lifecycle.deployment_start(actor=operator, deployment=deployment)
    assert refused.value.field == "advisory_reason"
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.APPROVED
    with pytest.raises(RuleViolation, match="needs a recorded reason"):
        lifecycle.deployment_start(actor=operator, deployment=deployment, advisory_reason="   ")

    reason = "Camera feed checked by radio with the van; the portal's network is down."
    live = lifecycle.deployment_start(actor=operator, deployment=deployment, advisory_reason=reason)
    assert live.status == DeploymentStatus.LIVE
    row = AuditEvent.objects.get(action="deployment.start")
    assert row.reason == reason
    camera = deployment.cameras.get().camera
    assert row.changes["advisories_overridden"] == [
        f"Camera '{camera.name}' reachable: Cannot be reached from the portal now."
    ]


@override_settings(LFR_GO_LIVE_PROBE_CAMERAS=True)
def test_a_reason_does_not_lift_a_blocker(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    deployment.signage.all().delete()
    with pytest.raises(RuleViolation, match="No sign is recorded"):
        lifecycle.deployment_start(
            actor=operator, deployment=deployment, advisory_reason="Go anyway"
        )
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.APPROVED


def test_without_a_failing_advisory_the_start_row_has_no_override(operator):
    deployment = builders.ready_to_go_live(operator=operator)
    lifecycle.deployment_start(actor=operator, deployment=deployment)
    row = AuditEvent.objects.get(action="deployment.start")
    assert row.reason == "" and not (row.changes or {}).get("advisories_overridden")


@override_settings(LFR_GO_LIVE_PROBE_CAMERAS=True)
def test_the_page_asks_for_the_reason_and_the_server_records_it(client, operator):
    deployment = builders.ready_to_go_live(operator=operator)
    client.force_login(operator)
    page = client.get(f"/deployments/{deployment.public_id}/").content.decode()
    assert "Advisories: worth checking, they do not block" in page
    assert 'name="advisory_reason"' in page
    client.post(f"/deployments/{deployment.public_id}/start/")
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.APPROVED
    client.post(
        f"/deployments/{deployment.public_id}/start/",
        {"advisory_reason": "Checked the camera on site by radio."},
    )
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.LIVE
    assert AuditEvent.objects.get(action="deployment.start").reason == (
        "Checked the camera on site by radio."
    )
