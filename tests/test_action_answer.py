"""The acting tab's answer: one builder (desk/answer.py) for the POST views and the socket, and
the acting tab skipping the push of its own action by the action's id, never by comparing HTML."""

import json
import sys

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from agentdesk.desk import answer, lookups, state
from agentdesk.desk.actions import Outcome
from agentdesk.desk.consumers import AgentConsumer, answered
from agentdesk.desk.models import AgentSession
from agentdesk.lcmsim.service import set_fault

from .helpers import HTMX, add_contact, add_form, eventually, log_into, shown_fields

pytestmark = pytest.mark.django_db(transaction=True)

SALES = "Sales Manual Group"


async def connect(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
    await log_into(communicator, user)
    connected, _ = await communicator.connect()
    assert connected
    assert 'id="agent-status"' in await communicator.receive_from(timeout=5)  # the resync
    return communicator


def select_frame(consent: str, request_id: str) -> str:
    return json.dumps(
        {"action": "select", "campaign_group": SALES, "consent": consent, "request_id": request_id}
    )


@pytest.fixture
def answers(monkeypatch):
    """Every answer the builder made, in order."""
    built: list[str] = []
    original = answer.build

    async def recording(*args, **kwargs):
        said = await original(*args, **kwargs)
        built.append(said.html)
        return said

    monkeypatch.setattr(answer, "build", recording)
    return built


async def test_the_post_and_the_socket_answer_with_what_the_one_builder_made(agents, answers):
    alice = agents["alice"]
    client = Client()
    await sync_to_async(client.force_login)(alice.user)
    data = {"campaign_group": SALES, "consent": "true"}
    response = await sync_to_async(client.post)("/desk/select", data, headers=HTMX)
    assert response.status_code == 200
    assert answers == [response.content.decode()]
    assert 'id="agent-status"' in answers[0]

    tab = await connect(alice.user)
    await tab.send_to(text_data=select_frame("false", "r1"))
    frame = await tab.receive_from(timeout=5)
    assert len(answers) == 2
    assert frame == answers[1] + answered("r1")  # the builder's answer and the page's mark
    await tab.disconnect()


async def test_the_same_outcome_gets_the_same_answer_on_both_ways(agents):
    """A refusal with the state as stored: the POST's answer and the socket's are the same."""
    alice = agents["alice"]
    session = await sync_to_async(state.session_for)(alice)
    refused = Outcome(ok=False, message="Not now.", level="warning", session=session)
    by_post = await answer.build(refused, answer.context_for(alice))
    by_socket = await answer.build(refused, answer.context_for(alice), with_state=True)
    assert by_post.html == by_socket.html
    assert "Not now." in by_post.html and 'id="agent-status"' in by_post.html


async def test_the_acting_tab_skips_its_own_push_and_gets_the_next_actions_push(agents):
    alice = agents["alice"]
    acting, other = await connect(alice.user), await connect(alice.user)

    await acting.send_to(text_data=select_frame("true", "r1"))
    own = await acting.receive_from(timeout=5)
    assert 'data-request="r1"' in own and 'value="true" selected' in own
    pushed = await other.receive_from(timeout=5)  # the other tab gets the action's push
    assert 'value="true" selected' in pushed

    await other.send_to(text_data=select_frame("false", "r2"))
    assert 'data-request="r2"' in await other.receive_from(timeout=5)
    # The acting tab's next frame is the other tab's action: its own push was skipped.
    after = await acting.receive_from(timeout=5)
    assert 'value="false" selected' in after and "socket-answer" not in after
    for tab in (acting, other):
        await tab.disconnect()


async def test_a_push_is_skipped_by_the_action_that_caused_it_not_by_its_html():
    """Two pushes with the same HTML and version: the one naming this tab's action is
    skipped, another action's is shown."""
    consumer = AgentConsumer()
    consumer._held_pushes = []
    consumer._shown_version = 7
    consumer._answered_action = "mine"
    sent: list[str] = []

    async def send(text_data: str) -> None:
        sent.append(text_data)

    consumer.send = send
    same = {"type": "desk.push", "html": "<p>state</p>", "version": 7}
    await consumer.desk_push({**same, "action": "mine"})
    assert sent == []
    await consumer.desk_push({**same, "action": "another"})
    assert sent == ["<p>state</p>"]
    await consumer.desk_push({**same, "action": ""})  # a change no page action caused
    assert sent == ["<p>state</p>", "<p>state</p>"]


@pytest.fixture
def reference_reads(monkeypatch):
    """Every read of the outcome menu and of an agent's campaign groups, wherever it is made."""
    reads: list[str] = []
    for name in ("outcome_menu", "group_choices"):
        original = getattr(lookups, name)

        async def counting(*args, _original=original, _name=name, **kwargs):
            reads.append(_name)
            return await _original(*args, **kwargs)

        for module in list(sys.modules.values()):
            if module.__name__.startswith("agentdesk") and getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, counting)
    return reads


