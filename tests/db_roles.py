"""Run the suite with production's two PostgreSQL roles (lfr_portal/audit_db.py).

The test database is created and migrated by the owner role; the tests then connect
as the application role, which may only SELECT and INSERT on the audit log. The
roles are created here (as the superuser DATABASE_URL names) if they are missing.
Transactional tests empty the database between tests with TRUNCATE, which the log
refuses to every role: that one step runs as the superuser with triggers off.
"""

from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from lfr_portal import audit_db


def superuser_connect(dbname=None, **kwargs):
    db = connections["default"].settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=settings.LFR_DB_SUPERUSER,
        dbname=dbname or db["NAME"],
        **kwargs,
    )


def use_role(role, alias="default", **options):
    connection = connections[alias]
    connection.close()
    connection.settings_dict["USER"] = role
    connection.settings_dict.setdefault("OPTIONS", {}).update(options)


@contextmanager
def as_superuser_without_triggers(alias="default"):
    connection = connections[alias]
    user = connection.settings_dict["USER"]
    previous = connection.settings_dict.get("OPTIONS", {}).get("options")
    use_role(settings.LFR_DB_SUPERUSER, alias, options="-c session_replication_role=replica")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"] = user
        if previous is None:
            connection.settings_dict["OPTIONS"].pop("options", None)
        else:
            connection.settings_dict["OPTIONS"]["options"] = previous


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    if not settings.LFR_TEST_DB_ROLES:
        return
    owner = settings.LFR_DB_OWNER_ROLE
    test_name = connections["default"].creation._get_test_db_name()
    with superuser_connect("postgres", autocommit=True) as conn, conn.cursor() as cursor:
        audit_db.create_roles(cursor, owner_role=owner, app_role=settings.LFR_DB_APP_ROLE)
        # A test database another role created (before the roles existed) cannot be
        # dropped and recreated by the owner: drop it here.
        cursor.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [test_name]
        )
        found = cursor.fetchone()
        if found and found[0] != owner:
            cursor.execute(f'DROP DATABASE "{test_name}" WITH (FORCE)')
    use_role(owner)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    if not settings.LFR_TEST_DB_ROLES:
        yield
        return
    with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
        # Tables a later migration made are covered by default privileges; this
        # also covers a database kept with --reuse-db from before the roles.
        audit_db.grant_app_role(cursor, settings.LFR_DB_APP_ROLE)
    use_role(settings.LFR_DB_APP_ROLE)
    yield
    use_role(settings.LFR_DB_OWNER_ROLE)


@pytest.fixture(scope="session", autouse=True)
def _flush_as_superuser():
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def fixture_teardown(self):
        if not settings.LFR_TEST_DB_ROLES:
            return original(self)
        with as_superuser_without_triggers():
            return original(self)

    TransactionTestCase._fixture_teardown = fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = original
