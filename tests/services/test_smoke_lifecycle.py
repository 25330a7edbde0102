import pytest

from lfr_portal.models import DeploymentStatus
from tests import builders

pytestmark = pytest.mark.django_db


def test_full_lifecycle_through_services(operator):
    deployment = builders.live(operator)
    assert deployment.status == DeploymentStatus.LIVE
