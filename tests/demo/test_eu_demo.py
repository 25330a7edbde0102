"""The demo seeded in EU AI Act mode: every deployment states a purpose its watchlist
fits, those that went live were asked for and granted through the EU services, the
operator can go live on Oxford Circus, and a second seeding adds nothing.

Seeded once for the module by the real command, inside a transaction rolled back at the
end, as in test_history; the demo video is not rendered (a stand-in ground truth names
photographs of the bundled face set), and the engine enrols them as seed_demo does.
"""

import io
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from lfr_portal.management.commands.seed_demo import Command
from lfr_portal.models import (
    AuditEvent,
    AuthorityNotification,
    Deployment,
    DeploymentStatus,
    NotifiedAuthority,
)
from lfr_portal.selectors.eu_mode import eu_approval_problems, eu_go_live_problem
from lfr_portal.selectors.period_figures import period_figures, report_year
from lfr_portal.services.audit import audit_verify_database
from lfr_portal.services.deployment_lifecycle import deployment_start
from matcher.face_sets import BUNDLED_ROOT

S = DeploymentStatus
pytestmark = pytest.mark.django_db
OXFORD = "Oxford Circus shopping day"


def _truth():
    """What the rendered video's ground truth would say: five people and a photograph each."""
    return {
        "faces_root": str(BUNDLED_ROOT),
        "watchlist": [
            {"identity": f"att_faces/s{n}", "reference_images": [f"att_faces/s{n}/1.jpg"]}
            for n in range(1, 6)
        ],
    }


def _seed():
    with mock.patch.object(Command, "_demo_video", return_value=_truth()):
        call_command("seed_demo", stdout=io.StringIO())


def _counts():
    return (
        Deployment.objects.count(),
        AuditEvent.objects.count(),
        AuthorityNotification.objects.count(),
        User.objects.count(),
    )


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(LFR_EU_AI_ACT_MODE=True),
    ):
        _seed()
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _eu_mode(settings):
    settings.LFR_EU_AI_ACT_MODE = True


def _rows(deployment, action):
    return AuditEvent.objects.filter(action=action, object_public_id=str(deployment.public_id))


def test_every_deployment_states_a_purpose_its_watchlist_fits(seeded):
    for deployment in Deployment.objects.all():
        assert deployment.eu_purpose, deployment.title
        if deployment.status in (S.APPROVED, S.LIVE, S.COMPLETED):
            assert eu_approval_problems(deployment) == [None], deployment.title


def test_what_went_live_was_asked_for_and_granted_on_the_record(seeded):
    went_live = Deployment.objects.filter(went_live_at__isnull=False)
    assert went_live.count() >= 40
    for deployment in went_live:
        assert deployment.eu_authorisation_requested_at is not None
        assert deployment.eu_authorisation_decision == "granted"
        assert deployment.eu_authorisation_decided_at <= deployment.went_live_at
        assert _rows(deployment, "deployment.eu_request").count() == 1
        assert _rows(deployment, "deployment.independent_granted").count() == 1
    approved = Deployment.objects.filter(status=S.APPROVED)
    assert approved.exists()
    assert not approved.filter(eu_authorisation_decision="").exists()
    for deployment in Deployment.objects.filter(status=S.COMPLETED):
        notified = set(deployment.authority_notifications.values_list("authority", flat=True))
        assert notified == set(NotifiedAuthority.values), deployment.title
        assert _rows(deployment, "deployment.authority_notice").count() == 2
    ok, message = audit_verify_database()
    assert ok, message


def test_the_operator_goes_live_on_oxford_circus(seeded):
    deployment = Deployment.objects.get(title=OXFORD)
    assert eu_go_live_problem(deployment) is None
    operator = User.objects.get(username="operator")
    # The demo camera's video is not rendered here, so its probe fails: an advisory only.
    started = deployment_start(
        actor=operator, deployment=deployment, advisory_reason="Test: no demo video."
    )
    assert started.status == S.LIVE


def test_the_eu_page_answers_the_demo_ao(seeded, client):
    client.force_login(User.objects.get(username="ao"))
    deployment = Deployment.objects.get(title=OXFORD)
    response = client.get(f"/deployments/{deployment.public_id}/eu/")
    assert response.status_code == 200
    assert b"Westminster Magistrates" in response.content


def test_the_report_year_carries_eu_figures(seeded):
    went_live = Deployment.objects.filter(went_live_at__isnull=False).order_by("starts_at")
    year = went_live.first().starts_at.year
    figures = period_figures(report_year(year), eu=True)
    assert figures.eu is not None
    assert figures.eu.requested > 0 and figures.eu.granted == figures.eu.requested
    assert sum(figures.eu.by_purpose.values()) == figures.eu.requested


def test_second_run_adds_nothing(seeded):
    before = _counts()
    _seed()
    assert _counts() == before
