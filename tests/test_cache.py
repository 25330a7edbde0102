"""The Redis cache is optional: with Redis down every read misses and every write is
skipped, so pages are rendered from the database instead of failing."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.utils.crypto import get_random_string

from tests.processes import free_port


def cache_at(settings, location):
    settings.CACHES = {
        "default": {
            "BACKEND": "lfr_portal.cache.FailSoftRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            "KEY_PREFIX": get_random_string(12),
        }
    }
    return caches["default"]


def test_with_redis_down_reads_miss_and_writes_are_skipped(settings):
    cache = cache_at(settings, f"redis://127.0.0.1:{free_port()}/0")
    assert cache.get("key", "default") == "default"
    cache.set("key", "value")
    assert cache.add("key", "value") is False
    assert cache.get_many(["key", "other"]) == {}
    assert cache.has_key("key") is False
    assert cache.delete("key") is False
    cache.set_many({"key": 1})
    cache.delete_many(["key"])
    assert cache.get_or_set("key", lambda: "computed") == "computed"


def test_with_redis_up_it_is_an_ordinary_redis_cache(settings):
    cache = cache_at(settings, django_settings.CELERY_RESULT_BACKEND)
    cache.set("key", {"a": 1}, 30)
    assert cache.get("key") == {"a": 1}
    assert cache.get_many(["key"]) == {"key": {"a": 1}}
    cache.delete("key")
    assert cache.get("key") is None


@pytest.mark.django_db
def test_the_transparency_page_answers_from_the_database_while_redis_is_down(client, settings):
    cache_at(settings, f"redis://127.0.0.1:{free_port()}/0")
    assert client.get("/transparency/").status_code == 200
