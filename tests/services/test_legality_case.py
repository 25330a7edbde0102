"""The legality case (Bridges v South Wales Police, 2020): the "where" case before approval,
the "who" rules on entries, the entries' flags and the "still wanted" confirmation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from lfr_portal.errors import RuleViolation
from lfr_portal.models import (
    Adjudication,
    AuditEvent,
    Deployment,
    DeploymentStatus,
    EntryStatus,
    Outcome,
    Role,
    WatchlistEntry,
    WatchlistStatus,
)
from lfr_portal.selectors.legality import (
    approval_warnings,
    entry_flags,
    grounds_problems,
    watchlist_warnings,
)
from lfr_portal.selectors.place_history import distance_m, earlier_deployments_here
from lfr_portal.selectors.readiness import approval_problems
from lfr_portal.services import deployments as dep
from lfr_portal.services import watchlists as wl
from lfr_portal.services.deployment_guards import NotReady
from tests import builders
from tests.factories import AlertFactory, DeploymentFactory, EntryFactory, user_with_role

pytestmark = pytest.mark.django_db

GROUNDS = (
    "grounds_references",
    "grounds_crime_figures",
    "grounds_alternatives",
    "why_here_summary",
)


# --- where -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", GROUNDS)
def test_approval_is_refused_without_each_part_of_the_where_case(ao, field):
    deployment = builders.submitted()
    Deployment.objects.filter(pk=deployment.pk).update(**{field: "  "})
    deployment.refresh_from_db()
    with pytest.raises(NotReady) as refused:
        dep.deployment_approve(actor=ao, deployment=deployment)
    assert [(p.code, p.field) for p in refused.value.problems] == [(f"{field}_missing", field)]
    assert "The 'where' case" in refused.value.message
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.SUBMITTED
    assert not AuditEvent.objects.filter(action="deployment.approve").exists()


def test_each_missing_part_is_named_in_its_own_sentence_and_submission_waits_for_them():
    deployment = builders.complete_draft(**dict.fromkeys(GROUNDS, ""))
    problems = grounds_problems(deployment)
    assert [p.field for p in problems] == list(GROUNDS)
    assert "intelligence or crime references" in problems[0].message
    assert "in figures" in problems[1].message
    assert "alternatives considered" in problems[2].message
    assert "plain-language summary" in problems[3].message
    builders.authorised_watchlist(deployment)
    with pytest.raises(NotReady) as refused:
        dep.deployment_submit(actor=deployment.created_by, deployment=deployment)
    codes = {p.code for p in refused.value.problems}
    assert codes == {f"{name}_missing" for name in GROUNDS}


def test_with_the_whole_where_case_the_ao_approves(ao):
    deployment = builders.submitted()
    assert grounds_problems(deployment) == []
    approved = dep.deployment_approve(actor=ao, deployment=deployment)
    assert approved.status == DeploymentStatus.APPROVED


def test_the_public_summary_is_at_most_a_thousand_characters():
    deployment = DeploymentFactory()
    with pytest.raises(RuleViolation) as refused:
        dep.deployment_update(
            actor=deployment.created_by, deployment=deployment, why_here_summary="x" * 1001
        )
    assert refused.value.field == "why_here_summary"
    updated = dep.deployment_update(
        actor=deployment.created_by, deployment=deployment, why_here_summary="y" * 1000
    )
    assert len(updated.why_here_summary) == 1000


# --- who: how serious the offence is ---------------------------------------------------


def entry_fields(**overrides):
    fields = {
        "display_name": "Person S",
        "category": "suspect",
        "reason": "Suspected of robbery",
        "legal_basis": "PACE 1984 s.24",
        "reference_number": "CRIME/000777",
        "image_source": "Custody record",
        "image_date": timezone.localdate() - timedelta(days=30),
    }
    fields.update(overrides)
    return fields


@pytest.mark.parametrize(
    ("years", "code"), [(None, "offence_years_missing"), (0, "offence_too_minor")]
)
def test_a_suspect_entry_below_the_minimum_sentence_is_refused_when_added(manager, years, code):
    deployment = DeploymentFactory()
    with pytest.raises(RuleViolation) as refused:
        wl.watchlist_entry_add(
            actor=manager,
            watchlist=deployment.watchlist,
            **entry_fields(offence_max_sentence_years=years),
        )
    assert refused.value.code == code
    assert refused.value.field == "offence_max_sentence_years"
    assert "at least 2" in refused.value.message
    assert not WatchlistEntry.objects.exists()


@override_settings(LFR_SUSPECT_OFFENCE_MIN_YEARS=5)
def test_the_minimum_is_the_setting_and_is_met_at_it(manager):
    deployment = DeploymentFactory()
    with pytest.raises(RuleViolation, match="at least 5 years; this one carries 4"):
        wl.watchlist_entry_add(
            actor=manager,
            watchlist=deployment.watchlist,
            **entry_fields(offence_max_sentence_years=4),
        )
    entry = wl.watchlist_entry_add(
        actor=manager, watchlist=deployment.watchlist, **entry_fields(offence_max_sentence_years=5)
    )
    assert entry.offence_max_sentence_years == 5
    row = AuditEvent.objects.get(action="watchlist.entry_add")
    assert row.changes["offence_max_sentence_years"] == 5


def test_other_categories_may_leave_the_sentence_blank(manager):
    deployment = DeploymentFactory()
    for category in ("wanted", "missing_or_vulnerable", "risk"):
        entry = wl.watchlist_entry_add(
            actor=manager,
            watchlist=deployment.watchlist,
            **entry_fields(category=category, reference_number=f"REF/{category}"),
        )
        assert entry.offence_max_sentence_years is None


def test_a_suspect_entry_below_the_minimum_is_refused_at_approval(manager2):
    # Recorded before the rule (or copied from an older list): approval judges it again.
    entry = EntryFactory(category="suspect", offence_max_sentence_years=1)
    with pytest.raises(RuleViolation) as refused:
        wl.watchlist_entry_approve(actor=manager2, entry=entry)
    assert refused.value.code == "offence_too_minor"
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING
    entry.offence_max_sentence_years = 14
    entry.save(update_fields=["offence_max_sentence_years"])
    approved = wl.watchlist_entry_approve(actor=manager2, entry=entry)
    assert approved.status == EntryStatus.APPROVED


# --- who: entries to check again --------------------------------------------------------


def _aged(entry, *, added_days=0, image_days=0):
    WatchlistEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - timedelta(days=added_days),
        image_date=timezone.localdate() - timedelta(days=image_days),
    )
    entry.refresh_from_db()
    return entry


def test_entries_added_long_ago_or_with_old_images_are_flagged():
    fresh = _aged(EntryFactory(), added_days=1, image_days=10)
    old = _aged(EntryFactory(), added_days=29, image_days=10)
    stale_image = _aged(EntryFactory(), added_days=1, image_days=3 * 365 + 1)
    edge = _aged(EntryFactory(), added_days=27, image_days=3 * 365 - 1)
    assert entry_flags(fresh) == [] and entry_flags(edge) == []
    assert [f.code for f in entry_flags(old)] == ["entry_old"]
    assert "Added 29 days ago, more than 28" in entry_flags(old)[0].message
    assert [f.code for f in entry_flags(stale_image)] == ["image_old"]


@override_settings(LFR_ENTRY_MAX_AGE_DAYS=7, LFR_ENTRY_IMAGE_MAX_AGE_DAYS=30)
def test_the_flags_follow_the_settings():
    entry = _aged(EntryFactory(), added_days=8, image_days=31)
    assert [f.code for f in entry_flags(entry)] == ["entry_old", "image_old"]


def test_flags_are_warnings_that_do_not_block_approval(ao):
    deployment = builders.submitted()
    entries = list(deployment.watchlist.entries.all())
    _aged(entries[0], added_days=40, image_days=10)
    _aged(entries[1], added_days=40, image_days=4000)
    # A removed entry is no longer on the list and is not counted.
    removed = _aged(EntryFactory(watchlist=deployment.watchlist), added_days=90, image_days=4000)
    WatchlistEntry.objects.filter(pk=removed.pk).update(status=EntryStatus.REMOVED)
    warnings = approval_warnings(deployment)
    assert [(w.code, w.severity) for w in warnings] == [
        ("watchlist_entries_old", "warning"),
        ("watchlist_images_old", "warning"),
    ]
    assert warnings[0].message.startswith("2 watchlist entries were added")
    assert warnings[1].message.startswith("1 watchlist entry has an image")
    assert approval_problems(deployment) == []
    assert dep.deployment_approve(actor=ao, deployment=deployment).status == "approved"
    assert watchlist_warnings(None) == []


# --- who: still wanted at finalisation --------------------------------------------------


def test_finalising_records_who_confirmed_the_list_still_wanted_and_as_of_when(manager):
    deployment = builders.submitted()
    as_of = timezone.now() - timedelta(hours=3)
    finalised = wl.watchlist_finalise(
        actor=manager, watchlist=deployment.watchlist, still_wanted_as_of=as_of
    )
    finalised.refresh_from_db()
    assert finalised.status == WatchlistStatus.FINALISED
    assert finalised.still_wanted_as_of == as_of
    assert finalised.still_wanted_confirmed_by == manager
    row = AuditEvent.objects.get(action="watchlist.finalise")
    assert row.actor == manager
    assert row.changes["still_wanted_as_of"] == as_of.isoformat()


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (None, "still_wanted_missing"),
        (timedelta(minutes=10), "still_wanted_future"),
        (-timedelta(hours=24, minutes=1), "still_wanted_stale"),
    ],
)
def test_finalising_is_refused_without_a_recent_still_wanted_confirmation(manager, offset, code):
    deployment = builders.submitted()
    as_of = None if offset is None else timezone.now() + offset
    with pytest.raises(RuleViolation) as refused:
        wl.watchlist_finalise(
            actor=manager, watchlist=deployment.watchlist, still_wanted_as_of=as_of
        )
    assert refused.value.code == code
    assert refused.value.field == "still_wanted_as_of"
    deployment.watchlist.refresh_from_db()
    assert deployment.watchlist.status == WatchlistStatus.APPROVED
    assert deployment.watchlist.still_wanted_confirmed_by is None
    assert not AuditEvent.objects.filter(action="watchlist.finalise").exists()


@override_settings(LFR_WATCHLIST_FINALISE_MAX_AGE=timedelta(hours=2))
def test_how_recent_the_confirmation_must_be_is_the_setting(manager):
    deployment = builders.submitted()
    with pytest.raises(RuleViolation, match="the last 2 hours"):
        wl.watchlist_finalise(
            actor=manager,
            watchlist=deployment.watchlist,
            still_wanted_as_of=timezone.now() - timedelta(hours=3),
        )


# --- the place's past deployments -------------------------------------------------------


def _past(title, *, lat="51.539000", lon="-0.142600", days=30, name="Elsewhere", **kw):
    starts = timezone.now() - timedelta(days=days)
    return DeploymentFactory(
        title=title,
        location_name=name,
        latitude=Decimal(lat),
        longitude=Decimal(lon),
        starts_at=starts,
        ends_at=starts + timedelta(hours=6),
        status=kw.pop("status", DeploymentStatus.COMPLETED),
        **kw,
    )


def test_earlier_deployments_at_the_same_place_with_their_figures(ao):
    here = DeploymentFactory(location_name="High Street, outside the station")
    same_name_far = _past(
        "Same name", name="high street, outside the station ", lat="51.6", lon="-0.2", days=60
    )
    # About 200 m north: counted as here. About 1.1 km north: not.
    near = _past("Near", lat="51.540800", days=20)
    _past("Far", lat="51.549000", days=10)
    _past("A draft", days=5, status=DeploymentStatus.DRAFT)
    _past("Later", days=-3, status=DeploymentStatus.APPROVED)
    for adjudication, outcome in [
        (Adjudication.CONFIRMED, Outcome.ARREST),
        (Adjudication.CONFIRMED, Outcome.NO_ACTION),
        (Adjudication.FALSE_ALERT, Outcome.NONE),
        (Adjudication.PENDING, Outcome.NONE),
    ]:
        AlertFactory(deployment=near, adjudication=adjudication, outcome=outcome)
    rows = earlier_deployments_here(ao, here)
    assert [r.deployment.title for r in rows] == ["Near", "Same name"]
    first = rows[0]
    assert (
        (first.alerts, first.confirmed_matches, first.false_alerts, first.arrests)
        == (
            near.alerts.count(),
            near.alerts.filter(adjudication=Adjudication.CONFIRMED).count(),
            near.alerts.filter(adjudication=Adjudication.FALSE_ALERT).count(),
            near.alerts.filter(outcome=Outcome.ARREST).count(),
        )
        == (4, 2, 1, 1)
    )
    assert 190 <= first.distance_m <= 210 and not first.same_name
    assert rows[1].same_name and rows[1].deployment == same_name_far
    assert rows[1].alerts == 0


def test_what_the_place_history_shows_depends_on_who_asks(ao):
    here = DeploymentFactory()
    _past("Earlier", days=15, name=here.location_name)
    assert len(earlier_deployments_here(ao, here)) == 1
    # Someone who may see no deployment sees no history either.
    nobody = user_with_role(Role.OPERATOR)
    assert earlier_deployments_here(nobody, here) == []


def test_distance_is_the_great_circle_distance():
    # One thousandth of a degree of latitude is about 111 m anywhere.
    assert round(distance_m(Decimal("51.5"), Decimal("0"), Decimal("51.501"), Decimal("0"))) == 111
    # London to Paris is about 344 km.
    assert (
        340_000
        < distance_m(Decimal("51.5074"), Decimal("-0.1278"), Decimal("48.8566"), Decimal("2.3522"))
        < 348_000
    )
