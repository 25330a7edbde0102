"""A deployment's complete record as a PDF a court can read. No images, no embeddings."""

import io
from xml.sax.saxutils import escape

from django.db.models import Count
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..models import AuditEvent, EntryCategory, EntryStatus
from ..selectors.audit import action_label
from .audit import audit_checkpoint_create

STYLES = getSampleStyleSheet()
GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf0")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
    ]
)


def _when(value):
    return timezone.localtime(value).strftime("%d %b %Y %H:%M:%S") if value else "—"


def _p(text, style="BodyText"):
    return Paragraph(escape(str(text)), STYLES[style])


# A table row cannot break across pages, so text in a cell is cut to what fits on one;
# the full text is in the audit export and, for the case itself, in the sections above.
CELL_LIMIT = 600


def _cell(text):
    text = str(text)
    if len(text) > CELL_LIMIT:
        text = text[:CELL_LIMIT].rstrip() + " … (cut here; the full text is in the audit export)"
    return text


def _long_text(heading, text):
    """A heading and free text that may run over many pages: one paragraph per line break,
    each of which the layout may split between pages."""
    parts = [_p(heading, "Heading3")]
    lines = [line for line in str(text or "").splitlines() if line.strip()]
    parts += [_p(line) for line in lines] or [_p("None recorded.")]
    return parts


def _ended(deployment):
    if deployment.ended_at is None:
        return "Not ended"
    by = f" by {deployment.ended_by.get_username()}" if deployment.ended_by else ""
    reason = f"; reason: {deployment.end_reason}" if deployment.end_reason else ""
    early = " (stopped early)" if deployment.stopped_early else ""
    return f"{_when(deployment.ended_at)}{by}{early}{reason}"


def _table(header, rows, widths=None):
    if not rows:
        return _p("None recorded.")
    data = [[_p(h) for h in header]] + [[_p(_cell(c)) for c in row] for row in rows]
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(GRID)
    return table


