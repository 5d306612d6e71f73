"""Managing the compliance rules in the Django admin."""

import re

import pytest

from agentdesk.compliance.models import CampaignPolicy, DoNotCallEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-admin-1")
    client.force_login(user)
    return client


def test_dnc_entry_is_stored_canonical_and_found_as_typed(admin_client):
    response = admin_client.post(
        "/admin/compliance/donotcallentry/add/",
        {
            "number": "(202) 555-0100",
            "region": "US",
            "reason": "complaint",
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = DoNotCallEntry.objects.get()
    assert (entry.number, entry.added_by) == ("+12025550100", "root")
    found = admin_client.get("/admin/compliance/donotcallentry/", {"q": "+1 202-555-0100"})
    assert "+12025550100" in found.content.decode()


def test_dnc_entry_that_cannot_be_read_names_the_number(admin_client):
    response = admin_client.post(
        "/admin/compliance/donotcallentry/add/",
        {"number": "555-0100", "region": "", "reason": "", "expires_at_0": "", "expires_at_1": ""},
    )
    assert response.status_code == 200
    assert "555-0100 has no country code" in response.content.decode()
    assert not DoNotCallEntry.objects.exists()


def test_campaign_policy_with_weekdays(admin_client):
    response = admin_client.post(
        "/admin/compliance/campaignpolicy/add/",
        {
            "campaign": "Frühjahr DE",
            "region": "de",
            "calling_hours": "block",
            "window_start": "09:00",
            "window_end": "20:00",
            "weekdays": ["1", "2", "3", "4", "5", "6"],
            "hand_back_outcome": "4",
            "dnc_outcome": "5",
            "consent_required": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = CampaignPolicy.objects.get()
    assert (policy.weekdays, policy.region, policy.consent_required) == ("123456", "DE", True)
    assert policy.iso_weekdays == frozenset({1, 2, 3, 4, 5, 6})
    page = admin_client.get(f"/admin/compliance/campaignpolicy/{policy.pk}/change/")
    html = page.content.decode()
    assert re.search(r'value="6"[^>]*checked', html)
    assert not re.search(r'value="7"[^>]*checked', html)
