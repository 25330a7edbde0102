"""What engagement on the street found, counted per deployment and per period.

Words follow SWP's definitions: "confirmed" is what engagement found, not the
operator's view in the van. Each engagement is one person stopped (or sought), so
every figure here counts people. How misidentified people were treated, as the Met
publishes it: not detained (held 0 minutes), engaged under 5 minutes, or longer
(the length of the stop).

Public outputs go through `suppressed`: a figure for fewer than
LFR_PUBLIC_SUPPRESS_BELOW people (but more than none) is published as "fewer than N",
never the number, so nobody can be singled out. Internal records (the PDF record,
the review page) use the exact figures.
"""

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from ..models import (
    ArrestCategory,
    Deployment,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    LaterOutcome,
)
from .transparency import public_deployments

R = EngagementResult
# A misidentified person "engaged under 5 minutes" was stopped for fewer than this.
SHORT_STOP_MINUTES = 5
ARREST = Q(outcome=EngagementOutcome.ARREST)
MISIDENTIFIED = Q(result=R.NOT_THE_PERSON)
# One aggregate per figure, all read in one query.
AGGREGATES: dict[str, Count] = {
    "engagements": Count("pk"),
    "confirmed_true": Count("pk", filter=Q(result=R.CONFIRMED_PERSON)),
    "confirmed_false": Count("pk", filter=MISIDENTIFIED),
    "not_located": Count("pk", filter=Q(result=R.NOT_LOCATED)),
    "not_engaged": Count("pk", filter=Q(result=R.NOT_ENGAGED)),
    "arrests": Count("pk", filter=ARREST),
    **{
        f"arrests_{category}": Count("pk", filter=ARREST & Q(arrest_category=category))
        for category in ArrestCategory.values
    },
    "charged": Count("pk", filter=ARREST & Q(later_outcome=LaterOutcome.CHARGED)),
    "cautioned": Count("pk", filter=ARREST & Q(later_outcome=LaterOutcome.CAUTIONED)),
    "misidentified_not_detained": Count("pk", filter=MISIDENTIFIED & Q(held_minutes=0)),
    "misidentified_under_5_minutes": Count(
        "pk",
        filter=MISIDENTIFIED & Q(held_minutes__gt=0, stop_minutes__lt=SHORT_STOP_MINUTES),
    ),
    "misidentified_longer": Count(
        "pk",
        filter=MISIDENTIFIED & Q(held_minutes__gt=0, stop_minutes__gte=SHORT_STOP_MINUTES),
    ),
}


@dataclass(frozen=True)
class EngagementFigures:
    engagements: int
    confirmed_true: int
    confirmed_false: int
    not_located: int
    not_engaged: int
    arrests: int
    arrests_by_category: dict[str, int]
    charged: int
    cautioned: int
    misidentified_not_detained: int
    misidentified_under_5_minutes: int
    misidentified_longer: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Labels for pages and the PDF, in the order they are shown.
LABELS = {
    "engagements": "Alerts sent for engagement",
    "confirmed_true": "Confirmed the person after engagement",
    "confirmed_false": "Confirmed not the person (misidentified)",
    "not_located": "Not located",
    "not_engaged": "Not engaged",
    "arrests": "Arrests",
    "charged": "Arrests that led to a charge",
    "cautioned": "Arrests that led to a caution",
    "misidentified_not_detained": "Misidentified: not detained",
    "misidentified_under_5_minutes": "Misidentified: engaged under 5 minutes",
    "misidentified_longer": "Misidentified: engaged 5 minutes or longer",
}
CATEGORY_LABELS = dict(ArrestCategory.choices)


def engagement_figures(engagements: QuerySet[Engagement]) -> EngagementFigures:
    """The figures of `engagements`, in one aggregate query."""
    counts = engagements.order_by().aggregate(**AGGREGATES)
    by_category = {c: counts.pop(f"arrests_{c}") for c in ArrestCategory.values}
    return EngagementFigures(arrests_by_category=by_category, **counts)


def deployment_engagement_figures(deployment: Deployment) -> EngagementFigures:
    """One deployment's exact figures (internal records)."""
    return engagement_figures(Engagement.objects.filter(alert__deployment=deployment))


def public_engagement_figures(
    *,
    public_id: Any = None,
    date_from: date | None = None,
    date_to: date | None = None,
    borough: str | None = None,
) -> EngagementFigures:
    """Figures over the deployments the public may see: one, or those of a period."""
    deployments = public_deployments(date_from=date_from, date_to=date_to, borough=borough)
    if public_id is not None:
        deployments = deployments.filter(public_id=public_id)
    return engagement_figures(
        Engagement.objects.filter(alert__deployment__in=deployments.values("pk"))
    )


def suppress(value: int | str, below: int | None = None) -> int | str:
    """A count as published: "fewer than N" for 1 to N-1 people, else the number."""
    if isinstance(value, str):
        return value  # already published
    limit = settings.LFR_PUBLIC_SUPPRESS_BELOW if below is None else below
    return f"fewer than {limit}" if 0 < value < limit else value


def suppressed(figures: EngagementFigures) -> dict[str, Any]:
    """The figures for public outputs, every small count replaced by "fewer than N"."""
    published: dict[str, Any] = {}
    for item in fields(figures):
        value = getattr(figures, item.name)
        if isinstance(value, dict):
            published[item.name] = {k: suppress(v) for k, v in value.items()}
        else:
            published[item.name] = suppress(value)
    return published


def figure_rows(published: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) in display order, arrests by category after the arrests line."""
    rows: list[tuple[str, Any]] = []
    for name, label in LABELS.items():
        rows.append((label, published[name]))
        if name == "arrests":
            rows += [
                (f"Arrests: {CATEGORY_LABELS[c].lower()}", v)
                for c, v in published["arrests_by_category"].items()
            ]
    return rows
