"""About a year of invented past deployments for the demo, with their governance records.

`demo_history_seed` writes, across several London boroughs: completed deployments with
their authorisation (by an authorising officer who did not draft them), documents,
cameras, watchlist (reference numbers only), signs and leaflets, the alerts with their
adjudications and outcomes, and the deletion records retention leaves behind (alert
crops 31 days after capture, watchlist biometrics when the deployment ended); a few
rejected and cancelled ones; and planned ones ahead, approved through the services.

Everything is invented from a fixed random seed: officers' names, reference numbers,
figures. No photograph is written anywhere: past alerts carry no image, exactly as
retention leaves them, and the history ends more than the alert retention period ago
so that this is what retention would have done.

Audit rows go through `services.audit.audit_record` only, which stamps each row with
the time it is written. The history's rows are therefore the seeding event itself,
written in the order the events happened; each row's `changes` carries the event's
historical time under "happened_at", and every row says it was seeded. Past watchlist
entries are the one place where rows are summarised: one "watchlist.entry_add" and one
"watchlist.entry_approve" row per watchlist, naming every reference number, where the
service writes one per entry (a year of realistic lists would take minutes to write one
row at a time). Planned deployments' entries are summarised the same way.

Past records are written with bulk inserts, because the services check against the
clock (a window that has ended cannot be submitted), but every record satisfies the
rules the services enforce at the historical time: four eyes on entries, watchlists
and deployments, the threshold floor, windows of at most LFR_MAX_AUTHORISATION,
documents in date, signs up before going live, the watchlist finalised within
LFR_WATCHLIST_FINALISE_MAX_AGE before it, every alert adjudicated, false alerts
under the ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone

from ..models import Adjudication, Alert, Deployment, DeploymentStatus, Outcome, Role
from .data import FALSE_ALERTS, OFFICERS, SEED
from .future import FutureWriter
from .plan import plan_history
from .state import public_id

S = DeploymentStatus


@dataclass(frozen=True)
class HistorySummary:
    """What the demo history holds: the figures to report and test against."""

    created: bool
    deployments: int
    completed: int
    rejected: int
    cancelled: int
    planned: int
    faces_processed: int
    alerts: int
    false_alerts: int
    arrests: int
    boroughs: int

    def __str__(self) -> str:
        state = "written" if self.created else "already present"
        return (
            f"Demo history {state}: {self.deployments} deployments in {self.boroughs} boroughs "
            f"({self.completed} completed, {self.cancelled} cancelled, {self.rejected} "
            f"rejected, {self.planned} ahead); {self.faces_processed:,} faces, "
            f"{self.alerts:,} alerts, {self.false_alerts} false alerts, {self.arrests} arrests."
        )


class _Generator(FutureWriter):
    def run(self) -> None:
        plans = plan_history(self)
        past = [p for p in plans if p.starts_at < self.now]
        # A few false alerts over the year, as in the Met's figures, one per deployment.
        completed = [p.index for p in past if p.kind == "completed"]
        self.false_alert_plans = set(self.rng.sample(completed, FALSE_ALERTS))
        self._write_past(past)
        self._write_future(self.now)


def demo_history_seed(*, now: datetime | None = None, seed: int = SEED) -> HistorySummary:
    """Write the demo's history once; a later run finds it and adds nothing."""
    now = now or timezone.now()
    if Deployment.objects.filter(public_id=public_id(seed, 0)).exists():
        return _summary(created=False)
    with transaction.atomic():
        _Generator(now=now, seed=seed).run()
    return _summary(created=True)


def history_deployments() -> models.QuerySet[Deployment]:
    """The history's deployments, past and planned: those its invented planners drafted."""
    planners = [name for name, _, _, role, _ in OFFICERS if role == Role.DEPLOYMENT_PLANNER]
    return Deployment.objects.filter(created_by__username__in=planners)


def _summary(created: bool) -> HistorySummary:
    deployments = history_deployments()
    alerts = Alert.objects.filter(deployment__in=deployments)
    by_status = dict(deployments.order_by().values_list("status").annotate(n=models.Count("pk")))
    return HistorySummary(
        created=created,
        deployments=deployments.count(),
        completed=by_status.get(S.COMPLETED, 0),
        rejected=by_status.get(S.REJECTED, 0),
        cancelled=by_status.get(S.CANCELLED, 0),
        planned=by_status.get(S.APPROVED, 0) + by_status.get(S.SUBMITTED, 0),
        faces_processed=deployments.aggregate(n=models.Sum("faces_processed"))["n"] or 0,
        alerts=alerts.count(),
        false_alerts=alerts.filter(adjudication=Adjudication.FALSE_ALERT).count(),
        arrests=alerts.filter(outcome=Outcome.ARREST).count(),
        boroughs=deployments.order_by().values("borough").distinct().count(),
    )
