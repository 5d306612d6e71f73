"""Writes whose answer is lost or unreadable: agentdesk says LCM may have acted (never
"nothing changed"), and reconciles on the retry. Through the real HTTP path: the agent's page
→ agentdesk → a proxy that lets LCM act and then garbles or drops the answer → the simulator."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from agentdesk.compliance.models import CampaignPolicy
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcmsim.models import Contact

from .helpers import SALES, add_contact, banner
from .helpers import post_as_page as post

pytestmark = pytest.mark.django_db(transaction=True)
GARBLED = b"<html><body>502 Bad Gateway</body></html>"
ADD_FORM = {
    "campaign": "Spring Renewals",
    "first_name": "Una",
    "last_name": "Known",
    "mode1_name": "Home",
    "mode1_number": "2025550166",
    "mode1_tz": "(UTC-05:00) Eastern Time (US and Canada)",
    "callback_start": "2030-01-01T09:00",
    "callback_end": "2030-02-01T09:00",
    "call_type": "0",
    "priority": "0",
    "status": "0",
    "request_token": "unknown-add-1",
}


@pytest.fixture
def desk(agents, lcm_behind_proxy):
    client = Client()
    client.force_login(agents["alice"].user)
    return client


def session() -> AgentSession:
    return AgentSession.objects.get(agent__user__username="alice")


def on_screen(client: Client, phone: str) -> str:
    html = post(client, "/desk/next", SALES)
    assert "is on your screen" in banner(html), banner(html)
    return html


def test_a_lost_skip_answer_is_unknown_and_the_retry_offers_the_same_outcome(desk, proxy):
    key = add_contact(phone="2025550161")
    on_screen(desk, "2025550161")
    proxy.answer("SkipManualDialContact", GARBLED, forward_first=True)  # LCM closes it, then…

    html = post(desk, "/desk/skip", {"outcome": "3"})

    said = banner(html)
    assert "LCM may already have closed this contact with 3 Busy" in said
    assert "Nothing was changed" not in said
    assert session().state == "previewing"  # agentdesk does not know: the contact stays
    assert "Your skip with 3 Busy was not confirmed by LCM" in html  # the card says so too
    assert re.search(r'<option value="3" selected>', html)  # the same outcome, offered first
    assert Contact.objects.get(lcm_key=key).outcome_id == 3

    # A different outcome: LCM says the contact is closed (by the skip whose answer was lost):
    # off the screen with LCM's words, and the log counts the earlier close once.
    proxy.answers.clear()
    html = post(desk, "/desk/skip", {"outcome": "8"})
    said = banner(html)
    assert "“Contact is already closed with outcome 3 Busy.”" in said
    assert "It is off your screen" in said
    assert session().state == "idle" and not session().unconfirmed
    stored = Contact.objects.get(lcm_key=key)
    assert stored.status == Contact.CLOSED and stored.outcome_id == 3
    closes = ActionLog.objects.filter(kind="skip", lcm_key=key, ok=True)
    assert [(e.outcome_id, e.result[:26]) for e in closes] == [(3, "Closed by the earlier skip")]
    assert proxy.received["SkipManualDialContact"] == 2


def test_the_same_outcome_again_after_an_unknown_skip_confirms_it(desk, proxy):
    key = add_contact(phone="2025550164")
    on_screen(desk, "2025550164")
    proxy.answer("SkipManualDialContact", GARBLED, forward_first=True)
    post(desk, "/desk/skip", {"outcome": "3"})
    proxy.answers.clear()

    html = post(desk, "/desk/skip", {"outcome": "3"})

    assert "Skipped with outcome 3 Busy." in banner(html)
    assert session().state == "idle" and not session().unconfirmed
    assert Contact.objects.get(lcm_key=key).outcome_id == 3


def test_a_lost_hand_back_answer_is_unknown_like_a_skip(desk, proxy, settings):
    """Hand back, a lead's release and Skip close a contact the same way, so a hand-back whose
    answer is lost is reported and reconciled like a skip."""
    settings.COMPLIANCE_CLOCK = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 22:00 in New York
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.BLOCK)
    key = add_contact(phone="2025550163")
    on_screen(desk, "2025550163")
    proxy.answer("SkipManualDialContact", GARBLED, forward_first=True)

    html = post(desk, "/desk/hand-back")

    said = banner(html)
    assert "LCM may already have closed this contact with 4 CallBack" in said
    assert "Nothing was changed" not in said
    assert session().state == "previewing" and session().unconfirmed["skip"]["outcome_id"] == 4
    assert Contact.objects.get(lcm_key=key).outcome_id == 4
    assert proxy.received["SkipManualDialContact"] == 1


def test_a_retry_lcm_refuses_after_an_unknown_skip_counts_as_done(desk, proxy):
    key = add_contact(phone="2025550162")
    on_screen(desk, "2025550162")
    proxy.answer("SkipManualDialContact", GARBLED, forward_first=True)
    post(desk, "/desk/skip", {"outcome": "8"})
    # An LCM that refuses any repeat, in its own words.
    proxy.answer(
        "SkipManualDialContact",
        {"channel": "LCM", "topic": "WebService", "subtopic": "WS_Error",
         "message": {"response": {"ErrorType": "WS_Error",
                                  "ErrorMessage": "Contact is not in Open state."}}},
    )  # fmt: skip

    html = post(desk, "/desk/skip", {"outcome": "8"})

    said = banner(html)
    assert "“Contact is not in Open state.”" in said
    assert "your earlier skip with 8 No Answer most likely closed the contact" in said
    assert session().state == "idle" and session().contact is None
    assert Contact.objects.get(lcm_key=key).outcome_id == 8  # closed once, by the first skip


def test_a_skip_that_timed_out_is_unknown_then_confirmed(desk, proxy):
    key = add_contact(phone="2025550163")
    on_screen(desk, "2025550163")
    proxy.set("slow")  # LCM acts, its answer comes too late

    said = banner(post(desk, "/desk/skip", {"outcome": "9"}))

    proxy.set("pass")
    assert "LCM may already have closed this contact with 9 Reject" in said
    assert "did not answer in time" in said
    html = post(desk, "/desk/skip", {"outcome": "9"})
    assert "Skipped with outcome 9 Reject." in banner(html)
    assert Contact.objects.get(lcm_key=key).status == Contact.CLOSED


def test_a_skip_that_never_left_says_nothing_changed(desk, proxy):
    add_contact(phone="2025550164")
    on_screen(desk, "2025550164")
    proxy.set("refuse")  # connection refused: the request never reached LCM

    said = banner(post(desk, "/desk/skip", {"outcome": "3"}))

    proxy.set("pass")
    assert "unreachable" in said and "Nothing was changed" in said
    assert not session().unconfirmed


def test_a_lost_fetch_answer_says_lcm_may_hold_a_contact(desk, proxy):
    key = add_contact(phone="2025550165")
    proxy.answer("GetDownloadContactsForDialing", GARBLED, forward_first=True)

    said = banner(post(desk, "/desk/next", SALES))

    assert "LCM may have handed you a contact" in said
    assert "press Next Contact again" in said
    assert session().state == "idle"
    assert Contact.objects.get(lcm_key=key).held_by == "a1@test"
    proxy.answers.clear()
    html = on_screen(desk, "2025550165")  # LCM gives back the contact it holds
    assert key in html
    assert Contact.objects.filter(held_by="a1@test", status=Contact.IN_PROGRESS).count() == 1


def test_a_lost_add_answer_is_not_sent_again_without_the_agent_saying_so(desk, proxy):
    proxy.answer("CreateContact", GARBLED, forward_first=True)

    html = post(desk, "/desk/add", ADD_FORM)

    said = banner(html)
    assert "LCM may have added this contact" in said and "Nothing was changed" not in said
    assert 'value="Una"' in html  # entries kept
    assert Contact.objects.filter(business_fields__first_name="Una").count() == 1

    proxy.answers.clear()
    html = post(desk, "/desk/add", ADD_FORM)  # the same form again
    assert "may have reached LCM, so it was not sent again" in banner(html)
    assert 'name="add_anyway"' in html
    assert proxy.received["CreateContact"] == 1
    assert Contact.objects.filter(business_fields__first_name="Una").count() == 1

    html = post(desk, "/desk/add", {**ADD_FORM, "add_anyway": "on"})  # the agent checked LCM
    assert "LCM key:" in banner(html)
    assert Contact.objects.filter(business_fields__first_name="Una").count() == 2
    assert not (session().unconfirmed or {}).get("add")
