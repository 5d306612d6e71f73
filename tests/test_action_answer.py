"""The acting tab's answer: one builder (desk/answer.py) for the POST views and the socket, and
the acting tab skipping the push of its own action by the action's id, never by comparing HTML."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from agentdesk.desk import answer, state
from agentdesk.desk.actions import Outcome
from agentdesk.desk.consumers import AgentConsumer, answered

from .helpers import HTMX, log_into

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
