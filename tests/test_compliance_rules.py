"""The compliance rules as plain functions: calling windows in the contact's local time, the
do-not-call list in canonical form, consent evidence, and the verdict for a contact."""

from datetime import UTC, datetime, time, timedelta

import pytest

from agentdesk.compliance import consent, dnc, rules
from agentdesk.compliance.hours import Window, next_allowed, open_in_all
from agentdesk.compliance.models import CampaignPolicy, DoNotCallEntry
from agentdesk.lcm.messages import Contact
from agentdesk.shared import phones

EVERY_DAY = frozenset(range(1, 8))
EIGHT_TO_NINE = Window(time(8), time(21), EVERY_DAY)
EASTERN = "(UTC-05:00) Eastern Time (US and Canada)"
BERLIN = "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def contact(number="(202) 555-0100", campaign="Spring Renewals", tz=EASTERN, key="1|1|7|0|0|0|7"):
    return Contact(phone_number=number, account_number=key, campaign_id=campaign, time_zone=tz)


# ----------------------------------------------------------------- calling windows


def test_window_is_judged_in_the_contacts_zone():
    # 01:30 UTC on a Tuesday is 20:30 in New York (EST) and 02:30 in Berlin.
    moment = utc(2026, 11, 24, 1, 30)
    assert open_in_all(EIGHT_TO_NINE, ("America/New_York",), moment)
    assert not open_in_all(EIGHT_TO_NINE, ("Europe/Berlin",), moment)
    # A number that may ring in both is callable only when both are inside.
    assert not open_in_all(EIGHT_TO_NINE, ("America/New_York", "Europe/Berlin"), moment)


def test_window_closes_at_its_end_minute():
    assert EIGHT_TO_NINE.contains(datetime(2026, 11, 24, 20, 59))
    assert not EIGHT_TO_NINE.contains(datetime(2026, 11, 24, 21, 0))
    assert EIGHT_TO_NINE.contains(datetime(2026, 11, 24, 8, 0))
    assert not EIGHT_TO_NINE.contains(datetime(2026, 11, 24, 7, 59))


def test_next_allowed_is_the_next_opening_in_their_time():
    moment = utc(2026, 11, 24, 3, 0)  # 22:00 Monday in New York
    opens = next_allowed(EIGHT_TO_NINE, ("America/New_York",), moment)
    assert opens == utc(2026, 11, 24, 13, 0)  # 08:00 Tuesday EST


def test_next_allowed_skips_days_that_are_not_allowed():
    weekdays = Window(time(9), time(20), frozenset({1, 2, 3, 4, 5, 6}))  # no Sundays
    saturday_night = utc(2026, 11, 28, 20, 30)  # Saturday 21:30 in Berlin
    opens = next_allowed(weekdays, ("Europe/Berlin",), saturday_night)
    assert opens == utc(2026, 11, 30, 8, 0)  # Monday 09:00 CET


def test_next_allowed_needs_every_zone_open():
    # New York 08:00 is 14:00 in Berlin: the first moment both are inside 08:00-21:00.
    moment = utc(2026, 11, 24, 3, 0)
    opens = next_allowed(EIGHT_TO_NINE, ("America/New_York", "Europe/Berlin"), moment)
    assert opens == utc(2026, 11, 24, 13, 0)
    assert open_in_all(EIGHT_TO_NINE, ("America/New_York", "Europe/Berlin"), opens)


def test_next_allowed_crosses_a_dst_change():
    # US clocks go back on 1 Nov 2026: 08:00 EST on 2 Nov is 13:00 UTC, not 12:00.
    moment = utc(2026, 11, 2, 3, 0)
    assert next_allowed(EIGHT_TO_NINE, ("America/New_York",), moment) == utc(2026, 11, 2, 13, 0)


def test_a_window_with_no_days_never_opens():
    never = Window(time(8), time(21), frozenset())
    assert next_allowed(never, ("Europe/Berlin",), utc(2026, 11, 24, 12)) is None


# ----------------------------------------------------------------- do-not-call list


@pytest.mark.django_db
def test_dnc_matches_canonical_numbers():
    dnc.add("+1 202-555-0100", reason="asked on the phone", added_by="lena")
    assert DoNotCallEntry.objects.get().number == "+12025550100"
    assert dnc.listed([phones.canonical("(202) 555-0100", "US")]) is not None
    assert dnc.listed([phones.canonical("202.555.0100", "US")]) is not None
    assert dnc.listed([phones.canonical("(202) 555-0101", "US")]) is None


