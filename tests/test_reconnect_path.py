"""The reconnect path: when many pages connect at once, their session lookups run side by
side (not queued on one shared thread), and every page still gets only its own agent."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from channels.auth import get_user
from channels.testing import WebsocketCommunicator
from django.test import Client

from agentdesk.asgi import application
from agentdesk.serving import wsauth

pytestmark = pytest.mark.django_db(transaction=True)


async def test_session_lookups_of_many_pages_run_side_by_side(agents, monkeypatch):
    threads: set[int] = set()
    original = get_user.func

    def slow_lookup(scope):
        threads.add(threading.get_ident())
        time.sleep(0.3)  # a slow database under a reconnect storm
        return original(scope)

    monkeypatch.setattr(wsauth.get_user, "func", slow_lookup)

    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    pages = []
    for name in ("alice", "bob", "carol", "alice"):
        session = await sync_to_async(cookie)(agents[name].user)
        pages.append(
            WebsocketCommunicator(
                application,
                "/ws/desk/",
                headers=[
                    (b"origin", b"http://127.0.0.1"),
                    (b"host", b"127.0.0.1"),
                    (b"cookie", f"sessionid={session}".encode()),
                ],
            )
        )

    started = time.perf_counter()
    connected = await asyncio.gather(*(page.connect() for page in pages))
    elapsed = time.perf_counter() - started
    assert all(ok for ok, _ in connected)
    firsts = [await page.receive_from(timeout=10) for page in pages]
    assert all('id="agent-status"' in html for html in firsts)
    assert len(threads) > 1
    assert elapsed < 4 * 0.3  # queued one after another they would take at least 1.2 s
    for page in pages:
        await page.disconnect()


async def test_socket_messages_do_not_queue_on_channels_shared_thread(agents, monkeypatch):
    """Channels' consumers hop to one shared thread before every message (to close that
    thread's database connections, which agentdesk's consumers never use); under a storm every
    connect queued there."""
    import channels.consumer

    async def shared_thread_hop():
        raise AssertionError("a socket's message hopped to the shared thread")

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", shared_thread_hop)

    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    session = await sync_to_async(cookie)(agents["alice"].user)
    page = WebsocketCommunicator(
        application,
        "/ws/desk/",
        headers=[
            (b"origin", b"http://127.0.0.1"),
            (b"host", b"127.0.0.1"),
            (b"cookie", f"sessionid={session}".encode()),
        ],
    )
    connected, _ = await page.connect()
    assert connected
    assert 'id="agent-status"' in await page.receive_from(timeout=10)
    await page.send_to(text_data="not json")
    assert "Unreadable message" in await page.receive_from(timeout=10)
    await page.disconnect()
