"""Subject access for the data protection officer: was a reference number on any
watchlist, on which deployments and when, in which category, and did it alert.

The answer is built from the live watchlist entries and, once a watchlist is destroyed,
from the reference records retention keeps. It never carries an image, an embedding, a
name or the entry's free text: only what the reference number already is, the category,
the deployment's public facts and each alert's date, adjudication and outcome.
"""

from dataclasses import dataclass, field
from datetime import datetime

from ..models import (
    Alert,
    Deployment,
    EntryCategory,
    EntryStatus,
    WatchlistEntry,
    WatchlistReferenceRecord,
)

REFERENCE_MAX = 100


def reference_normalised(reference: str) -> str:
    """The reference as stored references are compared: trimmed, compared without case."""
    return (reference or "").strip()


@dataclass
class AlertLine:
    captured_at: datetime
    adjudication: str
    outcome: str
    engagement_result: str = ""
    engagement_outcome: str = ""
    later_outcome: str = ""


@dataclass
class DeploymentLine:
    deployment: Deployment
    category: str
    # Where the answer comes from: the live entry, the record kept after destruction, or both.
    sources: set[str] = field(default_factory=set)
    entry_status: str = ""
    added_at: datetime | None = None
    approved_at: datetime | None = None
    biometrics_destroyed_at: datetime | None = None
    alerts: list[AlertLine] = field(default_factory=list)

    @property
    def source_list(self) -> list[str]:
        return sorted(self.sources)

    @property
    def on_the_list(self) -> bool:
        """Approved onto the list (a pending or rejected entry never was)."""
        return "record" in self.sources or self.entry_status == EntryStatus.APPROVED.label


@dataclass
class SubjectAccessAnswer:
    reference: str
    deployments: list[DeploymentLine]

    @property
    def alert_count(self) -> int:
        return sum(len(line.alerts) for line in self.deployments)

    def summary(self) -> dict[str, int]:
        return {
            "deployments": len(self.deployments),
            "on_the_list": sum(1 for line in self.deployments if line.on_the_list),
            "alerts": self.alert_count,
        }


def _alert_line(alert: Alert) -> AlertLine:
    engagement = getattr(alert, "engagement", None)
    line = AlertLine(
        alert.captured_at, alert.get_adjudication_display(), alert.get_outcome_display()
    )
    if engagement is not None:
        line.engagement_result = engagement.get_result_display()
        line.engagement_outcome = engagement.get_outcome_display()
        line.later_outcome = engagement.get_later_outcome_display()
    return line


def _from_entries(reference: str, lines: dict[int, DeploymentLine]) -> None:
    entries = WatchlistEntry.objects.filter(reference_number__iexact=reference).select_related(
        "watchlist__deployment"
    )
    for entry in entries.order_by("created_at"):
        deployment = entry.watchlist.deployment
        line = lines.setdefault(
            deployment.pk, DeploymentLine(deployment, entry.get_category_display())
        )
        line.sources.add("entry")
        line.entry_status = entry.get_status_display()
        line.added_at = entry.created_at
        line.approved_at = entry.approved_at
        line.biometrics_destroyed_at = entry.biometrics_destroyed_at


def _from_records(reference: str, lines: dict[int, DeploymentLine]) -> None:
    records = WatchlistReferenceRecord.objects.filter(
        reference_number__iexact=reference
    ).select_related("deployment")
    labels = dict(EntryCategory.choices)
    for record in records:
        line = lines.setdefault(
            record.deployment_id,
            DeploymentLine(record.deployment, labels.get(record.category, record.category)),
        )
        line.sources.add("record")
        line.biometrics_destroyed_at = line.biometrics_destroyed_at or record.recorded_at


def _alerts(reference: str, lines: dict[int, DeploymentLine]) -> None:
    alerts = (
        Alert.objects.filter(entry_reference__iexact=reference)
        .select_related("deployment", "engagement")
        .order_by("captured_at")
    )
    for alert in alerts:
        # An alert names its reference even after the entry is gone; its deployment is
        # then on the answer through the alert alone (no category is known for it).
        line = lines.setdefault(alert.deployment_id, DeploymentLine(alert.deployment, ""))
        line.sources.add("alert")
        line.alerts.append(_alert_line(alert))


def subject_access_answer(reference: str) -> SubjectAccessAnswer:
    """Every deployment the reference was on (or alerted on), oldest first, with its alerts."""
    reference = reference_normalised(reference)
    lines: dict[int, DeploymentLine] = {}
    _from_entries(reference, lines)
    _from_records(reference, lines)
    _alerts(reference, lines)
    ordered = sorted(
        lines.values(), key=lambda line: line.deployment.starts_at or line.deployment.created_at
    )
    return SubjectAccessAnswer(reference, ordered)
