"""Evidence holds: an alert's image kept past the normal period for proceedings.

Authorising officers place holds; the officer who records an arrest places one with the
custody reference (services/engagements.py calls alert_hold_place in its transaction).
Authorising and compliance officers extend and release them, with reasons. Holders are
reminded LFR_HOLD_REMINDER_DAYS before the review date, once per review period.
Re-exported by services/retention.py, where retention's rules live.
"""

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import Alert, AlertHold, Engagement
from ..permissions import can_manage_holds, is_authorising_officer
from ..selectors.holds import authorising_officers, holds_due_reminder
from .audit import audit_record
from .notifications import notification_send

# A hold is reviewed at least once a year.
LONGEST_HOLD = timedelta(days=366)


def _check_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(f"{what} needs a reason.", field="reason")
    return reason


def _check_review_by(review_by: date | None) -> date:
    today = timezone.localdate()
    if review_by is None:
        raise RuleViolation("A hold needs a review date.", field="review_by")
    if review_by <= today:
        raise RuleViolation("The review date must be in the future.", field="review_by")
    if review_by > today + LONGEST_HOLD:
        raise RuleViolation("A hold is reviewed at least once a year.", field="review_by")
    return review_by


def _is_arresting_officer(actor: User, alert: Alert) -> bool:
    return Engagement.objects.filter(alert=alert, officer=actor).exists()


@transaction.atomic
def alert_hold_place(
    *,
    actor: User,
    alert: Alert,
    reason: str,
    review_by: date | None,
    custody_reference: str = "",
) -> AlertHold:
    """Keep the alert's image past the normal period, until the review date."""
    custody_reference = (custody_reference or "").strip()
    arresting = bool(custody_reference) and _is_arresting_officer(actor, alert)
    if not (is_authorising_officer(actor) or arresting):
        raise NotPermitted(
            "Only an authorising officer, or the officer who made the arrest, may keep an "
            "alert for proceedings."
        )
    reason = _check_reason(reason, "A hold")
    review_by = _check_review_by(review_by)
    if alert.crop_deleted_at is not None:
        raise InvalidTransition("The alert's image has already been deleted.")
    hold = AlertHold.objects.create(
        alert=alert,
        reason=reason,
        review_by=review_by,
        placed_by=actor,
        custody_reference=custody_reference,
    )
    audit_record(
        actor=actor,
        action="alert.hold_place",
        obj=alert,
        reason=reason,
        changes={
            "hold": str(hold.public_id),
            "review_by": review_by.isoformat(),
            "custody_reference": custody_reference,
        },
    )
    return hold


def _locked_open_hold(actor: User, hold: AlertHold, verb: str) -> AlertHold:
    hold = AlertHold.objects.select_for_update().select_related("alert").get(pk=hold.pk)
    if not can_manage_holds(actor):
        raise NotPermitted(f"Only an authorising or compliance officer may {verb} a hold.")
    if hold.released_at is not None:
        raise InvalidTransition("The hold is already released.")
    return hold


@transaction.atomic
def alert_hold_extend(*, actor: User, hold: AlertHold, review_by: date, reason: str) -> AlertHold:
    """Move the review date on; a lapsed hold may be renewed while the image is still held."""
    hold = _locked_open_hold(actor, hold, "extend")
    reason = _check_reason(reason, "An extension")
    review_by = _check_review_by(review_by)
    if review_by <= hold.review_by:
        raise RuleViolation(
            f"An extension moves the review date later than {hold.review_by:%d %b %Y}.",
            field="review_by",
        )
    if hold.alert.crop_deleted_at is not None:
        raise InvalidTransition("The alert's image has already been deleted.")
    before = hold.review_by
    hold.review_by = review_by
    hold.reminded_at = None  # a new review period: its own reminder
    hold.save(update_fields=["review_by", "reminded_at", "updated_at"])
    audit_record(
        actor=actor,
        action="alert.hold_extend",
        obj=hold.alert,
        reason=reason,
        changes={
            "hold": str(hold.public_id),
            "review_by": {"before": before.isoformat(), "after": review_by.isoformat()},
        },
    )
    return hold


@transaction.atomic
def alert_hold_release(*, actor: User, hold: AlertHold, reason: str) -> AlertHold:
    """End the hold: the image then goes under the normal retention rule."""
    hold = _locked_open_hold(actor, hold, "release")
    reason = _check_reason(reason, "Releasing a hold")
    hold.released_at = timezone.now()
    hold.released_by = actor
    hold.save(update_fields=["released_at", "released_by", "updated_at"])
    audit_record(
        actor=actor,
        action="alert.hold_release",
        obj=hold.alert,
        reason=reason,
        changes={"hold": str(hold.public_id)},
    )
    return hold


def alert_holds_remind(*, today: date | None = None) -> int:
    """Remind holders and authorising officers of holds near review; returns holds reminded."""
    today = today or timezone.localdate()
    reminded = 0
    for hold in holds_due_reminder(today):
        with transaction.atomic():
            locked = AlertHold.objects.select_for_update().get(pk=hold.pk)
            if locked.reminded_at is not None:
                continue  # another run reminded it a moment ago
            recipients = {hold.placed_by, *authorising_officers()}
            notification_send(
                recipients=[u for u in recipients if u.is_active],
                kind="hold_review_due",
                message=(
                    f"The evidence hold on alert {hold.alert.public_id} "
                    f"({hold.alert.entry_reference}) is due for review by "
                    f"{hold.review_by:%d %b %Y}: extend it with a reason or release it."
                ),
                link=reverse("hold-detail", args=[hold.public_id]),
            )
            locked.reminded_at = timezone.now()
            locked.save(update_fields=["reminded_at", "updated_at"])
            audit_record(
                actor=None,
                action="alert.hold_remind",
                obj=hold.alert,
                changes={"hold": str(hold.public_id), "review_by": hold.review_by.isoformat()},
            )
            reminded += 1
    return reminded
