"""The demo's policy library: a few short plain-text documents written here, one version
each, uploaded and marked publishable through the services; and the demo deployments pin
them. The retention periods the documents state are read from the rules in force, so
the library shows no difference until someone changes a setting."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.utils import timezone

from ..models import Deployment, PolicyDocument, PolicyKind, PolicyVersion
from ..selectors.retention import periods_in_force
from ..services import policies as services

# (kind, title, the rules whose periods it states, what it says)
DEMO_LIBRARY = [
    (
        PolicyKind.POLICY,
        "Live facial recognition: force policy",
        ("alert_images", "watchlist_biometrics"),
        "When and why the force uses live facial recognition, who authorises it, and the "
        "safeguards that apply to every deployment.",
    ),
    (
        PolicyKind.SOP,
        "Live facial recognition: standard operating procedure",
        ("alert_images", "signage_photos"),
        "How a deployment is planned, signed, run and ended; how an operator adjudicates an "
        "alert and how officers on the street engage.",
    ),
    (
        PolicyKind.APPROPRIATE_POLICY,
        "Appropriate Policy Document: sensitive processing for law enforcement",
        ("alert_images", "watchlist_biometrics", "audit_rows"),
        "The conditions relied on for sensitive processing under Part 3 of the Data "
        "Protection Act 2018, and how personal data is kept and erased.",
    ),
]


def _text(title: str, rules: tuple[str, ...], summary: str) -> str:
    periods = periods_in_force()
    lines = [title, "=" * len(title), "", summary, "", "Retention", "---------"]
    lines += [f"- {periods[key][0]}: {periods[key][1]:g} days." for key in rules]
    lines += ["", "This is demonstration text written by the LFR Portal demo, not a real policy."]
    return "\n".join(lines) + "\n"


def demo_policy_library_ensure(uploader: User) -> list[PolicyVersion]:
    """Each demo document's current version, uploaded and published once."""
    today = timezone.localdate()
    periods = periods_in_force()
    versions = []
    for kind, title, rules, summary in DEMO_LIBRARY:
        document = PolicyDocument.objects.filter(kind=kind, title=title).first()
        if document is None:
            document = services.policy_document_create(actor=uploader, kind=kind, title=title)
        current = document.versions.order_by("-number").first()
        if current is None:
            current = services.policy_version_upload(
                actor=uploader,
                document=document,
                upload=ContentFile(_text(title, rules, summary).encode(), name=f"{kind}.txt"),
                issued_on=today - timedelta(days=60),
                review_by=today + timedelta(days=300),
                change_summary="First issue.",
                stated_retention={key: periods[key][1] for key in rules},
            )
            current = services.policy_version_set_publishable(
                actor=uploader, version=current, publishable=True
            )
        versions.append(current)
    return versions


def demo_policy_pins(planner: User, deployment: Deployment, versions: list[PolicyVersion]) -> None:
    """The deployment relies on every demo document's current version."""
    for version in versions:
        services.deployment_policy_pin(actor=planner, deployment=deployment, version=version)