@pytest.mark.django_db
def test_dnc_entries_expire():
    now = datetime.now(UTC)
    dnc.add("+4930123456", added_by="lena", expires_at=now + timedelta(days=1))
    assert dnc.listed(["+4930123456"], now)
    assert dnc.listed(["+4930123456"], now + timedelta(days=2)) is None


@pytest.mark.django_db
def test_dnc_add_twice_updates_and_remove_takes_it_off():
    _, created = dnc.add("+12025550100", reason="first", added_by="a")
    _, again = dnc.add("(202) 555-0100", region="US", reason="second", added_by="b")
    assert (created, again) == (True, False)
    assert DoNotCallEntry.objects.get().reason == "second"
    dnc.remove(DoNotCallEntry.objects.get(), removed_by="admin", via="admin")
    assert not DoNotCallEntry.objects.exists()
    with pytest.raises(phones.PhoneError):
        dnc.add("555-0100", added_by="a")  # national, no region: cannot be read


@pytest.mark.django_db
def test_dnc_csv_lists_good_rows_and_names_bad_lines():
    data = (
        b"PhoneNumber,Reason,ExpiresAt,Region\n"
        b"+1 202-555-0100,complaint,,\n"
        b"(202) 555-0101,asked,2030-01-31,US\n"
        b"030 1234567,Widerspruch,,DE\n"
        b"12,too short,,US\n"
        b"+12025550102,,not a date,\n"
        b"+12025550100,again,,\n"
    )
    result = dnc.import_csv(data, added_by="lena")
    assert (result.added, result.updated) == (3, 1)
    assert [line for line, _ in result.problems] == [5, 6]
    assert "PhoneNumber '12'" in result.problems[0][1]
    assert "ExpiresAt" in result.problems[1][1]
    assert set(DoNotCallEntry.objects.values_list("number", flat=True)) == {
        "+12025550100",
        "+12025550101",
        "+49301234567",
    }
    expires = DoNotCallEntry.objects.get(number="+12025550101").expires_at
    assert expires is not None and expires.year == 2030


def test_dnc_csv_without_a_number_column_is_refused():
    with pytest.raises(dnc.CsvRejected, match="PhoneNumber"):
        dnc.import_csv(b"Number,Reason\n+12025550100,x\n", added_by="lena")
    with pytest.raises(dnc.CsvRejected, match="UTF-8"):
        dnc.import_csv("PhoneNumber\n+4930123456\n".encode("utf-16"), added_by="lena")


# ----------------------------------------------------------------- consent evidence


def test_consent_evidence_needs_all_four_parts():
    assert consent.read_evidence("", None, "", "") is None
    with pytest.raises(consent.EvidenceError) as error:
        consent.read_evidence("Max Mustermann", "", "phone", "")
    assert {part for part, _ in error.value.problems} == {"given_at", "wording"}


def test_consent_evidence_is_checked_part_by_part():
    with pytest.raises(consent.EvidenceError) as error:
        consent.read_evidence("Max", "yesterday-ish", "pigeon", "Ja, ich will")
    assert {part for part, _ in error.value.problems} == {"given_at", "channel"}
    with pytest.raises(consent.EvidenceError, match="future"):
        consent.read_evidence("Max", "2999-01-01T09:00", "phone", "Ja")
    evidence = consent.read_evidence("Max", "2026-03-01T09:00:00", "Web form", "Ja, ich will")
    assert evidence is not None and evidence.channel == "web"
    assert evidence.given_at.tzinfo is not None


def test_api_evidence_problems_name_the_api_fields():
    with pytest.raises(consent.EvidenceError) as error:
        consent.read_api_evidence({"ConsentGivenBy": "Max", "ConsentChannel": "phone"})
    assert {part for part, _ in error.value.problems} == {"ConsentGivenAt", "ConsentWording"}


# ----------------------------------------------------------------- the verdict


@pytest.mark.django_db
def test_no_policy_means_warn_eight_to_nine():
    late = rules.evaluate(contact(), now=utc(2026, 11, 24, 3, 0))  # 22:00 in New York
    assert late.mode == CampaignPolicy.WARN
    assert late.outside_window and not late.blocked and not late.needs_confirmation
    assert "outside calling hours (08:00–21:00 their time)" in late.reasons[0]
    assert late.number == "+12025550100"
    assert late.zone_source == rules.ZONE_FROM_LCM


