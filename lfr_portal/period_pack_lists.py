"""The quarterly oversight pack's tables after its figures, as (heading, header, rows):
pure, no queries (the pack is read by selectors/period_deployments.py). The HTML page
and the PDF print the same tables."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .selectors.period_deployments import REVIEW_STATES, OversightPack, review_state

PackList = tuple[str, list[str], list[list[Any]]]


def _day(value: Any) -> str:
    return timezone.localtime(value).strftime("%d %b %Y %H:%M") if value else "—"


def _yes_no(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")


def _or_dash(value: Any) -> Any:
    return "—" if value is None or value == "" else value


def _deployments(pack: OversightPack) -> PackList:
    header = [
        "Deployment",
        "Start",
        "Faces processed",
        "Alerts",
        "False alerts",
        "Overdue alerts",
        "Engagements",
        "Misidentified",
        "Arrests",
        "Suspensions",
        "Complaints",
        "Review",
    ]
    rows = [
        [
            f"{r.deployment.title} ({r.deployment.borough})",
            _day(r.deployment.starts_at),
            f"{r.deployment.faces_processed:,}",
            r.figures["alerts"],
            r.figures["false_alerts"],
            r.overdue_alerts,
            r.figures["engagements"],
            r.figures["misidentified_after_engagement"],
            r.figures["arrests"],
            r.suspensions,
            r.complaints,
            REVIEW_STATES[r.review_state],
        ]
        for r in pack.rows
    ]
    return ("Deployments of the quarter", header, rows)


def _suspensions(pack: OversightPack) -> PackList:
    def resumed(s: Any) -> str:
        if not s.resumed_by:
            return "Not resumed"
        return f"{_day(s.resumed_at)} by {s.resumed_by.get_username()}: {s.resume_reason}"

    rows = [
        [
            s.deployment.title,
            _day(s.suspended_at),
            f"{s.faces_processed:,}",
            s.false_alerts,
            s.explanation,
            resumed(s),
        ]
        for s in pack.suspensions
    ]
    header = ["Deployment", "Suspended", "Faces", "False alerts", "Why", "Resumed"]
    return ("Suspensions", header, rows)


def _overdue(pack: OversightPack) -> PackList:
    rows = [
        [
            a.deployment.title,
            _day(a.captured_at),
            a.get_adjudication_display(),
            _day(a.adjudicated_at),
        ]
        for a in pack.overdue_alerts
    ]
    header = ["Deployment", "Captured", "Decision now", "Decided"]
    return ("Alerts overdue for adjudication", header, rows)


def _misidentified(pack: OversightPack) -> PackList:
    rows = [
        [
            e.alert.deployment.title,
            _day(e.engaged_at),
            _or_dash(e.held_minutes),
            _or_dash(e.stop_minutes),
            _yes_no(e.explanation_given),
            _yes_no(e.complaints_route_given),
        ]
        for e in pack.misidentifications
    ]
    header = [
        "Deployment",
        "Engaged",
        "Held (minutes)",
        "Stop (minutes)",
        "Explanation given",
        "Complaints route given",
    ]
    return ("Misidentifications (engaged, not the person)", header, rows)


def _complaints(pack: OversightPack) -> PackList:
    rows = [
        [
            c.reference or str(c.public_id),
            c.received_on.strftime("%d %b %Y"),
            c.deployment.title if c.deployment else "—",
            c.get_category_display(),
            c.get_outcome_display(),
        ]
        for c in pack.complaints
    ]
    return (
        "Complaints received",
        ["Reference", "Received", "Deployment", "About", "Outcome"],
        rows,
    )


def _reviews(pack: OversightPack) -> PackList:
    def signed(r: Any) -> str:
        return (
            f"{r.signed_off_by.get_username()}, {_day(r.signed_off_at)}" if r.signed_off_by else "—"
        )

    rows = [
        [
            r.deployment.title,
            REVIEW_STATES[review_state(r, ended=True)],
            _day(r.due_by),
            signed(r),
            _or_dash(r.findings),
            _or_dash(r.lessons),
        ]
        for r in pack.reviews
    ]
    header = ["Deployment", "Status", "Due by", "Signed off", "Findings", "Lessons"]
    return ("Post-deployment reviews", header, rows)


def pack_lists(pack: OversightPack) -> list[PackList]:
    """The pack's tables, in the order they are printed."""
    return [
        _deployments(pack),
        _suspensions(pack),
        _overdue(pack),
        _misidentified(pack),
        _complaints(pack),
        _reviews(pack),
    ]
