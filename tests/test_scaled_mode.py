"""Scaled mode for real: two Daphne workers sharing PostgreSQL and a Redis channel layer, no
sticky sessions. Run with `pytest -m scaled` and DATABASE_URL pointing at PostgreSQL."""

import asyncio
import json
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from websockets.sync.client import connect as ws_connect

from agentdesk.desk.models import AgentProfile
from agentdesk.lcmsim import demo
from agentdesk.lcmsim.models import Contact
from agentdesk.teams.models import Team

from .conftest import Server, free_port, server_env
from .helpers import add_contact

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SALES = "Sales Manual Group"


def _redis_up() -> bool:
    host, port = "127.0.0.1", 6379
    try:
        with socket.create_connection((host, port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


SERVICES_READY = connection.vendor == "postgresql" and _redis_up()
SERVICES_MISSING = (
    "scaled mode needs DATABASE_URL pointing at PostgreSQL and Redis on 127.0.0.1:6379"
)
pytestmark = [
    pytest.mark.scaled,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not SERVICES_READY and not os.environ.get("CI"), reason=SERVICES_MISSING),
]


@pytest.fixture(scope="module")
def workers(django_db_setup, django_db_blocker) -> Iterator[list[Server]]:
    if not SERVICES_READY:
        # Only reached under CI, where the services are part of the run: a missing one is a
        # failure there, never a silent skip.
        pytest.fail(SERVICES_MISSING)
    env = server_env(REDIS_URL=REDIS_URL, LCM_URL="embedded", LCM_TIMEOUT_SECONDS="10")
    servers = []
    for _ in range(2):
        port = free_port()
        servers.append(
            Server(
                ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "agentdesk.asgi:application"],
                port,
                env,
                "/accounts/login/",
            )
        )
    yield servers
    for server in servers:
        server.stop()


def make_agents(count: int, team: Team, prefix: str = "sc") -> list[AgentProfile]:
    users = get_user_model().objects
    profiles = []
    for n in range(count):
        user = users.create(username=f"{prefix}{n}", password="!")  # sessions made directly
        profiles.append(
            AgentProfile.objects.create(
                user=user, lcm_agent_id=f"{prefix}{n}@scaled", team=team, campaign_groups=[SALES]
            )
        )
    demo.assign_agents({p.lcm_agent_id: [SALES] for p in profiles})
    return profiles


def cookies_for(user) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": secrets.token_hex(16)}


def headers_for(cookies: dict[str, str], server: Server) -> dict[str, str]:
    return {
        "X-CSRFToken": cookies["csrftoken"],
        "HX-Request": "true",
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
    }


@contextmanager
def open_socket(server: Server, path: str, cookies: dict[str, str]):
    with ws_connect(
        f"ws://127.0.0.1:{server.port}{path}",
        additional_headers={
            "Origin": server.url,
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        },
        open_timeout=10,
    ) as socket_:
        socket_.recv(timeout=10)  # the resync sent on connect
        yield socket_


def receive_until(socket_, text: str, timeout: float = 10) -> str:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = socket_.recv(timeout=max(0.1, deadline - time.monotonic()))
        if text in message:
            return message
    raise AssertionError(f"{text!r} never arrived")


@pytest.fixture
def world(workers):
    demo.seed_outcomes()
    demo.seed_campaigns()
    team = Team.objects.create(name="Scaled")
    return team


def test_a_tab_on_worker_one_follows_an_action_through_worker_two(workers, world):
    one, two = workers
    (agent,) = make_agents(1, world)
    add_contact(phone="2025550301")
    cookies = cookies_for(agent.user)
    with open_socket(one, "/ws/desk/", cookies) as tab:
        response = httpx.post(
            f"{two.url}/desk/next",
            data={"campaign_group": SALES, "consent": "Both"},
            headers=headers_for(cookies, two),
            timeout=10,
        )
        assert response.status_code == 200 and "2025550301" in response.text
        pushed = receive_until(tab, "2025550301")
        assert 'hx-swap-oob="true"' in pushed


def test_the_monitor_on_worker_two_sees_an_agent_on_worker_one(workers, world):
    one, two = workers
    (agent,) = make_agents(1, world)
    lead = get_user_model().objects.create(username="scaled-lead", password="!")
    world.leads.add(lead)
    add_contact(phone="2025550302")
    agent_cookies = cookies_for(agent.user)
    with (
        open_socket(two, f"/ws/monitor/{world.pk}/", cookies_for(lead)) as monitor,
        open_socket(one, "/ws/desk/", agent_cookies),
    ):
        receive_until(monitor, "live")  # the agent's page connected on the other worker
        httpx.post(
            f"{one.url}/desk/next",
            data={"campaign_group": SALES},
            headers=headers_for(agent_cookies, one),
            timeout=10,
        )
        assert "···0302" in receive_until(monitor, "···0302")


async def _post_many(requests: list[tuple[str, dict[str, Any]]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.post(url, data={"campaign_group": SALES, "consent": "Both"}, headers=headers)
                for url, headers in requests
            )
        )


def test_twenty_next_requests_for_one_agent_over_both_workers_fetch_one(workers, world):
    (agent,) = make_agents(1, world)
    for n in range(10):
        add_contact(phone=f"20255504{n:02d}")
    cookies = cookies_for(agent.user)
    requests = [
        (f"{workers[n % 2].url}/desk/next", headers_for(cookies, workers[n % 2])) for n in range(20)
    ]
    responses = asyncio.run(_post_many(requests))
    assert all(r.status_code == 200 for r in responses)
    assert sum("is on your screen" in r.text for r in responses) == 1
    assert Contact.objects.filter(status=Contact.IN_PROGRESS).count() == 1


def test_two_hundred_agents_over_both_workers_get_two_hundred_contacts(workers, world):
    agents = make_agents(200, world, prefix="crowd")
    for n in range(220):
        add_contact(phone=f"2026{n:06d}")
    requests = []
    for n, agent in enumerate(agents):
        server = workers[n % 2]
        requests.append((f"{server.url}/desk/next", headers_for(cookies_for(agent.user), server)))
    responses = asyncio.run(_post_many(requests))
    assert all(r.status_code == 200 for r in responses), {r.status_code for r in responses}
    assert sum("is on your screen" in r.text for r in responses) == 200
    held = Contact.objects.filter(status=Contact.IN_PROGRESS)
    assert held.count() == 200
    assert held.values("held_by").distinct().count() == 200
    for server in workers:
        assert "Traceback" not in server.log()


def test_the_workers_really_share_redis(workers):
    """Both workers run the Redis channel layer (in-memory would not cross processes)."""
    for server in workers:
        assert json.loads(httpx.get(f"{server.url}/healthz", timeout=5).text)["channel_layer"] == (
            "RedisPubSubChannelLayer"
        )