@pytest.mark.django_db
def test_block_policy_blocks_outside_and_says_when():
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.BLOCK)
    late = rules.evaluate(contact(), now=utc(2026, 11, 24, 3, 0))
    assert late.blocked and late.hand_back_outcome == 4
    assert late.may_call_from == utc(2026, 11, 24, 13, 0)
    assert late.may_call_text.startswith("Tue 24 Nov 08:00 their time (in 10 h 0 min)")
    in_hours = rules.evaluate(contact(), now=utc(2026, 11, 24, 15, 0))
    assert not in_hours.blocked and not in_hours.reasons


@pytest.mark.django_db
def test_confirm_policy_needs_confirmation_outside_only():
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.CONFIRM)
    assert rules.evaluate(contact(), now=utc(2026, 11, 24, 3, 0)).needs_confirmation
    assert not rules.evaluate(contact(), now=utc(2026, 11, 24, 15, 0)).needs_confirmation


@pytest.mark.django_db
def test_without_lcm_zone_the_numbers_region_decides():
    CampaignPolicy.objects.create(
        campaign="Spring Renewals", calling_hours=CampaignPolicy.BLOCK, region="US"
    )
    # 20:30 UTC: 15:30 in Washington (+1 202), 21:30 in Berlin.
    moment = utc(2026, 11, 24, 20, 30)
    us = rules.evaluate(contact(tz=""), now=moment)
    assert us.zones == ("America/New_York",) and us.zone_source == rules.ZONE_FROM_NUMBER
    assert not us.blocked
    german = rules.evaluate(contact(number="+49 30 1234567", tz=""), now=moment)
    assert german.zones == ("Europe/Berlin",)
    assert german.blocked and german.outside_window


@pytest.mark.django_db
def test_unknown_local_time_blocks_under_block():
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.BLOCK)
    # +1 555 numbers have no zone data, and no zone from LCM either.
    verdict = rules.evaluate(contact(number="+1 555 555 0100", tz=""), now=utc(2026, 11, 24, 15))
    assert verdict.blocked and verdict.zones == ()
    assert "local time is unknown" in verdict.reasons[0]


@pytest.mark.django_db
def test_off_policy_never_judges_hours():
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.OFF)
    verdict = rules.evaluate(contact(), now=utc(2026, 11, 24, 3, 0))
    assert not verdict.outside_window and not verdict.blocked and not verdict.reasons


@pytest.mark.django_db
def test_dnc_blocks_even_with_hours_off_and_hands_back_with_the_dnc_outcome():
    CampaignPolicy.objects.create(
        campaign="Spring Renewals", calling_hours=CampaignPolicy.OFF, dnc_outcome=5
    )
    dnc.add("+1 202-555-0100", reason="complaint", added_by="lena")
    verdict = rules.evaluate(contact("(202) 555-0100"), now=utc(2026, 11, 24, 15))
    assert verdict.blocked and verdict.dnc is not None
    assert verdict.hand_back_outcome == 5
    assert "+12025550100 is on the do-not-call list (complaint)" in verdict.reasons[0]


@pytest.mark.django_db
def test_consent_only_campaign_blocks_contacts_without_evidence():
    CampaignPolicy.objects.create(campaign="Spring Renewals", consent_required=True)
    moment = utc(2026, 11, 24, 15)
    assert rules.evaluate(contact(), now=moment).consent_missing
    evidence = consent.read_evidence("Max", "2026-03-01T09:00", "phone", "Ja")
    assert evidence is not None
    consent.record(
        evidence,
        number="+12025550100",
        campaign="Spring Renewals",
        lcm_key="1|1|7|0|0|0|7",
        recorded_by="a1",
    )
    verdict = rules.evaluate(contact(), now=moment)
    assert not verdict.blocked
    assert verdict.evidence is not None and verdict.evidence.given_by == "Max"


@pytest.mark.django_db
def test_unreadable_number_is_blocked():
    verdict = rules.evaluate(contact(number="12", tz=""), now=utc(2026, 11, 24, 15))
    assert verdict.blocked and verdict.unreadable


@pytest.mark.django_db
def test_policy_validation_names_the_field():
    from django.core.exceptions import ValidationError

    policy = CampaignPolicy(
        campaign="x", window_start=time(21), window_end=time(8), weekdays="", region="XX"
    )
    with pytest.raises(ValidationError) as error:
        policy.full_clean()
    assert {"window_end", "weekdays", "region"} <= set(error.value.message_dict)
