"""Who is being called: the card's wrap-up panel shows the contact's name first, its business
fields (GetContactDetail, else GetScreenPopData), its numbers and its earlier attempts from
agentdesk's own log; with LCM down it still works and says what it could not read."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from agentdesk.desk import actions, details
from agentdesk.desk.contact import contact_of
from agentdesk.desk.models import AgentSession
from agentdesk.lcm import wrapup as w

from .helpers import HTMX, add_contact, post_for_screen

pytestmark = pytest.mark.django_db(transaction=True)
SALES = "Sales Manual Group"
NEXT = {"campaign_group": SALES, "consent": "Both"}


@sync_to_async
def db(func, *args, **kwargs):
    return func(*args, **kwargs)


@pytest.fixture
def key(agents) -> str:
    return add_contact(first_name="Grace")


def panel(client) -> str:
    answer = client.get("/desk/wrapup", headers=HTMX)
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"FName": "Grace", "LName": "Hopper"}, "Grace Hopper"),
        ({"first_name": "Ada", "Last Name": "Lovelace"}, "Ada Lovelace"),
        ({"Nachname": "Noether"}, "Noether"),
        ({"Name": "Alan Turing", "City": "London"}, "Alan Turing"),
        ({"City": "London"}, ""),
        ({"FName": "  ", "Name": "Kay"}, "Kay"),
    ],
)
def test_the_name_is_read_from_the_fields_lcm_deployments_use(fields, name):
    given = tuple(w.BusinessField(k, v) for k, v in fields.items())
    assert details.name_of(given) == name


def test_the_card_shows_the_name_first_then_the_business_fields(agents, key, alice):
    alice.post("/desk/next", NEXT, headers=HTMX)
    html = panel(alice)
    heading = html[html.index('id="wrapup-name"') : html.index("</h2>")]
    assert "Grace" in heading and "Person" in heading
    assert 'id="business-fields"' in html
    assert html.index('id="wrapup-name"') < html.index('id="business-fields"')
    session = AgentSession.objects.get(agent=agents["alice"])
    assert f'data-call-id="{session.call_id}"' in html


def test_the_card_lists_every_number_of_the_contact(agents, key, alice):
    alice.post("/desk/next", NEXT, headers=HTMX)
    html = panel(alice)
    assert 'id="contact-numbers"' in html
    session = AgentSession.objects.get(agent=agents["alice"])
    assert contact_of(session).phone_number[-4:] in html


def test_earlier_attempts_come_from_agentdesks_log(agents, key, alice):
    alice.post("/desk/next", NEXT, headers=HTMX)
    post_for_screen(
        alice, "/desk/skip", {"outcome": "4", "comment": "Call back after lunch"}, headers=HTMX
    )
    # The contact comes back (4 CallBack reopens it in the simulator) or is made again: the
    # log is read by its key.
    from agentdesk.desk.models import ActionLog

    skip = ActionLog.objects.get(kind="skip")
    attempts = details.earlier_attempts(key, call_id="another-attempt")
    assert [(a.entry.pk, a.agent_name, a.outcome, a.comment) for a in attempts] == [
        (skip.pk, "alice", f"4 {skip.outcome_name}", "Call back after lunch")
    ]
    # The attempt on screen is not an earlier one.
    assert details.earlier_attempts(key, call_id=skip.call_id) == []


async def test_lcm_down_the_card_still_works_and_says_so(agents, key, lcm_behind_proxy):
    alice = agents["alice"]
    result = await actions.next_contact(alice, campaign_group=SALES, consent="Both")
    assert result.ok
    lcm_behind_proxy.set("refuse")
    found = await details.load(result.session.call_id, key)
    assert found.fields == () and found.modes == () and not found.complete
    assert any("could not be read from LCM" in note for note in found.notes)
    # Nothing failed is kept: once LCM is back the details are read.
    lcm_behind_proxy.set("pass")
    again = await details.load(result.session.call_id, key)
    assert again.complete and again.name


async def test_without_business_fields_the_screen_pop_data_is_shown(agents, key, lcm_behind_proxy):
    alice = agents["alice"]
    result = await actions.next_contact(alice, campaign_group=SALES, consent="Both")
    error = {
        "channel": "LCM",
        "topic": "WebService",
        "subtopic": "WS_Error",
        "message": {"response": {"ErrorType": "WS_Error", "ErrorMessage": "Not licensed."}},
    }
    lcm_behind_proxy.answer("GetContactDetail", json.dumps(error))
    found = await details.load(result.session.call_id, key)
    assert found.source == "screen_pop" and "Grace" in found.name
    assert any("screen-pop data is shown instead" in note for note in found.notes)
    assert found.editable_fields == ()


async def test_a_field_lcm_gives_twice_is_shown_once_and_not_offered_for_correction(
    agents, key, lcm_behind_proxy
):
    alice = agents["alice"]
    result = await actions.next_contact(alice, campaign_group=SALES, consent="Both")
    fields = [
        {"FieldName": "FName", "Value": "Grace", "Editable": True},
        {"FieldName": "City", "Value": "Arlington", "Editable": True},
        {"FieldName": "city", "Value": "New York", "Editable": True},
        {"FieldName": "LName", "Value": "Hopper", "Editable": True},
        {"FieldName": "LName", "Value": "Hopper", "Editable": True},  # the same twice: harmless
    ]
    answer = {"channel": "LCM", "topic": "WebService", "subtopic": "ContactDetail",
              "message": {"response": fields}}  # fmt: skip
    lcm_behind_proxy.answer("GetContactDetail", json.dumps(answer))

    found = await details.load(result.session.call_id, key)

    assert [(f.name, f.value) for f in found.fields] == [
        ("FName", "Grace"), ("City", "Arlington"), ("LName", "Hopper")
    ]  # fmt: skip
    assert [f.name for f in found.editable_fields] == ["FName", "LName"]
    assert any("LCM gave City more than once" in note for note in found.notes)
    assert found.complete  # read all the same: kept, not asked again


async def test_the_details_are_read_once_per_attempt(agents, key, lcm_behind_proxy):
    alice = agents["alice"]
    result = await actions.next_contact(alice, campaign_group=SALES, consent="Both")
    call_id = result.session.call_id
    await details.load(call_id, key)
    await details.load(call_id, key)
    assert lcm_behind_proxy.received["GetContactDetail"] == 1
    assert lcm_behind_proxy.received["GetContactModes"] == 1
    details.forget(call_id)
    await details.load(call_id, key)
    assert lcm_behind_proxy.received["GetContactDetail"] == 2


def test_with_nothing_on_screen_the_panel_is_empty(agents, alice):
    html = panel(alice)
    assert 'id="wrapup-panel"' in html and 'id="wrapup-name"' not in html


def test_the_panel_speaks_german(agents, key, alice):
    alice.post("/desk/next", NEXT, headers=HTMX)
    html = alice.get("/desk/wrapup", headers={**HTMX, "Accept-Language": "de"}).content.decode()
    assert "Rückruf buchen" in html and "Frühere Versuche" in html
    assert "Kommentar zu diesem Anruf" in html and "Book callback" not in html


def test_a_contact_on_screen_from_before_call_ids_gets_one_for_its_wrapup(agents, key, alice):
    alice.post("/desk/next", NEXT, headers=HTMX)
    AgentSession.objects.filter(agent=agents["alice"]).update(call_id="")
    html = panel(alice)
    session = AgentSession.objects.get(agent=agents["alice"])
    assert len(session.call_id) == 32 and 'id="wrapup-name"' in html
    assert panel(alice).count(session.call_id) >= 1  # the same one from then on
    assert AgentSession.objects.get(agent=agents["alice"]).call_id == session.call_id
