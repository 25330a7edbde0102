"""Reads for the HTML pages: everything a screen shows, in as few queries as it can."""

from calendar import Calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ..models import (
    Adjudication,
    Deployment,
    DeploymentStatus,
    EntryCategory,
    EntryStatus,
    Role,
    Watchlist,
)
from ..permissions import (
    ENDED_STATES,
    RUNNING_STATES,
    can_decide_deployment,
    can_edit_deployment,
    can_manage_deployment,
    can_operate,
    can_run_deployment,
    can_submit_deployment,
    has_role,
    is_authorising_officer,
)
from .eu_mode import go_live_detail
from .readiness import (
    Problem,
    finalise_hours,
    go_live_advisories,
    go_live_problems,
    signs_up,
    watchlist_finalise_opens_at,
    when_text,
)

S = DeploymentStatus


@dataclass
class Check:
    label: str
    # True met, False unmet, None not judged yet (shown as such, never as met).
    ok: bool | None
    detail: str


def watchlist_summary(watchlist: Watchlist) -> dict[str, Any]:
    """Approved entries by category, and the under-18s among them."""
    rows = dict(
        watchlist.entries.filter(status=EntryStatus.APPROVED)
        .values_list("category")
        .annotate(n=Count("id"))
    )
    counts = [(label, rows.get(value, 0)) for value, label in EntryCategory.choices]
    totals = watchlist.entries.aggregate(
        approved=Count("id", filter=Q(status=EntryStatus.APPROVED)),
        pending=Count("id", filter=Q(status=EntryStatus.PENDING)),
        minors=Count("id", filter=Q(status=EntryStatus.APPROVED, under_18=True)),
    )
    return {"by_category": counts, **totals}


# Each blocker line of the checklist and the readiness codes it stands for. The lines
# show the server's own verdict (selectors.readiness.go_live_problems), matched by code;
# a code no line claims gets a line of its own, so no refusal goes unshown. A label of
# None is worded from the settings when the checklist is built.
BLOCKER_LINES: tuple[tuple[str, str | None, frozenset[str]], ...] = (
    ("approved", "Approved by an authorising officer", frozenset({"not_approved"})),
    ("window", "Now is inside the authorised window", frozenset({"outside_window"})),
    (
        "unchanged",
        "Cameras, window, threshold and watchlist are as approved",
        frozenset(
            {
                "cameras_changed",
                "window_changed",
                "threshold_changed",
                "engine_changed",
                "watchlist_changed",
            }
        ),
    ),
    ("signs", "Signs are up at the location", frozenset({"no_signage"})),
    ("finalised", None, frozenset({"watchlist_not_finalised", "watchlist_finalised_too_early"})),
    (
        "eu",
        "Independent authorisation recorded, or urgency declared",
        frozenset({"eu_refused", "eu_no_authorisation"}),
    ),
)


@dataclass
class GoLiveChecklist:
    """Blockers (the server refuses while one is unmet) apart from advisories (it does not)."""

    blockers: list[Check]
    advisories: list[Check]
    problems: list[Problem]

    @property
    def blocked(self) -> bool:
        return bool(self.problems)

    @property
    def advisories_failing(self) -> list[Check]:
        return [a for a in self.advisories if a.ok is False]


def _finalised_detail(deployment: Deployment, now: datetime) -> str | None:
    finalised_at = deployment.watchlist.finalised_at
    opens = watchlist_finalise_opens_at(deployment)
    if finalised_at is None or opens is None or deployment.starts_at is None:
        return None
    if finalised_at >= deployment.starts_at:
        return f"Finalised {when_text(finalised_at)}, after the window opened: valid."
    return (
        f"Finalised {when_text(finalised_at)}, after {when_text(opens)}: within "
        f"{finalise_hours()} hours before the start, so it will be valid at the start."
    )


def _window_detail(deployment: Deployment, now: datetime) -> str | None:
    if deployment.starts_at is None or deployment.ends_at is None:
        return None
    return f"{when_text(deployment.starts_at)} to {when_text(deployment.ends_at)}."


def _signs_detail(deployment: Deployment, now: datetime) -> str:
    signs = signs_up(deployment, now)
    return f"{signs} sign{'s' if signs != 1 else ''} recorded as up."


# What each met blocker line says; a line that returns None does not apply and is left out.
MET_DETAILS: dict[str, Callable[[Deployment, datetime], str | None]] = {
    "approved": lambda d, now: f"Approved{f' {when_text(d.decided_at)}' if d.decided_at else ''}.",
    "window": _window_detail,
    "unchanged": lambda d, now: "Nothing changed since approval.",
    "signs": _signs_detail,
    "finalised": _finalised_detail,
    "eu": lambda d, now: go_live_detail(d),
}


def _blocker_line(
    key: str, label: str, unmet: list[str], deployment: Deployment, now: datetime
) -> Check | None:
    if unmet:
        return Check(label, False, " ".join(unmet))
    if key != "approved" and deployment.status != S.APPROVED:
        # Before approval the readiness rules stop at the status, so the rest is not judged.
        return Check(label, None, "Checked once the deployment is approved.")
    detail = MET_DETAILS[key](deployment, now)
    return None if detail is None else Check(label, True, detail)


