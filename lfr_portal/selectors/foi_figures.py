"""What people ask for by freedom of information, published per deployment.

For each public deployment: the watchlist's composition by category and its under-18
entries (as it was for the deployment: once the watchlist is destroyed, from the
reference numbers kept), arrests by category, how alerts sent to the street ended
(not the person, not located, not engaged; held or not), the officer-perceived sex and
ethnicity of the people engaged, the "why here" summary once authorised, and the
signed-off review's public summary.

Counts of people go through engagement_figures.suppress (the one home of the
LFR_PUBLIC_SUPPRESS_BELOW rule). Watchlist category counts are published exactly, as
the watchlist size already is; under-18 entries are suppressed like other counts of
people, children being the easiest to single out. Four queries however many deployments
are asked for.
"""

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Q, Value
from django.utils import timezone

from ..models import (
    ArrestCategory,
    Deployment,
    DeploymentStatus,
    Engagement,
    EngagementResult,
    EntryCategory,
    EntryStatus,
    PerceivedEthnicity,
    PerceivedSex,
    ReviewStatus,
    WatchlistEntry,
    WatchlistReferenceRecord,
    WatchlistStatus,
)
from .engagement_figures import AGGREGATES, EngagementFigures, suppress, suppressed
from .transparency import PublicDeployment

S = DeploymentStatus
# The "why here" summary is published once an authorising officer approved the deployment.
AUTHORISED_STATES = (S.APPROVED, S.LIVE, S.SUSPENDED, S.COMPLETED, S.CANCELLED)
# The people an officer actually stopped: only they have a perceived sex and ethnicity.
ENGAGED = Q(result__in=(EngagementResult.CONFIRMED_PERSON, EngagementResult.NOT_THE_PERSON))
NOT_RECORDED = "not_recorded"


def _perceived_key(value: str) -> str:
    return value or NOT_RECORDED


SEX_KEYS = [_perceived_key(v) for v in PerceivedSex.values if v] + [NOT_RECORDED]
ETHNICITY_KEYS = [_perceived_key(v) for v in PerceivedEthnicity.values if v] + [NOT_RECORDED]
PERCEIVED: dict[str, Count] = {
    **{
        f"sex_{_perceived_key(v)}": Count("pk", filter=ENGAGED & Q(perceived_sex=v))
        for v in PerceivedSex.values
    },
    **{
        f"ethnicity_{_perceived_key(v)}": Count("pk", filter=ENGAGED & Q(perceived_ethnicity=v))
        for v in PerceivedEthnicity.values
    },
}
# Labels for the public page.
SEX_LABELS = {_perceived_key(v): str(label) for v, label in PerceivedSex.choices}
ETHNICITY_LABELS = {_perceived_key(v): str(label) for v, label in PerceivedEthnicity.choices}
CATEGORY_LABELS = {v: str(label) for v, label in EntryCategory.choices}


@dataclass(frozen=True)
class FoiFigures:
    """One deployment's FOI figures as published: small counts of people suppressed."""

    watchlist_by_category: dict[str, int]
    watchlist_under_18: int | str
    engagement: dict[str, Any]
    perceived_sex: dict[str, int | str]
    perceived_ethnicity: dict[str, int | str]
    why_here_summary: str
    review_summary: str
    review_signed_off_on: date | None

    @property
    def watchlist_rows(self) -> list[tuple[str, int]]:
        return [(CATEGORY_LABELS[c], n) for c, n in self.watchlist_by_category.items()]

    @property
    def sex_rows(self) -> list[tuple[str, int | str]]:
        return [(SEX_LABELS[k], v) for k, v in self.perceived_sex.items()]

    @property
    def ethnicity_rows(self) -> list[tuple[str, int | str]]:
        return [(ETHNICITY_LABELS[k], v) for k, v in self.perceived_ethnicity.items()]


EMPTY_ENGAGEMENT = EngagementFigures(
    engagements=0,
    confirmed_true=0,
    confirmed_false=0,
    not_located=0,
    not_engaged=0,
    arrests=0,
    arrests_by_category=dict.fromkeys(ArrestCategory.values, 0),
    charged=0,
    cautioned=0,
    misidentified_not_detained=0,
    misidentified_under_5_minutes=0,
    misidentified_longer=0,
)


def _engagement_by_deployment(pks: list[int]) -> dict[int, dict[str, Any]]:
    """Each deployment's engagement aggregates (the same formulas as engagement_figures)
    and perceived counts: one grouped query."""
    rows = (
        Engagement.objects.filter(alert__deployment__in=pks)
        .order_by()
        .values("alert__deployment")
        .annotate(**AGGREGATES, **PERCEIVED)
    )
    return {row.pop("alert__deployment"): row for row in rows}


