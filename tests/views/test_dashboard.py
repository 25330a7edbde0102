"""Each role's dashboard lists its pending work, each item linking to where it is done,
at a fixed number of queries however much is pending."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lfr_portal.models import (
    AlertHold,
    AuditEvent,
    DeploymentStatus,
    EntryStatus,
    PendingFileDeletion,
    Role,
    WatchlistStatus,
)
from lfr_portal.services import audit
from tests.factories import (
    AlertFactory,
    DeploymentFactory,
    DocumentFactory,
    EntryFactory,
    SignageFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db
S = DeploymentStatus


def _page(client, user):
    client.force_login(user)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def _watchlist_ready_to_authorise(title, manager=None):
    deployment = DeploymentFactory(title=title, status=S.SUBMITTED)
    extra = {"added_by": manager} if manager else {}
    EntryFactory(watchlist=deployment.watchlist, status=EntryStatus.APPROVED, **extra)
    return deployment


def test_the_authorising_officer_sees_watchlists_to_authorise_and_holds_to_review(client, ao):
    ready = _watchlist_ready_to_authorise("Camden market")
    half = _watchlist_ready_to_authorise("Brixton road")
    EntryFactory(watchlist=half.watchlist, status=EntryStatus.PENDING)
    # One the officer added an entry to: another officer must authorise it.
    own = _watchlist_ready_to_authorise("Own entries", manager=ao)
    done = _watchlist_ready_to_authorise("Already authorised")
    done.watchlist.status = WatchlistStatus.APPROVED
    done.watchlist.save(update_fields=["status"])
    alert = AlertFactory(deployment__title="Held evidence", deployment__status=S.COMPLETED)
    AlertHold.objects.create(
        alert=alert,
        reason="Court case",
        review_by=timezone.localdate() + timedelta(days=3),
        placed_by=ao,
    )

    page = _page(client, ao)

    assert "Watchlists awaiting your authorisation" in page
    assert f'href="/deployments/{ready.public_id}/watchlist/">Watchlist for Camden market' in page
    assert "1 still needs a second approver" in page
    assert "ready to authorise" in page
    to_authorise = page.split("Watchlists awaiting your authorisation")[1].split("</section>")[0]
    assert "Own entries" not in to_authorise and "Already authorised" not in to_authorise
    assert "Evidence holds due for review" in page
    assert f'href="/deployments/{alert.deployment.public_id}/retention/">Held evidence' in page
    assert own.public_id and "Authorising officer" in page  # the header names the role


def test_the_watchlist_manager_sees_entries_to_approve_and_watchlists_to_finalise(client, manager):
    other = user_with_role(Role.WATCHLIST_MANAGER)
    building = DeploymentFactory(title="Still building", status=S.DRAFT)
    entry = EntryFactory(watchlist=building.watchlist, added_by=other)
    EntryFactory(watchlist=building.watchlist, added_by=manager)  # own: not for them
    starts = timezone.now() + timedelta(days=2)
    to_finalise = DeploymentFactory(title="Authorised list", status=S.APPROVED, starts_at=starts)
    to_finalise.watchlist.status = WatchlistStatus.APPROVED
    to_finalise.watchlist.save(update_fields=["status"])
    early = DeploymentFactory(title="Finalised too early", status=S.APPROVED, starts_at=starts)
    early.watchlist.status = WatchlistStatus.FINALISED
    early.watchlist.finalised_at = timezone.now()
    early.watchlist.save(update_fields=["status", "finalised_at"])
    in_time = DeploymentFactory(
        title="Finalised in time", status=S.APPROVED, starts_at=timezone.now() + timedelta(hours=3)
    )
    in_time.watchlist.status = WatchlistStatus.FINALISED
    in_time.watchlist.finalised_at = timezone.now()
    in_time.watchlist.save(update_fields=["status", "finalised_at"])

    page = _page(client, manager)

    assert page.count(entry.reference_number) == 1
    assert f"#entry-{entry.public_id}" in page
    assert "Watchlists to build" in page
    assert f'href="/deployments/{building.public_id}/watchlist/">Watchlist for Still building' in (
        page
    )
    finalise = page.split("Watchlists to finalise")[1]
    assert "Authorised list" in finalise and "Finalised too early" in finalise
    assert "too early to count at the start" in finalise
    assert "Finalised in time" not in finalise
    window_opens = timezone.localtime(starts - timedelta(hours=24))
    assert f"finalise between {window_opens:%-d %b %H:%M}" in finalise


def test_the_planner_sees_their_own_deployments_by_state_with_rejection_reasons(client, planner):
    DeploymentFactory(title="My draft", created_by=planner)
    DeploymentFactory(
        title="Turned down",
        created_by=planner,
        status=S.REJECTED,
        rejection_reason="The DPIA is out of date.",
    )
    DeploymentFactory(title="Waiting", created_by=planner, status=S.SUBMITTED)
    DeploymentFactory(title="Someone else's", status=S.SUBMITTED)

    page = _page(client, planner)
    mine = page.split("Your deployments")[1]

    assert mine.index("My draft") < mine.index("Turned down") < mine.index("Waiting")
    assert "Reasons given: The DPIA is out of date." in mine
    assert "Someone else&#x27;s" not in mine and "Someone else's" not in mine
    assert "Deployment planner" in page


def test_the_field_officer_sees_deployments_and_how_many_signs_are_up(client, field_officer):
    bare = DeploymentFactory(title="No signs", status=S.APPROVED)
    signed = DeploymentFactory(title="Two signs", status=S.APPROVED)
    SignageFactory(deployment=signed)
    SignageFactory(deployment=signed)

    page = _page(client, field_officer)

    assert f'href="/deployments/{bare.public_id}/evidence/">No signs' in page
    assert "no signs up yet" in page and "2 signs up" in page


def test_the_operator_sees_overdue_alerts_linking_to_the_live_view(client, operator):
    from guardian.shortcuts import assign_perm

    from lfr_portal.permissions import OPERATE_DEPLOYMENT

    alert = AlertFactory(captured_at=timezone.now() - timedelta(hours=3))
    assign_perm(OPERATE_DEPLOYMENT, operator, alert.deployment)

    page = _page(client, operator)

    overdue = page.split("Alerts overdue for adjudication")[1]
    assert f'href="/deployments/{alert.deployment.public_id}/operate/"' in overdue


def test_the_compliance_officer_sees_overdue_reviews_retention_and_the_chain(client, compliance):
    live = DeploymentFactory(title="Out of date", status=S.LIVE)
    DocumentFactory(deployment=live, review_by=timezone.localdate() - timedelta(days=2))
    stuck = PendingFileDeletion.objects.create(name="alerts/2026/01/x.jpg")
    PendingFileDeletion.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    audit.audit_checkpoint_create()

    page = _page(client, compliance)

    assert "Overdue reviews" in page and "was due for review on" in page
    assert "1 stored file</a> that retention removed from the records is still in storage" in (page)
    assert "Last signed checkpoint: row" in page
    assert 'href="/audit/"' in page


def _queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dashboard/").status_code == 200
    return len(queries)


def _pending_work(n, ao, planner, field_officer):
    for i in range(n):
        deployment = _watchlist_ready_to_authorise(f"Pending {i}")
        EntryFactory(watchlist=deployment.watchlist)
        DeploymentFactory(created_by=planner, status=S.REJECTED, rejection_reason="No.")
        DocumentFactory(deployment=deployment, review_by=timezone.localdate())
        SignageFactory(deployment=deployment)
        alert = AlertFactory()
        AlertHold.objects.create(
            alert=alert, reason="Court", review_by=timezone.localdate(), placed_by=ao
        )


@pytest.mark.parametrize(
    "role",
    [r.value for r in Role],
)
def test_the_dashboard_costs_the_same_number_of_queries_however_much_is_pending(client, role):
    ao = user_with_role(Role.AUTHORISING_OFFICER)
    planner = user_with_role(Role.DEPLOYMENT_PLANNER)
    field_officer = user_with_role(Role.FIELD_OFFICER)
    user = {"authorising_officer": ao, "deployment_planner": planner}.get(role) or user_with_role(
        role
    )
    _pending_work(1, ao, planner, field_officer)
    _queries(client, user)  # the first request fills per-process caches (content types)
    few = _queries(client, user)
    _pending_work(4, ao, planner, field_officer)
    many = _queries(client, user)
    assert few == many
    assert many <= 30


def _chain_section(page):
    return page.split('id="chain-heading"')[1].split("</section>")[0]


def test_the_compliance_officer_sees_the_chain_not_verified_yet(client, compliance):
    chain = _chain_section(_page(client, compliance))

    assert "Not verified yet" in chain and "next end-to-end check is due by" in chain
    assert 'role="alert"' not in chain


def test_the_compliance_officer_sees_a_clean_verification(client, compliance):
    from lfr_portal.tasks import audit_verify

    with transaction.atomic():
        audit.audit_record(actor=None, action="test.row")
    audit_verify()
    at = timezone.localtime(
        AuditEvent.objects.filter(action="audit.verify").get().occurred_at
    ).strftime("%H:%M")

    chain = _chain_section(_page(client, compliance))

    assert f"Verified end to end at {at}, 1 row" in chain
    assert "message-success" in chain and 'role="alert"' not in chain


@pytest.mark.django_db(transaction=True)
def test_the_compliance_officer_sees_a_failed_verification_as_an_alert(client):
    from lfr_portal.tasks import audit_verify
    from tests.audit import tamper

    compliance = user_with_role(Role.COMPLIANCE_OFFICER)
    for i in range(3):
        with transaction.atomic():
            audit.audit_record(actor=None, action=f"test.{i}")
    with tamper.superuser(triggers=False) as conn:
        conn.execute("UPDATE lfr_portal_auditevent SET reason = 'forged' WHERE seq = 2")
    audit_verify()

    chain = _chain_section(_page(client, compliance))

    assert 'class="message message-error" role="alert"' in chain
    assert "Verification failed" in chain and "content changed after it was written" in chain
    assert "offline verifier" in chain and "earlier" in chain
    assert "Verified end to end" not in chain
