"""The number on the contact card: read by phonenumbers, dialled as an RFC 3966 tel: URI,
shown formatted for people, with a warning when it cannot be dialled as given."""

import pytest
from django.test import Client

from agentdesk.desk.contact import ContactOnScreen
from agentdesk.desk.presenters import contact_card
from agentdesk.lcmsim.models import Contact, ContactMode

from .helpers import add_contact

pytestmark = pytest.mark.django_db  # the card asks the compliance rules (policy, DNC list)

BERLIN = "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"
EASTERN = "(UTC-05:00) Eastern Time (US and Canada)"


def card(phone, time_zone=EASTERN, key="1|1|5|0|0|84|5", **fields):
    return contact_card(
        ContactOnScreen.from_wire(
            {"PhoneNumber": phone, "AccountNumber": key, "TimeZone": time_zone, **fields}
        )
    )


@pytest.mark.parametrize(
    ("phone", "time_zone", "fields", "href", "shown"),
    [
        # The trunk prefix "(0)" is not dialled after the country code.
        ("+49 (0)30 1234567", EASTERN, {}, "tel:+49-30-1234567", "+49 30 1234567"),
        # Vanity letters become digits; a German freephone number read in Germany.
        ("0800-FLOWERS", BERLIN, {}, "tel:+49-800-3569377", "+49 800 3569377"),
        ("1-800-FLOWERS", EASTERN, {}, "tel:+1-800-356-9377", "(800) 356-9377"),
        # LCM's suffix as an extension, kept as ;ext=.
        ("2025550143", EASTERN, {"Suffix": "#123"}, "tel:+1-202-555-0143;ext=123",
         "(202) 555-0143 ext. 123"),
        ("(202) 555-0143 x45", EASTERN, {}, "tel:+1-202-555-0143;ext=45",
         "(202) 555-0143 ext. 45"),
        # A spreadsheet's float.
        (2025550143.0, EASTERN, {}, "tel:+1-202-555-0143", "(202) 555-0143"),
        ("2025550143.0", EASTERN, {}, "tel:+1-202-555-0143", "(202) 555-0143"),
        # A national number read in the contact's own country (the key's zone 44: London).
        ("020 7946 0018", "", {}, "tel:+44-20-7946-0018", "+44 20 7946 0018"),
    ],
)  # fmt: skip
def test_numbers_are_dialled_right(phone, time_zone, fields, href, shown):
    key = "1|1|5|0|0|44|5" if not time_zone else "1|1|5|0|0|84|5"
    c = card(phone, time_zone, key=key, **fields)
    assert c.tel_href == href
    assert c.dial_string == shown
    assert all("calling hours" in w for w in c.warnings), c.warnings  # none but the hours


def test_a_number_that_cannot_be_read_gets_no_link_and_a_warning():
    c = card("call me maybe")
    assert c.tel_href == ""
    assert c.dial_string == "call me maybe"
    assert "cannot be dialled as given: it is not a phone number" in c.warnings[0]


def test_a_number_outside_the_numbering_plan_is_warned_about():
    c = card("+1 099 555 0143")
    assert c.tel_href == ""
    assert "does not exist in its country's numbering plan" in c.warnings[0]


def test_a_suffix_that_is_no_extension_is_not_dialled_silently():
    c = card("2025550143", Suffix="*9")
    assert c.tel_href == "tel:+1-202-555-0143"
    assert "suffix “*9” is not an extension" in c.warnings[0]


def test_the_default_region_is_a_setting(settings):
    settings.PHONE_DEFAULT_REGION = "DE"
    # No time zone on the contact and none in the key: the setting decides.
    c = card("030 1234567", "", key="1|1|5|0|0|999|5")
    assert c.tel_href == "tel:+49-30-1234567" and c.dial_string == "030 1234567"
    settings.PHONE_DEFAULT_REGION = "US"
    in_us = card("030 1234567", "", key="1|1|5|0|0|999|5")
    assert in_us.tel_href == "" and "does not exist" in in_us.warnings[0]


@pytest.mark.django_db(transaction=True)
def test_the_agent_page_links_the_right_number(agents, lcmsim_server, settings):
    settings.LCM_URL = lcmsim_server.url + "/lcm"
    key = add_contact(phone="+49 (0)30 1234567")
    contact = Contact.objects.get(lcm_key=key)
    Contact.objects.filter(pk=contact.pk).update(prefix="9", suffix="#77")
    ContactMode.objects.filter(contact=contact).update(time_zone_label=BERLIN, time_zone_index=110)
    client = Client()
    client.force_login(agents["alice"].user)

    html = client.post(
        "/desk/next",
        {"campaign_group": "Sales Manual Group", "consent": "Both"},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert 'href="tel:+49-30-1234567;ext=77"' in html
    assert ">030 1234567 ext. 77<" in html or ">+49 30 1234567 ext. 77<" in html
    assert "9 +49 (0)30 1234567 #77" in html  # what LCM sent, beside it
