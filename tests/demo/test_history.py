"""The demo's year of history: realistic figures, records as the services and retention
would leave them, nothing personal on the public side, and a second run adds nothing.

The generator runs once for the module, inside a transaction rolled back at the end,
so every test reads the same history and the database is left clean.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from lfr_portal.demo.data import OFFICERS
from lfr_portal.demo.history import demo_history_seed, history_deployments
from lfr_portal.engines import ENGINE_PROFILES
from lfr_portal.models import (
    Adjudication,
    Alert,
    AlertCropPending,
    AuditEvent,
    DeletionRecord,
    Deployment,
    DeploymentStatus,
    EntryStatus,
    Outcome,
    RetentionCategory,
    WatchlistEntry,
    WatchlistReferenceRecord,
    WatchlistStatus,
)
from lfr_portal.selectors import transparency as public
from lfr_portal.services.audit import audit_verify_database

S = DeploymentStatus
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        before = AuditEvent.objects.count()
        started = timezone.now()
        summary = demo_history_seed()
        seconds = (timezone.now() - started).total_seconds()
        yield {"summary": summary, "seconds": seconds, "audit_before": before}
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def past():
    return history_deployments().filter(starts_at__lt=timezone.now())


def test_a_year_across_boroughs_and_months(history):
    summary = history["summary"]
    assert summary.created
    completed = past().filter(status=S.COMPLETED)
    assert 40 <= completed.count() <= 60
    assert summary.completed == completed.count()
    assert past().filter(status=S.REJECTED).count() >= 2
    assert past().filter(status=S.CANCELLED, went_live_at__isnull=True).count() >= 2
    boroughs = set(completed.values_list("borough", flat=True))
    assert len(boroughs) >= 6
    assert {"Westminster", "Croydon", "Camden", "Newham"} <= boroughs
    months = {d.strftime("%Y-%m") for d in completed.values_list("starts_at", flat=True)}
    assert len(months) >= 10
    windows = list(completed.order_by("starts_at").values_list("starts_at", flat=True))
    first, last = windows[0], windows[-1]
    assert last - first > timedelta(days=300)
    # Every past alert image is gone: the history ends before the retention period.
    newest_end = past().exclude(ended_at=None).order_by("-ended_at").first().ended_at
    assert timezone.now() - newest_end > settings.LFR_ALERT_RETENTION
    # Figures of the order of the Met's year, scaled down.
    faces = completed.aggregate(n=Sum("faces_processed"))["n"]
    assert 8_000 * completed.count() < faces < 30_000 * completed.count()
    alerts = Alert.objects.filter(deployment__in=completed)
    assert 5 * completed.count() < alerts.count() < 20 * completed.count()
    assert 1 <= alerts.filter(adjudication=Adjudication.FALSE_ALERT).count() <= 6
    arrests = alerts.filter(outcome=Outcome.ARREST).count()
    assert 0.3 < arrests / alerts.count() < 0.6
    outcomes = set(alerts.values_list("outcome", flat=True))
    assert {Outcome.NO_ACTION, Outcome.WORDS_OF_ADVICE, Outcome.ARREST, Outcome.OTHER} <= outcomes
    # Seconds on an idle machine; the bound only catches a run that has become far slower.
    assert history["seconds"] < 60


def test_planned_deployments_are_approved_and_announced(history):
    ahead = history_deployments().filter(starts_at__gt=timezone.now())
    approved = ahead.filter(status=S.APPROVED)
    assert approved.count() >= 3
    assert ahead.filter(status=S.SUBMITTED).exists()
    for deployment in approved:
        assert deployment.decided_by_id != deployment.created_by_id
        assert deployment.watchlist.status == WatchlistStatus.APPROVED
        assert deployment.authorised_snapshot["watchlist_entries"] > 0
    rows = list(public.public_deployment_rows())
    planned = [row for row in rows if row.status == "planned"]
    assert {row.public_id for row in approved} <= {row.public_id for row in planned}


def test_every_past_alert_adjudicated_and_without_image(history):
    alerts = Alert.objects.filter(deployment__in=past())
    assert alerts.exists()
    assert not alerts.filter(adjudication=Adjudication.PENDING).exists()
    assert not alerts.exclude(crop="").exists()
    assert not alerts.filter(crop_deleted_at=None).exists()
    assert not AlertCropPending.objects.filter(alert__in=alerts).exists()
    for alert in alerts.select_related("deployment"):
        deployment = alert.deployment
        assert deployment.went_live_at <= alert.captured_at <= deployment.ended_at
        assert alert.score >= deployment.threshold
        assert alert.adjudicated_by_id is not None
        assert alert.adjudicated_at > alert.captured_at
        assert alert.crop_deleted_at >= alert.captured_at + settings.LFR_ALERT_RETENTION
        assert alert.crop_deleted_at < timezone.now()
        if alert.adjudication == Adjudication.CONFIRMED:
            assert alert.outcome
        if alert.adjudication == Adjudication.FALSE_ALERT:
            assert alert.outcome != Outcome.ARREST
        if alert.outcome == Outcome.OTHER:
            assert alert.outcome_detail.strip()


def test_deletion_records_as_retention_leaves_them(history):
    ended = past().filter(status__in=[S.COMPLETED, S.CANCELLED, S.REJECTED])
    for deployment in ended:
        watchlist = deployment.watchlist
        assert watchlist.status == WatchlistStatus.DESTROYED
        entries = WatchlistEntry.objects.filter(watchlist=watchlist)
        assert not entries.filter(biometrics_destroyed_at=None).exists()
        assert not entries.exclude(reference_image="").exists()
        assert not entries.exclude(embedding=None).exists()
        record = DeletionRecord.objects.get(
            deployment=deployment, category=RetentionCategory.WATCHLIST_BIOMETRICS
        )
        assert record.count == entries.count() == len(record.item_hashes)
        assert record.first_deleted_at >= (deployment.ended_at or deployment.decided_at)
        references = WatchlistReferenceRecord.objects.filter(deployment=deployment)
        assert set(references.values_list("reference_number", flat=True)) == set(
            entries.filter(status=EntryStatus.APPROVED).values_list("reference_number", flat=True)
        )
        alerts = deployment.alerts.count()
        images = DeletionRecord.objects.filter(
            deployment=deployment, category=RetentionCategory.ALERT_IMAGES
        ).first()
        assert (images.count if images else 0) == alerts


def test_governance_rules_hold(history):
    floor = ENGINE_PROFILES["opencv-sface"].floor
    for deployment in history_deployments().prefetch_related("signage", "documents"):
        assert deployment.ends_at - deployment.starts_at <= settings.LFR_MAX_AUTHORISATION
        assert deployment.threshold >= floor
        if deployment.decided_by_id:
            assert deployment.decided_by_id != deployment.created_by_id
        documents = list(deployment.documents.all())
        assert len(documents) >= 3
        for document in documents:
            assert document.review_by >= timezone.localdate(deployment.ends_at)
            if deployment.decided_at:
                assert document.issued_on <= timezone.localdate(deployment.decided_at)
        watchlist = deployment.watchlist
        entries = WatchlistEntry.objects.filter(watchlist=watchlist)
        adders = set(entries.values_list("added_by", flat=True))
        assert not entries.filter(approved_by=None).exists()
        for added_by, approved_by in entries.values_list("added_by", "approved_by"):
            assert added_by != approved_by
        if watchlist.approved_by_id:
            assert watchlist.approved_by_id not in adders
            assert 0 < entries.count() <= settings.LFR_WATCHLIST_MAX_SIZE
        if deployment.went_live_at:
            signs = list(deployment.signage.all())
            assert signs and all(s.placed_at < deployment.went_live_at for s in signs)
            assert deployment.starts_at <= deployment.went_live_at < deployment.ends_at
            age = deployment.went_live_at - watchlist.finalised_at
            assert timedelta(0) < age <= settings.LFR_WATCHLIST_FINALISE_MAX_AGE
            assert deployment.decided_at < watchlist.finalised_at
            assert deployment.ended_at <= deployment.ends_at + timedelta(minutes=1)
            assert deployment.leaflets.exists()
            booked = deployment.cameras.aggregate(n=Sum("faces_processed"))["n"]
            assert booked == deployment.faces_processed
            false_alerts = deployment.alerts.filter(adjudication=Adjudication.FALSE_ALERT)
            ceiling = Decimal(str(settings.LFR_FALSE_ALERT_CEILING))
            assert false_alerts.count() < ceiling * deployment.faces_processed
        if deployment.status == S.REJECTED:
            assert deployment.rejection_reason.strip()


def test_transparency_figures_sum(history):
    totals = public.public_totals()
    rows = list(public.public_deployment_rows())
    assert totals.deployments == len(rows)
    for name in ("faces_processed", "alerts", "confirmed_matches", "false_alerts", "arrests"):
        assert getattr(totals, name) == sum(getattr(row, name) for row in rows)
    shown = Deployment.objects.filter(public_id__in=[row.public_id for row in rows])
    alerts = Alert.objects.filter(deployment__in=shown)
    assert totals.alerts == alerts.count()
    assert totals.false_alerts == alerts.filter(adjudication=Adjudication.FALSE_ALERT).count()
    assert totals.arrests == alerts.filter(outcome=Outcome.ARREST).count()
    assert totals.awaiting_adjudication == 0
    # Rejected deployments and those cancelled before going live stay off the page.
    hidden = past().filter(went_live_at=None)
    assert hidden.exists()
    assert not shown.filter(pk__in=hidden).exists()
    for row in rows:
        if row.status == "completed":
            assert row.watchlist_size and row.signs_recorded and row.leaflets_distributed
            assert row.faces_processed > 0


def test_no_personal_data_on_the_public_side(history, client):
    pages = [
        client.get(reverse("transparency")),
        client.get(reverse("transparency-json")),
        client.get(reverse("transparency-csv")),
        client.get(reverse("transparency-totals-json")),
    ]
    deployment = past().filter(status=S.COMPLETED).annotate(n=Count("alerts")).order_by("-n")[0]
    pages.append(client.get(reverse("transparency-deployment", args=[deployment.public_id])))
    text = "".join(page.content.decode() for page in pages)
    assert all(page.status_code == 200 for page in pages)
    assert deployment.location_name in text
    names = []
    for username, first, last, *_ in OFFICERS:
        names += [username, f"{first} {last}", f"{first[0]}. {last}"]
    references = list(
        WatchlistEntry.objects.values_list("reference_number", flat=True).distinct()[:300]
    )
    for needle in names + references + ["Subject DEMO", deployment.justification[:40]]:
        assert needle not in text, needle


def test_audit_rows_through_the_service_and_in_order(history):
    rows = AuditEvent.objects.filter(seq__gt=history["audit_before"])
    assert rows.count() > 1000
    ok, message = audit_verify_database()
    assert ok, message
    happened = [
        row["happened_at"]
        for row in rows.order_by("seq").values_list("changes", flat=True)
        if "happened_at" in row
    ]
    assert len(happened) > 1000
    assert happened == sorted(happened)
    actions = set(rows.values_list("action", flat=True))
    assert {
        "deployment.approve",
        "deployment.reject",
        "deployment.cancel",
        "alert.adjudicate",
        "retention.delete",
        "signage.record",
        "leaflet.record",
    } <= actions
    # Seeded entries: one row per watchlist and step, naming every reference number,
    # by the officer who added them and by a different one who approved them.
    for deployment in history_deployments().exclude(watchlist__entries=None).distinct():
        entries = WatchlistEntry.objects.filter(watchlist=deployment.watchlist)
        references = sorted(entries.values_list("reference_number", flat=True))
        for action, who in (
            ("watchlist.entry_add", "added_by"),
            ("watchlist.entry_approve", "approved_by"),
        ):
            row = rows.get(action=action, object_public_id=str(deployment.watchlist.public_id))
            assert sorted(row.changes["reference_numbers"]) == references
            assert {row.actor_id} == set(entries.values_list(who, flat=True))
    # Whoever drafted a deployment never approved it, in the trail as well.
    for deployment in past().exclude(decided_by=None):
        approvals = rows.filter(
            object_public_id=str(deployment.public_id),
            action__in=["deployment.approve", "deployment.reject"],
        )
        assert list(approvals.values_list("actor", flat=True)) == [deployment.decided_by_id]


def test_second_run_adds_nothing(history):
    counts = (
        Deployment.objects.count(),
        Alert.objects.count(),
        AuditEvent.objects.count(),
        DeletionRecord.objects.count(),
        User.objects.count(),
    )
    again = demo_history_seed()
    assert not again.created
    assert again.deployments == history["summary"].deployments
    assert again.alerts == history["summary"].alerts
    assert counts == (
        Deployment.objects.count(),
        Alert.objects.count(),
        AuditEvent.objects.count(),
        DeletionRecord.objects.count(),
        User.objects.count(),
    )


def test_a_small_policy_library_published_and_pinned(history, client):
    from lfr_portal.models import DeploymentPolicyPin, PolicyDocument
    from lfr_portal.selectors.policies import retention_differences

    documents = list(PolicyDocument.objects.prefetch_related("versions"))
    assert len(documents) >= 3
    for document in documents:
        [version] = document.versions.all()
        assert version.publishable and version.stated_retention
        assert retention_differences(version.stated_retention) == []
    planned = history_deployments().filter(starts_at__gte=timezone.now())
    assert planned.exists()
    for deployment in planned:
        pinned = set(deployment.policy_pins.values_list("version__document", flat=True))
        assert pinned == {d.pk for d in documents}
        if deployment.status == S.APPROVED:
            assert len(deployment.authorised_snapshot["policy_versions"]) == len(documents)
    assert DeploymentPolicyPin.objects.count() == planned.count() * len(documents)
    page = client.get(reverse("transparency-policies")).content.decode()
    assert all(d.title in page for d in documents)


def test_reviews_complaints_and_perceived_figures(history, client):
    from lfr_portal.models import Complaint, Engagement, PostDeploymentReview, ReviewStatus
    from lfr_portal.selectors.reviews import went_live_and_ended

    ended = past().filter(went_live_and_ended())
    reviews = PostDeploymentReview.objects.filter(deployment__in=ended).select_related("deployment")
    # Every deployment that went live and ended has its review; all signed off by an
    # authorising officer who did not draft it, but the latest, left overdue.
    assert reviews.count() == ended.count() and ended.exists()
    [unsigned] = reviews.filter(status=ReviewStatus.OPEN)
    assert unsigned.deployment == ended.order_by("-ended_at").first()
    assert unsigned.due_by < timezone.now()
    for review in reviews.filter(status=ReviewStatus.SIGNED_OFF):
        assert review.signed_off_by_id not in (None, review.deployment.created_by_id)
        assert review.public_summary and review.signed_off_at > review.deployment.ended_at
    complaints = Complaint.objects.filter(deployment__in=ended)
    assert complaints.count() >= 3 and complaints.filter(outcome="").count() == 1
    for review in reviews:
        assert review.figures["complaints"] == review.deployment.complaints.count()
    engagements = Engagement.objects.filter(alert__deployment__in=ended)
    assert engagements.exclude(perceived_sex="").exists()
    assert engagements.filter(perceived_sex="").exists()
    signed = reviews.filter(status=ReviewStatus.SIGNED_OFF).first()
    page = client.get(reverse("transparency-deployment", args=[signed.deployment.public_id]))
    assert signed.public_summary in page.content.decode()
