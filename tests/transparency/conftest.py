from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from lfr_portal.models import DeploymentStatus
from tests.factories import DeploymentFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Pages are cached per URL: one test's page must never answer for another's data.
    cache.clear()
    yield
    cache.clear()


def public_deployment(status=DeploymentStatus.COMPLETED, *, watchlist_entries=12, **kwargs):
    """A deployment in the given state, written directly: fast, for lists and counts.

    The state fields the services would set (decision, live and end times, the
    authorised watchlist size) are filled in to match the status.
    """
    now = timezone.now()
    starts_at = kwargs.pop("starts_at", now - timedelta(days=3))
    fields = {
        "status": status,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=8),
        "threshold": Decimal("0.500"),
        "authorised_snapshot": {"watchlist_entries": watchlist_entries},
        "decided_at": starts_at - timedelta(days=2),
    }
    if status in (DeploymentStatus.LIVE, DeploymentStatus.COMPLETED):
        fields["went_live_at"] = starts_at
    if status == DeploymentStatus.COMPLETED:
        fields["ended_at"] = starts_at + timedelta(hours=8)
    fields.update(kwargs)
    return DeploymentFactory(**fields)


# The recognition tests' labelled test video, for the real-worker check of the counts.
from tests.matcher.conftest import video_set  # noqa: E402, F401
