"""The first connect of the day: a page whose outcomes or campaign groups LCM had not
answered within the page's wait is shown with "could not be loaded", and shown again with
them once LCM answers (before, it kept the error until the agent's next action, and the render
cache kept the page with the error for the next reconnect)."""

from __future__ import annotations

import asyncio

import pytest
from channels.testing import WebsocketCommunicator

from agentdesk.desk import lookups, render_cache
from agentdesk.desk.consumers import AgentConsumer
from agentdesk.desk.models import AgentSession

from .helpers import log_into

pytestmark = pytest.mark.django_db(transaction=True)

NOT_LOADED = "could not be loaded"


@pytest.fixture
def lcm_later_than_the_page_waits(monkeypatch):
    monkeypatch.setattr(lookups, "PAGE_WAIT_SECONDS", 0.0)


async def test_the_page_is_shown_again_once_lcm_answers(agents, lcm_later_than_the_page_waits):
    from asgiref.sync import sync_to_async

    page = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
    await log_into(page, agents["alice"].user)
    assert (await page.connect())[0]
    first = await page.receive_from(timeout=5)
    assert NOT_LOADED in first

    again = await page.receive_from(timeout=5)
    assert NOT_LOADED not in again
    assert "Sales Manual Group" in again and 'id="agent-status"' in again

    # What the render cache keeps for the next reconnect is the page with LCM's answers.
    session = await sync_to_async(AgentSession.objects.get)(agent=agents["alice"])
    menu, groups = await lookups.outcome_menu(), await lookups.group_choices(agents["alice"])
    assert render_cache.get(session, menu, groups) == again
    await page.disconnect()


async def test_an_lcm_that_fails_leaves_the_page_saying_so(agents, lcm_later_than_the_page_waits):
    from asgiref.sync import sync_to_async

    from agentdesk.lcmsim.service import set_fault

    await sync_to_async(set_fault)("down")
    try:
        page = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
        await log_into(page, agents["alice"].user)
        assert (await page.connect())[0]
        assert NOT_LOADED in await page.receive_from(timeout=5)
        assert await page.receive_nothing(timeout=1.5)
        await page.disconnect()
    finally:
        await sync_to_async(set_fault)("none")


async def test_pages_connecting_together_ask_lcm_for_the_outcomes_once(agents, monkeypatch):
    from agentdesk.lcm import client as lcm_client

    calls: list[str] = []
    original = lcm_client.LcmClient.call

    async def counting(self, request):
        calls.append(request.SUBTOPIC)
        return await original(self, request)

    monkeypatch.setattr(lcm_client.LcmClient, "call", counting)
    menus = await asyncio.gather(*(lookups.outcome_menu() for _ in range(20)))
    assert sorted(calls) == ["GetCallOutCome", "GetOutcomeByOutcomegroup"]
    assert all(menu == menus[0] and menu.ids and not menu.error for menu in menus)
