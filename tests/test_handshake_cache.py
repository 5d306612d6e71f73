"""The agent page's websocket handshake from the shared cache: a page reconnecting soon after
its last handshake skips the database, and nothing that ends or changes access lets a socket
in on what the cache kept (liveaccess/handshake_cache.py), nor keeps an open page acting as
an agent profile that changed."""

from __future__ import annotations

import json
import pickle
import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from agentdesk.asgi import application
from agentdesk.desk.models import AgentProfile, AgentSession
from agentdesk.liveaccess import handshake_cache
from agentdesk.serving import wsauth

from .test_query_budget import settled, statements

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def key_of(client: Client) -> str:
    return client.cookies["sessionid"].value


def page(session_key: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application,
        "/ws/desk/",
        headers=[
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", f"sessionid={session_key}".encode()),
        ],
    )


async def resynced(session_key: str) -> str:
    """Connect, take the resync, leave."""
    socket = page(session_key)
    connected, code = await socket.connect()
    assert connected, code
    first = await socket.receive_from(timeout=5)
    await socket.disconnect()
    await settled()
    return first


async def refused(session_key: str) -> int | None:
    """The close code of a socket refused in its handshake (never accepted)."""
    socket = page(session_key)
    connected, code = await socket.connect()
    assert not connected, "the socket was let in"
    return code


@pytest.fixture
def lookups_counted(monkeypatch):
    """How many handshakes read the database (the trip the cache spares)."""
    calls: list[str] = []
    original = wsauth.get_user.func

    def counting(scope):
        calls.append(scope.get("path", ""))
        return original(scope)

    monkeypatch.setattr(wsauth.get_user, "func", counting)
    return calls


@pytest.fixture
async def warm(agents):
    """Alice's page has connected once: her handshake is in the cache."""
    client = await sync_to_async(logged_in)(agents["alice"].user)
    key = key_of(client)
    assert 'id="agent-status"' in await resynced(key)
    assert await handshake_cache.read(key) is not None
    return client, key


async def test_a_reconnect_soon_after_skips_the_database_in_its_handshake(warm, lookups_counted):
    _, key = warm
    with statements() as seen:
        assert 'id="agent-status"' in await resynced(key)
    assert lookups_counted == []  # no session, user or profile read in the handshake
    handshake_reads = [sql for sql in seen if "django_session" in sql or "desk_agentprofile" in sql]
    # The session and the profile are still read once each, by the check after joining the
    # groups (a change made around the cache shows there).
    assert len(handshake_reads) == 2, seen


async def test_a_logged_out_sessions_socket_is_refused_at_once_with_a_warm_cache(agents, warm):
    client, key = warm
    await sync_to_async(client.post)("/accounts/logout/")
    assert not await sync_to_async(Session.objects.filter(session_key=key).exists)()
    assert await handshake_cache.read(key) is None
    assert await refused(key) == 4403


async def test_a_flushed_session_is_refused(agents, warm):
    _, key = warm

    def flush() -> None:
        from importlib import import_module

        from django.conf import settings

        import_module(settings.SESSION_ENGINE).SessionStore(session_key=key).flush()

    await sync_to_async(flush)()
    assert await refused(key) == 4403


async def test_a_password_change_refuses_the_old_sessions_socket(agents, warm):
    _, key = warm
    user = agents["alice"].user

    def change() -> None:
        user.set_password("a-new-password-2")
        user.save()

    await sync_to_async(change)()
    assert await handshake_cache.read(key) is None
    assert await refused(key) == 4403


async def test_a_deactivated_user_is_refused(agents, warm):
    _, key = warm
    user = agents["alice"].user
    user.is_active = False
    await sync_to_async(user.save)()
    assert await refused(key) == 4403


async def test_a_deleted_agent_profile_is_refused(agents, warm):
    _, key = warm
    await sync_to_async(agents["alice"].delete)()
    assert await refused(key) == 4403


async def test_a_changed_profile_or_team_reaches_the_next_handshake(agents, warm, lookups_counted):
    _, key = warm
    alice, green = agents["alice"], agents["carol"].team
    alice.team = green
    await sync_to_async(alice.save)()
    assert await handshake_cache.read(key) is None
    await resynced(key)
    entry = await handshake_cache.read(key)
    assert entry is not None and entry.scope["agent_profile"].team_id == green.pk
    assert len(lookups_counted) == 1

    green.name = "Green renamed"
    await sync_to_async(green.save)()
    assert await handshake_cache.read(key) is None
    await resynced(key)
    entry = await handshake_cache.read(key)
    assert entry is not None and entry.scope["agent_profile"].team.name == "Green renamed"


