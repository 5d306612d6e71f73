"""The framework internals agentdesk's adapters rely on (agentdesk/serving/bodylimit.py,
agentdesk/serving/wsauth.py, agentdesk/serving/rediscache.py, agentdesk/liveaccess/consumers.py):
each test here fails when an upgrade of Daphne, Twisted, Channels or Django moves what the
adapter reaches into, before the slower behaviour tests (test_body_limits.py,
test_reconnect_path.py) show it in a running server."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from channels.auth import AuthMiddleware, get_user
from channels.consumer import AsyncConsumer
from channels.db import DatabaseSyncToAsync
from daphne import http_protocol
from django.conf import settings
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.web import http

from agentdesk.serving.bodylimit import install_daphne_guard


@pytest.fixture
def daphne_connection() -> Iterator[tuple[Any, StringTransport, list[Any]]]:
    """A connection built by Daphne's own factory, its requests kept instead of run."""
    install_daphne_guard()
    processed: list[Any] = []
    factory = http_protocol.HTTPFactory(mock.Mock())
    protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    transport = StringTransport()
    protocol.makeConnection(transport)
    daphne_request = http_protocol.WebRequest.__mro__[1]  # Daphne's own, under the limit

    def keep(request: Any) -> None:
        processed.append(request)

    with (
        mock.patch.object(daphne_request, "process", keep),
        mock.patch("twisted.internet.reactor.callLater"),
    ):
        yield protocol, transport, processed


def test_daphne_builds_its_requests_from_the_limited_class(daphne_connection):
    protocol, transport, _ = daphne_connection
    too_long = settings.REQUEST_BODY_MAX_BYTES + 1
    protocol.dataReceived(
        b"POST /accounts/login/ HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % too_long
    )
    assert getattr(protocol.requestFactory, "agentdesk_limited", False)
    assert transport.value().startswith(b"HTTP/1.1 413 ")


def test_a_streamed_body_is_counted_chunk_by_chunk(daphne_connection):
    protocol, transport, processed = daphne_connection
    protocol.dataReceived(
        b"POST /accounts/login/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = 64 * 1024
    for _ in range(settings.REQUEST_BODY_MAX_BYTES // chunk + 2):
        protocol.dataReceived(b"%x\r\n" % chunk + b"a" * chunk + b"\r\n")
    assert transport.value().startswith(b"HTTP/1.1 413 ")
    assert processed == []


def test_the_route_is_known_before_the_body_and_a_form_is_not_parsed_by_twisted(
    daphne_connection,
):
    protocol, transport, processed = daphne_connection
    body = b"a=1&b=2"
    request = (
        b"POST /imports/new HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
        % len(body)
        + body
    )
    protocol.dataReceived(request)
    (limited,) = processed
    assert limited._body_limit > settings.REQUEST_BODY_MAX_BYTES  # the CSV upload's own limit
    assert limited.args == {}
    assert limited.content.getvalue() == body

    # Twisted's own request would have parsed the form into memory: the flag still matters.
    def keep_plain(request: Any) -> None:
        processed.append(request)

    plain = http.HTTPChannel()
    plain.requestFactory = type("Kept", (http.Request,), {"process": keep_plain})
    plain.makeConnection(StringTransport())
    plain.dataReceived(request)
    assert processed[-1] is not limited
    assert processed[-1].args == {b"a": [b"1"], b"b": [b"2"]}
    assert transport.value() == b""


def test_channels_session_lookup_is_still_a_sync_function_in_a_wrapper():
    """wsauth runs `get_user.func` itself, in the worker pool, from `resolve_scope`."""
    assert isinstance(get_user, DatabaseSyncToAsync)
    assert not inspect.iscoroutinefunction(get_user.func)
    assert "resolve_scope" in inspect.getsource(AuthMiddleware.__call__)


def test_channels_dispatch_is_still_what_access_checked_consumers_replace():
    """liveaccess's `_handle` is Channels' `dispatch` without `aclose_old_connections`; if
    Channels' dispatch does more, the copy must learn it too."""
    code = AsyncConsumer.dispatch.__code__
    assert set(code.co_names) == {
        "getattr",
        "get_handler_name",
        "aclose_old_connections",
        "ValueError",
    }
    assert "self.dispatch" in inspect.getsource(AsyncConsumer.__call__)


def test_every_redis_cache_object_of_a_worker_shares_one_client_and_pool():
    """rediscache replaces `RedisCache._cache`, which Django's cache methods read their client
    from, and builds it from what Django's constructor keeps."""
    from django.core.cache.backends.redis import RedisCache, RedisCacheClient

    from agentdesk.serving.rediscache import SharedPoolRedisCache

    assert "self._cache" in inspect.getsource(RedisCache.get)
    first = SharedPoolRedisCache("redis://127.0.0.1:6379/9", {"OPTIONS": {"timeout": 3}})
    second = SharedPoolRedisCache("redis://127.0.0.1:6379/9", {"OPTIONS": {"timeout": 3}})
    client = first._cache
    assert isinstance(client, RedisCacheClient)
    assert second._cache is client  # no connection is opened to build them
    assert client._pool_class.__name__ == "BlockingConnectionPool"
    assert client._pool_options["timeout"] == 3


def test_autobahn_pretty_prints_its_configuration_only_for_a_written_log_line():
    from pprint import pformat

    from autobahn.websocket import protocol

    from agentdesk.serving.daphne import skip_unlogged_formatting

    skip_unlogged_formatting()
    # The line it formats on every connection, with the module's `pformat` looked up by name.
    source = inspect.getsource(protocol.WebSocketProtocol._connectionMade)
    assert 'self.log.debug("\\n{attrs}", attrs=pformat(configAttrLog))' in source
    value = [("openHandshakeTimeout", 5, "Factory")]
    lazy = protocol.pformat(value)
    assert not isinstance(lazy, str)  # nothing formatted yet
    assert f"{lazy}" == pformat(value)  # as a written log line formats it
    timings = protocol.Timings()
    timings.track("opened")
    assert isinstance(str(timings), str) and "opened" in str(timings)
