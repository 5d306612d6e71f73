"""A campaign-limited API token stays limited: deleting its campaigns leaves it refused, never
unrestricted, on every route; the admin says what it may use."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from agentdesk.compliance import dnc
from agentdesk.dialler.models import ApiToken, DiallerCampaign, DiallerContact

pytestmark = pytest.mark.django_db(transaction=True)

ZONE = "(UTC-05:00) Eastern Time (US & Canada)"


@pytest.fixture
def campaigns():
    return {
        name: DiallerCampaign.objects.create(name=name, time_zone=ZONE)
        for name in ("Spring Renewals", "Win-back West", "Summer Promo")
    }


def token_client(*refs: str) -> tuple[Client, ApiToken]:
    out = StringIO()
    args = [arg for ref in refs for arg in ("--campaign", ref)]
    call_command("create_api_token", "web leads", *args, stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), ApiToken.objects.get(prefix=raw[:10])


def test_a_limited_token_whose_campaign_is_deleted_is_refused_everywhere(campaigns):
    client, token = token_client("Win-back West")
    assert token.limited
    names = [c["Name"] for c in client.get("/api/dialler/campaigns").json()["records"]]
    assert names == ["Win-back West"]
    other = DiallerContact.objects.create(campaign=campaigns["Spring Renewals"], name="Other")
    dnc.add("+12025550100", reason="CRM: litigation hold", added_by="api:crm")

    campaigns["Win-back West"].delete()  # as the admin's delete does

    answers = [
        client.get("/api/dialler/campaigns"),
        client.get("/api/dialler/contacts"),
        client.get(f"/api/dialler/contacts/{other.pk}"),
        client.post(
            "/api/dialler/contacts/import",
            data=json.dumps({"DiallerCampaignsID": campaigns["Spring Renewals"].pk, "Name": "N"}),
            content_type="application/json",
        ),
        client.get("/api/dnc/+12025550100"),
        client.delete("/api/dnc/+12025550100"),
    ]
    for answer in answers:
        assert answer.status_code == 403, answer.content
        assert "limited to campaigns that no longer exist" in answer.json()["message"]
    assert DiallerContact.objects.count() == 1
    assert dnc.listed(["+12025550100"]) is not None


def test_a_token_given_campaigns_in_code_is_limited(campaigns):
    token, raw = ApiToken.issue("later")
    assert not token.limited
    token.campaigns.set([campaigns["Summer Promo"]])
    token.refresh_from_db()
    assert token.limited
    token.campaigns.clear()  # taking them away does not widen it again
    token.refresh_from_db()
    assert token.limited
    answer = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/dialler/campaigns")
    assert answer.status_code == 403


def test_an_unrestricted_token_still_uses_every_campaign(campaigns):
    client, token = token_client()
    assert not token.limited
    names = {c["Name"] for c in client.get("/api/dialler/campaigns").json()["records"]}
    assert names == set(campaigns)


def test_the_admin_shows_a_limited_token_left_with_nothing(campaigns, admin_client):
    _client, token = token_client("Win-back West")
    _other, open_token = token_client()
    campaigns["Win-back West"].delete()
    page = admin_client.get("/admin/dialler/apitoken/").content.decode()
    assert "nothing: limited, and its campaigns were deleted (refused)" in page
    assert "every campaign" in page
    # Unticking "limited" while campaigns stay chosen is refused: it would not widen anything.
    answer = admin_client.post(
        f"/admin/dialler/apitoken/{open_token.pk}/change/",
        {"name": "web leads", "campaigns": [campaigns["Summer Promo"].pk]},
    )
    assert answer.status_code == 200
    assert "tick this, or remove them" in answer.content.decode()
    open_token.refresh_from_db()
    assert not open_token.limited and not open_token.campaigns.exists()
    # Ticking it and choosing a campaign again gives the refused token work back.
    admin_client.post(
        f"/admin/dialler/apitoken/{token.pk}/change/",
        {"name": "web leads", "limited": "on", "campaigns": [campaigns["Summer Promo"].pk]},
    )
    assert token.campaign_scope() == {campaigns["Summer Promo"].pk}
