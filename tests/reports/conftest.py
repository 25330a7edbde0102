"""The demo's year of history, seeded once for the module, with more laid on top so that
every figure has something to count: engagements of every result, an under-18 entry that
raised an alert, complaints, reviews in each state, a late adjudication, a suspension
and EU decisions.

Everything runs inside one transaction rolled back at the end, as in tests/demo.
"""

import base64
import re
import zlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from lfr_portal.demo.history import demo_history_seed
from lfr_portal.models import (
    AccuracySuspension,
    Adjudication,
    Alert,
    Complaint,
    Deployment,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    OverdueAlertFlag,
    PostDeploymentReview,
    ReviewStatus,
)
from lfr_portal.selectors.period_figures import report_quarter, report_year

R = EngagementResult


def pdf_text(pdf: bytes) -> str:
    """The page contents, decoded (reportlab writes ASCII85 over Flate)."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        stream = stream.strip()
        if stream.endswith(b"~>"):
            out.append(zlib.decompress(base64.a85decode(stream, adobe=True)).decode("latin-1"))
    return "".join(out)


def _year_with_most_deployments() -> int:
    """The report year holding most of the demo's live deployments."""
    rows = (
        Deployment.objects.filter(went_live_at__isnull=False)
        .values_list("starts_at__year")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    return rows[0][0]


def _engagements(alerts: list[Alert], officer: User, dispatcher: User) -> None:
    """One engagement per alert, cycling through every result and outcome."""
    now = timezone.now()
    cases = [
        {
            "result": R.CONFIRMED_PERSON,
            "outcome": EngagementOutcome.ARREST,
            "arrest_category": "wanted_by_courts",
            "later_outcome": "charged",
            "perceived_sex": "male",
            "perceived_ethnicity": "white",
        },
        {
            "result": R.CONFIRMED_PERSON,
            "outcome": EngagementOutcome.ARREST,
            "arrest_category": "suspected_offence",
            "later_outcome": "cautioned",
            "perceived_sex": "female",
            "perceived_ethnicity": "black",
        },
        {
            "result": R.CONFIRMED_PERSON,
            "outcome": EngagementOutcome.ARREST,
            "arrest_category": "suspected_offence",
            "later_outcome": "released",
            "perceived_sex": "male",
            "perceived_ethnicity": "asian",
        },
        {
            "result": R.NOT_THE_PERSON,
            "held_minutes": 0,
            "stop_minutes": 2,
            "explanation_given": True,
            "complaints_route_given": True,
            "perceived_sex": "female",
        },
        {
            "result": R.NOT_THE_PERSON,
            "held_minutes": 3,
            "stop_minutes": 4,
            "explanation_given": True,
            "complaints_route_given": False,
        },
        {
            "result": R.NOT_THE_PERSON,
            "held_minutes": 12,
            "stop_minutes": 15,
            "explanation_given": True,
            "complaints_route_given": True,
        },
        {"result": R.NOT_LOCATED},
        {"result": R.NOT_ENGAGED, "not_engaged_reason": "Crowd too dense."},
        {
            "result": R.CONFIRMED_PERSON,
            "outcome": EngagementOutcome.WORDS_OF_ADVICE,
            "perceived_ethnicity": "other",
        },
    ]
    for index, alert in enumerate(alerts):
        case = cases[index % len(cases)]
        Engagement.objects.create(
            alert=alert,
            dispatched_by=dispatcher,
            dispatched_at=alert.captured_at,
            officer=officer,
            acknowledged_at=alert.captured_at,
            engaged_at=alert.captured_at + timedelta(minutes=2),
            result_recorded_at=now,
            **case,
        )


def _reviews_and_complaints(deployments: list[Deployment], ao: User, year: int) -> None:
    now = timezone.now()
    first, second, third = deployments[:3]
    # The demo may have opened these already: whatever it wrote, one of each state.
    PostDeploymentReview.objects.update_or_create(
        deployment=first,
        defaults={
            "status": ReviewStatus.SIGNED_OFF,
            "opened_at": first.ended_at,
            "due_by": first.ended_at + timedelta(days=28),
            "findings": "Signage at the north exit was late going up.",
            "lessons": "Put signs up an hour before.",
            "signed_off_by": ao,
            "signed_off_at": first.ended_at + timedelta(days=3),
        },
    )
    PostDeploymentReview.objects.update_or_create(
        deployment=second,
        defaults={
            "status": ReviewStatus.OPEN,
            "opened_at": second.ended_at,
            "due_by": now - timedelta(days=1),  # overdue
            "signed_off_by": None,
            "signed_off_at": None,
        },
    )
    PostDeploymentReview.objects.update_or_create(
        deployment=third,
        defaults={
            "status": ReviewStatus.OPEN,
            "opened_at": now,
            "due_by": now + timedelta(days=20),
            "signed_off_by": None,
            "signed_off_at": None,
        },
    )
    quarter = report_quarter(year, 1)
    for n, (category, outcome, deployment) in enumerate(
        [
            ("misidentification", "upheld", first),
            ("misidentification", "", first),
            ("privacy", "not_upheld", None),
            ("signage", "resolved", second),
        ]
    ):
        Complaint.objects.create(
            deployment=deployment,
            received_on=quarter.start + timedelta(days=10 + n),
            category=category,
            outcome=outcome,
            reference=f"CMP/{year}/{n + 1:03d}",
            recorded_by=ao,
        )
    # Outside the year: must not count.
    Complaint.objects.create(
        received_on=report_year(year).start - timedelta(days=1),
        category="conduct",
        reference="CMP/OUTSIDE/001",
        recorded_by=ao,
    )
    # Adjudicated late: flagged by beat, the flag kept after the decision.
    late = first.alerts.order_by("captured_at").first()
    OverdueAlertFlag.objects.create(alert=late, flagged_at=late.captured_at + timedelta(minutes=10))
    AccuracySuspension.objects.create(
        deployment=second,
        suspended_at=second.went_live_at + timedelta(hours=1),
        faces_processed=4000,
        false_alerts=6,
        ceiling="0.00100000",
        rate_low=0.0006,
        explanation="Six false alerts in 4,000 faces.",
    )


def _under_18_and_eu(deployments: list[Deployment]) -> None:
    alert = (
        Alert.objects.filter(deployment__in=deployments, entry__isnull=False)
        .select_related("entry")
        .first()
    )
    entry = alert.entry
    entry.under_18 = True
    entry.under_18_justification = "Missing child at risk."
    entry.save(update_fields=["under_18", "under_18_justification"])
    now = timezone.now()
    a, b, c = deployments[3:6]
    Deployment.objects.filter(pk=a.pk).update(
        eu_purpose="victim_search",
        eu_authorisation_requested_at=now,
        eu_authorisation_decision="granted",
    )
    Deployment.objects.filter(pk=b.pk).update(
        eu_purpose="suspect_localisation",
        eu_authorisation_requested_at=now,
        eu_authorisation_decision="refused",
        eu_urgency=True,
    )
    Deployment.objects.filter(pk=c.pk).update(
        eu_purpose="suspect_localisation", eu_authorisation_requested_at=now
    )


@pytest.fixture(scope="module")
def demo_year(django_db_setup, django_db_blocker):
    """The calendar year holding most of the seeded demo's deployments, with the extra records."""
    with django_db_blocker.unblock(), transaction.atomic():
        demo_history_seed()
        year = _year_with_most_deployments()
        start, end = report_year(year).bounds()
        deployments = list(
            Deployment.objects.filter(
                went_live_at__isnull=False, starts_at__gte=start, starts_at__lt=end
            ).order_by("starts_at")
        )
        ao = User.objects.get(username="supt.adebayo")
        officer = User.objects.get(username="pc.obrien")
        dispatcher = User.objects.get(username="pc.hughes")
        confirmed = list(
            Alert.objects.filter(
                deployment__in=deployments,
                adjudication=Adjudication.CONFIRMED,
                engagement__isnull=True,
            ).order_by("captured_at")[:40]
        )
        _engagements(confirmed, officer, dispatcher)
        _reviews_and_complaints(
            [d for d in deployments if d.ended_at and d.starts_at.month <= 3] or deployments,
            ao,
            year,
        )
        _under_18_and_eu(deployments)
        yield year
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()
