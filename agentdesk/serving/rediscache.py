"""Django's Redis cache with one connection pool per worker process.

Django keeps one cache object per async context, so under ASGI every request built a new
`RedisCacheClient` and with it a new connection pool: each cache read opened a fresh TCP
connection to Redis. Here every cache object of the process shares one client (one pool per
server). The pool is a `BlockingConnectionPool`: when all its connections are busy a caller
waits for one (up to `timeout` seconds) instead of failing, as redis-py 8's default pool
does past its limit.

Django's async cache methods run the sync ones through `sync_to_async` with its default
`thread_sensitive=True`: every read queues on one shared thread (after a deploy, thousands
of agents' reference data read at once). The shared client is thread-safe, so here they run
in the worker-thread pool side by side.

Django has no setting for either, so this replaces `RedisCache._cache` (the property every
cache method reads its client from) and reads the `_servers`, `_options` and `_class` its
constructor keeps; tests/test_framework_adapters.py fails when an upgrade changes them.
"""

from __future__ import annotations

import threading
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_clients: dict[tuple[Any, ...], RedisCacheClient] = {}
_lock = threading.Lock()

POOL_DEFAULTS: dict[str, Any] = {
    "pool_class": "redis.BlockingConnectionPool",
    "max_connections": 50,
    "timeout": 5,
}


def _in_thread_pool(name: str) -> Any:  # typed as each replaced method
    async def method(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        return await sync_to_async(getattr(self, name), thread_sensitive=False)(*args, **kwargs)

    method.__name__ = f"a{name}"
    return method


class SharedPoolRedisCache(RedisCache):
    aget = _in_thread_pool("get")
    aset = _in_thread_pool("set")
    aadd = _in_thread_pool("add")
    adelete = _in_thread_pool("delete")
    aget_many = _in_thread_pool("get_many")
    aset_many = _in_thread_pool("set_many")
    ahas_key = _in_thread_pool("has_key")
    aincr = _in_thread_pool("incr")
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
