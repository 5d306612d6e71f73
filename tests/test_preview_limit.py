"""The preview time limit per campaign group: the card counts down and says what happens; at
zero the contact is handed back with the configured outcome, or the agent is flagged on the
monitor."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agentdesk.compliance.models import PreviewLimit
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcmsim.models import Contact

from .helpers import add_contact, post_for_screen

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}
GROUP = {"campaign_group": "Sales Manual Group", "consent": "Both"}


def age_the_preview(agents, seconds: int) -> None:
    AgentSession.objects.filter(agent=agents["alice"]).update(
        state_since=timezone.now() - timedelta(seconds=seconds)
    )


def test_the_card_counts_down_and_says_what_happens(alice):
    PreviewLimit.objects.create(
        campaign_group="Sales Manual Group", seconds=60, on_expiry=PreviewLimit.HAND_BACK
    )
    add_contact(phone="2025550141")
    html = alice.post("/desk/next", GROUP, **HTMX).content.decode()
    assert 'id="preview-countdown"' in html
    assert re.search(r'data-seconds-left="(59|60)"', html)
    assert "after 60 s the contact is handed back with outcome 4" in html


def test_no_limit_no_countdown(alice):
    add_contact(phone="2025550142")
    html = alice.post("/desk/next", GROUP, **HTMX).content.decode()
    assert "preview-countdown" not in html
    refused = post_for_screen(alice, "/desk/preview-expired", **HTMX).content.decode()
    assert "No preview limit applies" in refused


def test_hand_back_when_the_time_has_run_out(alice, agents):
    PreviewLimit.objects.create(
        campaign_group="Sales Manual Group",
        seconds=60,
        on_expiry=PreviewLimit.HAND_BACK,
        hand_back_outcome=8,
    )
    key = add_contact(phone="2025550143")
    alice.post("/desk/next", GROUP, **HTMX)
    early = post_for_screen(alice, "/desk/preview-expired", **HTMX).content.decode()
    assert "has not run out yet" in early
    assert Contact.objects.get(lcm_key=key).outcome_id is None

    age_the_preview(agents, 61)
    done = post_for_screen(alice, "/desk/preview-expired", **HTMX).content.decode()
    assert "The preview time ran out: handed back with outcome 8 No Answer." in done
    assert Contact.objects.get(lcm_key=key).outcome_id == 8
    entry = ActionLog.objects.get(kind=ActionLog.HAND_BACK)
    assert entry.result == "Preview time (60 s) ran out: handed back with 8 No Answer"
    assert AgentSession.objects.get(agent=agents["alice"]).state == AgentSession.IDLE


def test_flag_alerts_the_monitor_once_and_keeps_the_contact(alice, agents):
    PreviewLimit.objects.create(
        campaign_group="Sales Manual Group", seconds=30, on_expiry=PreviewLimit.FLAG
    )
    key = add_contact(phone="2025550144")
    html = alice.post("/desk/next", GROUP, **HTMX).content.decode()
    assert "after 30 s your team lead is alerted" in html
    lead = Client()
    lead.force_login(agents["lead"])
    monitor = f"/monitor/{agents['alice'].team_id}/"
    row = lead.get(monitor).content.decode()
    assert 'data-limit-left="30"' in row or 'data-limit-left="29"' in row
    assert "over-limit" not in row.split('id="agent-row-')[1].split(">")[0]

    age_the_preview(agents, 31)
    flagged = post_for_screen(alice, "/desk/preview-expired", **HTMX).content.decode()
    assert "your team lead has been alerted" in flagged
    post_for_screen(alice, "/desk/preview-expired", **HTMX)
    assert ActionLog.objects.filter(kind=ActionLog.PREVIEW_OVER).count() == 1
    assert Contact.objects.get(lcm_key=key).outcome_id is None
    assert AgentSession.objects.get(agent=agents["alice"]).state == AgentSession.PREVIEWING
    page = lead.get(monitor).content.decode()
    alice_row = page.split(f'id="agent-row-{agents["alice"].pk}"')[1].split(">")[0]
    assert "over-limit" in alice_row
    assert "Preview time ran out" in page  # the feed
