import pytest

from lfr_portal.models import EnrolmentState
from tests.factories import DeploymentFactory, EntryFactory

pytestmark = pytest.mark.django_db


def test_the_watchlist_shows_enrolment_progress(client, manager):
    deployment = DeploymentFactory()
    states = (
        [EnrolmentState.ENROLLED] * 3 + [EnrolmentState.REJECTED] + [EnrolmentState.PENDING] * 2
    )
    for state in states:
        EntryFactory(watchlist=deployment.watchlist, enrolment_state=state)
    client.force_login(manager)
    body = client.get(f"/api/watchlists/{deployment.watchlist.public_id}/").json()
    assert body["enrolment"] == {"total": 6, "done": 4, "pending": 2, "enrolled": 3, "rejected": 1}
