"""The agent page's live connection is checked, not trusted: the server answers the page's ping
with its clock, tells each connection its id, and refuses an action that arrives after the
page stopped waiting for it or on another connection than the one it was pressed on — so an
action the page has told the agent is not done is never carried out later. The page's side
(offline event, ping, banner, reconnect) is in tests/test_browser_connection.py."""

import json
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from agentdesk.desk import timeliness
from agentdesk.desk.consumers import AgentConsumer
from agentdesk.desk.models import ActionLog
from agentdesk.lcmsim.models import Contact

from .helpers import SALES, add_contact, banner, log_into, post_as_page, shown_in

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}
TOO_LATE = "after your page had stopped waiting for it, so it was not carried out"


async def connected(agents) -> tuple[WebsocketCommunicator, str]:
    tab = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
    await log_into(tab, agents["alice"].user)
    assert (await tab.connect())[0]
    return tab, await tab.receive_from(timeout=10)


async def answer_to(tab: WebsocketCommunicator, frame: dict[str, str]) -> str:
    await tab.send_to(text_data=json.dumps(frame))
    html = ""
    while f'data-request="{frame["request_id"]}"' not in html:
        html += await tab.receive_from(timeout=10)
    return html


async def test_the_server_answers_a_ping_with_its_clock_and_the_connection_its_id(agents):
    tab, resync = await connected(agents)
    clock = re.search(r'id="socket-clock"[^>]*data-connection="([^"]+)" data-server-ms="(\d+)"',
                      resync)  # fmt: skip
    assert clock and abs(int(clock.group(2)) - timeliness.now_ms()) < 5000

    await tab.send_to(text_data=json.dumps({"action": "ping", "ping": "7"}))
    pong = await tab.receive_from(timeout=5)
    await tab.disconnect()

    assert re.fullmatch(r'<div id="socket-pong" hidden data-ping="7" data-server-ms="\d+"></div>',
                        pong)  # fmt: skip


async def test_a_skip_arriving_after_the_pages_deadline_is_refused_and_not_done(agents):
    """Issue 28: offline, Skip spun, the page said it got no answer — and when the network
    came back the queued Skip was carried out."""
    key = await sync_to_async(add_contact)(phone="2025550181")
    tab, html = await connected(agents)
    connection = re.search(r'data-connection="([^"]+)"', html).group(1)
    html = await answer_to(tab, {"action": "next", **SALES, "request_id": "n1"})
    late = {"action": "skip", "outcome": "8", "request_id": "s1", "connection": connection,
            "deadline": str(timeliness.now_ms() - 1500), **shown_in(html)}  # fmt: skip

    answer = await answer_to(tab, late)

    assert TOO_LATE in answer and "reached agentdesk 1." in answer
    assert "2025550181" in answer  # the fresh state: still on screen
    assert (await Contact.objects.aget(lcm_key=key)).status == Contact.IN_PROGRESS
    assert not await ActionLog.objects.filter(kind=ActionLog.SKIP).aexists()

    in_time = {**late, "request_id": "s2", "deadline": str(timeliness.now_ms() + 10000)}
    assert "Skipped with outcome 8" in await answer_to(tab, in_time)
    await tab.disconnect()


async def test_a_frame_pressed_on_an_earlier_connection_is_refused(agents):
    key = await sync_to_async(add_contact)(phone="2025550182")
    tab, _ = await connected(agents)
    html = await answer_to(tab, {"action": "next", **SALES, "request_id": "n1"})
    queued = {"action": "skip", "outcome": "8", "request_id": "s1",
              "connection": "the-connection-before", **shown_in(html)}  # fmt: skip

    answer = await answer_to(tab, queued)
    await tab.disconnect()

    assert "was pressed before the live connection dropped" in answer
    assert (await Contact.objects.aget(lcm_key=key)).status == Contact.IN_PROGRESS


def test_a_posted_action_after_its_deadline_is_refused(alice):
    key = add_contact(phone="2025550183")
    post_as_page(alice, "/desk/next", SALES)

    late = post_as_page(alice, "/desk/skip", {"outcome": "8", "deadline": "1000"})
    bad = post_as_page(alice, "/desk/skip", {"outcome": "8", "deadline": "soon"})
    fetch = post_as_page(alice, "/desk/reserved", {"deadline": "1000"})

    assert TOO_LATE in banner(late) and TOO_LATE in banner(fetch)
    assert "deadline: expected the time in milliseconds since 1970, got &#x27;soon&#x27;" in bad
    assert Contact.objects.get(lcm_key=key).status == Contact.IN_PROGRESS
    in_time = str(timeliness.now_ms() + 5000)
    assert "Skipped with outcome 8" in banner(
        post_as_page(alice, "/desk/skip", {"outcome": "8", "deadline": in_time})
    )


async def test_a_ping_is_answered_while_lcm_takes_its_time(agents, lcm_behind_proxy):
    """A slow LCM is no dead connection: the page's ping is answered during the action (the
    page would otherwise give the connection up after 4 s of an LCM call)."""
    await sync_to_async(add_contact)(phone="2025550184")
    lcm_behind_proxy.late["GetDownloadContactsForDialing"] = 0.6
    tab, _ = await connected(agents)
    await tab.send_to(text_data=json.dumps({"action": "next", **SALES, "request_id": "n1"}))
    await tab.send_to(text_data=json.dumps({"action": "ping", "ping": "1"}))

    frames = [await tab.receive_from(timeout=10)]
    while 'data-request="n1"' not in frames[-1]:
        frames.append(await tab.receive_from(timeout=10))
    await tab.disconnect()

    assert frames[0].startswith('<div id="socket-pong" hidden data-ping="1"'), frames[0][:80]
    assert "is on your screen" in frames[-1]
