"""Reconnect storm: 500 agent pages on one server lose their connection at once (the server
restarts), some agents' state changes while they are away, and every page reconnects and
resyncs to its true state, with no error in the server log and no action lost."""

import asyncio
import re
import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import websockets
from django.contrib.auth import get_user_model
from django.test import Client

from agentdesk.desk import actions
from agentdesk.desk.contact import contact_of
from agentdesk.desk.models import AgentProfile, AgentSession
from agentdesk.lcmsim import demo
from agentdesk.shared.phones import parse_phone
from agentdesk.teams.models import Team

from .conftest import Server, free_port, server_env
from .helpers import add_contact

pytestmark = [pytest.mark.storm, pytest.mark.django_db(transaction=True)]
AGENTS = 500
GROUP = "Sales Manual Group"
PHONE = re.compile(r'class="dial" href="tel:([^"]+)"')


def shown_phone(html: str) -> str | None:
    found = PHONE.search(html)
    return found.group(1) if found else None


async def connect_all(port: int, cookies: list[str], attempts: int = 60) -> list[str | bytes]:
    """Every page's first message after connecting (its resync), retrying while the server
    comes back, as the page's own reconnect loop does."""
    semaphore = asyncio.Semaphore(50)

    async def page(cookie: str) -> str | bytes:
        async with semaphore:
            for _ in range(attempts):
                try:
                    async with websockets.connect(
                        f"ws://127.0.0.1:{port}/ws/desk/",
                        open_timeout=30,
                        additional_headers={
                            "Origin": f"http://127.0.0.1:{port}",
                            "Cookie": f"sessionid={cookie}",
                        },
                    ) as ws:
                        return await asyncio.wait_for(ws.recv(), 30)
                except (OSError, websockets.exceptions.WebSocketException, TimeoutError):
                    await asyncio.sleep(0.5)
            raise AssertionError("a page never reconnected")

    return list(await asyncio.gather(*(page(c) for c in cookies)))


def test_five_hundred_pages_reconnect_and_resync(sim_world):
    users = get_user_model().objects
    team = Team.objects.create(name="Storm")
    profiles = []
    for n in range(AGENTS):
        user = users.create(username=f"storm{n}", password="!")
        profiles.append(
            AgentProfile.objects.create(
                user=user, lcm_agent_id=f"storm{n}@x", team=team, campaign_groups=[GROUP]
            )
        )
    demo.assign_agents({p.lcm_agent_id: [GROUP] for p in profiles})
    for n in range(60):
        add_contact(phone=f"20255{n:05d}")
    cookies = []
    for profile in profiles:
        client = Client()
        client.force_login(profile.user)
        cookies.append(client.cookies["sessionid"].value)

    port = free_port()
    server = Server(
        ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "agentdesk.asgi:application"],
        port,
        server_env(),
        "/healthz",
    )
    try:
        first = asyncio.run(connect_all(port, cookies))
        assert all("agent-status" in html for html in first)

        # 25 agents act through the server before the cut.
        csrf = secrets.token_hex(16)
        for cookie in cookies[:25]:
            response = httpx.post(
                f"{server.url}/desk/next",
                timeout=30,
                data={"campaign_group": GROUP, "consent": "Both"},
                headers={
                    "Cookie": f"sessionid={cookie}; csrftoken={csrf}",
                    "X-CSRFToken": csrf,
                    "HX-Request": "true",
                },
            )
            assert "is on your screen" in response.text

        server.stop()  # every connection is cut at once
        # While the pages are away, 25 other agents act from elsewhere.
        with ThreadPoolExecutor(1) as pool:
            for profile in profiles[25:50]:
                result = pool.submit(
                    asyncio.run, actions.next_contact(profile, campaign_group=GROUP, consent="Both")
                ).result()
                assert result.ok
        server.restart()

        again = asyncio.run(connect_all(port, cookies))
        truth = {s.agent_id: s for s in AgentSession.objects.filter(agent__team=team)}
        resynced = 0
        for profile, html in zip(profiles, again, strict=True):
            session = truth.get(profile.pk)
            expected = (
                parse_phone(contact_of(session).phone_number, "US").tel_uri().removeprefix("tel:")
                if session and session.contact
                else None
            )
            assert shown_phone(html) == expected, profile.user.username
            resynced += 1
        assert resynced == AGENTS
        assert sum(1 for s in truth.values() if s.state == "previewing") == 50  # none lost
        log = server.log()
        assert "Traceback" not in log and " 500 " not in log, log[-2000:]
    finally:
        server.stop()