def read_at_most_once(reads: list[str]) -> bool:
    return reads.count("outcome_menu") <= 1 and reads.count("group_choices") <= 1


async def test_a_posted_action_and_its_answer_read_the_menu_and_groups_once(
    agents, reference_reads
):
    alice = agents["alice"]
    await sync_to_async(add_contact)(phone="2025550141")
    client = Client()
    await sync_to_async(client.force_login)(alice.user)
    post = sync_to_async(client.post)
    choice = {"campaign_group": SALES, "consent": "Both"}
    steps = [
        ("/desk/next", choice),
        ("/desk/next", choice),  # refused: a contact is on screen
        ("/desk/skip", None),
        ("/desk/add", add_form(first_name="Once")),
        ("/desk/add", add_form(campaign="Nope")),  # refused: the form's errors
        ("/desk/select", {**choice, "consent": "true"}),
    ]
    for path, data in steps:
        if data is None:
            data = {"outcome": "8", **await sync_to_async(shown_fields)(alice)}
        reference_reads.clear()
        assert (await post(path, data, headers=HTMX)).status_code == 200
        assert reference_reads, path  # the count sees the reads
        assert read_at_most_once(reference_reads), (path, reference_reads)


async def test_a_socket_action_and_its_answer_read_the_menu_and_groups_once(
    agents, reference_reads
):
    await sync_to_async(add_contact)(phone="2025550142")
    tab = await connect(agents["alice"].user)
    frames = [
        {"action": "next", "campaign_group": SALES, "consent": "Both"},
        {"action": "next", "campaign_group": SALES, "consent": "Both"},  # refused
        {"action": "reserved"},  # refused
        {"action": "select", "campaign_group": SALES, "consent": "true"},
        {"action": "dial-everyone"},  # unknown: answered with the state
    ]
    for n, frame in enumerate(frames):
        reference_reads.clear()
        await tab.send_to(text_data=json.dumps({**frame, "request_id": f"r{n}"}))
        while f'data-request="r{n}"' not in await tab.receive_from(timeout=5):
            pass
        assert reference_reads, frame
        assert read_at_most_once(reference_reads), (frame, reference_reads)
    await tab.disconnect()


async def test_two_tabs_acting_at_once_each_hear_their_own_answer_and_the_push_once(agents):
    alice = agents["alice"]
    await sync_to_async(add_contact)(phone="2025550143")
    first, second = await connect(alice.user), await connect(alice.user)
    await sync_to_async(set_fault)("slow", delay_seconds=0.8)
    frame = {"action": "next", "campaign_group": SALES, "consent": "Both"}
    await first.send_to(text_data=json.dumps({**frame, "request_id": "r1"}))
    await eventually(lambda: AgentSession.objects.get(agent=alice).busy_token)
    await second.send_to(text_data=json.dumps({**frame, "request_id": "r2"}))
    refused = await second.receive_from(timeout=5)
    assert 'data-request="r2"' in refused and "still running" in refused
    done = await first.receive_from(timeout=5)
    assert 'data-request="r1"' in done and 'id="contact-card"' in done
    assert 'id="contact-card"' in await second.receive_from(timeout=5)  # the first's push
    assert await first.receive_nothing(timeout=0.5)  # its own push: skipped
    await sync_to_async(set_fault)("none")
    for tab in (first, second):
        await tab.disconnect()


async def test_an_answer_that_cannot_be_built_ends_the_wait_and_the_push_shows_the_state(
    agents, monkeypatch
):
    """The action was done and published; only its answer failed: the page hears that, and the
    action's push (not skipped: no answer showed it) brings the new state."""
    await sync_to_async(add_contact)(phone="2025550144")
    tab = await connect(agents["alice"].user)

    async def broken(*args, **kwargs):
        raise RuntimeError("the answer could not be rendered")

    monkeypatch.setattr(answer, "build", broken)
    frame = {"action": "next", "campaign_group": SALES, "consent": "Both", "request_id": "r1"}
    await tab.send_to(text_data=json.dumps(frame))
    failed = await tab.receive_from(timeout=5)
    assert 'data-request="r1"' in failed and "could not handle" in failed
    assert 'id="contact-card"' in await tab.receive_from(timeout=5)
    await tab.disconnect()
