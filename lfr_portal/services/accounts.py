"""Writes about accounts and sign-in: lockouts, one-time passwords, single sign-on.

Each one records itself on the audit trail in the same transaction. Failed
verifications are recorded too, so their audit row must commit: those services
finish their transaction first and raise afterwards.
"""

import time
from collections.abc import Iterable
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..errors import InvalidTransition, RuleViolation
from ..models import OfficerProfile, Rank, Role
from ..permissions import user_roles
from ..selectors.accounts import failures_by_username, is_locked_out, locked_out_usernames
from .audit import audit_record

TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def _user_named(username: str) -> User | None:
    return get_user_model().objects.filter(username=username).first()


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("Say why: an unlock or reset needs a reason for the audit trail.")
    return reason


# --- lockout ----------------------------------------------------------------------


@transaction.atomic
def account_lockout_record(*, username: str, ip_address: str | None, failures: int) -> None:
    """Record that axes has just locked `username` out (called once, on the locking failure)."""
    locked_until = timezone.now() + settings.AXES_COOLOFF_TIME
    audit_record(
        actor=None,
        action="account.locked_out",
        obj=_user_named(username),
        reason=f"{failures} failed log-in attempts in a row",
        changes={
            "username": username,
            "failures": failures,
            "ip_address": ip_address,
            "locked_until": locked_until.isoformat(),
        },
    )


def login_attempts_reset(
    *,
    actor: User | None = None,
    reason: str,
    ip_address: str | None = None,
    username: str | None = None,
    ip_or_username: bool = False,
) -> int:
    """Remove failed-attempt records; every lockout this lifts gets an audit row.

    axes' own reset path (the `axes_reset*` commands, `axes.utils.reset`) comes
    here through lfr_portal.axes_handler, so no unlock goes unrecorded.
    """
    with transaction.atomic():
        attempts = AccessAttempt.objects.all()
        if ip_or_username:
            attempts = attempts.filter(Q(ip_address=ip_address) | Q(username=username))
        else:
            if ip_address:
                attempts = attempts.filter(ip_address=ip_address)
            if username:
                attempts = attempts.filter(username=username)
        # Lock the rows so a failure arriving now cannot slip between count and delete.
        pks = list(attempts.select_for_update().values_list("pk", flat=True))
        attempts = AccessAttempt.objects.filter(pk__in=pks)
        names = set(attempts.exclude(username=None).values_list("username", flat=True))
        of_those_users = AccessAttempt.objects.filter(username__in=names)
        failures = failures_by_username(of_those_users)
        locked_before = locked_out_usernames(of_those_users)
        count, _ = attempts.delete()
        lifted = locked_before - locked_out_usernames(of_those_users)
        for name in sorted(lifted):
            audit_record(
                actor=actor,
                action="account.unlocked",
                obj=_user_named(name),
                reason=reason,
                changes={"username": name, "failures_cleared": failures[name]},
            )
    return count


def account_unlock(*, actor: User, username: str, reason: str) -> int:
    """An administrator lifts a lockout before its cool-off ends."""
    reason = _require_reason(reason)
    with transaction.atomic():
        if not is_locked_out(username):
            raise InvalidTransition(f"{username} is not locked out.")
        return login_attempts_reset(actor=actor, reason=reason, username=username)


# --- one-time passwords -------------------------------------------------------------


def _clean_token(token: str | None) -> str:
    return "".join((token or "").split()).replace("-", "").lower()


def _is_totp_shaped(token: str) -> bool:
    return len(token) == 6 and token.isdigit()


