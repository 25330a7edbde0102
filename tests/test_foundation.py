"""The ground everything stands on: PostgreSQL, Redis, a real worker, clear config errors."""

import os
import subprocess
from importlib import metadata

import pytest
import redis
from django.conf import settings
from django.db import connection

from lfr_portal.celery import app
from lfr_portal.models import WorkerHeartbeat
from tests.processes import ROOT, VENV_BIN, celery_worker, child_env, wait_for


def test_tests_run_on_postgresql(db):
    assert connection.vendor == "postgresql"


def test_tests_use_redis_as_broker():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).ping() is True


def test_exactly_one_opencv_distribution_is_installed():
    names = {
        (dist.metadata["Name"] or "").lower()
        for dist in metadata.distributions()
        if (dist.metadata["Name"] or "").lower().startswith("opencv")
    }
    assert names == {"opencv-python-headless"}


def test_home_page_answers_and_a_user_can_log_in(client, planner):
    assert client.get("/").status_code == 200
    response = client.post(
        "/accounts/login/", {"username": planner.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_runs_a_task_through_redis(tmp_path):
    with celery_worker(tmp_path) as worker:
        replies = app.control.ping(timeout=5)
        assert any(name.startswith(f"test-{os.getpid()}@") for reply in replies for name in reply)
        app.send_task("lfr_portal.worker_heartbeat", kwargs={"queue": "default"})
        heartbeat = wait_for(lambda: WorkerHeartbeat.objects.first(), timeout=30)
    assert heartbeat is not None, worker.log_text
    assert "lfr_portal.worker_heartbeat" in worker.log_text
    assert "succeeded" in worker.log_text


def _run(args, **env):
    return subprocess.run(
        args,
        cwd=ROOT,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


LOCAL = {"DJANGO_SETTINGS_MODULE": "lfr_portal.settings.local"}
# A fixed, valid Fernet key for the production-settings checks (never a real one).
FIELD_KEY = "Zml4ZWQtdGVzdC1rZXktbm90LWEtc2VjcmV0LTAwMDA="  # b"fixed-test-key-not-a-secret-0000"


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:1/nothing", "nonsense", "mysql://root@127.0.0.1/x"],
)
def test_bad_database_url_gives_one_line_naming_the_setting(url, tmp_path):
    result = _run(
        [str(VENV_BIN / "python"), "manage.py", "migrate"],
        DATABASE_URL=url,
        LFR_VAR_DIR=str(tmp_path),
        **LOCAL,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0]


def test_unreachable_broker_gives_one_line_naming_the_setting(tmp_path):
    env = {"CELERY_BROKER_URL": "redis://127.0.0.1:1/0", "LFR_VAR_DIR": str(tmp_path), **LOCAL}
    preflight = _run([str(VENV_BIN / "python"), "manage.py", "preflight"], **env)
    assert preflight.returncode != 0
    assert "Traceback" not in preflight.stderr
    assert len(preflight.stderr.strip().splitlines()) == 1
    assert "CELERY_BROKER_URL" in preflight.stderr

    worker = _run([str(VENV_BIN / "celery"), "-A", "lfr_portal", "worker", "-c", "1"], **env)
    assert worker.returncode == 2
    assert "Traceback" not in worker.stderr
    error_lines = [line for line in worker.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "CELERY_BROKER_URL" in error_lines[0], worker.stderr


def _audit_key(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key_file = tmp_path / "audit-key.pem"
    key_file.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key_file


def _check_deploy(tmp_path, **env):
    """`check --deploy` on production settings, database checks included."""
    return _run(
        [
            str(VENV_BIN / "python"),
            "manage.py",
            "check",
            "--deploy",
            "--database",
            "default",
            "--fail-level",
            "WARNING",
            "--settings=lfr_portal.settings.production",
        ],
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "x7Qp2" * 10,
        DJANGO_ALLOWED_HOSTS="lfr.example.police.uk",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        LFR_AUDIT_SIGNING_KEY_FILE=str(_audit_key(tmp_path)),
        LFR_FIELD_ENCRYPTION_KEY=FIELD_KEY,
        LFR_CAMERA_NETWORKS="10.20.0.0/16",
        LFR_VAR_DIR=str(tmp_path),
        **env,
    )


def _url_as(role):
    db = connection.settings_dict
    return f"postgresql://{role}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def two_roles():
    if not settings.LFR_TEST_DB_ROLES:
        pytest.skip("LFR_TEST_DB_ROLES=0: the suite runs with one database role")
    return _url_as(settings.LFR_DB_APP_ROLE), _url_as(settings.LFR_DB_OWNER_ROLE)


def test_production_settings_pass_check_deploy(tmp_path, two_roles):
    app_url, owner_url = two_roles
    result = _check_deploy(tmp_path, DATABASE_URL=app_url, DATABASE_OWNER_URL=owner_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_wants_a_separate_owner_role(tmp_path, two_roles):
    app_url, _ = two_roles
    result = _check_deploy(tmp_path, DATABASE_URL=app_url)
    assert result.returncode != 0
    assert "lfr_portal.E031" in result.stderr
    same = _check_deploy(tmp_path, DATABASE_URL=app_url, DATABASE_OWNER_URL=app_url)
    assert "lfr_portal.E031" in same.stderr
    assert "same role" in same.stderr


def test_check_deploy_refuses_a_role_that_may_rewrite_the_audit_log(tmp_path, two_roles):
    # The superuser holds every privilege, as a portal wrongly connected as the owner would.
    _, owner_url = two_roles
    result = _check_deploy(
        tmp_path, DATABASE_URL=_url_as(settings.LFR_DB_SUPERUSER), DATABASE_OWNER_URL=owner_url
    )
    assert result.returncode != 0
    assert "lfr_portal.E030" in result.stderr
    assert "UPDATE on lfr_portal_auditevent" in result.stderr


def test_check_deploy_fails_without_the_audit_signing_key(tmp_path):
    result = _run(
        [
            str(VENV_BIN / "python"),
            "manage.py",
            "check",
            "--deploy",
            "--settings=lfr_portal.settings.production",
        ],
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "x7Qp2" * 10,
        DJANGO_ALLOWED_HOSTS="lfr.example.police.uk",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        LFR_AUDIT_SIGNING_KEY_FILE=str(tmp_path / "missing.pem"),
        LFR_FIELD_ENCRYPTION_KEY=FIELD_KEY,
        LFR_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "lfr_portal.E001" in result.stderr


def test_production_settings_refuse_to_start_without_a_secret(tmp_path):
    env = child_env(DJANGO_ALLOWED_HOSTS="lfr.example.police.uk", LFR_VAR_DIR=str(tmp_path))
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [
            str(VENV_BIN / "python"),
            "manage.py",
            "check",
            "--settings=lfr_portal.settings.production",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: DJANGO_SECRET_KEY must be set in the environment."
