"""The Redis cache, made optional: while Redis is down every read is a miss and every write
is skipped, so a page is rendered from the database instead of failing.

Django's RedisCache raises on a lost connection; the cache here only spares the database,
so losing it must cost speed, never answers.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def _fail_soft(fallback):
    def wrap(method):
        def call(self, *args):
            try:
                return method(self, *args)
            except RedisError as exc:
                log.warning("cache %s skipped: Redis is unreachable (%s)", method.__name__, exc)
                return fallback(*args) if callable(fallback) else fallback

        call.__name__ = method.__name__
        return call

    return wrap


class FailSoftRedisCacheClient(RedisCacheClient):
    get = _fail_soft(lambda key, default: default)(RedisCacheClient.get)
    get_many = _fail_soft(lambda keys: {})(RedisCacheClient.get_many)
    has_key = _fail_soft(False)(RedisCacheClient.has_key)
    add = _fail_soft(False)(RedisCacheClient.add)
    set = _fail_soft(None)(RedisCacheClient.set)
    set_many = _fail_soft(None)(RedisCacheClient.set_many)
    touch = _fail_soft(False)(RedisCacheClient.touch)
    delete = _fail_soft(False)(RedisCacheClient.delete)
    delete_many = _fail_soft(None)(RedisCacheClient.delete_many)
    clear = _fail_soft(False)(RedisCacheClient.clear)


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailSoftRedisCacheClient
