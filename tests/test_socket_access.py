"""Live connections end when access ends, only the site's own pages may open them, bad frames
are answered, and presence cannot go stale: real websocket clients against Daphne workers."""

import asyncio
import json
import os
import re
import signal

import httpx
import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from agentdesk.desk.models import AgentSession

from .conftest import Server, free_port, server_env
from .helpers import eventually

# Scaled: these need the Redis channel layer (a change made in this process must reach the
# server's sockets, as one worker's change reaches another's), so they run in the PostgreSQL +
# Redis phase of the test command, where a missing service fails the run.
pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True)]

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
TTL = 2.0


def redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def daphne(**env) -> Server:
    port = free_port()
    return Server(
        ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "agentdesk.asgi:application"],
        port,
        server_env(LCM_URL="embedded", PRESENCE_TTL_SECONDS=str(TTL), **env),
        "/accounts/login/",
    )


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """One worker on Redis, so changes made in this test process reach its sockets the way a
    change on one worker reaches the sockets of another."""
    if not redis_up():
        pytest.fail(f"the live-access tests need Redis at {REDIS} (TEST_REDIS_URL)")
    running = daphne(REDIS_URL=REDIS, CSRF_TRUSTED_ORIGINS="https://desk.example.com")
    yield running
    running.stop()


@pytest.fixture
def shared_layer(settings):
    """This test process publishes on the server's Redis channel layer."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS]},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def login_cookies(user, expiry: int | None = None) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    if expiry is not None:
        session = client.session
        session.set_expiry(expiry)
        session.save()
    client.get("/")  # the CSRF cookie
    return {name: morsel.value for name, morsel in client.cookies.items()}


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def open_socket(server, path, cookies, origin=None):
    origin = origin or f"http://127.0.0.1:{server.port}"
    return connect(
        f"ws://127.0.0.1:{server.port}{path}",
        origin=origin,
        additional_headers={"Cookie": cookie_header(cookies)},
        open_timeout=10,
    )


async def closed_within(socket, seconds: float) -> int | None:
    """Read until the server closes; the close code, or None if still open after `seconds`.
    Fails if a frame containing "SECRET" arrives first."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                frame = await socket.recv()
                assert "SECRET" not in frame
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else 1006
    except TimeoutError:
        return None


# --- exact origin ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:9999",
        "https://127.0.0.1:4444",
        "http://127.0.0.1:4444",
        "https://127.0.0.1:{port}",  # same host and port, other scheme
        "http://127.0.0.1:{port}.evil.example",
        "null",
        "",
    ],
)
async def test_other_origins_are_refused(server, agents, origin):
    cookies = await sync_to_async(login_cookies)(agents["alice"].user)
    headers = {"Cookie": cookie_header(cookies)}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"ws://127.0.0.1:{server.port}/ws/desk/",
            origin=origin.format(port=server.port) or None,
            additional_headers=headers,
            open_timeout=10,
        ):
            pass
    assert refused.value.response.status_code in (400, 403)  # Daphne itself rejects some


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{port}", "https://desk.example.com"])
async def test_the_sites_own_origin_and_trusted_origins_are_accepted(server, agents, origin):
    cookies = await sync_to_async(login_cookies)(agents["alice"].user)
    async with open_socket(server, "/ws/desk/", cookies, origin.format(port=server.port)) as ws:
        assert 'id="agent-status"' in await asyncio.wait_for(ws.recv(), 10)


# --- access ends -----------------------------------------------------------------------------


async def test_logging_out_in_another_tab_closes_that_sessions_sockets(server, agents):
    cookies = await sync_to_async(login_cookies)(agents["alice"].user)
    other_session = await sync_to_async(login_cookies)(agents["alice"].user)
    async with (
        open_socket(server, "/ws/desk/", cookies) as desk,
        open_socket(server, "/ws/desk/", other_session) as other_desk,
    ):
        await desk.recv()
        await other_desk.recv()
        async with httpx.AsyncClient(base_url=server.url, cookies=cookies) as tab:
            response = await tab.post(
                "/accounts/logout/", data={"csrfmiddlewaretoken": cookies["csrftoken"]}
            )
            assert response.status_code == 302
        assert await closed_within(desk, 5) == 4401
        # The same agent's other login session is not logged out.
        assert await closed_within(other_desk, 1) is None


