"""The calling-hours guard through the agent page over HTTP: off, warn, confirm and block, the
hand-back key, and confirmations logged for the monitor and the export."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.test import Client

from agentdesk.compliance.models import CampaignPolicy
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcmsim.models import Contact

from .helpers import add_contact, post_for_screen

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}
LATE = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Mon 22:00 in New York
AFTERNOON = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # Tue 14:00 in New York
GROUP = {"campaign_group": "Sales Manual Group", "consent": "Both"}


@pytest.fixture
def late(settings):
    settings.COMPLIANCE_CLOCK = LATE


def policy(mode, **fields):
    return CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=mode, **fields)


def next_contact(client) -> str:
    response = client.post("/desk/next", GROUP, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_block_disables_dialing_says_when_and_hands_back_in_one_key(alice, agents, late):
    policy(CampaignPolicy.BLOCK)
    key = add_contact(phone="2025550100")
    html = next_contact(alice)
    assert "Do not dial this contact." in html
    assert "It is Mon 22:00 America/New_York for this contact: outside calling hours" in html
    assert "May be called from Tue 24 Nov 08:00 their time (in 10 h 0 min)." in html
    assert '<span id="contact-number" class="dial dial-disabled"' in html
    assert 'href="tel:+1-202-555-0100"' not in html
    assert "Hand back with 4 CallBack <kbd>H</kbd>" in html
    page = alice.get("/").content.decode()
    assert "dial-disabled" in page and "btn-hand-back" in page  # the same after a reload

    response = post_for_screen(alice, "/desk/hand-back", **HTMX)
    assert "Handed back with outcome 4 CallBack." in response.content.decode()
    stored = Contact.objects.get(lcm_key=key)
    assert stored.outcome_id == 4 and stored.closed_by == "a1@test"
    session = AgentSession.objects.get(agent=agents["alice"])
    assert session.state == AgentSession.IDLE and session.contact is None
    entry = ActionLog.objects.get(kind=ActionLog.HAND_BACK)
    assert entry.result == "Handed back (outside calling hours) with 4 CallBack"
    assert entry.outcome_id == 4 and entry.lcm_key == key


def test_block_lets_the_same_contact_through_inside_its_window(alice, settings):
    settings.COMPLIANCE_CLOCK = AFTERNOON
    policy(CampaignPolicy.BLOCK)
    add_contact(phone="2025550100")
    html = next_contact(alice)
    assert '<a id="contact-number" class="dial" href="tel:+1-202-555-0100"' in html
    assert "Do not dial" not in html and "btn-hand-back" not in html
    refused = post_for_screen(alice, "/desk/hand-back", **HTMX).content.decode()
    assert "Nothing stops you dialing this contact" in refused
    assert not ActionLog.objects.filter(kind=ActionLog.HAND_BACK).exists()


def test_weekdays_are_judged_in_their_time(alice, settings):
    # Tuesday 14:00 in New York, but the campaign calls Monday, Wednesday and Friday only.
    settings.COMPLIANCE_CLOCK = AFTERNOON
    policy(CampaignPolicy.BLOCK, weekdays="135")
    add_contact(phone="2025550100")
    html = next_contact(alice)
    assert "08:00–21:00 Mon, Wed, Fri" in html
    assert "May be called from Wed 25 Nov 08:00 their time" in html


def test_confirm_needs_a_logged_confirmation_shown_on_the_monitor(alice, agents, late):
    policy(CampaignPolicy.CONFIRM)
    key = add_contact(phone="2025550100")
    html = next_contact(alice)
    assert "Outside calling hours: confirm before dialing." in html
    assert "Confirm and dial <kbd>C</kbd>" in html
    assert "dial-disabled" in html

    response = post_for_screen(alice, "/desk/confirm-dial", **HTMX)
    assert response["HX-Trigger"] == '{"agentdesk:dial": {"href": "tel:+1-202-555-0100"}}'
    html = response.content.decode()
    assert "Confirmed and logged. Dialing (202) 555-0100." in html
    assert '<a id="contact-number" class="dial" href="tel:+1-202-555-0100"' in html
    assert "Dialing outside calling hours confirmed at" in html
    entry = ActionLog.objects.get(kind=ActionLog.CONFIRM_DIAL)
    assert entry.agent == agents["alice"] and entry.lcm_key == key
    assert entry.phone_last4 == "0100" and entry.campaign == "Spring Renewals"
    assert entry.result == (
        "Dial outside calling hours (08:00–21:00) confirmed; their time Mon 22:00 America/New_York"
    )
    # Confirming again does not log twice.
    again = post_for_screen(alice, "/desk/confirm-dial", **HTMX)
    assert "Already confirmed" in again.content.decode()
    assert ActionLog.objects.filter(kind=ActionLog.CONFIRM_DIAL).count() == 1

    lead = Client()
    lead.force_login(agents["lead"])
    team = agents["alice"].team
    monitor = lead.get(f"/monitor/{team.pk}/").content.decode()
    assert "Dial outside hours confirmed" in monitor and "their time Mon 22:00" in monitor
    export = lead.get(f"/monitor/{team.pk}/export.csv", {"date": entry.at.date().isoformat()})
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    confirmed = [row for row in rows if row["action"] == "confirm_dial"]
    assert len(confirmed) == 1
    assert confirmed[0]["acted_by"] == "alice" and confirmed[0]["lcm_key"] == key
    assert "their time Mon 22:00 America/New_York" in confirmed[0]["result"]


def test_confirm_is_refused_when_the_policy_blocks(alice, late):
    policy(CampaignPolicy.BLOCK)
    add_contact(phone="2025550100")
    next_contact(alice)
    response = post_for_screen(alice, "/desk/confirm-dial", **HTMX)
    assert "This contact may not be dialled" in response.content.decode()
    assert "HX-Trigger" not in response
    assert not ActionLog.objects.filter(kind=ActionLog.CONFIRM_DIAL).exists()


def test_warn_is_the_default_and_leaves_dialing_possible(alice, late):
    add_contact(phone="2025550100")
    html = next_contact(alice)
    assert "⚠ It is Mon 22:00 America/New_York for this contact: outside calling hours" in html
    assert '<a id="contact-number" class="dial" href="tel:+1-202-555-0100"' in html
    assert "btn-confirm-dial" not in html


def test_off_shows_nothing(alice, late):
    policy(CampaignPolicy.OFF)
    add_contact(phone="2025550100")
    html = next_contact(alice)
    assert "outside calling hours" not in html
    assert '<a id="contact-number" class="dial"' in html


def test_a_hand_back_outcome_lcm_does_not_know_is_a_clear_error(alice, agents, late):
    policy(CampaignPolicy.BLOCK, hand_back_outcome=777)
    key = add_contact(phone="2025550100")
    next_contact(alice)
    html = post_for_screen(alice, "/desk/hand-back", **HTMX).content.decode()
    assert "Outcome 777 is not one of LCM&#x27;s outcomes" in html
    assert AgentSession.objects.get(agent=agents["alice"]).state == AgentSession.PREVIEWING
    assert Contact.objects.get(lcm_key=key).outcome_id is None
