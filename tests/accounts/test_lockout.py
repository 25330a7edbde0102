"""Log-in lockout (django-axes): the lock, its cool-off, and every unlock, on the audit trail."""

from datetime import datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from lfr_portal.models import AuditEvent
from tests.accounts.conftest import log_in

pytestmark = pytest.mark.usefixtures("axes_on")


def lock_out(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, user.username, "wrong").status_code == 200
    return log_in(client, user.username, "wrong")


def test_the_fifth_failure_locks_the_account_and_says_so(client, planner, settings):
    assert settings.AXES_FAILURE_LIMIT == 5

    locking = lock_out(client, planner, settings)

    assert locking.status_code == 429
    assert "This account is locked" in locking.content.decode()
    assert "locked for 30 minutes" in locking.content.decode()
    # The right password is refused too while the lock holds.
    refused = log_in(client, planner.username)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_audited_once(client, planner, settings):
    lock_out(client, planner, settings)
    log_in(client, planner.username)
    log_in(client, planner.username, "wrong again")

    row = AuditEvent.objects.get(action="account.locked_out")
    assert row.actor_username == "system"
    assert row.object_repr == planner.username
    assert row.changes["username"] == planner.username
    assert row.changes["failures"] == 5
    assert row.client_address == "127.0.0.1"
    locked_until = datetime.fromisoformat(row.changes["locked_until"])
    assert abs(locked_until - (row.occurred_at + timedelta(minutes=30))) < timedelta(seconds=5)


def test_a_lock_on_an_unknown_username_is_audited_without_an_account(client, db, settings):
    for _ in range(5):
        log_in(client, "nobody-here", "guess")

    row = AuditEvent.objects.get(action="account.locked_out")
    assert row.object_type == ""
    assert row.changes["username"] == "nobody-here"


def test_the_lock_lapses_after_the_cool_off(client, planner, settings):
    lock_out(client, planner, settings)

    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        response = log_in(client, planner.username)

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_a_success_clears_earlier_failures(client, planner, settings):
    for _ in range(4):
        log_in(client, planner.username, "wrong")
    assert log_in(client, planner.username).status_code == 302
    client.logout()

    assert log_in(client, planner.username, "wrong").status_code == 200
    assert not AuditEvent.objects.filter(action="account.locked_out").exists()


def test_unlock_command_lifts_the_lock_with_an_audit_row(client, planner, admin_user, settings):
    lock_out(client, planner, settings)

    call_command(
        "account_unlock",
        planner.username,
        "--reason",
        "officer rang the service desk",
        "--by",
        admin_user.username,
    )

    row = AuditEvent.objects.get(action="account.unlocked")
    assert row.actor_username == admin_user.username
    assert row.reason == "officer rang the service desk"
    assert row.object_repr == planner.username
    assert row.changes == {"username": planner.username, "failures_cleared": 5}
    assert log_in(client, planner.username).status_code == 302


def test_unlock_refuses_an_account_that_is_not_locked(planner):
    with pytest.raises(CommandError, match="is not locked out"):
        call_command("account_unlock", planner.username, "--reason", "just in case")
    assert not AuditEvent.objects.filter(action="account.unlocked").exists()


def test_axes_own_reset_command_is_audited(client, planner, operator, settings):
    lock_out(client, planner, settings)
    log_in(client, operator.username, "wrong")  # one failure: not a lockout

    call_command("axes_reset")

    assert not AccessAttempt.objects.exists()
    row = AuditEvent.objects.get(action="account.unlocked")
    assert row.actor_username == "system"
    assert row.changes["username"] == planner.username
    assert "django-axes" in row.reason


def test_superuser_unlocks_in_the_admin_with_an_audit_row(client, admin_client, planner, settings):
    lock_out(client, planner, settings)
    attempt = AccessAttempt.objects.get(username=planner.username)

    response = admin_client.post(
        "/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": [attempt.pk]}
    )

    assert response.status_code == 302
    row = AuditEvent.objects.get(action="account.unlocked")
    assert row.actor_username == "admin"
    assert row.reason == "unlocked from the admin site"
    assert not AccessAttempt.objects.filter(username=planner.username).exists()


def test_the_api_token_endpoint_counts_failures_and_respects_the_lock(client, planner, settings):
    def token_request(password):
        return client.post(
            "/api/auth/token/",
            {"username": planner.username, "password": password},
            content_type="application/json",
        )

    for _ in range(5):
        assert token_request("wrong").status_code == 400
    assert AuditEvent.objects.filter(action="account.locked_out").count() == 1

    refused = token_request("correct-horse-battery")
    # DRF's own refusal (axes marks DRF's request, which its middleware does not see).
    assert refused.status_code == 400
    assert "token" not in refused.json()
