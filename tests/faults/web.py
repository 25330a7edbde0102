"""Talking to the web app under gunicorn as a signed-in user, and timing its answers."""

import time
from dataclasses import dataclass

import requests
from django.test import Client
from django.utils.crypto import get_random_string


@dataclass
class Answer:
    path: str
    status: int | None  # None: no answer at all (refused, reset or timed out)
    seconds: float
    content_type: str = ""
    body: str = ""

    def __str__(self):
        return f"{self.path} -> {self.status} in {self.seconds:.2f} s {self.body[:120]!r}"


class SignedIn:
    """Requests to `base` as `user`: the session is one a test client's force_login stored
    in the database, and the CSRF cookie and header match, as the live view's script sends."""

    def __init__(self, user, base=""):
        client = Client()
        client.force_login(user)
        csrf = get_random_string(32)
        self.base = base
        self.headers = {
            "Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
        }

    def get(self, path, timeout=15):
        return _timed("GET", self.base, path, self.headers, timeout)

    def post(self, path, timeout=15):
        return _timed("POST", self.base, path, self.headers, timeout)


def public_get(base, path, timeout=15):
    return _timed("GET", base, path, {}, timeout)


def _timed(method, base, path, headers, timeout):
    started = time.monotonic()
    try:
        response = requests.request(method, base + path, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        return Answer(path, None, time.monotonic() - started, body=repr(exc))
    return Answer(
        path,
        response.status_code,
        time.monotonic() - started,
        response.headers.get("Content-Type", ""),
        response.text,
    )