def go_live_checklist(
    deployment: Deployment, *, probe_cameras: bool = True, now: datetime | None = None
) -> tuple[GoLiveChecklist, list[Problem]]:
    """The go-live conditions as the server judges them: blockers, then advisories.

    Returns (GoLiveChecklist, problems). Blockers come from the same readiness rules
    the service refuses by, so the page and the server cannot disagree.
    """
    now = now or timezone.now()
    problems = go_live_problems(deployment, now=now)
    by_code: dict[str, list[str]] = {}
    for problem in problems:
        by_code.setdefault(problem.code, []).append(problem.message)
    blockers = []
    for key, label, codes in BLOCKER_LINES:
        label = label or f"Watchlist finalised within {finalise_hours()} hours before the start"
        unmet = [words for code in sorted(codes) for words in by_code.get(code, [])]
        line = _blocker_line(key, label, unmet, deployment, now)
        if line is not None:
            blockers.append(line)
    claimed = frozenset().union(*(codes for _, _, codes in BLOCKER_LINES))
    blockers += [Check(p.message, False, "") for p in problems if p.code not in claimed]
    advisories = []
    if probe_cameras:
        advisories = [Check(a.label, a.ok, a.detail) for a in go_live_advisories(deployment)]
    return GoLiveChecklist(blockers, advisories, problems), problems


def actions_for(user: Any, deployment: Deployment) -> dict[str, bool]:
    """Which buttons a user sees: the predicates the services refuse by, and the state."""
    status = deployment.status
    runner = can_run_deployment(user, deployment)
    return {
        "edit": can_edit_deployment(user, deployment),
        "submit": can_submit_deployment(user, deployment),
        "review": can_decide_deployment(user, deployment) and status == S.SUBMITTED,
        # Shown only when nothing blocks; the service refuses in the same cases.
        "start": runner and status == S.APPROVED and not go_live_problems(deployment),
        "stop": runner and status in RUNNING_STATES,
        "operate": can_operate(user, deployment)
        or (is_authorising_officer(user) and status in RUNNING_STATES),
        "resume": is_authorising_officer(user) and status == S.SUSPENDED,
        "cancel": can_manage_deployment(user, deployment) and status not in ENDED_STATES,
        "assign": can_manage_deployment(user, deployment) and status not in ENDED_STATES,
        "watchlist": has_role(
            user, Role.WATCHLIST_MANAGER, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER
        ),
        "evidence": has_role(user, Role.FIELD_OFFICER)
        and status in (S.SUBMITTED, S.APPROVED, S.LIVE),
        "report": has_role(user, Role.COMPLIANCE_OFFICER),
    }


def alert_counts(deployment: Deployment) -> dict[str, int]:
    return deployment.alerts.aggregate(
        total=Count("id"),
        pending=Count("id", filter=Q(adjudication=Adjudication.PENDING)),
        confirmed=Count("id", filter=Q(adjudication=Adjudication.CONFIRMED)),
        false=Count("id", filter=Q(adjudication=Adjudication.FALSE_ALERT)),
    )


# --- the schedule -----------------------------------------------------------------------


def schedule_month(requested: str, today: date) -> date:
    """The first day of the month asked for as YYYY-MM, or of this month."""
    try:
        month = datetime.strptime(requested, "%Y-%m").date()  # noqa: DTZ007 a date, no time
        if not 1 < month.year < 9999:
            # The calendar's first and last weeks and its neighbouring months need
            # dates on both sides, which years 1 and 9999 do not have.
            raise ValueError(month)
    except ValueError:
        month = today.replace(day=1)
    return month


def schedule_calendar(
    deployments: QuerySet[Deployment], month: date, today: date
) -> list[list[dict[str, Any]]]:
    """The month's weeks, each day with the deployments whose window covers it."""
    weeks = Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    first, last = weeks[0][0], weeks[-1][-1]
    in_month = list(deployments.filter(starts_at__date__lte=last, ends_at__date__gte=first))
    return [
        [
            {
                "day": day,
                "in_month": day.month == month.month,
                "today": day == today,
                "deployments": [
                    d
                    for d in in_month
                    if timezone.localdate(d.starts_at) <= day <= timezone.localdate(d.ends_at)
                ],
            }
            for day in week
        ]
        for week in weeks
    ]


def schedule_bars(rows: Sequence[Deployment]) -> None:
    """Places each window on a timeline scaled to the span of these deployments."""
    windows = [(d, d.starts_at, d.ends_at) for d in rows if d.starts_at and d.ends_at]
    if not windows:
        return
    span_start = min(start for _, start, _ in windows)
    span_end = max(end for _, _, end in windows)
    span = max((span_end - span_start).total_seconds(), 3600)
    for d, start, end in windows:
        # The template draws these; they are page geometry, not fields of the model.
        setattr(d, "bar_left", 100 * (start - span_start).total_seconds() / span)  # noqa: B010
        setattr(d, "bar_width", max(100 * (end - start).total_seconds() / span, 0.8))  # noqa: B010


def neighbouring_months(month: date) -> tuple[date, date]:
    return (month - timedelta(days=1)).replace(day=1), (month + timedelta(days=32)).replace(day=1)