def _engagement_figures(counts: dict[str, Any] | None) -> EngagementFigures:
    if not counts:
        return EMPTY_ENGAGEMENT
    counts = {k: v for k, v in counts.items() if k in AGGREGATES}
    by_category = {c: counts.pop(f"arrests_{c}") for c in ArrestCategory.values}
    return EngagementFigures(arrests_by_category=by_category, **counts)


def _watchlist_counts(pks: list[int], destroyed: set[int]) -> dict[int, tuple[dict[str, int], int]]:
    """Per deployment: entries by category and under-18 entries, as they were for it.

    A destroyed watchlist counts the reference numbers kept; its under-18s are the
    approved entries among them (the entries' rows outlive their images). Two queries."""
    current = ~Q(watchlist__deployment__in=destroyed)
    kept = WatchlistReferenceRecord.objects.filter(
        deployment=OuterRef("watchlist__deployment"), reference_number=OuterRef("reference_number")
    )
    entries = (
        WatchlistEntry.objects.filter(watchlist__deployment__in=pks, status=EntryStatus.APPROVED)
        .order_by()
        .values_list("watchlist__deployment", "category")
        .annotate(
            n=Count("pk", filter=current),
            under_18=Count("pk", filter=Q(under_18=True) & (current | Exists(kept))),
        )
    )
    references = (
        WatchlistReferenceRecord.objects.filter(deployment__in=destroyed)
        .order_by()
        .values_list("deployment", "category")
        .annotate(n=Count("pk"), under_18=Value(0))
    )
    result: dict[int, tuple[dict[str, int], int]] = {}
    by_category = {pk: dict.fromkeys(EntryCategory.values, 0) for pk in pks}
    under_18 = dict.fromkeys(pks, 0)
    for pk, category, n, children in [*entries, *references]:
        if category in by_category[pk]:
            by_category[pk][category] += n
        under_18[pk] += children
    for pk in pks:
        result[pk] = (by_category[pk], under_18[pk])
    return result


@dataclass(frozen=True)
class _Deployment:
    public_id: UUID
    destroyed: bool
    why_here: str
    review_summary: str
    review_signed_off_on: date | None


def _deployments(public_ids: list[UUID]) -> dict[int, _Deployment]:
    """The deployments with what the FOI figures need of them, their review joined: one
    query. "Why here" once authorised; the review's summary once signed off."""
    rows = Deployment.objects.filter(public_id__in=public_ids).values_list(
        "pk",
        "public_id",
        "status",
        "decided_at",
        "why_here_summary",
        "watchlist__status",
        "review__status",
        "review__public_summary",
        "review__signed_off_at",
    )
    found = {}
    for pk, public_id, status, decided, why, watchlist, review, summary, signed in rows:
        signed_off = review == ReviewStatus.SIGNED_OFF and signed is not None
        found[pk] = _Deployment(
            public_id=public_id,
            destroyed=watchlist == WatchlistStatus.DESTROYED,
            why_here=(why or "") if status in AUTHORISED_STATES and decided else "",
            review_summary=(summary or "") if signed_off else "",
            review_signed_off_on=timezone.localdate(signed) if signed_off else None,
        )
    return found


def _published(counts: dict[str, Any] | None, prefix: str, keys: list[str]) -> dict[str, Any]:
    return {key: suppress(int((counts or {}).get(f"{prefix}_{key}", 0))) for key in keys}


def foi_figures_for(public_ids: list[UUID]) -> dict[UUID, FoiFigures]:
    """The FOI figures of the given public deployments, keyed by public_id: four queries."""
    deployments = _deployments(public_ids)
    pks = list(deployments)
    engagement = _engagement_by_deployment(pks)
    watchlists = _watchlist_counts(pks, {pk for pk, d in deployments.items() if d.destroyed})
    figures = {}
    for pk, deployment in deployments.items():
        by_category, under_18 = watchlists[pk]
        counts = engagement.get(pk)
        figures[deployment.public_id] = FoiFigures(
            watchlist_by_category=by_category,
            watchlist_under_18=suppress(under_18),
            engagement=suppressed(_engagement_figures(counts)),
            perceived_sex=_published(counts, "sex", SEX_KEYS),
            perceived_ethnicity=_published(counts, "ethnicity", ETHNICITY_KEYS),
            why_here_summary=deployment.why_here,
            review_summary=deployment.review_summary,
            review_signed_off_on=deployment.review_signed_off_on,
        )
    return figures


def with_foi(rows: list[PublicDeployment]) -> list[PublicDeployment]:
    """The rows, each carrying its FoiFigures as `foi` (for the pages and open data)."""
    figures = foi_figures_for([row.public_id for row in rows])
    return [replace(row, foi=figures[row.public_id]) for row in rows]
