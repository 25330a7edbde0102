"""Lay out a deployment's record as a PDF a court can read: pure, no queries of its own.

The rows come from lfr_portal/selectors/reports.py; the service that signs the
checkpoint and writes the audit row is lfr_portal/services/reports.py.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .models import AuditCheckpoint, Deployment, EntryCategory
from .selectors.engagement_figures import figure_rows
from .selectors.reports import DeploymentRecord
from .selectors.reviews import review_figure_rows

STYLES = getSampleStyleSheet()
GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf0")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
    ]
)

# A table row cannot break across pages, so text in a cell is cut to what fits on one;
# the full text is in the audit export and, for the case itself, in the sections above.
CELL_LIMIT = 600


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d %b %Y %H:%M:%S") if value else "—"


def _p(text: Any, style: str = "BodyText") -> Paragraph:
    return Paragraph(escape(str(text)), STYLES[style])


def _cell(text: Any) -> str:
    text = str(text)
    if len(text) > CELL_LIMIT:
        text = text[:CELL_LIMIT].rstrip() + " … (cut here; the full text is in the audit export)"
    return text


def _long_text(heading: str, text: str | None) -> list[Flowable]:
    """A heading and free text that may run over many pages: one paragraph per line break,
    each of which the layout may split between pages."""
    parts: list[Flowable] = [_p(heading, "Heading3")]
    lines = [line for line in str(text or "").splitlines() if line.strip()]
    parts += [_p(line) for line in lines] or [_p("None recorded.")]
    return parts


def _table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], widths: list[float] | None = None
) -> Flowable:
    data = [[_p(_cell(c)) for c in row] for row in rows]
    if not data:
        return _p("None recorded.")
    table = LongTable([[_p(h) for h in header], *data], colWidths=widths, repeatRows=1)
    table.setStyle(GRID)
    return table


def _ended(deployment: Deployment) -> str:
    if deployment.ended_at is None:
        return "Not ended"
    by = f" by {deployment.ended_by.get_username()}" if deployment.ended_by else ""
    reason = f"; reason: {deployment.end_reason}" if deployment.end_reason else ""
    early = " (stopped early)" if deployment.stopped_early else ""
    return f"{_when(deployment.ended_at)}{by}{early}{reason}"


def _facts(deployment: Deployment) -> list[tuple[str, str]]:
    """The authorisation's facts, one line each, in the words a reader expects."""
    use_case = deployment.get_use_case_display()
    if deployment.use_case_other:
        use_case += f": {deployment.use_case_other}"
    threshold = f"{deployment.get_engine_display()}, threshold {deployment.threshold}"
    if deployment.threshold_override_reason:
        threshold += " (below the engine's floor: override reason below)"
    decided = (
        f"{deployment.decided_by.get_username()} at {_when(deployment.decided_at)}"
        if deployment.decided_by
        else "Not decided yet"
    )
    went_live = "Not gone live"
    if deployment.went_live_at:
        by = deployment.went_live_by.get_username() if deployment.went_live_by else "the system"
        went_live = f"{_when(deployment.went_live_at)} by {by}"
    window = "Not set"
    if deployment.starts_at and deployment.ends_at:
        window = f"{_when(deployment.starts_at)} to {_when(deployment.ends_at)}"
    return [
        ("Status", deployment.get_status_display()),
        ("Use case", use_case),
        (
            "Location",
            f"{deployment.location_name}, {deployment.borough} "
            f"({deployment.latitude}, {deployment.longitude}), radius {deployment.radius_m} m",
        ),
        ("Authorised window", window),
        ("Engine and threshold", threshold),
        ("Drafted by", deployment.created_by.get_username()),
        ("Decided by", decided),
        ("Went live", went_live),
        ("Ended", _ended(deployment)),
        ("Faces processed", f"{deployment.faces_processed:,}"),
    ]


def _authorisation(record: DeploymentRecord) -> list[Flowable]:
    deployment = record.deployment
    table = Table(
        [[_p(k), _p(_cell(v))] for k, v in _facts(deployment)], colWidths=[45 * mm, 125 * mm]
    )
    table.setStyle(GRID)
    story: list[Flowable] = [_p("Authorisation", "Heading2"), table]
    # Free text goes outside the table so that any length flows over the pages.
    story += _long_text("Purpose", deployment.purpose)
    story += _long_text("Necessity and proportionality", deployment.justification)
    if deployment.threshold_override_reason:
        story += _long_text("Threshold override reason", deployment.threshold_override_reason)
    if deployment.rejection_reason:
        story += _long_text("Rejection reason", deployment.rejection_reason)
    if deployment.end_reason and len(deployment.end_reason) > CELL_LIMIT:
        story += _long_text("Reason for ending", deployment.end_reason)
    documents = [
        (d.get_kind_display(), d.reference, d.issued_on, d.review_by) for d in record.documents
    ]
    story.append(_p("Documents", "Heading2"))
    story.append(_table(["Document", "Reference", "Issued", "Review by"], documents))
    return story


