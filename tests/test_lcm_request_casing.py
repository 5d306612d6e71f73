"""Request casing where the vendor's tables and samples disagree: a deliberate, documented
choice (LCM_REQUEST_STYLE), checked on the proxy between agentdesk and LCM."""

from typing import Any

import pytest
from django.test import Client

from agentdesk.lcmsim.models import Contact

from .faulty_lcm import FaultyLcm
from .helpers import add_contact, post_for_screen

pytestmark = pytest.mark.django_db(transaction=True)


def sent(proxy: FaultyLcm, subtopic: str) -> dict[str, Any]:
    return next(e["data"] for e in reversed(proxy.sent) if e["subtopic"] == subtopic)


@pytest.mark.parametrize(
    ("style", "fetch_field", "fetch_value", "skip_user"),
    [
        ("tables", "NumberOfContactsRequired", "1", "UserId"),
        ("samples", "NumberofContactsRequired", 1, "UserID"),
    ],
)
def test_next_and_skip_on_the_wire(agents, proxy, settings, style, fetch_field, fetch_value,
                                   skip_user):  # fmt: skip
    settings.LCM_URL = proxy.url
    settings.LCM_REQUEST_STYLE = style
    proxy.set("pass")
    proxy.sent.clear()
    key = add_contact(phone="2025550151")
    client = Client()
    client.force_login(agents["alice"].user)

    page = client.post(
        "/desk/next", {"campaign_group": "Sales Manual Group", "consent": "Both"},
        HTTP_HX_REQUEST="true",
    ).content.decode()  # fmt: skip
    assert "is on your screen" in page
    fetch = sent(proxy, "GetDownloadContactsForDialing")
    assert fetch == {
        "CampaignGroup": "Sales Manual Group",
        fetch_field: fetch_value,
        "Consent": "Both",
        "AgentID": "a1@test",
        "ReservedContacts": "false",
    }

    page = post_for_screen(
        client, "/desk/skip", {"outcome": "8"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Skipped with outcome 8 No Answer." in page
    assert sent(proxy, "SkipManualDialContact") == {
        "OutcomeId": 8,
        skip_user: "a1@test",
        "AccountNumber": key,
        "PhoneNumber": "2025550151",
    }
    assert Contact.objects.get(lcm_key=key).status == Contact.CLOSED
    # The tables and samples agree on these: sent as both show them.
    assert sent(proxy, "GetCampaignGroups") == {"UserID": "a1@test"}
