"""One session cannot slow everyone: sockets per login session and per user are capped, and a
socket that floods frames gets an error frame and is closed; another agent's page stays fast
while one lead session opens 200 monitor sockets and floods frames. Real websocket clients
against agentdesk under Daphne."""

import asyncio
import statistics
import time

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

pytestmark = pytest.mark.django_db(transaction=True)

PER_SESSION = 10  # the defaults (settings.SOCKETS_PER_SESSION, SOCKETS_PER_USER)
PER_USER = 20


@sync_to_async
def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def open_socket(server, path: str, session: str):
    return connect(
        f"ws://127.0.0.1:{server.port}{path}",
        origin=Origin(f"http://127.0.0.1:{server.port}"),
        additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        open_timeout=30,
        max_size=None,
    )


async def first_frame(socket) -> str:
    return str(await asyncio.wait_for(socket.recv(), 30))


async def refused_with(server, path: str, session: str) -> tuple[str, int | None]:
    async with open_socket(server, path, session) as socket:
        text = await first_frame(socket)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
        return text, socket.close_code


async def test_sockets_per_session_and_per_user_are_capped(app_server, agents):
    team = agents["alice"].team
    path = f"/ws/monitor/{team.pk}/"
    first, second, third = [await session_cookie(agents["lead"]) for _ in range(3)]
    held = []
    try:
        for _ in range(PER_SESSION):
            socket = await open_socket(app_server, path, first).__aenter__()
            held.append(socket)
            assert 'id="connection-banner"' not in await first_frame(socket)
        text, code = await refused_with(app_server, path, first)
        assert code == 4429
        assert "Too many live connections from this login (at most 10)" in text
        # The same user from a second login: the user's cap counts both.
        for _ in range(PER_USER - PER_SESSION):
            socket = await open_socket(app_server, path, second).__aenter__()
            held.append(socket)
            await first_frame(socket)
        text, code = await refused_with(app_server, path, third)
        assert code == 4429 and "Too many live connections for your user (at most 20)" in text
        # Closing one gives its place back.
        await held.pop().close()
        await asyncio.sleep(0.5)
        async with open_socket(app_server, path, third) as socket:
            assert 'id="connection-banner"' not in await first_frame(socket)
    finally:
        for socket in held:
            await socket.close()


async def test_a_socket_flooding_frames_is_told_and_closed(app_server, agents):
    session = await session_cookie(agents["alice"].user)
    async with open_socket(app_server, "/ws/desk/", session) as socket:
        await first_frame(socket)
        started = time.monotonic()
        for n in range(1500):
            await socket.send(f'{{"action": "nothing-{n}"}}')
        frames = []
        with pytest.raises(ConnectionClosed):
            while True:
                frames.append(str(await asyncio.wait_for(socket.recv(), 30)))
        took = time.monotonic() - started
    assert socket.close_code == 4429
    assert "Too many messages on this live connection" in frames[-1]
    # At most the burst (30) and what the rate let through were handled, not 1,500.
    assert len(frames) < 100, len(frames)
    assert took < 10, took  # working off 1,500 frames took 20 s


async def page_times(client: httpx.AsyncClient, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.monotonic()
        answer = await client.get("/")
        assert answer.status_code == 200
        times.append(time.monotonic() - started)
    return times


async def test_another_agents_page_stays_fast_while_one_session_attacks(app_server, agents):
    lead = await session_cookie(agents["lead"])
    path = f"/ws/monitor/{agents['alice'].team.pk}/"
    cookies = {settings.SESSION_COOKIE_NAME: await session_cookie(agents["bob"].user)}
    async with httpx.AsyncClient(base_url=app_server.url, cookies=cookies, timeout=60) as bob:
        await page_times(bob, 3)  # warm up
        quiet = await page_times(bob, 15)

        async def one_socket() -> None:
            try:
                async with open_socket(app_server, path, lead) as socket:
                    await first_frame(socket)
                    for n in range(300):  # and flood it
                        await socket.send(f'{{"x": "{n}"}}')
                    await asyncio.wait_for(socket.recv(), 30)
                    await asyncio.sleep(5)
            except (ConnectionClosed, InvalidStatus, TimeoutError, OSError):
                pass

        attack = asyncio.gather(*(one_socket() for _ in range(200)))
        await asyncio.sleep(0.2)
        loaded = await page_times(bob, 15)
        await attack
    quiet_median, loaded_median = statistics.median(quiet), statistics.median(loaded)
    print(
        f"\nbob's page: quiet median {quiet_median * 1000:.0f} ms, under attack median "
        f"{loaded_median * 1000:.0f} ms, max {max(loaded) * 1000:.0f} ms"
    )
    # Generous (a shared, busy test machine): before the limits the median was 1.8 s.
    assert loaded_median < max(0.6, 4 * quiet_median), (quiet, loaded)
    assert max(loaded) < 6.0, loaded  # it was 14 s


async def test_one_session_opening_and_closing_sockets_in_a_loop_is_slowed_down(app_server, agents):
    """The caps count open sockets; a session that opened and closed them in a loop (10 at a
    time) went through 383 connects (each a resync and a presence announcement) in 3.8 s.
    Openings past the burst are told why and closed. (Each refusal still costs a handshake:
    a flood of handshakes is for the proxy in front, docs/deploy.md.)"""
    alice = await session_cookie(agents["alice"].user)
    cookies = {settings.SESSION_COOKIE_NAME: await session_cookie(agents["bob"].user)}
    opened, refused = 0, []
    async with httpx.AsyncClient(base_url=app_server.url, cookies=cookies, timeout=60) as bob:
        await page_times(bob, 3)
        quiet = await page_times(bob, 15)
        stop = False

        async def churn() -> None:
            nonlocal opened
            while not stop:
                try:
                    async with open_socket(app_server, "/ws/desk/", alice) as socket:
                        text = await first_frame(socket)
                        if "opened more live connections" in text:
                            refused.append(text)
                        else:
                            opened += 1
                except (ConnectionClosed, InvalidStatus, TimeoutError, OSError):
                    pass

        started = time.monotonic()
        tasks = [asyncio.ensure_future(churn()) for _ in range(10)]
        await asyncio.sleep(0.5)
        loaded = await page_times(bob, 15)
        stop = True
        await asyncio.gather(*tasks)
        took = time.monotonic() - started
    print(
        f"\nchurn: {opened} opened, {len(refused)} refused in {took:.1f} s; bob's page quiet "
        f"median {statistics.median(quiet) * 1000:.0f} ms, under churn median "
        f"{statistics.median(loaded) * 1000:.0f} ms, max {max(loaded) * 1000:.0f} ms"
    )
    assert refused, "openings past the burst are refused"
    # The burst (30) and 2 a second, with room for a slow machine's timing.
    assert opened <= 30 + 2 * took + 5, (opened, took)
    assert all("wait a moment, then reload" in text for text in refused)