def _watchlist(record: DeploymentRecord) -> list[Flowable]:
    story: list[Flowable] = [_p("Watchlist (summary, no images)", "Heading2")]
    watchlist = record.watchlist
    if watchlist is None:
        return story
    approver = watchlist.approved_by.get_username() if watchlist.approved_by else "—"
    story.append(
        _p(
            f"{watchlist.get_status_display()}; authorised by {approver} at "
            f"{_when(watchlist.approved_at)}; finalised {_when(watchlist.finalised_at)}; "
            f"images and embeddings destroyed {_when(watchlist.destroyed_at)}."
        )
    )
    counts = record.approved_by_category
    rows = [(label, counts.get(value, 0)) for value, label in EntryCategory.choices]
    story.append(_table(["Category", "Approved entries"], rows))
    return story


def _on_the_ground(record: DeploymentRecord) -> list[Flowable]:
    cameras = [
        (b.camera.name, b.position, b.get_state_display(), b.frames_processed, b.faces_processed)
        for b in record.cameras
    ]
    signs = [
        (
            s.location_name,
            s.description,
            _when(s.placed_at),
            _when(s.removed_at),
            s.recorded_by.get_username(),
        )
        for s in record.signage
    ]
    leaflets = [
        (lf.location_name, lf.quantity, _when(lf.distributed_at), lf.recorded_by.get_username())
        for lf in record.leaflets
    ]
    return [
        _p("Cameras", "Heading2"),
        _table(["Camera", "Position", "State", "Frames", "Faces processed"], cameras),
        _p("Signage", "Heading2"),
        _table(["Where", "Description", "Placed", "Removed", "Recorded by"], signs),
        _p("Leaflets", "Heading2"),
        _table(["Where", "Quantity", "When", "Recorded by"], leaflets),
    ]


def _alerts_and_deletions(record: DeploymentRecord) -> list[Flowable]:
    alerts = [
        (
            _when(a.captured_at),
            a.camera.camera.name,
            a.entry_reference,
            a.score,
            a.get_adjudication_display(),
            a.get_outcome_display(),
            a.adjudicated_by.get_username() if a.adjudicated_by else "—",
        )
        for a in record.alerts
    ]
    header = ["Captured", "Camera", "Entry ref.", "Score", "Adjudication", "Outcome", "By"]
    return [
        _p("Alerts and adjudications (no images)", "Heading2"),
        _table(header, alerts),
        _p("Deletions", "Heading2"),
        _p(
            f"Reference numbers kept without images after destruction: {record.references_kept}. "
            "Faces that did not match were discarded in the worker's memory and never stored."
        ),
    ]


def _engagement(record: DeploymentRecord) -> list[Flowable]:
    if record.engagement is None:
        return []
    rows = figure_rows(record.engagement.as_dict())
    return [
        _p("After the alert: what engagement found", "Heading2"),
        _table(["Figure", "People"], rows),
    ]


def _review(record: DeploymentRecord) -> list[Flowable]:
    review = record.review
    if review is None:
        return []
    if review.signed_off_by is not None:
        state = (
            f"Signed off by {review.signed_off_by.get_username()} at "
            f"{_when(review.signed_off_at)}; due by {_when(review.due_by)}."
        )
    else:
        state = f"Opened {_when(review.opened_at)}; not signed off; due by {_when(review.due_by)}."
    story: list[Flowable] = [
        _p("Post-deployment review", "Heading2"),
        _p(state),
        _table(["Figure", "Count"], review_figure_rows(review.figures)),
    ]
    story += _long_text("Findings", review.findings)
    story += _long_text("Lessons", review.lessons)
    story += _long_text("Summary for the public", review.public_summary)
    return story


def _audit_trail(record: DeploymentRecord, checkpoint: AuditCheckpoint) -> list[Flowable]:
    rows = [
        (e.seq, _when(e.occurred_at), e.actor_username, label, e.reason, e.row_hash[:16] + "…")
        for e, label in record.audit_rows
    ]
    widths = [12 * mm, 32 * mm, 25 * mm, 40 * mm, 30 * mm, 31 * mm]
    return [
        _p("Audit trail of this deployment", "Heading2"),
        _table(["Row", "When", "Who", "Action", "Reason", "Row hash"], rows, widths=widths),
        _p(
            f"Signed checkpoint: row {checkpoint.seq}, hash {checkpoint.row_hash}, key "
            f"{checkpoint.key_id}, signature {checkpoint.signature}. Verify the full trail with "
            "an audit export and `python -m lfr_portal.audit_verify`."
        ),
    ]


def deployment_record_pdf(
    record: DeploymentRecord, checkpoint: AuditCheckpoint, *, produced_at: datetime
) -> bytes:
    """The record's PDF, built in memory."""
    deployment = record.deployment
    story: list[Flowable] = [
        _p(f"LFR deployment record: {deployment.title}", "Title"),
        _p(f"Reference {deployment.public_id}. Produced {_when(produced_at)}."),
        Spacer(1, 4 * mm),
        *_authorisation(record),
        *_watchlist(record),
        *_on_the_ground(record),
        *_alerts_and_deletions(record),
        *_engagement(record),
        *_review(record),
        *_audit_trail(record, checkpoint),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"LFR deployment record {deployment.public_id}",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
    ).build(story)
    return buffer.getvalue()
