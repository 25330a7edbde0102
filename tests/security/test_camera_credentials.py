"""A password in a camera URL is encrypted at rest and never shown, logged or audited."""

import importlib
import json
import logging
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection

from lfr_portal.encryption import field_cipher
from lfr_portal.models import AuditEvent, Camera, DeploymentCamera
from lfr_portal.services.cameras import camera_create
from matcher import jobs
from tests.builders import live
from tests.factories import BookingFactory, DeploymentFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Pa55-w0rd-Zq81"
URL = f"rtsp://officer:{PASSWORD}@10.0.0.9/stream"
MASKED = "rtsp://officer:***@10.0.0.9/stream"


def stored_column(camera):
    with connection.cursor() as cursor:
        cursor.execute("SELECT source_url FROM lfr_portal_camera WHERE id = %s", [camera.pk])
        return cursor.fetchone()[0]


def audit_text():
    return json.dumps(
        list(AuditEvent.objects.values("action", "object_repr", "reason", "changes")),
        default=str,
    )


def test_the_url_is_encrypted_at_rest_and_read_back_in_clear(planner):
    camera = camera_create(actor=planner, name="Station north", source_url=URL)

    raw = stored_column(camera)
    assert PASSWORD not in raw and "10.0.0.9" not in raw and "officer" not in raw
    assert field_cipher().decrypt(raw.encode()).decode() == URL
    assert Camera.objects.get(pk=camera.pk).source_url == URL


def test_the_api_shows_the_url_only_masked(api, planner):
    api.force_authenticate(planner)

    created = api.post(
        "/api/cameras/create/", {"name": "Station north", "source_url": URL}, format="json"
    )
    listed = api.get("/api/cameras/")

    assert created.status_code == 201 and listed.status_code == 200
    for response in (created, listed):
        assert PASSWORD not in response.content.decode()
    assert created.json()["source_url_masked"] == MASKED
    assert "source_url" not in created.json()


def test_the_audit_trail_never_holds_the_url(api, planner):
    api.force_authenticate(planner)
    api.post("/api/cameras/create/", {"name": "Station north", "source_url": URL}, format="json")

    assert AuditEvent.objects.filter(action="camera.create").exists()
    assert PASSWORD not in audit_text() and "10.0.0.9" not in audit_text()


def test_pages_show_the_url_only_masked(client, planner):
    camera = camera_create(actor=planner, name="Station north", source_url=URL)
    deployment = DeploymentFactory(created_by=planner)
    BookingFactory(deployment=deployment, camera=camera)
    client.force_login(planner)

    detail = client.get(f"/deployments/{deployment.public_id}/")
    assert detail.status_code == 200 and "Station north" in detail.content.decode()
    assert PASSWORD not in detail.content.decode()

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = client.get("/admin/lfr_portal/camera/")
    change = client.get(f"/admin/lfr_portal/camera/{camera.pk}/change/")
    for response in (listing, change):
        assert response.status_code == 200
        assert PASSWORD not in response.content.decode()
    assert MASKED in change.content.decode()


def test_the_worker_log_and_the_camera_state_never_hold_the_password(
    operator, settings, monkeypatch, caplog
):
    deployment = live(operator)
    booking = DeploymentCamera.objects.get(deployment=deployment)
    Camera.objects.filter(pk=booking.camera_id).update(source_url=URL)
    # Taken off the camera networks: the worker refuses and says so, without connecting.
    settings.LFR_CAMERA_NETWORKS = ["10.20.0.0/16"]
    monkeypatch.setattr(jobs, "get_engine", lambda name: object())

    with caplog.at_level(logging.DEBUG):
        outcome = jobs.run_camera_job(booking.pk, time_budget=1)

    booking.refresh_from_db()
    assert outcome == jobs.JobOutcome.FAILED
    assert "10.0.0.9" in caplog.text  # the log says which camera host was refused
    assert PASSWORD not in caplog.text
    assert PASSWORD not in booking.state_detail
    assert AuditEvent.objects.filter(action="camera.state").exists()
    assert PASSWORD not in audit_text()


def test_the_encrypted_column_cannot_be_searched():
    with pytest.raises(FieldError):
        list(Camera.objects.filter(source_url=URL))


def test_a_new_key_can_be_rolled_in_while_old_rows_still_read(planner, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LFR_FIELD_ENCRYPTION_KEY = old_key
    camera = camera_create(actor=planner, name="Station north", source_url=URL)

    # The first key encrypts, every key decrypts.
    settings.LFR_FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
    assert Camera.objects.get(pk=camera.pk).source_url == URL

    settings.LFR_FIELD_ENCRYPTION_KEY = new_key
    with pytest.raises(ImproperlyConfigured, match="LFR_FIELD_ENCRYPTION_KEY"):
        Camera.objects.get(pk=camera.pk)


def test_the_migration_encrypts_urls_stored_in_clear(planner):
    camera = camera_create(actor=planner, name="Station north", source_url=URL)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE lfr_portal_camera SET source_url = %s WHERE id = %s", [URL, camera.pk]
        )
    migration = importlib.import_module("lfr_portal.migrations.0008_camera_source_encrypted")
    editor = SimpleNamespace(connection=connection)

    migration.encrypt_sources(apps, editor)
    once = stored_column(camera)
    migration.encrypt_sources(apps, editor)  # a second run leaves encrypted rows alone

    assert PASSWORD not in once and stored_column(camera) == once
    assert Camera.objects.get(pk=camera.pk).source_url == URL
    migration.decrypt_sources(apps, editor)
    assert stored_column(camera) == URL


def test_a_dump_holds_the_url_only_encrypted_and_loads_back(planner, tmp_path):
    from django.core.management import call_command

    camera = camera_create(actor=planner, name="Station north", source_url=URL)
    for fmt in ("json", "xml", "yaml"):
        out = tmp_path / f"cameras.{fmt}"
        call_command("dumpdata", "lfr_portal.camera", format=fmt, output=str(out))
        text = out.read_text()
        assert PASSWORD not in text and "10.0.0.9" not in text and "officer" not in text, fmt
        assert "fernet:" in text, fmt
    dump = tmp_path / "cameras.json"

    Camera.objects.filter(pk=camera.pk).update(name="changed")
    call_command("loaddata", str(dump), verbosity=0)
    loaded = Camera.objects.get(pk=camera.pk)
    assert loaded.name == "Station north" and loaded.source_url == URL
    assert PASSWORD not in stored_column(loaded)
