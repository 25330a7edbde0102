from binascii import unhexlify

import pytest
from django_otp.oath import totp

PASSWORD = "correct-horse-battery"


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True


@pytest.fixture
def otp_on(settings):
    settings.LFR_OTP_REQUIRED = True


def log_in(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def code_now(hex_key):
    """The code an authenticator app holding this key shows now."""
    return f"{totp(unhexlify(hex_key)):06d}"


def code_not_accepted(hex_key):
    """A six-digit code matching none of the steps the server accepts (now, one either side)."""
    accepted = {f"{totp(unhexlify(hex_key), drift=step):06d}" for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)
