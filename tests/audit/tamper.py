"""Database connections an attacker would use, for the audit tamper tests.

The tests' own connection is the application role; these open separate ones, so the
rows they touch must be committed (transactional tests).
"""

import psycopg
from django.conf import settings
from django.db import connections


def connect(role, *, triggers=True):
    db = connections["default"].settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=role,
        dbname=db["NAME"],
        autocommit=True,
        # A superuser can switch ordinary triggers off for its session.
        options="" if triggers else "-c session_replication_role=replica",
    )


def superuser(*, triggers=True):
    return connect(settings.LFR_DB_SUPERUSER, triggers=triggers)


def app_role():
    return connect(settings.LFR_DB_APP_ROLE)


def owner_role():
    return connect(settings.LFR_DB_OWNER_ROLE)
