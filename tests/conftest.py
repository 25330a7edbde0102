import pytest
from django.conf import settings

from lfr_portal.models import Role
from tests.db_roles import (  # noqa: F401 (fixtures: the suite runs as the two roles)
    _flush_as_superuser,
    django_db_modify_db_settings,
    django_db_setup,
)
from tests.factories import user_with_role


@pytest.fixture(autouse=True)
def _media_in_tmp(tmp_path, settings):
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    settings.MEDIA_ROOT = media


@pytest.fixture
def planner(db):
    return user_with_role(Role.DEPLOYMENT_PLANNER)


@pytest.fixture
def ao(db):
    return user_with_role(Role.AUTHORISING_OFFICER)


@pytest.fixture
def ao2(db):
    return user_with_role(Role.AUTHORISING_OFFICER)


@pytest.fixture
def manager(db):
    return user_with_role(Role.WATCHLIST_MANAGER)


@pytest.fixture
def manager2(db):
    return user_with_role(Role.WATCHLIST_MANAGER)


@pytest.fixture
def operator(db):
    return user_with_role(Role.OPERATOR)


@pytest.fixture
def field_officer(db):
    return user_with_role(Role.FIELD_OFFICER)


@pytest.fixture
def compliance(db):
    return user_with_role(Role.COMPLIANCE_OFFICER)


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return f"database: {db['ENGINE']} {db['NAME']}"
