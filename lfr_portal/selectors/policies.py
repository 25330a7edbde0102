"""Reads for the policy library: documents with their current version, the retention
periods a version states against the rules in force, what the public may read, and the
versions a deployment pinned with what readiness makes of them."""

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet

from ..models import Deployment, DeploymentPolicyPin, PolicyDocument, PolicyVersion
from .problems import Problem
from .retention import periods_in_force

# --- the library --------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionDifference:
    """A period a document states that is not the period the portal enforces."""

    rule: str
    label: str
    stated: float
    in_force: float | None

    @property
    def sentence(self) -> str:
        if self.in_force is None:
            return f"States {self.stated:g} days for '{self.rule}', which is no rule in force."
        return (
            f"{self.label}: the document states {self.stated:g} days; "
            f"the rule in force is {self.in_force:g} days."
        )


def retention_rule_choices() -> list[tuple[str, str, float]]:
    """(key, label, days in force) of each rule a document may state a period for."""
    return [(key, label, period) for key, (label, period) in periods_in_force().items()]


def retention_differences(stated: dict[str, Any]) -> list[RetentionDifference]:
    """Where the periods a version states differ from the rules in force. A rule the
    document does not mention is not a difference: it may not speak to it."""
    rules = periods_in_force()
    differences = []
    for key, value in sorted(stated.items()):
        label, in_force = rules.get(key, (key, None))
        if in_force is None or float(value) != in_force:
            differences.append(RetentionDifference(key, label, float(value), in_force))
    return differences


def policy_documents() -> QuerySet[PolicyDocument]:
    """Every document, each with its versions newest first (and who uploaded them)."""
    versions = PolicyVersion.objects.select_related("uploaded_by").order_by("-number")
    return PolicyDocument.objects.prefetch_related(Prefetch("versions", queryset=versions))


def policy_versions() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.select_related("document", "uploaded_by")


@dataclass
class LibraryRow:
    document: PolicyDocument
    versions: list[PolicyVersion]
    overdue: bool
    differences: list[RetentionDifference]

    @property
    def current(self) -> PolicyVersion | None:
        return self.versions[0] if self.versions else None


def library_rows(today: date) -> list[LibraryRow]:
    """Each document with its current (newest) version, whether that version is past its
    review date, and how its stated retention differs from the rules in force."""
    rows = []
    for document in policy_documents():
        versions = list(document.versions.all())
        current = versions[0] if versions else None
        rows.append(
            LibraryRow(
                document=document,
                versions=versions,
                overdue=bool(current and current.review_by < today),
                differences=retention_differences(current.stated_retention) if current else [],
            )
        )
    return rows


# --- what the public reads -------------------------------------------------------------


@dataclass
class PublicDocument:
    kind_label: str
    title: str
    # Publishable versions only, newest first: the first is the current one.
    versions: list[PolicyVersion]

    @property
    def current(self) -> PolicyVersion:
        return self.versions[0]


def public_library() -> list[PublicDocument]:
    """Each document that has a publishable version, with its publishable versions only.
    Nothing about who uploaded or marked them."""
    versions = PolicyVersion.objects.filter(publishable=True).order_by("-number")
    documents = PolicyDocument.objects.filter(versions__publishable=True).distinct()
    return [
        PublicDocument(d.get_kind_display(), d.title, list(d.versions.all()))
        for d in documents.prefetch_related(Prefetch("versions", queryset=versions))
    ]


def publishable_version(public_id: UUID | str) -> PolicyVersion | None:
    """A version the public may download, or None (also for a non-publishable one)."""
    try:
        return PolicyVersion.objects.filter(publishable=True).get(public_id=public_id)
    except (PolicyVersion.DoesNotExist, ValueError):
        return None


# --- a deployment's pins ------------------------------------------------------------------


def deployment_pins(deployment: Deployment) -> list[DeploymentPolicyPin]:
    return list(
        deployment.policy_pins.select_related("version__document", "pinned_by").order_by(
            "version__document__kind", "version__document__title"
        )
    )


def pins_snapshot(deployment: Deployment) -> list[list[str]]:
    """The pinned versions as the approval records them: [public_id, SHA-256], sorted."""
    return sorted(
        [str(public_id), sha256]
        for public_id, sha256 in deployment.policy_pins.values_list(
            "version__public_id", "version__sha256"
        )
    )


def pins_changed_problem(deployment: Deployment, approved: dict[str, Any]) -> Problem | None:
    """Going live proves the pinned versions are those approved, hash for hash. A snapshot
    from before the library existed pinned nothing."""
    if pins_snapshot(deployment) == approved.get("policy_versions", []):
        return None
    return Problem(
        "policies_changed",
        "The pinned policy versions are not the ones the authorising officer approved.",
    )


def pin_review_problems(deployment: Deployment, last_day: date) -> list[Problem]:
    """A pinned version due for review before the deployment ends blocks approval."""
    return [
        Problem(
            "policy_review_overdue",
            f"The pinned {pin.version} ({pin.version.document.get_kind_display()}) is due "
            f"for review on {pin.version.review_by:%d %b %Y}, before the deployment ends; "
            f"pin a reviewed version.",
            field="policy_pins",
        )
        for pin in deployment_pins(deployment)
        if pin.version.review_by < last_day
    ]


def newer_version_warnings(deployment: Deployment) -> list[Problem]:
    """A pinned version that is no longer its document's newest: shown to whoever decides,
    refusing nothing (the deployment may rely on the version it pinned)."""
    warnings = []
    for pin in deployment_pins(deployment):
        newest = (
            PolicyVersion.objects.filter(document_id=pin.version.document_id)
            .order_by("-number")
            .first()
        )
        if newest is not None and newest.number > pin.version.number:
            warnings.append(
                Problem(
                    "policy_newer_version",
                    f"{pin.version.document.title}: version {newest.number} "
                    f"(issued {newest.issued_on:%d %b %Y}) is newer than the pinned "
                    f"version {pin.version.number}.",
                    field="policy_pins",
                    severity="warning",
                )
            )
    return warnings