def set_real_password(user, password: str) -> None:
    """A hash the server (which has no test-only hashers) can check."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(password, hasher.salt())
    user.save(update_fields=["password"])


async def test_another_user_logging_in_from_the_same_browser_closes_the_first_users_sockets(
    server, agents
):
    """Django's login() flushes the previous user's session without `user_logged_out`: the
    first user's desk must not stay open in a browser now logged in as someone else."""
    await sync_to_async(set_real_password)(agents["bob"].user, "pw-for-bob-1")
    cookies = await sync_to_async(login_cookies)(agents["alice"].user)
    other_session = await sync_to_async(login_cookies)(agents["alice"].user)
    async with (
        open_socket(server, "/ws/desk/", cookies) as desk,
        open_socket(server, "/ws/desk/", other_session) as other_desk,
    ):
        await desk.recv()
        await other_desk.recv()
        async with httpx.AsyncClient(base_url=server.url, cookies=cookies) as browser:
            response = await browser.post(
                "/accounts/login/",
                data={
                    "username": "bob",
                    "password": "pw-for-bob-1",
                    "csrfmiddlewaretoken": cookies["csrftoken"],
                },
                headers={"Referer": server.url + "/accounts/login/"},
            )
            assert response.status_code == 302, response.text
            assert response.cookies.get("sessionid") not in (None, cookies["sessionid"])
        assert await closed_within(desk, 5) == 4401
        # Alice's login elsewhere is untouched.
        assert await closed_within(other_desk, 1) is None


async def test_an_expired_sessions_socket_closes(server, agents):
    cookies = await sync_to_async(login_cookies)(agents["alice"].user, expiry=2)
    async with open_socket(server, "/ws/desk/", cookies) as desk:
        await desk.recv()
        assert await closed_within(desk, 8) == 4401


async def test_a_deactivated_users_sockets_close(server, agents, shared_layer):
    user = agents["alice"].user
    cookies = await sync_to_async(login_cookies)(user)
    async with open_socket(server, "/ws/desk/", cookies) as desk:
        await desk.recv()
        user.is_active = False
        await sync_to_async(user.save)()
        assert await closed_within(desk, 5) == 4401


async def test_a_lead_removed_from_a_team_stops_getting_its_pushes_at_once(
    server, agents, shared_layer
):
    from channels.layers import get_channel_layer

    from agentdesk.monitor.push import team_group

    lead = agents["lead"]
    team = agents["alice"].team
    cookies = await sync_to_async(login_cookies)(lead)
    async with open_socket(server, f"/ws/monitor/{team.pk}/", cookies) as monitor:
        await monitor.recv()  # the resync
        await get_channel_layer().group_send(
            team_group(team.pk), {"type": "monitor.push", "html": "<p>still-a-lead</p>"}
        )
        assert "still-a-lead" in await asyncio.wait_for(monitor.recv(), 5)
        await sync_to_async(team.leads.remove)(lead)
        await get_channel_layer().group_send(
            team_group(team.pk), {"type": "monitor.push", "html": "<p>SECRET</p>"}
        )
        assert await closed_within(monitor, 5) == 4401


# --- bad frames and presence -----------------------------------------------------------------


def connections_of(profile) -> int:
    return AgentSession.objects.get(agent=profile).connections


# Each frame, and how its error banner begins (naming the field where one is to blame).
BAD_FRAMES = [
    ("[" * 5000 + "]" * 5000, "Unreadable message: it is not JSON."),
    ('{"a":' * 5000 + "1" + "}" * 5000, "Unreadable message: it is not JSON."),
    (
        json.dumps({"action": "add", "campaign": "Spring Renewals", "callback_start": 5}),
        "Unreadable message: the field callback_start must be text.",
    ),
    (
        json.dumps({"action": "skip", "outcome": [1]}),
        "Unreadable message: the field outcome must be text.",
    ),
    (json.dumps({"action": ["next"]}), "Unreadable message: the field action must be text."),
    (
        json.dumps({"action": "next", "campaign_group": None}),
        "Unreadable message: the field campaign_group must be text.",
    ),
    (json.dumps({"action": "add", "priority": "9" * 5000}), "Check the highlighted fields."),
    (
        '{"action": "add", "campaign": "Spring Renewals", "first_name": "\\ud800"}',
        "Unreadable message: the field first_name must be text.",
    ),
    ("1e999999", "Unreadable message: expected a JSON object of fields."),
    ("", "Unreadable message: it is not JSON."),
]