async def test_a_session_deleted_around_the_cache_is_still_closed_before_any_data(agents, warm):
    """A session row deleted in SQL tells nobody: the handshake comes from the cache, and the
    check after joining the groups reads the row and closes the socket before the resync."""
    _, key = warm
    await sync_to_async(Session.objects.filter(session_key=key).delete)()
    socket = page(key)
    connected, _ = await socket.connect()
    assert connected
    output = await socket.receive_output(timeout=5)
    assert output["type"] == "websocket.close" and output["code"] == 4401
    counted = await sync_to_async(
        lambda: AgentSession.objects.get(agent_id=agents["alice"].pk).connections
    )()
    assert counted == 0


def test_an_entry_written_by_a_handshake_racing_with_a_logout_is_ignored(agents):
    client = logged_in(agents["alice"].user)
    key = key_of(client)
    tag = handshake_cache.generation()  # the racing handshake read its rows before the logout
    client.post("/accounts/logout/")
    handshake_cache.write(key, tag, {"k": "v"}, None, agents["alice"].user, {})
    assert handshake_cache.cache.get(handshake_cache.entry_key(key)) is not None
    assert async_read(key) is None


def test_an_entry_from_rows_read_before_a_change_is_ignored(agents):
    key = key_of(logged_in(agents["alice"].user))
    tag = handshake_cache.generation()  # read before the profile changed
    profile = AgentProfile.objects.get(pk=agents["alice"].pk)
    profile.campaign_groups = ["Service Manual Group"]
    profile.save()
    handshake_cache.write(key, tag, {"k": "v"}, None, agents["alice"].user, {})
    assert async_read(key) is None


def test_an_entry_keeps_no_password_hash(agents):
    alice = AgentProfile.objects.select_related("user", "team").get(pk=agents["alice"].pk)
    key = key_of(logged_in(alice.user))
    handshake_cache.write(
        key, handshake_cache.generation(), {}, None, alice.user, {"agent_profile": alice}
    )
    stored = handshake_cache.cache.get(handshake_cache.entry_key(key))
    assert alice.user.password and alice.user.password.encode() not in pickle.dumps(stored)
    assert stored.user.get_deferred_fields() == {"password"}
    assert stored.scope["agent_profile"].user.get_deferred_fields() == {"password"}
    assert alice.user.get_deferred_fields() == set()  # the socket's own copy is untouched


def test_an_entry_ends_with_the_session(agents):
    user = agents["alice"].user
    key = key_of(logged_in(user))
    ending = timezone.now() + timedelta(seconds=0.5)
    handshake_cache.write(key, handshake_cache.generation(), {}, ending, user, {})
    assert handshake_cache.cache.get(handshake_cache.entry_key(key)) is None  # too close
    ending = timezone.now() + timedelta(seconds=1.5)
    handshake_cache.write(key, handshake_cache.generation(), {}, ending, user, {})
    assert async_read(key) is not None
    time.sleep(1.6)
    assert async_read(key) is None


def test_no_entry_when_turned_off(agents, settings):
    settings.SOCKET_HANDSHAKE_CACHE_SECONDS = 0
    key = key_of(logged_in(agents["alice"].user))
    handshake_cache.write(key, handshake_cache.generation(), {}, None, agents["alice"].user, {})
    assert handshake_cache.cache.get(handshake_cache.entry_key(key)) is None


def async_read(key: str):
    from asgiref.sync import async_to_sync

    return async_to_sync(handshake_cache.read)(key)


async def test_a_profile_changed_around_the_cache_is_not_used_on_reconnect(agents, warm):
    """An agent's LCM identity changed by a bulk update (no signal, or a process whose cache
    is not this worker's): the reconnect's handshake from the cache must not act as the old
    one. The socket is closed before it shows anything, the entry is dropped, and the page's
    next reconnect reads the profile afresh."""
    _, key = warm
    alice = agents["alice"]
    await sync_to_async(AgentProfile.objects.filter(pk=alice.pk).update)(lcm_agent_id="moved@test")
    socket = page(key)
    connected, _ = await socket.connect()
    assert connected
    output = await socket.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    await settled()
    assert await handshake_cache.read(key) is None
    await resynced(key)
    entry = await handshake_cache.read(key)
    assert entry is not None and entry.scope["agent_profile"].lcm_agent_id == "moved@test"


