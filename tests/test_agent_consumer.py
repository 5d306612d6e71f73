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

from .helpers import add_contact, eventually, log_into, shown_in, thread_hops

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


async def test_a_push_reaches_the_page_without_a_thread_hop(agents):
    """Channels closes stale database connections in a thread before every message; these
    consumers leave that to their database work, so a push costs the worker no hop."""
    from channels.layers import get_channel_layer

    from agentdesk.desk import events

    tab = await connect(agents["alice"].user)
    with thread_hops() as hops:
        await get_channel_layer().group_send(
            events.agent_group(agents["alice"].pk), {"type": "desk.push", "html": "<p>pushed</p>"}
        )
        assert await tab.receive_from(timeout=5) == "<p>pushed</p>"
    assert "close_old_connections" not in hops, hops
    await tab.disconnect()


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
                "request_id": "a7-k3",
            }
        )
    )
    # One answer: the fragments, the banner and the mark that ends the page's wait; the push
    # of the same fragments to the agent's tabs is not sent to this tab a second time.
    answer = await tab.receive_from(timeout=5)
    assert "is on your screen" in answer and 'id="contact-card"' in answer
    assert 'id="socket-answer"' in answer and 'data-request="a7-k3"' in answer
    assert await tab.receive_nothing(timeout=0.3)
    contact = await sync_to_async(Contact.objects.get)()
    assert contact.held_by == "a1@test"

    await tab.send_to(
        text_data=json.dumps({"action": "next", "campaign_group": "Sales Manual Group"})
    )
    refusal = await tab.receive_from(timeout=5)
    assert "skip it with an outcome first" in refusal
    assert "socket-answer" not in refusal  # no request id, no mark

    await tab.send_to(text_data=json.dumps({"action": "skip", "request_id": '"><script>'}))
    assert 'data-request="' not in await tab.receive_from(timeout=5)  # not a token: no mark

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
        headers=[
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", cookie.encode()),
        ],
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
    await tab.send_to(text_data=json.dumps({"action": "skip", "outcome": "8", **shown_in(html)}))
    skipped = sync_to_async(ActionLog.objects.filter(kind="skip", ok=True).exists)
    for _ in range(100):  # the skip's answer may come after the Next's push
        assert markup not in await tab.receive_from(timeout=10)
        if await skipped():
            break
    monitor = await render_team(agents["alice"].team_id)
    assert markup not in monitor and "&lt;img src=x" in monitor
    await tab.disconnect()


async def test_a_push_older_than_what_the_page_shows_is_dropped(agents):
    """Pushes from two workers, or an action's and a choice's, can cross on the way."""
    from channels.layers import get_channel_layer

    from agentdesk.desk import events

    tab = await connect(agents["alice"].user)
    group = events.agent_group(agents["alice"].pk)
    layer = get_channel_layer()
    await layer.group_send(group, {"type": "desk.push", "html": "<p>v5</p>", "version": 5})
    assert await tab.receive_from(timeout=5) == "<p>v5</p>"
    await layer.group_send(group, {"type": "desk.push", "html": "<p>v4</p>", "version": 4})
    assert await tab.receive_nothing(timeout=0.3)
    await layer.group_send(group, {"type": "desk.push", "html": "<p>v5b</p>", "version": 5})
    assert await tab.receive_from(timeout=5) == "<p>v5b</p>"  # same version, other content
    await tab.disconnect()


async def test_a_choice_made_while_next_runs_is_not_undone_by_a_late_push(agents):
    from asgiref.sync import sync_to_async

    from agentdesk.desk import actions
    from agentdesk.lcmsim.service import set_fault

    await sync_to_async(add_contact)(phone="2025550125")
    await sync_to_async(set_fault)("slow", delay_seconds=0.6)
    tab = await connect(agents["alice"].user)
    frame = {"action": "next", "campaign_group": "Sales Manual Group", "consent": "Both"}
    await tab.send_to(text_data=json.dumps({**frame, "request_id": "a1-z"}))
    # Next has taken the agent's turn and waits for the slowed LCM.
    await eventually(lambda: AgentSession.objects.get(agent=agents["alice"]).busy_token)
    await actions.select(agents["alice"], campaign_group="Sales Manual Group", consent="true")
    seen = []
    while not await tab.receive_nothing(timeout=1.5):
        seen.append(await tab.receive_from(timeout=1))
    await sync_to_async(set_fault)("none")
    last_state = [m for m in seen if 'id="contact-card"' in m or "No contact on screen" in m][-1]
    assert 'id="contact-card"' in last_state  # the page ends on the contact, as stored
    await tab.disconnect()


async def test_an_action_that_fails_inside_agentdesk_still_ends_the_pages_wait(agents, monkeypatch):
    from agentdesk.desk import inputs

    async def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(inputs, "run", broken)
    tab = await connect(agents["alice"].user)
    await tab.send_to(text_data=json.dumps({"action": "next", "request_id": "a1-q"}))
    answer = await tab.receive_from(timeout=5)
    assert "could not handle" in answer and 'data-request="a1-q"' in answer
    await tab.disconnect()


async def test_a_frame_after_the_login_ended_does_nothing(agents):
    from asgiref.sync import sync_to_async

    from agentdesk.liveaccess.session_store import SessionStore

    await sync_to_async(add_contact)(phone="2025550126")
    tab = await connect(agents["alice"].user)
    await sync_to_async(SessionStore(session_key=tab.scope["session"].session_key).delete)()
    await tab.receive_output(timeout=3)  # the close: access ended
    frame = {"action": "next", "campaign_group": "Sales Manual Group", "consent": "Both"}
    await tab.send_to(text_data=json.dumps(frame))
    # The consumer handles its messages in order: once it has handled the disconnect after the
    # frame, whatever the frame would have done is done.
    await tab.disconnect(timeout=10)
    holders = await sync_to_async(lambda: list(Contact.objects.values_list("held_by", flat=True)))()
    assert holders == [""]