def otp_enrol_confirm(
    *, user: User, key: str, token: str, recovery_code_count: int | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm a new authenticator app with a code from it; returns (device, recovery codes).

    The recovery codes are returned once, to be shown once: only the database keeps them.
    """
    count = recovery_code_count or settings.LFR_OTP_RECOVERY_CODES
    token = _clean_token(token)
    device = TOTPDevice(user=user, key=key, name=TOTP_DEVICE_NAME, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    matched = _is_totp_shaped(token) and totp.verify(int(token), device.tolerance)
    codes = []
    with transaction.atomic():
        if TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).exists():
            raise InvalidTransition("An authenticator app is already set up for this account.")
        if matched:
            device.last_t = totp.t()  # this code cannot be replayed to sign in
            device.save()
            # New codes replace any left from an earlier enrolment.
            StaticDevice.objects.filter(user=user).delete()
            static = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
            codes = [StaticToken.random_token() for _ in range(count)]
            StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
            audit_record(
                actor=user,
                action="account.otp_enrolled",
                obj=user,
                changes={"device": TOTP_DEVICE_NAME, "recovery_codes_issued": count},
            )
        else:
            audit_record(
                actor=user,
                action="account.otp_failed",
                obj=user,
                reason="wrong code while setting up an authenticator app",
                changes={"stage": "enrolment"},
            )
    if not matched:
        raise RuleViolation(
            "That code does not match. Check the time on your phone and enter the code "
            "your app shows now.",
            field="token",
        )
    return device, codes


def _throttled(device: TOTPDevice | StaticDevice) -> str | None:
    allowed, details = device.verify_is_allowed()
    if allowed:
        return None
    until = (details or {}).get("locked_until")
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    return f"Too many wrong codes: wait {seconds} seconds before trying again."


def otp_verify(*, user: User, token: str) -> TOTPDevice | StaticDevice:
    """Check a code from the authenticator app, or a recovery code; returns the device.

    A six-digit code goes to the app's device and anything else to the recovery
    codes, so a mistyped recovery code does not slow down the app and vice versa.
    """
    token = _clean_token(token)
    recovery = not _is_totp_shaped(token)
    model = StaticDevice if recovery else TOTPDevice
    refusal = None
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            if not recovery:
                raise InvalidTransition("Set up an authenticator app first.")
            refusal = "That is not one of your recovery codes."
        elif (message := _throttled(device)) is not None:
            # Refused unchecked: nothing was verified, and a flood must not fill the trail.
            raise RuleViolation(message, field="token", code="throttled")
        elif device.verify_token(token):
            if recovery:
                left = device.token_set.count()
                audit_record(
                    actor=user,
                    action="account.recovery_code_used",
                    obj=user,
                    changes={"recovery_codes_left": left},
                )
            return device
        else:
            refusal = (
                "That is not one of your recovery codes."
                if recovery
                else "That code is not right. Enter the code your app shows now."
            )
        audit_record(
            actor=user,
            action="account.otp_failed",
            obj=user,
            reason="wrong recovery code" if recovery else "wrong authenticator code",
            changes={"stage": "sign-in", "kind": "recovery" if recovery else "totp"},
        )
    raise RuleViolation(refusal, field="token")


def otp_reset(*, actor: User, user: User, reason: str) -> None:
    """Remove a user's authenticator app and recovery codes (a lost phone); they enrol again."""
    reason = _require_reason(reason)
    with transaction.atomic():
        removed_apps, _ = TOTPDevice.objects.filter(user=user).delete()
        removed_codes = StaticDevice.objects.filter(user=user).count()
        StaticDevice.objects.filter(user=user).delete()
        if not removed_apps and not removed_codes:
            raise InvalidTransition(f"{user.get_username()} has no one-time password set up.")
        audit_record(
            actor=actor,
            action="account.otp_reset",
            obj=user,
            reason=reason,
            changes={"authenticator_apps_removed": removed_apps},
        )


# --- single sign-on -------------------------------------------------------------------


def _rank_sync(user: User, rank: str) -> dict[str, Any]:
    """Take the provider's rank when it is one the portal knows; the change, if any."""
    profile, _ = OfficerProfile.objects.get_or_create(user=user)
    if not rank or rank not in Rank.values or rank == profile.rank:
        return {}
    change = {"rank": {"from": profile.rank, "to": rank}}
    profile.rank = rank
    profile.save(update_fields=["rank"])
    return change


def _roles_sync(user: User, had: set[str], roles: Iterable[str]) -> dict[str, Any]:
    """Give the user exactly the portal roles the provider names; the change, if any."""
    wanted = set(roles) & set(Role.values)
    for name in wanted - had:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    if had - wanted:
        user.groups.remove(*Group.objects.filter(name__in=had - wanted))
    # permissions.user_roles caches a user's roles here; the groups just changed under it.
    user._lfr_roles = wanted  # type: ignore[attr-defined]
    if had == wanted:
        return {}
    return {"roles": {"from": sorted(had), "to": sorted(wanted)}}


@transaction.atomic
def account_sync_from_provider(
    *,
    username: str,
    roles: Iterable[str],
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    rank: str = "",
) -> User:
    """Create or update the account the identity provider vouches for.

    The provider is the source of truth for roles: portal roles it does not give are
    removed. Groups that are not portal roles are left alone.
    """
    UserModel = get_user_model()
    user = UserModel.objects.select_for_update().filter(username=username).first()
    created = user is None
    if user is None:
        user = UserModel(username=username)
        # Only the provider signs this account in.
        user.set_unusable_password()
    before = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }
    user.email = email or user.email
    user.first_name = first_name or user.first_name
    user.last_name = last_name or user.last_name
    user.save()
    changes = {
        field: {"from": before[field], "to": getattr(user, field)}
        for field in before
        if before[field] != getattr(user, field)
    }

    changes.update(_rank_sync(user, rank))
    changes.update(_roles_sync(user, set() if created else set(user_roles(user)), roles))

    if created or changes:
        audit_record(
            actor=user,
            action="account.created_by_sso" if created else "account.updated_by_sso",
            obj=user,
            reason="single sign-on",
            changes=changes,
        )
    return user
