"""The shared phone-number reader: every everyday format, one canonical form."""

import pytest

from agentdesk.shared.phones import PhoneError, canonical, parse_phone, region_for_time_zone


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(202) 555-0143", "US", "+12025550143"),
        ("202.555.0143", "US", "+12025550143"),
        ("+1 202 555 0143", None, "+12025550143"),
        ("030/1234567", "DE", "+49301234567"),
        ("+49 (0)30 1234567", "US", "+49301234567"),
        ("1-800-FLOWERS", "US", "+18003569377"),
        ("2025550143.0", "US", "+12025550143"),
        (2025550143, "US", "+12025550143"),
    ],
)
def test_everyday_formats_read_to_e164(raw, region, e164):
    assert canonical(raw, region) == e164


def test_extension_is_kept_in_the_tel_uri():
    phone = parse_phone("+1 202 555 0143 #123")
    assert phone.extension == "123"
    assert phone.tel_uri() == "tel:+1-202-555-0143;ext=123"


def test_people_see_national_format_at_home_and_international_abroad():
    phone = parse_phone("+49 30 1234567")
    assert phone.for_people("DE") == "030 1234567"
    assert phone.for_people("US") == "+49 30 1234567"


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("", "US", "is empty"),
        ("hello", "US", "is not a phone number"),
        ("555-0143", None, "has no country code"),
        ("12", "US", "too short"),
        ("9" * 80, "US", "longer than 64"),
    ],
)
def test_what_cannot_be_a_number_says_why(raw, region, reason):
    with pytest.raises(PhoneError) as caught:
        parse_phone(raw, region)
    assert reason in caught.value.reason


def test_region_comes_from_the_time_zone():
    assert region_for_time_zone("America/New_York") == "US"
    assert region_for_time_zone("Europe/Berlin") == "DE"
    assert region_for_time_zone("Mars/Base") is None


def test_time_zones_of_a_number_come_from_its_prefix():
    assert parse_phone("+1 202 555 0143").time_zones == ("America/New_York",)
    assert parse_phone("030 1234567", "DE").time_zones == ("Europe/Berlin",)
    assert parse_phone("+1 555 555 0100").time_zones == ()  # no prefix data: unknown