async def test_a_profile_given_to_someone_else_around_the_cache_is_refused(agents, warm):
    """Alice's profile (her LCM identity) handed to a new colleague's user by a bulk update: a
    fresh read finds no profile for Alice, so her reconnect must not act as it."""
    _, key = warm
    alice = agents["alice"]

    def hand_over() -> None:
        user_model = get_user_model()
        user_model.objects.bulk_create([user_model(username="dave")])  # no signal either
        dave = user_model.objects.get(username="dave")
        AgentProfile.objects.filter(pk=alice.pk).update(user=dave)

    await sync_to_async(hand_over)()
    socket = page(key)
    connected, _ = await socket.connect()
    if connected:
        output = await socket.receive_output(timeout=5)
        assert output["type"] == "websocket.close", output
    await settled()
    assert await refused(key) == 4403


async def test_an_open_page_is_closed_when_its_agents_lcm_identity_changes(agents, warm):
    """The admin gives Alice another LCM agent ID (her old one goes to someone else): her open
    page must not go on acting as the old one; it is closed and reconnects as the new."""
    _, key = warm
    alice = agents["alice"]
    socket = page(key)
    connected, _ = await socket.connect()
    assert connected
    await socket.receive_from(timeout=5)

    def change() -> None:
        profile = AgentProfile.objects.get(pk=alice.pk)
        profile.lcm_agent_id = "a9@test"
        profile.save()

    await sync_to_async(change)()
    output = await socket.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    await settled()


async def test_a_session_expired_by_time_is_closed_before_any_data_and_forgotten(agents, warm):
    """A session's expiry passes (nothing signals it; here its row is backdated): the
    reconnect from the cache is closed before the resync, and the entry is not used again."""
    _, key = warm
    await sync_to_async(Session.objects.filter(session_key=key).update)(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    socket = page(key)
    connected, _ = await socket.connect()
    assert connected
    output = await socket.receive_output(timeout=5)
    assert output["type"] == "websocket.close" and output["code"] == 4401
    await settled()
    assert await handshake_cache.read(key) is None
    assert await refused(key) == 4403  # the next reconnect reads the database: no session


async def test_an_open_page_is_closed_when_its_agents_team_is_deleted(agents, warm):
    """Deleting a team leaves its agents without one (an update that saves no profile): an
    open page must not go on logging its actions under the gone team."""
    _, key = warm
    socket = page(key)
    connected, _ = await socket.connect()
    assert connected
    await socket.receive_from(timeout=5)

    await sync_to_async(agents["alice"].team.delete)()

    output = await socket.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    await settled()


def test_an_open_page_keeps_its_entry_never_past_the_session(agents, settings):
    """Kept entries outlive their first lifetime (a restart hours after the morning's connects
    finds them), but not the session; a dropped entry is not brought back."""
    settings.SOCKET_HANDSHAKE_CACHE_SECONDS = 1
    user = agents["alice"].user
    key = key_of(logged_in(user))
    later = timezone.now() + timedelta(hours=1)
    handshake_cache.write(key, handshake_cache.generation(), {}, later, user, {})
    settings.SOCKET_HANDSHAKE_CACHE_SECONDS = 3
    async_to_sync(handshake_cache.keep)(key, later)
    time.sleep(1.3)
    assert async_read(key) is not None  # kept: it would have gone after 1 s

    settings.SOCKET_HANDSHAKE_CACHE_SECONDS = 1
    handshake_cache.write(key, handshake_cache.generation(), {}, later, user, {})
    settings.SOCKET_HANDSHAKE_CACHE_SECONDS = 3
    soon = timezone.now() + timedelta(seconds=0.5)
    async_to_sync(handshake_cache.keep)(key, soon)  # the session ends first: not kept
    time.sleep(1.1)
    assert async_read(key) is None

    handshake_cache.write(key, handshake_cache.generation(), {}, later, user, {})
    handshake_cache.forget_session(key, ended=False)
    async_to_sync(handshake_cache.keep)(key, later)
    assert async_read(key) is None  # dropped stays dropped


async def test_the_page_pings_keep_its_entry(agents, warm, settings, monkeypatch):
    _, key = warm
    kept: list[str] = []
    real_keep = handshake_cache.keep

    async def counting(session_key, expires):
        kept.append(session_key)
        await real_keep(session_key, expires)

    monkeypatch.setattr(handshake_cache, "keep", counting)
    socket = page(key)
    connected, _ = await socket.connect()
    assert connected
    await socket.receive_from(timeout=5)
    for n in range(3):
        await socket.send_to(text_data=json.dumps({"action": "ping", "ping": str(n)}))
        await socket.receive_from(timeout=5)
    await socket.disconnect()
    await settled()
    assert kept == [key]  # once, on the first ping: then every half of its lifetime
