"""FOI figures per deployment: the watchlist as it was for the deployment, from the
reference numbers kept once it is destroyed, and perceived sex and ethnicity counted
only for people stopped. Exact here (suppression off); test_no_personal_data checks
the suppressed published values."""

import pytest
from django.utils import timezone

from lfr_portal.models import (
    Engagement,
    EntryCategory,
    EntryStatus,
    WatchlistReferenceRecord,
    WatchlistStatus,
)
from lfr_portal.selectors.foi_figures import foi_figures_for
from tests.factories import AlertFactory, DeploymentFactory, EntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exact(settings):
    settings.LFR_PUBLIC_SUPPRESS_BELOW = 0


def _entry(deployment, category, *, under_18=False, status=EntryStatus.APPROVED, ref=""):
    return EntryFactory(
        watchlist=deployment.watchlist,
        category=category,
        under_18=under_18,
        status=status,
        reference_number=ref or f"REF/{EntryFactory._meta.model.objects.count()}",
    )


def test_a_current_watchlist_counts_its_approved_entries():
    deployment = DeploymentFactory()
    _entry(deployment, EntryCategory.WANTED, under_18=True)
    _entry(deployment, EntryCategory.WANTED)
    _entry(deployment, EntryCategory.RISK)
    _entry(deployment, EntryCategory.RISK, status=EntryStatus.REMOVED, under_18=True)
    _entry(deployment, EntryCategory.WANTED, status=EntryStatus.PENDING)
    foi = foi_figures_for([deployment.public_id])[deployment.public_id]
    assert foi.watchlist_by_category == {
        "wanted": 2,
        "suspect": 0,
        "missing_or_vulnerable": 0,
        "risk": 1,
    }
    assert foi.watchlist_under_18 == 1


def test_a_destroyed_watchlist_counts_the_reference_numbers_kept():
    deployment = DeploymentFactory()
    _entry(deployment, EntryCategory.WANTED, under_18=True, ref="KEPT/1")
    # Approved under 18 but not among the references kept: not counted.
    _entry(deployment, EntryCategory.WANTED, under_18=True, ref="NOT/KEPT")
    for n, category in enumerate([EntryCategory.WANTED, EntryCategory.SUSPECT] * 2):
        WatchlistReferenceRecord.objects.create(
            deployment=deployment, reference_number=f"KEPT/{n + 1}", category=category
        )
    type(deployment.watchlist).objects.filter(pk=deployment.watchlist.pk).update(
        status=WatchlistStatus.DESTROYED, destroyed_at=timezone.now()
    )
    foi = foi_figures_for([deployment.public_id])[deployment.public_id]
    assert foi.watchlist_by_category["wanted"] == 2
    assert foi.watchlist_by_category["suspect"] == 2
    assert foi.watchlist_under_18 == 1


def test_perceived_sex_and_ethnicity_count_people_stopped_only():
    deployment = DeploymentFactory()
    rows = [
        ("confirmed_person", "female", "asian"),
        ("not_the_person", "male", ""),
        ("confirmed_person", "", ""),
        ("not_located", "", ""),
    ]
    for result, sex, ethnicity in rows:
        alert = AlertFactory(deployment=deployment)
        Engagement.objects.create(
            alert=alert,
            dispatched_by=deployment.created_by,
            dispatched_at=timezone.now(),
            result=result,
            perceived_sex=sex,
            perceived_ethnicity=ethnicity,
        )
    foi = foi_figures_for([deployment.public_id])[deployment.public_id]
    assert foi.perceived_sex == {"female": 1, "male": 1, "not_recorded": 1}
    assert foi.perceived_ethnicity == {
        "asian": 1,
        "black": 0,
        "white": 0,
        "other": 0,
        "not_recorded": 2,
    }
    assert foi.engagement["not_located"] == 1 and foi.engagement["confirmed_false"] == 1


@pytest.mark.parametrize("count", [1, 5])
def test_many_deployments_cost_four_queries(django_assert_num_queries, count):
    deployments = [DeploymentFactory() for _ in range(count)]
    # One destroyed watchlist: its references kept are the fourth query.
    type(deployments[0].watchlist).objects.filter(pk=deployments[0].watchlist.pk).update(
        status=WatchlistStatus.DESTROYED
    )
    for deployment in deployments:
        _entry(deployment, EntryCategory.WANTED)
        Engagement.objects.create(
            alert=AlertFactory(deployment=deployment),
            dispatched_by=deployment.created_by,
            dispatched_at=timezone.now(),
        )
    with django_assert_num_queries(4):
        figures = foi_figures_for([d.public_id for d in deployments])
    assert len(figures) == count
