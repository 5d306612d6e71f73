"""Consent evidence: given on Add contact (and in the import API and the CSV import), shown on
the card, exported with the action log; consent-only campaigns refuse contacts without it."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agentdesk.compliance.models import CampaignPolicy, ConsentEvidence
from agentdesk.lcmsim.models import Contact

from .helpers import add_contact

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}
GROUP = {"campaign_group": "Sales Manual Group", "consent": "Both"}
EVIDENCE = {
    "consent_given_by": "Max Mustermann",
    "consent_given_at": "2026-03-01T09:30",
    "consent_channel": "web",
    "consent_wording": "Yes, call me about renewals.",
}


@pytest.fixture
def alice(agents):
    client = Client()
    client.force_login(agents["alice"].user)
    return client


def add_form(**fields):
    now = timezone.localtime()
    data = {
        "campaign": "Spring Renewals",
        "last_name": "Mustermann",
        "mode1_name": "Home",
        "mode1_number": "(202) 555-0150",
        "mode1_tz": "(UTC-05:00) Eastern Time (US and Canada)",
        "callback_start": now.strftime("%Y-%m-%dT%H:%M"),
        "callback_end": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "call_type": "0",
        "priority": "0",
        "status": "0",
    }
    data.update(fields)
    return data


def test_add_with_evidence_stores_it_and_the_card_shows_it(alice, agents):
    html = alice.post("/desk/add", add_form(**EVIDENCE), **HTMX).content.decode()
    assert "Contact added to Spring Renewals" in html
    evidence = ConsentEvidence.objects.get()
    assert (evidence.number, evidence.campaign) == ("+12025550150", "Spring Renewals")
    assert evidence.given_by == "Max Mustermann" and evidence.channel == "web"
    assert evidence.wording == "Yes, call me about renewals."
    assert evidence.recorded_by == "agent:a1@test"
    stored = Contact.objects.get(lcm_key=evidence.lcm_key)
    assert stored.consent is True  # LCM's flag follows the evidence

    card = alice.post("/desk/next", GROUP, **HTMX).content.decode()
    assert "given by Max Mustermann on 2026-03-01 09:30 (Web form)" in card
    assert "<q>Yes, call me about renewals.</q>" in card

    lead = Client()
    lead.force_login(agents["lead"])
    export = lead.get(f"/monitor/{agents['alice'].team_id}/export.csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    about = [row for row in rows if row["lcm_key"] == evidence.lcm_key]
    assert {row["action"] for row in about} == {"add", "next"}
    for row in about:
        assert row["consent_given_by"] == "Max Mustermann"
        assert row["consent_channel"] == "web"
        assert row["consent_wording"] == "Yes, call me about renewals."
        assert row["consent_given_at"].startswith("2026-03-01T09:30")


def test_partial_evidence_names_what_is_missing(alice):
    before = Contact.objects.count()
    html = alice.post(
        "/desk/add", add_form(consent_given_by="Max", consent_channel="phone"), **HTMX
    ).content.decode()
    assert html.count("is required when consent evidence is given") == 2
    assert Contact.objects.count() == before and not ConsentEvidence.objects.exists()


def test_a_consent_only_campaign_refuses_a_contact_without_evidence(alice):
    CampaignPolicy.objects.create(campaign="Spring Renewals", consent_required=True)
    before = Contact.objects.count()
    html = alice.post("/desk/add", add_form(), **HTMX).content.decode()
    assert "Spring Renewals calls only contacts with consent" in html
    assert Contact.objects.count() == before
    ok = alice.post("/desk/add", add_form(**EVIDENCE), **HTMX).content.decode()
    assert "Contact added to Spring Renewals" in ok


def test_a_consent_only_campaign_blocks_a_contact_without_evidence_on_the_desk(alice):
    CampaignPolicy.objects.create(campaign="Spring Renewals", consent_required=True)
    add_contact(phone="2025550151", consent=True)  # LCM's flag alone is not evidence
    html = alice.post("/desk/next", GROUP, **HTMX).content.decode()
    assert "calls only contacts with consent evidence, and this contact has none" in html
    assert "dial-disabled" in html and "Hand back with 4 CallBack" in html
