"""The contact on screen is kept in agentdesk's own shape: read from LCM's answer once, when it
arrives, stored with agentdesk's field names and a shape version, read back typed by every
render and action. Rows in LCM's wire format (from before, or from a worker of the older
version during a rolling deploy) are converted by the data migration and read all the same."""

from typing import Any

import pytest
from django.db.models import JSONField, Value

from agentdesk.desk.contact import (
    SHAPE,
    ContactOnScreen,
    contact_of,
    downgrade_rows,
    is_stored_shape,
    upgrade_rows,
)
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcm import messages as m
from agentdesk.lcmsim.models import Contact

from .helpers import SALES, add_contact, post_as_page

WIRE = {
    "PhoneNumber": "2025550100",
    "AccountNumber": "77|1|18|0|0|84|0",
    "CampaignId": "Spring Renewals",
    "Mode": "Home",
    "ContactId": "18",
    "ExpiryTime": "12/30/2026 23:59:00",
    "CallbackTime": "",
    "CallType": "0",
    "Consent": "Yes",
    "Prefix": "9",
    "Suffix": "#12",
    "Queue": "Renewals",
    "TimeZone": "(UTC-05:00) Eastern Time (US and Canada)",
}


def test_the_stored_shape_has_agentdesks_names_and_a_version_and_reads_back_equal():
    contact = ContactOnScreen.from_lcm(m.Contact.from_response(WIRE))

    stored = contact.to_stored()

    assert stored["shape"] == SHAPE and is_stored_shape(stored)
    assert stored["lcm_key"] == "77|1|18|0|0|84|0" and stored["number"] == "2025550100"
    assert stored["campaign"] == "Spring Renewals" and stored["queue"] == "Renewals"
    assert ContactOnScreen.from_stored(stored) == contact
    assert contact.call_type == "Regular"  # LCM's code read once, on arrival
    assert contact.lcm_time_zone is not None and contact.expiry.moment is not None


@pytest.mark.parametrize(
    ("given", "kept"),
    [(4711, "4711"), ("4711", "4711"), ("A-4711", "A-4711"), ("77|1|18|0|0|84|0", None)],
)
def test_keys_are_kept_exactly_as_lcm_gave_them_through_the_store(given: Any, kept: Any):
    contact = ContactOnScreen.from_lcm(m.Contact.from_response({**WIRE, "AccountNumber": given}))

    again = ContactOnScreen.from_stored(contact.to_stored())

    assert again.account_number == (kept or given)
    assert again.to_lcm().account_number == (kept or given)  # what a Skip sends back


def test_a_row_of_a_later_shape_version_is_read_through_lcms_names_it_also_keeps():
    stored = ContactOnScreen(account_number="A-4711", phone_number="2025550100").to_stored()
    later = {**stored, "shape": SHAPE + 1, "added_later": "x"}

    contact = ContactOnScreen.from_stored(later)

    assert contact.account_number == "A-4711" and contact.phone_number == "2025550100"


def test_an_old_row_is_converted_by_the_migration_and_read_typed(agents):
    session = AgentSession.objects.get_or_create(agent=agents["alice"])[0]
    AgentSession.objects.filter(pk=session.pk).update(state=AgentSession.PREVIEWING, contact=WIRE)

    assert upgrade_rows(AgentSession) == 1

    session.refresh_from_db()
    assert is_stored_shape(session.contact)
    contact = contact_of(session)
    assert contact == ContactOnScreen.from_lcm(m.Contact.from_response(WIRE))
    assert upgrade_rows(AgentSession) == 0  # converted once
    assert downgrade_rows(AgentSession) == 1  # the reverse writes LCM's shape back
    session.refresh_from_db()
    assert m.Contact.from_response(session.contact) == m.Contact.from_response(WIRE)


def test_an_unreadable_old_row_is_kept_readable_so_the_way_out_works(agents):
    session = AgentSession.objects.get_or_create(agent=agents["alice"])[0]
    broken = {"AccountNumber": "9|9\x07", "PhoneNumber": "2025550100"}
    AgentSession.objects.filter(pk=session.pk).update(state=AgentSession.PREVIEWING, contact=broken)

    upgrade_rows(AgentSession)

    session.refresh_from_db()
    contact = contact_of(session)
    assert contact is not None and contact.account_number == "9|9\x07"
    assert contact.phone_number == "2025550100"


def test_a_contact_fetched_from_lcm_is_stored_in_the_new_shape(alice, agents):
    key = add_contact(phone="2025550151")

    post_as_page(alice, "/desk/next", SALES)

    session = AgentSession.objects.get(agent=agents["alice"])
    assert session.contact["shape"] == SHAPE and session.contact["lcm_key"] == key


