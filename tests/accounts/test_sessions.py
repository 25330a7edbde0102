"""Sessions end after a period without requests; password rules stay on."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone


def test_idle_timeout_defaults_to_thirty_minutes(settings):
    assert settings.LFR_SESSION_IDLE_MINUTES == 30
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_activity_keeps_a_session_and_idleness_ends_it(client, planner, settings):
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(planner)
        assert client.get("/dashboard/").status_code == 200

        # Two gaps shorter than the limit: 40 minutes signed in, never 30 idle.
        for _ in range(2):
            clock.shift(idle - timedelta(minutes=10))
            assert client.get("/dashboard/").status_code == 200

        clock.shift(idle + timedelta(minutes=1))
        expired = client.get("/dashboard/")

    assert expired.status_code == 302
    assert expired["Location"] == "/accounts/login/?next=/dashboard/"


def test_idle_session_is_refused_by_the_api_too(client, planner, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(planner)
        assert client.get("/api/deployments/").status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        assert client.get("/api/deployments/").status_code == 403


@pytest.mark.parametrize("weak", ["password", "12345678901", "short"])
def test_password_validators_refuse_weak_passwords(weak):
    with pytest.raises(ValidationError):
        validate_password(weak)
