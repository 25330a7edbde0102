"""HTTP: a Content-Security-Policy without inline script, the usual security headers, and
CSRF on every form and on session-authenticated API calls."""

import re
from pathlib import Path

import pytest
from django.test import Client

from lfr_portal.models import Camera
from lfr_portal.settings.base import _tile_source

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def policy(response):
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/transparency/", "/dashboard/"])
def test_every_page_carries_a_strict_policy_and_the_security_headers(client, planner, path):
    client.force_login(planner)

    response = client.get(path)

    assert response.status_code == 200
    csp = policy(response)
    for directive in ("default-src", "script-src", "style-src"):
        assert csp[directive] == ["'self'"], directive
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert "https://tile.openstreetmap.org" in csp["img-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "geolocation=(self)" in response["Permissions-Policy"]


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://tile.openstreetmap.org"]),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", ["https://*.tile.example.org"]),
        ("not a url", []),
    ],
)
def test_the_map_tile_host_is_let_in_for_images(template, source):
    assert _tile_source(template) == source


@pytest.mark.django_db
def test_the_api_description_runs_no_inline_script(client):
    response = client.get("/api/schema/ui/")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    # Only this page lets Swagger UI's CDN in.
    assert "https://cdn.jsdelivr.net" in policy(response)["script-src"]
    assert client.get("/api/schema/ui/?script=").status_code == 200


def all_templates():
    return sorted(TEMPLATES.rglob("*.html"))


def test_the_templates_were_found():
    names = {path.relative_to(TEMPLATES).as_posix() for path in all_templates()}
    assert {"base.html", "transparency/index.html", "deployments/detail.html"} <= names


@pytest.mark.parametrize("path", all_templates(), ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_no_template_has_inline_script_or_style(path):
    html = path.read_text()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"<style\b", html) == []
    assert re.findall(r"\sstyle\s*=", html) == []
    assert re.findall(r"\son[a-z]+\s*=", html) == []
    assert "javascript:" not in html


@pytest.mark.parametrize("path", all_templates(), ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_every_post_form_in_the_templates_carries_the_csrf_token(path):
    html = path.read_text()

    for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S | re.I):
        if re.search(r"method=\"post\"", form.split(">", 1)[0], flags=re.I):
            assert "{% csrf_token %}" in form, form[:120]


@pytest.mark.django_db
def test_a_page_form_posted_without_the_csrf_token_is_refused(planner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(planner)

    refused = client.post("/deployments/new/", {"title": "Town centre"})
    token = str(client.get("/deployments/new/").context["csrf_token"])
    accepted = client.post(
        "/deployments/new/", {"title": "Town centre", "csrfmiddlewaretoken": token}
    )

    assert refused.status_code == 403
    assert accepted.status_code != 403


@pytest.mark.django_db
def test_a_session_authenticated_api_call_needs_the_csrf_token(planner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(planner)
    body = {"name": "Mast 1", "source_url": "rtsp://10.0.0.5/stream"}

    refused = client.post("/api/cameras/create/", body, content_type="application/json")
    token = str(client.get("/dashboard/").context["csrf_token"])
    accepted = client.post(
        "/api/cameras/create/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201
    assert Camera.objects.count() == 1
