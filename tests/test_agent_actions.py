"""The agent's actions: the state machine, one action at a time, and every LCM failure leaving
the agent exactly where they were."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from agentdesk.desk import actions, inputs
from agentdesk.desk.actions import ActionContext
from agentdesk.desk.contact import contact_of
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcmsim.models import Contact
from agentdesk.lcmsim.service import set_fault

from .helpers import add_contact, add_through_form

pytestmark = pytest.mark.django_db(transaction=True)

SALES = "Sales Manual Group"


@sync_to_async
def session_of(profile) -> AgentSession:
    return AgentSession.objects.get(agent=profile)


@sync_to_async
def db(func, *args, **kwargs):
    return func(*args, **kwargs)


async def next_for(profile, group=SALES, consent="Both"):
    return await actions.next_contact(profile, campaign_group=group, consent=consent)


@pytest.fixture
def contacts(agents):
    return [add_contact(phone=f"20255501{n:02d}") for n in range(5)]


async def test_next_then_skip_goes_idle_previewing_idle(agents, contacts):
    alice = agents["alice"]
    result = await next_for(alice)
    assert result.ok and result.level == "success"
    session = await session_of(alice)
    assert session.state == AgentSession.PREVIEWING
    assert contact_of(session).account_number == contacts[0]
    held = await db(Contact.objects.get, lcm_key=contacts[0])
    assert held.held_by == "a1@test"  # the agent ID from the profile

    result = await actions.skip_contact(alice, outcome_id="8")
    assert result.ok, result.message
    session = await session_of(alice)
    assert session.state == AgentSession.IDLE and session.contact is None
    closed = await db(Contact.objects.get, lcm_key=contacts[0])
    assert closed.status == Contact.CLOSED and closed.outcome_id == 8
    kinds = await db(
        lambda: list(ActionLog.objects.order_by("at").values_list("kind", "ok", "outcome_id"))
    )
    assert kinds == [("next", True, None), ("skip", True, 8)]


async def test_next_while_previewing_is_refused(agents, contacts):
    alice = agents["alice"]
    await next_for(alice)
    before = await session_of(alice)
    result = await next_for(alice)
    assert not result.ok and "skip it with an outcome first" in result.message
    after = await session_of(alice)
    assert after.contact == before.contact
    assert await db(Contact.objects.filter(status=Contact.IN_PROGRESS).count) == 1


async def test_skip_with_nothing_on_screen_is_refused(agents, contacts):
    result = await actions.skip_contact(agents["alice"], outcome_id=3)
    assert not result.ok and "no contact on your screen" in result.message


@pytest.mark.parametrize("outcome", [None, "", "abc", "999", "130"])
async def test_skip_needs_an_outcome_from_the_list(agents, contacts, outcome):
    await next_for(agents["alice"])
    result = await actions.skip_contact(agents["alice"], outcome_id=outcome)
    assert not result.ok and "Pick an outcome" in result.message
    assert (await session_of(agents["alice"])).state == AgentSession.PREVIEWING


async def test_no_contact_is_a_friendly_idle(agents):
    result = await next_for(agents["alice"])
    assert result.ok and result.level == "info"
    assert result.message == (
        "No contact available in Sales Manual Group right now. LCM said: "
        "“No contacts available in campaign group Sales Manual Group.”"
    )
    session = await session_of(agents["alice"])
    assert session.state == AgentSession.IDLE and session.notice == result.message


async def test_a_group_outside_the_profile_is_refused(agents, contacts):
    result = await next_for(agents["bob"], group="Service Manual Group")
    assert not result.ok and "campaign groups" in result.message
    assert await db(Contact.objects.filter(status=Contact.IN_PROGRESS).count) == 0


async def test_reserved_contact(agents):
    key = await db(add_contact, call_type="2", agent_id="a2@test")
    assert (await actions.reserved_contact(agents["alice"])).message == (
        "No contact is reserved for you right now. LCM said: "
        "“No contact is reserved for agent a1@test.”"
    )
    result = await actions.reserved_contact(agents["bob"])
    assert result.ok
    assert contact_of(await session_of(agents["bob"])).account_number == key


async def test_reserved_through_the_newer_call(agents, settings):
    settings.LCM_RESERVED_SUBTOPIC = "GetReservedManualDialContact"
    key = await db(add_contact, call_type="2", agent_id="a1@test")
    result = await actions.reserved_contact(agents["alice"])
    assert result.ok
    log = await db(ActionLog.objects.get)
    assert log.subtopic == "GetReservedManualDialContact" and log.lcm_key == key


async def test_twenty_simultaneous_next_requests_fetch_one_contact(agents, contacts):
    alice = agents["alice"]
    results = await asyncio.gather(*(next_for(alice) for _ in range(20)))
    assert sum(r.ok for r in results) == 1
    refusals = {r.message for r in results if not r.ok}
    assert refusals <= {
        actions.BUSY_MESSAGE,
        "A contact is already on your screen: skip it with an outcome first.",
    }
    assert await db(Contact.objects.filter(status=Contact.IN_PROGRESS).count) == 1
    assert await db(ActionLog.objects.filter(kind="next").count) == 1
    session = await session_of(alice)
    assert session.state == AgentSession.PREVIEWING and session.busy_token == ""


@pytest.mark.parametrize(
    ("fault", "delay", "kind", "words", "unknown"),
    [
        ("down", 0, "unreachable", "unreachable", False),
        ("slow", 1.5, "timeout", "did not answer in time", True),
        ("garbage", 0, "bad_answer", "cannot read", True),
        ("wrong_shape", 0, "bad_answer", "cannot read", True),
        ("ws_error", 0, "rejected", "Simulated LCM failure.", False),
    ],
)
async def test_lcm_failures_leave_the_agent_as_they_were(
    agents, contacts, settings, fault, delay, kind, words, unknown
):
    settings.LCM_TIMEOUT_SECONDS = 0.5
    alice = agents["alice"]
    await next_for(alice)  # a contact on screen
    # Warm the outcome cache, then break LCM.
    await actions.skip_contact(alice, outcome_id="bad")
    before = await session_of(alice)
    await db(set_fault, fault, delay_seconds=delay)

    skip = await actions.skip_contact(alice, outcome_id=3)
    add = await add_through_form(
        alice,
        {
            "campaign": "Spring Renewals",
            "first_name": "Kept",
            "last_name": "Entry",
            "mode1_name": "Home",
            "mode1_number": "2025550177",
            "mode1_tz": "(UTC-05:00) Eastern Time (US and Canada)",
            "callback_start": "2030-01-01T09:00",
            "callback_end": "2030-02-01T09:00",
            "call_type": "0",
            "priority": "0",
            "status": "4",
            "request_token": "tok-1",
        },
    )
    for result in (skip, add):
        # A write whose answer is lost or unreadable may have been done: said so, as a warning.
        assert not result.ok and result.level == ("warning" if unknown else "error")
        assert words in result.message
        assert ("LCM may" in result.message) is unknown
        assert ("Nothing was changed" in result.message) is (fault in ("down", "ws_error"))
    assert add.form is not None and add.form.data["first_name"] == "Kept"

    after = await session_of(alice)
    assert after.state == AgentSession.PREVIEWING
    assert after.contact == before.contact
    assert after.busy_token == ""
    assert words in after.last_error
    failed = await db(
        lambda: list(ActionLog.objects.filter(ok=False).values_list("kind", "error_kind"))
    )
    assert sorted(failed) == [("add", kind), ("skip", kind)]

    await db(set_fault, "none")  # recovery: the next action works
    assert (await actions.skip_contact(alice, outcome_id=3)).ok
    if unknown:  # the same form is not sent again until the agent has checked LCM
        again = await add_through_form(alice, add.form.data)
        assert not again.ok and "not sent again" in again.message
        assert (await add_through_form(alice, {**add.form.data, "add_anyway": "on"})).ok
    else:
        assert (await add_through_form(alice, add.form.data)).ok
    assert await db(Contact.objects.filter(business_fields__first_name="Kept").count) == 1


async def test_lcm_down_on_next_keeps_the_agent_idle(agents, contacts):
    await db(set_fault, "down")
    result = await next_for(agents["alice"])
    assert not result.ok and "unreachable" in result.message
    session = await session_of(agents["alice"])
    assert session.state == AgentSession.IDLE and session.contact is None
    assert await db(Contact.objects.filter(status=Contact.IN_PROGRESS).count) == 0


async def test_a_lost_skip_answer_can_be_retried(agents, contacts):
    """LCM closes the contact but its answer is lost: the retry succeeds, nothing twice."""
    alice = agents["alice"]
    await next_for(alice)
    await db(set_fault, "garbage", act_before_failing=True)
    assert not (await actions.skip_contact(alice, outcome_id=3)).ok
    assert (await session_of(alice)).state == AgentSession.PREVIEWING
    await db(set_fault, "none")
    assert (await actions.skip_contact(alice, outcome_id=3)).ok
    assert (await session_of(alice)).state == AgentSession.IDLE


def add_form(**overrides):
    data = {
        "campaign": "Spring Renewals",
        "first_name": "Zoë",
        "last_name": "O'Brien",
        "mode1_name": "Mobile",
        "mode1_number": "+1 202 555 0199",
        "mode1_tz": "(UTC-05:00) Eastern Time (US and Canada)",
        "callback_start": "2030-01-01T09:00",
        "callback_end": "2030-02-01T09:00",
        "call_type": "0",
        "priority": "2",
        "status": "4",
        "request_token": "t-1",
    }
    data.update(overrides)
    return data


async def test_add_contact_shows_the_new_key_and_leaves_the_screen_alone(agents, contacts):
    alice = agents["alice"]
    await next_for(alice)
    before = await session_of(alice)
    result = await add_through_form(
        alice, add_form(first_name='<b>"Tom" & Jerry</b>', last_name="</first_name><x>")
    )
    assert result.ok and result.lcm_key and result.lcm_key in result.message
    stored = await db(Contact.objects.get, lcm_key=result.lcm_key)
    assert stored.business_fields == {
        "first_name": '<b>"Tom" & Jerry</b>',
        "last_name": "</first_name><x>",
    }
    assert stored.status == 4 and stored.priority == 2 and stored.created_by == "a1@test"
    after = await session_of(alice)
    assert after.state == AgentSession.PREVIEWING and after.contact == before.contact
    assert result.form is not None and not result.form.is_bound  # a fresh form


@pytest.mark.parametrize(
    ("typed", "zone", "sent"),
    [
        ("(202) 555-0143", "(UTC-05:00) Eastern Time (US and Canada)", "+12025550143"),
        (
            "030/1234567",
            "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
            "+49301234567",
        ),
        ("+49 (0)30 1234567", "(UTC-05:00) Eastern Time (US and Canada)", "+49301234567"),
    ],
)
async def test_add_contact_sends_numbers_in_one_canonical_form(agents, typed, zone, sent):
    result = await add_through_form(
        agents["alice"], add_form(mode1_number=typed, mode1_tz=zone, request_token=typed)
    )
    assert result.ok, result.message
    stored = await db(Contact.objects.get, lcm_key=result.lcm_key)
    assert [m.number for m in await db(lambda: list(stored.modes.all()))] == [sent]


async def test_the_same_add_submitted_twice_creates_one_contact(agents):
    first = await add_through_form(agents["alice"], add_form(request_token="same"))
    second = await add_through_form(agents["alice"], add_form(request_token="same"))
    assert first.ok and second.ok and "already added" in second.message
    assert await db(Contact.objects.filter(created_by="a1@test").count) == 1


async def test_add_contact_rejects_bad_input_by_field(agents):
    result = await add_through_form(
        agents["alice"],
        add_form(
            campaign="Onboarding Calls" if False else "Nope",
            mode1_number="call me",
            first_name="",
            last_name="",
            callback_end="2020-01-01T00:00",
        ),
    )
    assert not result.ok
    errors = result.form.errors
    assert set(errors) >= {"campaign", "mode1_number", "last_name", "callback_end"}
    assert await db(Contact.objects.count) == 0


async def test_bob_cannot_add_to_a_campaign_outside_his_groups(agents):
    result = await add_through_form(agents["bob"], add_form(campaign="Service Follow-up"))
    assert not result.ok and "campaign" in result.form.errors


async def test_unknown_socket_action(agents):
    context = ActionContext(agents["alice"])
    result = (await inputs.run(context, "dial-everyone", {})).outcome
    assert not result.ok and "Unknown action" in result.message
