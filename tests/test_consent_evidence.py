"""Consent evidence: given on Add contact (and in the import API and the CSV import), shown on
the card, exported with the action log; consent-only campaigns refuse contacts without it."""

import csv
import io

import pytest
from django.test import Client

from agentdesk.compliance.models import CampaignPolicy, ConsentEvidence
from agentdesk.lcmsim.models import Contact

from . import helpers
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


def add_form(**fields):
    return helpers.add_form(last_name="Mustermann", mode1_number="(202) 555-0150", **fields)


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


# ----------------------------------------------------------------- import API and CSV import

IMPORT = "/api/dialler/contacts/import"
API_EVIDENCE = {
    "ConsentGivenBy": "Erika Musterfrau",
    "ConsentGivenAt": "2026-02-01T10:00:00",
    "ConsentChannel": "written",
    "ConsentWording": "Ich willige ein, angerufen zu werden.",
}


@pytest.fixture
def api(agents):
    import json

    from agentdesk.dialler.models import ApiToken, DiallerCampaign

    DiallerCampaign.objects.create(
        name="Spring Renewals",
        campaign_group="Sales Manual Group",
        time_zone="(UTC-05:00) Eastern Time (US and Canada)",
    )
    _, raw = ApiToken.issue("crm")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def post(**fields):
        body = {
            "DiallerCampaignsName": "Spring Renewals",
            "Name": "Musterfrau",
            "PhoneNumber1": "(202) 555-0160",
            **fields,
        }
        return client.post(IMPORT, data=json.dumps(body), content_type="application/json")

    return post


def test_import_with_evidence_keeps_it_under_the_lcm_key(api):
    response = api(**API_EVIDENCE)
    assert response.status_code == 200, response.content
    record = response.json()["records"][0]
    assert record["ConsentGivenBy"] == "Erika Musterfrau"
    assert record["ConsentChannel"] == "written"
    evidence = ConsentEvidence.objects.get()
    assert evidence.lcm_key == record["LCMKey"] and evidence.number == "+12025550160"
    assert evidence.wording == "Ich willige ein, angerufen zu werden."
    assert evidence.recorded_by == "api:crm"
    assert Contact.objects.get(lcm_key=record["LCMKey"]).consent is True


def test_import_with_partial_evidence_names_the_missing_fields(api):
    response = api(ConsentGivenBy="Erika", ConsentChannel="carrier pigeon")
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"ConsentGivenAt", "ConsentChannel", "ConsentWording"}
    assert not ConsentEvidence.objects.exists()


def test_a_consent_only_campaign_refuses_an_import_without_evidence(api):
    CampaignPolicy.objects.create(campaign="Spring Renewals", consent_required=True)
    refused = api()
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "ConsentGivenBy"
    assert "takes only contacts with consent evidence" in refused.json()["errors"][0]["message"]
    assert api(**API_EVIDENCE).status_code == 200


async def test_the_csv_import_carries_evidence(agents):
    from asgiref.sync import sync_to_async

    from agentdesk.dialler import bulk
    from agentdesk.dialler.models import DiallerCampaign, ImportRow

    await DiallerCampaign.objects.acreate(
        name="Spring Renewals",
        campaign_group="Sales Manual Group",
        time_zone="(UTC-05:00) Eastern Time (US and Canada)",
    )
    await CampaignPolicy.objects.acreate(campaign="Spring Renewals", consent_required=True)
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["Name", "DiallerCampaignsName", "PhoneNumber1", *API_EVIDENCE]
    writer.writerow(header)
    writer.writerow(["WithConsent", "Spring Renewals", "(202) 555-0161", *API_EVIDENCE.values()])
    writer.writerow(["Without", "Spring Renewals", "(202) 555-0162", "", "", "", ""])
    team = await sync_to_async(lambda: agents["alice"].team)()
    allowed = await sync_to_async(bulk.allowed_campaign_ids)(team)
    job = await sync_to_async(bulk.create_preview)(
        team,
        agents["lead"],
        "consent.csv",
        out.getvalue().encode(),
        overwrite=True,
        allowed=allowed,
    )
    rows = {row.line: row async for row in ImportRow.objects.filter(job=job)}
    assert rows[3].status == ImportRow.INVALID and "consent evidence" in rows[3].message
    assert await sync_to_async(bulk.start)(job)
    await bulk.run_job(job.pk)
    assert (await ImportRow.objects.aget(job=job, line=2)).status == ImportRow.CREATED
    evidence = await ConsentEvidence.objects.aget()
    assert evidence.given_by == "Erika Musterfrau" and evidence.number == "+12025550161"
