"""The demo's contacts carry valid numbers from the ranges reserved for fiction, so nearly every
demo card offers its number for dialing, and the few bad ones are bad on purpose and say why."""

import re
from typing import Any

import pytest

from agentdesk.desk.contact import ContactOnScreen
from agentdesk.desk.presenters import contact_card
from agentdesk.lcmsim import demo
from agentdesk.lcmsim.models import Contact
from agentdesk.lcmsim.service import contact_answer
from agentdesk.shared.phones import try_parse

pytestmark = pytest.mark.django_db

# North America 555-0100…0199; Ofcom's drama ranges; the Bundesnetzagentur's drama numbers.
FICTION = re.compile(
    r"^\+1\d{3}55501\d\d$"
    r"|^\+44(207946|113496|161496)0\d{3}$"
    r"|^\+49(3023125|8999998)\d{3}$"
)


def _cards() -> list[Any]:
    demo.seed_outcomes()
    demo.seed_contacts(demo.seed_campaigns(), count=200, personal_for=["a@demo"])
    contacts = Contact.objects.select_related("campaign__group").prefetch_related("modes")
    return [(c, contact_card(ContactOnScreen.from_lcm(contact_answer(c)))) for c in contacts]


def test_nearly_every_demo_card_is_dialable_from_a_fiction_range():
    cards = _cards()
    dialable = [card for _, card in cards if card.tel_href]
    assert len(cards) == 200
    # 200 contacts, one deliberately bad number in every 40: 195 dialable cards.
    assert len(dialable) == 195
    for contact, _card in cards:
        for mode in contact.modes.all():
            phone = try_parse(mode.number, _region(mode.time_zone_index))
            if contact.business_fields.get("note", "").startswith("Demo:") and mode.position == 0:
                continue
            assert phone is not None and phone.is_valid, mode.number
            assert FICTION.match(phone.e164), (mode.number, phone.e164)


def test_the_bad_demo_numbers_say_why():
    bad = [(c, card) for c, card in _cards() if not card.tel_href]
    assert len(bad) == 5
    reasons = set()
    for contact, card in bad:
        assert contact.business_fields["note"].startswith("Demo:")
        assert card.warnings, contact.lcm_key
        reasons.add(card.warnings[0].split(": it ")[-1] if ": it " in card.warnings[0] else "plan")
    # Too short, not in the numbering plan, and not a number at all.
    assert reasons == {"is too short for its country.", "plan", "is not a phone number."}


def _region(tz_index: int) -> str:
    return {44: "GB", 110: "DE"}.get(tz_index, "US")
