"""Every action about the contact on screen names the contact it was pressed for (its LCM key and
the session version the page showed): pressed on a screen that has moved on, it is refused with
"the contact on your screen changed" and the fresh state, and LCM is not asked."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from agentdesk.compliance.models import CampaignPolicy, DoNotCallEntry
from agentdesk.desk import onscreen
from agentdesk.desk.consumers import AgentConsumer
from agentdesk.desk.contact import contact_of
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcmsim.models import Contact

from .helpers import SALES, add_contact, banner, log_into, post_as_page, shown_in

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}
CHANGED = "The contact on your screen changed before your action arrived, so nothing was done."


def page_of(client: Client) -> str:
    return client.get("/").content.decode()


def test_a_skip_pressed_on_a_stale_tab_does_not_close_the_contact_another_tab_fetched(alice):
    """Issue: tab A shows contact 1; tab B skips it and gets contact 2; tab A (socket down, so
    it posts the form) skips with DNC — and LCM closed contact 2, listing its number."""
    first = add_contact(phone="2025550141")
    post_as_page(alice, "/desk/next", SALES)
    tab_a = page_of(alice)
    assert shown_in(tab_a) == {
        "contact_key": first,
        "session_version": shown_in(tab_a)["session_version"],
    }

    post_as_page(alice, "/desk/skip", {"outcome": "8"})  # tab B, up to date
    second = add_contact(phone="2025550142")
    post_as_page(alice, "/desk/next", SALES)

    answer = alice.post("/desk/skip", {"outcome": "5", **shown_in(tab_a)}, **HTMX)

    html = answer.content.decode()
    assert answer.status_code == 200 and CHANGED in banner(html)
    assert "2025550142" in html and shown_in(html)["contact_key"] == second  # the fresh state
    held = Contact.objects.get(lcm_key=second)
    assert held.status == Contact.IN_PROGRESS and held.outcome_id is None
    assert not DoNotCallEntry.objects.exists()
    assert Contact.objects.get(lcm_key=first).outcome_id == 8
    session = AgentSession.objects.get(agent__user__username="alice")
    assert session.state == AgentSession.PREVIEWING and contact_of(session).account_number == second


async def test_a_stale_socket_frame_is_refused_and_answered_with_the_fresh_state(agents):
    first = await sync_to_async(add_contact)(phone="2025550143")
    tab = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
    await log_into(tab, agents["alice"].user)
    assert (await tab.connect())[0]
    html = await tab.receive_from(timeout=10)
    await tab.send_to(text_data=json.dumps({"action": "next", **SALES, "request_id": "n1"}))
    while 'data-request="n1"' not in html:
        html += await tab.receive_from(timeout=10)
    stale = shown_in(html)
    assert stale["contact_key"] == first

    await tab.send_to(text_data=json.dumps({"action": "skip", "outcome": "8", **stale}))
    while "No contact on screen" not in html:
        html = await tab.receive_from(timeout=10)
    second = await sync_to_async(add_contact)(phone="2025550144")
    await tab.send_to(text_data=json.dumps({"action": "next", **SALES, "request_id": "n2"}))
    while 'data-request="n2"' not in html:
        html += await tab.receive_from(timeout=10)

    frame = {"action": "skip", "outcome": "3", "request_id": "s2", **stale}
    await tab.send_to(text_data=json.dumps(frame))
    answer = ""
    while 'data-request="s2"' not in answer:
        answer += await tab.receive_from(timeout=10)
    await tab.disconnect()

    assert CHANGED in answer and shown_in(answer)["contact_key"] == second
    assert (await Contact.objects.aget(lcm_key=second)).status == Contact.IN_PROGRESS
    assert await ActionLog.objects.filter(kind=ActionLog.SKIP).acount() == 1


def test_hand_back_and_confirm_on_a_stale_screen_are_refused(alice, agents, settings):
    from datetime import UTC, datetime

    settings.COMPLIANCE_CLOCK = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 22:00 in New York
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.CONFIRM)
    add_contact(phone="2025550145")
    post_as_page(alice, "/desk/next", SALES)
    stale = shown_in(page_of(alice))
    alice.post("/desk/select", {**SALES, "consent": "true"}, **HTMX)  # another tab: version moves
    # The same contact, another version: still the contact it was pressed for.
    confirmed = alice.post("/desk/confirm-dial", stale, **HTMX).content.decode()
    assert "Confirmed and logged" in confirmed

    post_as_page(alice, "/desk/skip", {"outcome": "8"})
    second = add_contact(phone="2025550146")
    post_as_page(alice, "/desk/next", SALES)
    for path in ("/desk/hand-back", "/desk/confirm-dial"):
        html = alice.post(path, stale, **HTMX).content.decode()
        assert CHANGED in banner(html), path
    assert Contact.objects.get(lcm_key=second).status == Contact.IN_PROGRESS
    assert ActionLog.objects.filter(kind=ActionLog.CONFIRM_DIAL).count() == 1


def test_a_key_fetched_again_is_another_holding(agents):
    """A page that showed key K before it was handed back and fetched again acts on the old
    holding: the session version tells them apart."""
    session = AgentSession.objects.get_or_create(agent=agents["alice"])[0]
    session.state = AgentSession.PREVIEWING
    session.contact = {"AccountNumber": "Spring Renewals|7", "PhoneNumber": "2025550147",
                       "CampaignId": "Spring Renewals"}  # fmt: skip
    session.version, session.contact_version = 12, 10
    assert onscreen.still_on_screen(session, onscreen.Shown("Spring Renewals|7", 10))
    assert onscreen.still_on_screen(session, onscreen.Shown("Spring Renewals|7", 12))
    assert not onscreen.still_on_screen(session, onscreen.Shown("Spring Renewals|7", 9))
    assert not onscreen.still_on_screen(session, onscreen.Shown("Spring Renewals|7", 13))
    assert not onscreen.still_on_screen(session, onscreen.Shown("Spring Renewals|8", 12))


def test_the_lead_releases_only_the_contact_the_row_showed(agents):
    add_contact(phone="2025550148")
    alice = Client()
    alice.force_login(agents["alice"].user)
    post_as_page(alice, "/desk/next", SALES)
    lead = Client()
    lead.force_login(agents["lead"])
    monitor = lead.get(f"/monitor/{agents['alice'].team_id}/").content.decode()
    row = monitor[monitor.index(f'id="agent-row-{agents["alice"].pk}"') :]
    stale = shown_in(row[: row.index("</form>")])

    post_as_page(alice, "/desk/skip", {"outcome": "8"})
    second = add_contact(phone="2025550149")
    post_as_page(alice, "/desk/next", SALES)
    url = f"/monitor/{agents['alice'].team_id}/agents/{agents['alice'].pk}/release"

    html = lead.post(url, {"outcome": "3", **stale}, **HTMX).content.decode()

    assert "The contact on alice&#x27;s screen changed since your page showed it" in html
    assert f'id="agent-row-{agents["alice"].pk}"' in html  # the row as it is now
    assert shown_in(html)["contact_key"] == second
    assert Contact.objects.get(lcm_key=second).status == Contact.IN_PROGRESS
    assert not ActionLog.objects.filter(kind=ActionLog.RELEASE).exists()


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({}, "contact_key: missing."),
        ({"contact_key": "x"}, "session_version: missing."),
        ({"contact_key": "x", "session_version": "seven"}, "session_version: expected a whole"),
        ({"contact_key": "x", "session_version": "-1"}, "session_version: expected a whole"),
        ({"contact_key": "x", "session_version": "١٢"}, "session_version: expected a whole"),
    ],
)
def test_an_action_that_does_not_name_its_contact_is_refused_naming_the_field(alice, fields, said):
    key = add_contact(phone="2025550150")
    post_as_page(alice, "/desk/next", SALES)
    for path in ("/desk/skip", "/desk/hand-back", "/desk/confirm-dial", "/desk/preview-expired"):
        answer = alice.post(path, {"outcome": "8", **fields}, **HTMX)
        assert answer.status_code == 200
        assert said in banner(answer.content.decode()), path
    assert Contact.objects.get(lcm_key=key).status == Contact.IN_PROGRESS
