"""What each engagement result and outcome must record: the input rules that
services/engagements.py applies before it changes anything."""

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from ..errors import RuleViolation
from ..models import (
    ArrestCategory,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    IdentityCheck,
    PerceivedEthnicity,
    PerceivedSex,
)

R = EngagementResult
# A stop longer than a day is a typing error, not a stop.
MAX_MINUTES = 24 * 60
# The results after which the person was stopped, with a stop length and identity check.
ENGAGED = (R.CONFIRMED_PERSON, R.NOT_THE_PERSON)


def _minutes(value: Any, field: str, label: str) -> int:
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation(f"Give {label} in whole minutes.", field=field)
    if not 0 <= value <= MAX_MINUTES:
        raise RuleViolation(
            f"{label.capitalize()} must be 0 to {MAX_MINUTES} minutes.", field=field
        )
    return value


def _engaged_at(engagement: Engagement, engaged_at: datetime | None) -> datetime:
    if engaged_at is None:
        raise RuleViolation("Give the time the person was engaged.", field="engaged_at")
    if timezone.is_naive(engaged_at):
        raise RuleViolation("The time engaged needs its time zone.", field="engaged_at")
    if engaged_at > timezone.now() + timedelta(minutes=1):
        raise RuleViolation("The time engaged cannot be in the future.", field="engaged_at")
    if engaged_at < engagement.alert.captured_at:
        raise RuleViolation(
            "The person was engaged before the alert was raised.", field="engaged_at"
        )
    return engaged_at


def _answered(value: Any, field: str, question: str) -> bool:
    if not isinstance(value, bool):
        raise RuleViolation(f"Answer yes or no: {question}", field=field)
    return value


def _perceived(result: str, given: dict[str, Any], fields: dict[str, Any]) -> None:
    """Officer-perceived sex and ethnicity: optional, and only of a person stopped."""
    for name, choices, label in (
        ("perceived_sex", PerceivedSex, "perceived sex"),
        ("perceived_ethnicity", PerceivedEthnicity, "perceived ethnic group"),
    ):
        value = given.get(name) or ""
        if value not in choices.values:
            raise RuleViolation(
                f"Choose the {label} from the list, or leave it not recorded.", field=name
            )
        if value and result not in ENGAGED:
            raise RuleViolation(
                f"The {label} is recorded only for a person who was stopped.", field=name
            )
        fields[name] = value


def result_fields(engagement: Engagement, result: str, given: dict[str, Any]) -> dict[str, Any]:
    """The values to store for this result; every field the result does not use is cleared."""
    fields: dict[str, Any] = {
        "engaged_at": None,
        "stop_minutes": None,
        "identity_check": "",
        "not_engaged_reason": "",
        "held_minutes": None,
        "explanation_given": None,
        "complaints_route_given": None,
        "perceived_sex": "",
        "perceived_ethnicity": "",
    }
    _perceived(result, given, fields)
    if result in ENGAGED:
        fields["engaged_at"] = _engaged_at(engagement, given["engaged_at"])
        fields["stop_minutes"] = _minutes(given["stop_minutes"], "stop_minutes", "the stop length")
        if given["identity_check"] not in IdentityCheck.values:
            raise RuleViolation("Say which identity check was used.", field="identity_check")
        fields["identity_check"] = given["identity_check"]
    if result == R.NOT_THE_PERSON:
        held = _minutes(given["held_minutes"], "held_minutes", "how long they were held")
        if held > fields["stop_minutes"]:
            raise RuleViolation("They cannot be held longer than the stop.", field="held_minutes")
        fields["held_minutes"] = held
        fields["explanation_given"] = _answered(
            given["explanation_given"], "explanation_given", "were they given the explanation?"
        )
        fields["complaints_route_given"] = _answered(
            given["complaints_route_given"],
            "complaints_route_given",
            "were they told how to complain?",
        )
    if result == R.NOT_ENGAGED:
        reason = (given["not_engaged_reason"] or "").strip()
        if not reason:
            raise RuleViolation("Say why the person was not engaged.", field="not_engaged_reason")
        fields["not_engaged_reason"] = reason
    return fields


def _arrest_fields(
    arrest_category: str,
    custody_reference: str,
    hold_review_by: date | None,
    no_hold_reason: str,
) -> dict[str, Any]:
    if arrest_category not in ArrestCategory.values:
        raise RuleViolation("An arrest needs its category.", field="arrest_category")
    custody_reference = (custody_reference or "").strip()
    if not custody_reference:
        raise RuleViolation("An arrest needs its custody reference.", field="custody_reference")
    no_hold_reason = (no_hold_reason or "").strip()
    if hold_review_by is None and not no_hold_reason:
        raise RuleViolation(
            "An arrest keeps the alert's image: give the hold's review date, or the reason "
            "no hold is needed.",
            field="hold_review_by",
            code="hold_required",
        )
    if hold_review_by is not None and no_hold_reason:
        raise RuleViolation(
            "Give either a hold review date or the reason for no hold, not both.",
            field="no_hold_reason",
        )
    if hold_review_by is not None and hold_review_by <= timezone.localdate():
        raise RuleViolation("The hold's review date must be in the future.", field="hold_review_by")
    return {
        "arrest_category": arrest_category,
        "custody_reference": custody_reference,
        "no_hold_reason": no_hold_reason,
    }


def _refuse_arrest_fields(**given: Any) -> None:
    for name, value in given.items():
        if value not in (None, ""):
            raise RuleViolation(f"'{name}' is recorded only with an arrest.", field=name)


def outcome_fields(
    outcome: str,
    *,
    arrest_category: str,
    custody_reference: str,
    crime_reference: str,
    hold_review_by: date | None,
    no_hold_reason: str,
) -> dict[str, Any]:
    """The values to store for this outcome; an arrest's fields only with an arrest."""
    if outcome not in EngagementOutcome.values or outcome == EngagementOutcome.NONE:
        raise RuleViolation(
            "The outcome is one of: arrest, words_of_advice, safeguarding, no_further_action.",
            field="outcome",
        )
    if outcome == EngagementOutcome.ARREST:
        fields = _arrest_fields(arrest_category, custody_reference, hold_review_by, no_hold_reason)
    else:
        _refuse_arrest_fields(
            arrest_category=arrest_category,
            custody_reference=custody_reference,
            hold_review_by=hold_review_by,
            no_hold_reason=no_hold_reason,
        )
        fields = {"arrest_category": "", "custody_reference": "", "no_hold_reason": ""}
    fields["crime_reference"] = (crime_reference or "").strip()
    return fields