def test_a_row_an_older_worker_wrote_in_lcms_shape_is_shown_and_skipped(alice, agents):
    """Rolling deploy: a worker of the older version put the contact on screen in LCM's wire
    format; this version shows it and closes it with the key as LCM gave it."""
    key = add_contact(phone="2025550152")
    post_as_page(alice, "/desk/next", SALES)
    session = AgentSession.objects.get(agent=agents["alice"])
    wire = ContactOnScreen.from_stored(session.contact).to_lcm().to_response()
    AgentSession.objects.filter(pk=session.pk).update(contact=wire)

    page = alice.get("/").content.decode()
    html = post_as_page(alice, "/desk/skip", {"outcome": "8"})

    assert key in page and "(202) 555-0152" in page
    assert "Skipped with outcome 8" in html, html
    assert Contact.objects.get(lcm_key=key).outcome_id == 8
    assert ActionLog.objects.filter(kind=ActionLog.SKIP, ok=True, lcm_key=key).count() == 1


def _older_worker_reads(row: dict[str, Any]) -> tuple[m.Contact, Any, Any]:
    """What a worker of the version before the stored shape read of a session row: the card,
    Skip and the wrap-up parse it as LCM's answer; the pending skip, the preview log and the
    monitor read the wire names directly."""
    return m.Contact.from_response(row), row.get("AccountNumber"), row.get("PhoneNumber")


@pytest.mark.parametrize("key", ["77|1|18|0|0|84|0", 4711, "A-4711", "9" * 80])
def test_an_older_worker_reads_a_row_this_version_stored(key: Any):
    """Rolling deploy (and rollback): a worker of the older version reads the contact a newer
    one put on screen, the same key and number it would have stored itself."""
    contact = ContactOnScreen.from_lcm(m.Contact.from_response({**WIRE, "AccountNumber": key}))

    read, raw_key, raw_number = _older_worker_reads(contact.to_stored())

    assert read == contact.to_lcm() == m.Contact.from_response({**WIRE, "AccountNumber": key})
    assert raw_key == str(key) and raw_number == "2025550100"


def test_an_older_worker_reads_a_contact_this_version_fetched(alice, agents):
    key = add_contact(phone="2025550153")

    post_as_page(alice, "/desk/next", SALES)

    row = AgentSession.objects.get(agent=agents["alice"]).contact
    read, raw_key, _number = _older_worker_reads(row)
    assert read.account_number == raw_key == key and read.phone_number == "2025550153"


_ODD_ROWS = [
    pytest.param([], id="empty-list"),
    pytest.param([WIRE], id="list"),
    pytest.param("77|1|18|0|0|84|0", id="text"),
    pytest.param(4711, id="number"),
    pytest.param({}, id="empty-object"),
    pytest.param({"PhoneNumber": "2025550100"}, id="no-key"),
    pytest.param({"AccountNumber": None, "PhoneNumber": "2025550100"}, id="null-key"),
    pytest.param({"AccountNumber": {"id": 1}}, id="object-key"),
    pytest.param({"AccountNumber": "4711", "CallType": {"x": 1}, "Consent": [1]}, id="odd-fields"),
    pytest.param({"shape": 1}, id="stored-shape-empty"),
]


@pytest.mark.postgres
@pytest.mark.parametrize("row", _ODD_ROWS)
def test_the_migration_never_fails_on_an_odd_row(agents, row: Any):
    session = AgentSession.objects.get_or_create(agent=agents["alice"])[0]
    AgentSession.objects.filter(pk=session.pk).update(state=AgentSession.PREVIEWING, contact=row)

    upgrade_rows(AgentSession)
    downgrade_rows(AgentSession)
    upgrade_rows(AgentSession)

    session.refresh_from_db()
    if not isinstance(row, dict):
        assert session.contact == row  # left as it is
    contact = contact_of(session)  # read without failing
    assert contact is None or contact.account_number in ("", "4711")  # never "None" or "{…}"


@pytest.mark.postgres
def test_the_migration_skips_null_rows(agents):
    session = AgentSession.objects.get_or_create(agent=agents["alice"])[0]
    AgentSession.objects.filter(pk=session.pk).update(contact=Value(None, JSONField()))

    assert upgrade_rows(AgentSession) == 0
    AgentSession.objects.filter(pk=session.pk).update(contact=None)
    assert upgrade_rows(AgentSession) == 0
