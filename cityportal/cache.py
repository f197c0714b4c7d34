# mypy: disable-error-code="attr-defined"
# (the stubs do not describe the private helpers Django's own client is built on)
"""Django's Redis cache, keeping one client per connection pool.

Django builds a new `redis.Redis` object for every cache call; building one sets up a table of
some 170 response callbacks, about 0.3 ms of CPU. Sessions, throttling and the notification
schedule call the cache several times per request, so the clients are kept instead: a
`redis.Redis` object holds no connection of its own (the pool does) and is safe to share.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.utils.functional import cached_property


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self) -> RedisCacheClient:
        return RedisCacheClient(self._servers, **self._options)
