"""The contact card's readable times and warnings."""

from datetime import UTC, datetime

import pytest

from agentdesk.desk.contact import ContactOnScreen
from agentdesk.desk.presenters import contact_card

pytestmark = pytest.mark.django_db  # the card asks the compliance rules (policy, DNC list)

NOON_NEW_YORK = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # 12:00 in New York


def card(now=NOON_NEW_YORK, **fields):
    data = {
        "PhoneNumber": "2025550100",
        "AccountNumber": "1|1|5|0|0|84|5",
        "ExpiryTime": "12/30/2026 23:59:00",
        "CallbackTime": "",
        "CallType": "0",
        "Consent": "Yes",
        "TimeZone": "(UTC-05:00) Eastern Time (US and Canada)",
    }
    data.update(fields)
    return contact_card(ContactOnScreen.from_wire(data), now=now)


def test_no_contact_no_card():
    assert contact_card(None) is None


def test_a_plain_contact_has_no_warnings():
    c = card()
    assert c.warnings == ()
    assert c.local_time_text.startswith("12:00")
    assert c.expiry_text.startswith("Wed 30 Dec 2026, 23:59 (in ")
    assert c.consent_text == "Yes" and c.tel_href == "tel:+1-202-555-0100"
    assert c.dial_string == "(202) 555-0100"


def test_expiring_soon_and_expired():
    assert card(ExpiryTime="11/22/2026 17:20:00").warnings == ("Expires soon: in 20 min.",)
    assert "has expired" in card(ExpiryTime="11/22/2026 16:00:00").warnings[0]


def test_outside_calling_hours_in_the_contacts_own_zone():
    late = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)  # 22:30 in New York
    warnings = card(now=late).warnings
    assert warnings == (
        "It is Sun 22:30 America/New_York for this contact: outside calling hours "
        "(08:00–21:00 their time).",
    )
    # The same moment is 19:30 in Los Angeles: fine.
    assert card(now=late, TimeZone="(UTC-08:00) Pacific Time (US and Canada)").warnings == ()


def test_time_zone_falls_back_to_the_lcm_key():
    c = card(TimeZone="", AccountNumber="1|1|5|0|0|44|5")
    assert "London" in c.local_time_text