def deployment_report_pdf(deployment):
    """Build the PDF in memory and return its bytes."""
    story = [
        _p(f"LFR deployment record: {deployment.title}", "Title"),
        _p(f"Reference {deployment.public_id}. Produced {_when(timezone.now())}."),
        Spacer(1, 4 * mm),
        _p("Authorisation", "Heading2"),
    ]
    use_case = deployment.get_use_case_display()
    if deployment.use_case_other:
        use_case += f": {deployment.use_case_other}"
    threshold = f"{deployment.get_engine_display()}, threshold {deployment.threshold}"
    if deployment.threshold_override_reason:
        threshold += " (below the engine's floor: override reason below)"
    location = (
        f"{deployment.location_name}, {deployment.borough} "
        f"({deployment.latitude}, {deployment.longitude}), radius {deployment.radius_m} m"
    )
    if deployment.decided_by:
        decided = f"{deployment.decided_by.get_username()} at {_when(deployment.decided_at)}"
    else:
        decided = "Not decided yet"
    if deployment.went_live_at:
        by = deployment.went_live_by.get_username() if deployment.went_live_by else "the system"
        went_live = f"{_when(deployment.went_live_at)} by {by}"
    else:
        went_live = "Not gone live"
    if deployment.starts_at and deployment.ends_at:
        window = f"{_when(deployment.starts_at)} to {_when(deployment.ends_at)}"
    else:
        window = "Not set"
    facts = [
        ("Status", deployment.get_status_display()),
        ("Use case", use_case),
        ("Location", location),
        ("Authorised window", window),
        ("Engine and threshold", threshold),
        ("Drafted by", deployment.created_by.get_username()),
        ("Decided by", decided),
        ("Went live", went_live),
        ("Ended", _ended(deployment)),
        ("Faces processed", f"{deployment.faces_processed:,}"),
    ]
    table = Table([[_p(k), _p(_cell(v))] for k, v in facts], colWidths=[45 * mm, 125 * mm])
    table.setStyle(GRID)
    story.append(table)
    # Free text goes outside the table so that any length flows over the pages.
    story += _long_text("Purpose", deployment.purpose)
    story += _long_text("Necessity and proportionality", deployment.justification)
    if deployment.threshold_override_reason:
        story += _long_text("Threshold override reason", deployment.threshold_override_reason)
    if deployment.rejection_reason:
        story += _long_text("Rejection reason", deployment.rejection_reason)
    if deployment.end_reason and len(deployment.end_reason) > CELL_LIMIT:
        story += _long_text("Reason for ending", deployment.end_reason)
    story.append(_p("Documents", "Heading2"))
    story.append(
        _table(
            ["Document", "Reference", "Issued", "Review by"],
            [
                (d.get_kind_display(), d.reference, d.issued_on, d.review_by)
                for d in deployment.documents.all()
            ],
        )
    )

    story.append(_p("Watchlist (summary, no images)", "Heading2"))
    watchlist = getattr(deployment, "watchlist", None)
    if watchlist is not None:
        counts = dict(
            watchlist.entries.filter(status=EntryStatus.APPROVED)
            .values_list("category")
            .annotate(n=Count("id"))
        )
        story.append(
            _p(
                f"{watchlist.get_status_display()}; authorised by "
                f"{watchlist.approved_by.get_username() if watchlist.approved_by else '—'} at "
                f"{_when(watchlist.approved_at)}; finalised {_when(watchlist.finalised_at)}; "
                f"images and embeddings destroyed {_when(watchlist.destroyed_at)}."
            )
        )
        story.append(
            _table(
                ["Category", "Approved entries"],
                [(label, counts.get(value, 0)) for value, label in EntryCategory.choices],
            )
        )

    story.append(_p("Cameras", "Heading2"))
    story.append(
        _table(
            ["Camera", "Position", "State", "Frames", "Faces processed"],
            [
                (
                    b.camera.name,
                    b.position,
                    b.get_state_display(),
                    b.frames_processed,
                    b.faces_processed,
                )
                for b in deployment.cameras.select_related("camera")
            ],
        )
    )
    story.append(_p("Signage", "Heading2"))
    story.append(
        _table(
            ["Where", "Description", "Placed", "Removed", "Recorded by"],
            [
                (
                    s.location_name,
                    s.description,
                    _when(s.placed_at),
                    _when(s.removed_at),
                    s.recorded_by.get_username(),
                )
                for s in deployment.signage.select_related("recorded_by")
            ],
        )
    )
    story.append(_p("Leaflets", "Heading2"))
    story.append(
        _table(
            ["Where", "Quantity", "When", "Recorded by"],
            [
                (
                    lf.location_name,
                    lf.quantity,
                    _when(lf.distributed_at),
                    lf.recorded_by.get_username(),
                )
                for lf in deployment.leaflets.select_related("recorded_by")
            ],
        )
    )
    story.append(_p("Alerts and adjudications (no images)", "Heading2"))
    story.append(
        _table(
            ["Captured", "Camera", "Entry ref.", "Score", "Adjudication", "Outcome", "By"],
            [
                (
                    _when(a.captured_at),
                    a.camera.camera.name,
                    a.entry_reference,
                    a.score,
                    a.get_adjudication_display(),
                    a.get_outcome_display(),
                    a.adjudicated_by.get_username() if a.adjudicated_by else "—",
                )
                for a in deployment.alerts.select_related(
                    "camera__camera", "adjudicated_by"
                ).order_by("captured_at")
            ],
        )
    )
    story.append(_p("Deletions", "Heading2"))
    kept = deployment.watchlist_references.count()
    story.append(
        _p(
            f"Reference numbers kept without images after destruction: {kept}. "
            "Faces that did not match were discarded in the worker's memory and never stored."
        )
    )

    checkpoint = audit_checkpoint_create(kind="export")
    story.append(_p("Audit trail of this deployment", "Heading2"))
    story.append(
        _table(
            ["Row", "When", "Who", "Action", "Reason", "Row hash"],
            [
                (
                    e.seq,
                    _when(e.occurred_at),
                    e.actor_username,
                    action_label(e.action),
                    e.reason,
                    e.row_hash[:16] + "…",
                )
                for e in AuditEvent.objects.filter(
                    deployment_public_id=str(deployment.public_id)
                ).order_by("seq")
            ],
            widths=[12 * mm, 32 * mm, 25 * mm, 40 * mm, 30 * mm, 31 * mm],
        )
    )
    story.append(
        _p(
            f"Signed checkpoint: row {checkpoint.seq}, hash {checkpoint.row_hash}, key "
            f"{checkpoint.key_id}, signature {checkpoint.signature}. Verify the full trail with "
            "an audit export and `python -m lfr_portal.audit_verify`."
        )
    )
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"LFR deployment record {deployment.public_id}",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
    ).build(story)
    return buffer.getvalue()
