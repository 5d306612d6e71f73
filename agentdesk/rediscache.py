"""Django's Redis cache with one connection pool per worker process.

Django keeps one cache object per async context, so under ASGI every request built a new
`RedisCacheClient` and with it a new connection pool: each cache read opened a fresh TCP
connection to Redis. Here every cache object of the process shares one client (one pool per
server). The pool is a `BlockingConnectionPool`: when all its connections are busy a caller
waits for one (up to `timeout` seconds) instead of failing, as redis-py 8's default pool
does past its limit.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_clients: dict[tuple, RedisCacheClient] = {}
_lock = threading.Lock()

POOL_DEFAULTS: dict[str, Any] = {
    "pool_class": "redis.BlockingConnectionPool",
    "max_connections": 50,
    "timeout": 5,
}


class SharedPoolRedisCache(RedisCache):
    _servers: list[str]
    _options: dict[str, Any]
    _class: type[RedisCacheClient]

    @property
    def _cache(self) -> RedisCacheClient:
        options = {**POOL_DEFAULTS, **self._options}
        key = (tuple(self._servers), tuple(sorted((k, repr(v)) for k, v in options.items())))
        client = _clients.get(key)
        if client is None:
            with _lock:
                client = _clients.get(key)
                if client is None:
                    client = _clients[key] = self._class(self._servers, **options)
        return client
