"""The agent page's live connection: pushes reach every tab of that agent and nobody else's,
actions work over the socket, and only the right people may connect."""

import json

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from agentdesk.asgi import application
from agentdesk.desk.consumers import AgentConsumer
from agentdesk.desk.models import AgentSession
from agentdesk.lcmsim.models import Contact

from .helpers import add_contact, log_into

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user):
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
    await log_into(communicator, user)
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_from(timeout=5)  # the resync on connect
    assert 'id="agent-status"' in first
    return communicator


async def test_both_tabs_of_an_agent_get_the_push_and_nobody_else(agents):
    from asgiref.sync import sync_to_async

    from agentdesk.desk import actions

    await sync_to_async(add_contact)(phone="2025550123")
    tab1 = await connect(agents["alice"].user)
    tab2 = await connect(agents["alice"].user)
    other = await connect(agents["bob"].user)

    result = await actions.next_contact(
        agents["alice"], campaign_group="Sales Manual Group", consent="Both"
    )
    assert result.ok
    for tab in (tab1, tab2):
        push = await tab.receive_from(timeout=5)
        assert 'hx-swap-oob="true"' in push and "2025550123" in push
    assert await other.receive_nothing(timeout=0.3)
    for communicator in (tab1, tab2, other):
        await communicator.disconnect()


async def test_actions_over_the_socket_use_the_same_rules(agents):
    from asgiref.sync import sync_to_async

    await sync_to_async(add_contact)(phone="2025550124")
    tab = await connect(agents["alice"].user)
    await tab.send_to(
        text_data=json.dumps(
            {
                "action": "next",
                "campaign_group": "Sales Manual Group",
                "consent": "Both",
                "AgentID": "a2@test",
                "HEADERS": {"HX-Request": "true"},
            }
        )
    )
    messages = [await tab.receive_from(timeout=5), await tab.receive_from(timeout=5)]
    assert any("is on your screen" in m for m in messages)
    contact = await sync_to_async(Contact.objects.get)()
    assert contact.held_by == "a1@test"

    await tab.send_to(
        text_data=json.dumps({"action": "next", "campaign_group": "Sales Manual Group"})
    )
    refusal = await tab.receive_from(timeout=5)
    assert "skip it with an outcome first" in refusal

    await tab.send_to(text_data="not json")
    assert "Unreadable message" in await tab.receive_from(timeout=5)
    await tab.disconnect()


async def test_connection_count_follows_open_tabs(agents):
    from asgiref.sync import sync_to_async

    tab1 = await connect(agents["alice"].user)
    tab2 = await connect(agents["alice"].user)
    get = sync_to_async(lambda: AgentSession.objects.get(agent=agents["alice"]).connections)
    assert await get() == 2
    await tab1.disconnect()
    assert await get() == 1
    await tab2.disconnect()
    assert await get() == 0


async def test_anonymous_and_profile_less_users_are_refused(agents):
    from django.contrib.auth.models import AnonymousUser

    for user in (AnonymousUser(), agents["lead"]):
        communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        assert not connected


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.mark.parametrize(
    ("origin", "allowed"), [("http://localhost", True), ("http://evil.example", False)]
)
async def test_the_full_stack_checks_login_and_origin(agents, origin, allowed):
    from asgiref.sync import sync_to_async

    cookie = await sync_to_async(session_cookie)(agents["alice"].user)
    communicator = WebsocketCommunicator(
        application,
        "/ws/desk/",
        headers=[
            (b"origin", origin.encode()),
            (b"host", b"localhost"),
            (b"cookie", cookie.encode()),
        ],
    )
    connected, _ = await communicator.connect()
    assert connected is allowed
    await communicator.disconnect()


@pytest.mark.parametrize(("gone", "code"), [("session", 4401), ("agent", 4403)])
async def test_access_that_ends_during_the_handshake_is_caught_after_joining(
    agents, monkeypatch, gone, code
):
    """The full stack reads the session, the user and the agent profile in the handshake; the
    session (or the agent) goes away before the socket has joined the groups that would have
    told it. The check once the groups are joined still closes it, uncounted."""
    from asgiref.sync import sync_to_async
    from django.contrib.sessions.models import Session

    from agentdesk.desk.models import AgentProfile

    alice = agents["alice"]
    cookie = await sync_to_async(session_cookie)(alice.user)
    key = cookie.removeprefix("sessionid=")
    joining = AgentConsumer.join_access_groups

    async def ended_meanwhile(self):
        assert self.scope["agent_profile"].pk == alice.pk  # read in the handshake
        if gone == "session":  # deleted without SessionStore.delete: nobody is told
            await sync_to_async(Session.objects.filter(session_key=key).delete)()
        else:
            await sync_to_async(AgentProfile.objects.filter(pk=alice.pk).delete)()
        return await joining(self)

    monkeypatch.setattr(AgentConsumer, "join_access_groups", ended_meanwhile)
    page = WebsocketCommunicator(
        application,
        "/ws/desk/",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost"),
                 (b"cookie", cookie.encode())],
    )
    connected, _ = await page.connect()
    assert connected
    output = await page.receive_output(timeout=5)
    assert output["type"] == "websocket.close" and output["code"] == code
    counted = await sync_to_async(
        lambda: list(AgentSession.objects.filter(agent_id=alice.pk).values_list("connections"))
    )()
    assert counted in ([(0,)], [])  # the agent's row, or none once the agent is gone


async def test_markup_from_lcm_is_escaped_on_the_desk_and_the_monitor(agents):
    """Stored XSS through LCM data: an outcome named like markup, and a skip with it, reach the
    agent's page and the team lead's monitor as text."""
    from asgiref.sync import sync_to_async

    from agentdesk.desk.models import ActionLog
    from agentdesk.lcmsim.models import Outcome
    from agentdesk.monitor.live import render_team

    markup = "<img src=x onerror=alert(1)>"
    await sync_to_async(Outcome.objects.filter(pk=8).update)(name=markup)
    await sync_to_async(add_contact)(phone="2025550125")
    tab = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
    await log_into(tab, agents["alice"].user)
    assert (await tab.connect())[0]
    html = await tab.receive_from(timeout=10)  # the resync: the outcome menu is in it
    await tab.send_to(
        text_data=json.dumps({"action": "next", "campaign_group": "Sales Manual Group"})
    )
    while "status-previewing" not in html:  # the push and the answer come as frames
        html += await tab.receive_from(timeout=10)
    assert "2025550125" in html
    assert markup not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    await tab.send_to(text_data=json.dumps({"action": "skip", "outcome": "8"}))
    skipped = sync_to_async(ActionLog.objects.filter(kind="skip", ok=True).exists)
    for _ in range(100):  # the skip's answer may come after the Next's push
        assert markup not in await tab.receive_from(timeout=10)
        if await skipped():
            break
    monitor = await render_team(agents["alice"].team_id)
    assert markup not in monitor and "&lt;img src=x" in monitor
    await tab.disconnect()
