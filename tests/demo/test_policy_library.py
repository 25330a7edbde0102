"""The demo's policy library on its own: written once through the services, published,
stating the periods in force, and pinned to a deployment."""

import pytest

from lfr_portal.demo.policies import DEMO_LIBRARY, demo_policy_library_ensure, demo_policy_pins
from lfr_portal.models import AuditEvent, PolicyVersion
from lfr_portal.selectors.policies import retention_differences
from tests.factories import DeploymentFactory

pytestmark = pytest.mark.django_db


def test_the_demo_library_is_written_once_published_and_pinned(compliance, planner):
    versions = demo_policy_library_ensure(compliance)
    assert len(versions) == len(DEMO_LIBRARY)
    for version in versions:
        assert version.publishable and version.number == 1
        assert version.content_type == "text/plain; charset=utf-8"
        assert retention_differences(version.stated_retention) == []
    rows = AuditEvent.objects.count()
    assert demo_policy_library_ensure(compliance) == versions
    assert AuditEvent.objects.count() == rows and PolicyVersion.objects.count() == len(versions)
    deployment = DeploymentFactory(created_by=planner)
    demo_policy_pins(planner, deployment, versions)
    assert deployment.policy_pins.count() == len(versions)