async def test_bad_frames_get_an_error_frame_and_the_socket_keeps_working(server, agents):
    cookies = await sync_to_async(login_cookies)(agents["alice"].user)
    async with open_socket(server, "/ws/desk/", cookies) as desk:
        await desk.recv()
        for frame, reason in BAD_FRAMES:
            await desk.send(frame)
            answer = await asyncio.wait_for(desk.recv(), 10)
            error = re.search(r'class="banner banner-error" role="alert">([^<]+)', answer)
            assert error, (frame[:40], answer[:200])
            assert error.group(1).startswith(reason), (frame[:40], error.group(1))
        await desk.send(b"\x00\xff binary")
        assert "Unreadable message" in await asyncio.wait_for(desk.recv(), 10)
        await desk.send(json.dumps({"action": "select", "campaign_group": "Sales Manual Group"}))
        answer = await asyncio.wait_for(desk.recv(), 10)
        assert 'id="agent-status"' in answer
        assert await sync_to_async(connections_of)(agents["alice"]) == 1
    await eventually(lambda: connections_of(agents["alice"]) == 0, what="still connected")
    assert "Traceback" not in server.log()


async def test_a_killed_workers_agents_go_offline_by_themselves(agents, transactional_db):
    first, second = daphne(), daphne()
    try:
        alice_cookies = await sync_to_async(login_cookies)(agents["alice"].user)
        bob_cookies = await sync_to_async(login_cookies)(agents["bob"].user)
        ws = await open_socket(first, "/ws/desk/", alice_cookies)
        await ws.recv()
        assert await sync_to_async(connections_of)(agents["alice"]) == 1
        first.process.send_signal(signal.SIGKILL)  # no disconnect code runs
        first.process.wait()
        async with open_socket(second, "/ws/desk/", bob_cookies) as bob:
            await bob.recv()
            await eventually(lambda: connections_of(agents["alice"]) == 0, seconds=TTL * 2)
            assert await sync_to_async(connections_of)(agents["bob"]) == 1
            # The monitor says so too.
            lead = await sync_to_async(login_cookies)(agents["lead"])
            async with httpx.AsyncClient(base_url=second.url, cookies=lead) as page:
                html = (await page.get(f"/monitor/{agents['alice'].team_id}/")).text
            alice_row = html[html.index("Alice") if "Alice" in html else html.index("alice") :]
            assert "away" in alice_row.split('role="row"')[0]
    finally:
        first.stop()
        second.stop()


async def test_a_failing_handler_never_skips_the_disconnect_bookkeeping(agents, monkeypatch):
    """In-process (the failure is injected): the frame gets an error answer, the socket lives
    on, and both a normal close and a worker cancelling the consumer take the agent's
    connection off the count."""
    from channels.testing import WebsocketCommunicator

    from agentdesk.desk import inputs
    from agentdesk.desk.consumers import AgentConsumer

    from .helpers import log_into

    async def broken(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(inputs, "run", broken)
    for ending in ("close", "cancel"):
        tab = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
        await log_into(tab, agents["alice"].user)
        assert (await tab.connect())[0]
        await tab.receive_from(timeout=5)
        await tab.send_to(text_data=json.dumps({"action": "next"}))
        assert "could not handle" in await tab.receive_from(timeout=5)
        assert await sync_to_async(connections_of)(agents["alice"]) == 1
        if ending == "close":
            await tab.disconnect()
        else:
            tab.future.cancel()
            with pytest.raises(asyncio.CancelledError):
                await tab.future
        await eventually(lambda: connections_of(agents["alice"]) == 0, what=ending)


async def test_deleting_an_agents_profile_closes_their_desk(agents):
    """In-process (the in-memory layer): the agent profile, not the user, is removed."""
    from channels.testing import WebsocketCommunicator

    from agentdesk.desk.consumers import AgentConsumer

    from .helpers import log_into

    tab = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
    await log_into(tab, agents["bob"].user)
    assert (await tab.connect())[0]
    await tab.receive_from(timeout=5)
    await sync_to_async(agents["bob"].delete)()
    while True:
        output = await tab.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == 4401
