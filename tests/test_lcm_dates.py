"""Dates in LCM answers: one documented rule (LCM_DATE_ORDER) read by python-dateutil, and
an unreadable date shown as LCM sent it, marked, with a warning — on the agent's page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agentdesk.desk.contact import ContactOnScreen
from agentdesk.desk.presenters import contact_card
from agentdesk.lcm.dates import read_lcm_datetime
from agentdesk.lcmsim.service import set_shape

from .helpers import add_contact

HTMX = {"HX-Request": "true"}
SALES = {"campaign_group": "Sales Manual Group", "consent": "Both"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        micro: int = 0) -> datetime:  # fmt: skip
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        # The reading no longer depends on whether seconds are present.
        ("02/03/2024 16:00:00", "month-first", utc(2024, 2, 3, 16)),
        ("02/03/2024 16:00", "month-first", utc(2024, 2, 3, 16)),
        ("02/03/2024 16:00:00", "day-first", utc(2024, 3, 2, 16)),
        ("02/03/2024 16:00", "day-first", utc(2024, 3, 2, 16)),
        # Only one reading possible: that one, whatever the setting.
        ("30/01/2024 23:59:00", "month-first", utc(2024, 1, 30, 23, 59)),
        ("01/30/2024 23:59:00", "day-first", utc(2024, 1, 30, 23, 59)),
        ("1/30/2024 11:59:00 PM", "month-first", utc(2024, 1, 30, 23, 59)),
        ("Oct 7 2020 11:59PM", "month-first", utc(2020, 10, 7, 23, 59)),
        ("2024-01-30T23:59:00Z", "day-first", utc(2024, 1, 30, 23, 59)),
        ("2024-01-30T23:59:00.123Z", "month-first", utc(2024, 1, 30, 23, 59, 0, 123000)),
        ("2024-01-30T18:59:00-05:00", "month-first", utc(2024, 1, 30, 23, 59)),
        ("/Date(1706659140000)/", "month-first", utc(2024, 1, 30, 23, 59)),
        ("/Date(1706659140000+0100)/", "month-first", utc(2024, 1, 30, 23, 59)),
    ],
)
def test_the_documented_rule(settings, text, order, expected):
    settings.LCM_DATE_ORDER = order
    date = read_lcm_datetime(text)
    assert date.understood and date.moment == expected and date.raw == text


def test_naive_dates_are_in_lcms_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    assert read_lcm_datetime("01/30/2024 23:59:00").moment == utc(2024, 1, 31, 4, 59)


@pytest.mark.parametrize(
    "text", ["soon", "12", "Oct 7", "11:59PM", "31/31/2024 10:00", "1706659140"]
)
def test_what_cannot_be_read_is_kept_as_sent(text):
    date = read_lcm_datetime(text)
    assert not date.understood and date.raw == text and not date.is_blank


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_is_not_a_date_and_not_an_error(blank):
    date = read_lcm_datetime(blank)
    assert date.is_blank and date.moment is None


@pytest.mark.django_db  # the card asks the compliance rules (policy, do-not-call list)
def test_an_unreadable_expiry_is_shown_marked_with_a_warning():
    card = contact_card(ContactOnScreen(account_number="1|1|5|0|0|84|5",
                        phone_number="2025550100", expiry_time="Tomorrow-ish"))  # fmt: skip
    assert card is not None
    assert card.expiry_text == "Tomorrow-ish (not understood)"
    assert any("cannot read (“Tomorrow-ish”)" in warning for warning in card.warnings)


@pytest.mark.django_db  # the card asks the compliance rules (policy, do-not-call list)
def test_an_expired_contact_in_iso_form_is_warned_about():
    now = utc(2026, 11, 22, 17)
    card = contact_card(
        ContactOnScreen(account_number="1|1|5|0|0|84|5", phone_number="2025550100",
                        expiry_time="2026-11-22T16:00:00.5Z"),
        now=now,
    )  # fmt: skip
    assert card is not None and "has expired" in card.warnings[0]


# ------------------------------------------------------------------ through HTTP


@pytest.fixture
def desk(agents, proxy, settings):
    settings.LCM_URL = proxy.url
    proxy.answers.clear()
    client = Client()
    client.force_login(agents["alice"].user)
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("shape", "order"),
    [
        ("documented", "month-first"),
        ("dates_day_first", "day-first"),
        ("dates_iso", "month-first"),
        ("dates_dotnet", "day-first"),
    ],
)
def test_the_card_reads_the_expiry_in_every_style(desk, settings, shape, order):
    settings.LCM_DATE_ORDER = order
    # Day 3 of the month at the latest, so a wrong day/month order would show another date.
    expiry = (timezone.now() + timedelta(days=40)).replace(day=3, hour=9, minute=30, second=0)
    add_contact(phone="2025550141", end=expiry.replace(tzinfo=None))
    set_shape(shape)

    html = desk.post("/desk/next", SALES, headers=HTMX).content.decode()

    assert f"{expiry:%a %d %b %Y}, 09:30" in html, shape
    assert "not understood" not in html


@pytest.mark.django_db(transaction=True)
def test_an_unreadable_expiry_on_the_page(desk, proxy):
    key = add_contact(phone="2025550142")
    proxy.answer(
        "GetDownloadContactsForDialing",
        {"channel": "LCM", "topic": "WebService", "subtopic": "DownloadContactsForDialing",
         "message": {"response": {"PhoneNumber": "2025550142", "AccountNumber": key,
                                  "ExpiryTime": "end of January"}}},
    )  # fmt: skip
    html = desk.post("/desk/next", SALES, headers=HTMX).content.decode()
    assert "end of January (not understood)" in html
    assert "LCM sent an expiry time agentdesk cannot read (“end of January”)" in html
