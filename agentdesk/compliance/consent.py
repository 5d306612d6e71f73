"""Consent evidence: read it (Add form, import API, CSV import alike), store it, find it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dateutil import parser as date_parser
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CampaignPolicy, ConsentEvidence

# The names the import API and the CSV import use, after the seed's PascalCase fields.
API_FIELDS = {
    "given_by": "ConsentGivenBy",
    "given_at": "ConsentGivenAt",
    "channel": "ConsentChannel",
    "wording": "ConsentWording",
}
MAX_GIVEN_BY = 200
MAX_WORDING = 2000
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Evidence:
    given_by: str
    given_at: datetime
    channel: str
    wording: str


class EvidenceError(ValueError):
    """Evidence given but incomplete or wrong; `problems` is [(part, message)], where part is
    one of given_by, given_at, channel, wording."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def _channel(value: str) -> str | None:
    wanted = value.strip().lower().replace("-", "_").replace(" ", "_")
    for key, label in ConsentEvidence.CHANNELS:
        if wanted in (key, str(label).lower().replace(" ", "_")):
            return key
    return None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = date_parser.isoparse(str(value).strip())
        except (ValueError, OverflowError):
            return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def read_evidence(
    given_by: Any, given_at: Any, channel: Any, wording: Any, *, now: datetime | None = None
) -> Evidence | None:
    """The evidence, or None when none of it is given; EvidenceError when only part of it is
    given or a part is wrong. Consent without who, when, how and what is not evidence."""
    parts = {"given_by": given_by, "given_at": given_at, "channel": channel, "wording": wording}
    texts = {
        k: ("" if v is None else v if isinstance(v, datetime) else str(v).strip())
        for k, v in parts.items()
    }
    if not any(texts.values()):
        return None
    problems: list[tuple[str, str]] = []
    for key, text in texts.items():
        if not text:
            problems.append((key, _("is required when consent evidence is given")))
    if len(str(texts["given_by"])) > MAX_GIVEN_BY:
        problems.append(("given_by", _("is longer than %(n)d characters") % {"n": MAX_GIVEN_BY}))
    if len(str(texts["wording"])) > MAX_WORDING:
        problems.append(("wording", _("is longer than %(n)d characters") % {"n": MAX_WORDING}))
    moment = _moment(texts["given_at"]) if texts["given_at"] else None
    if texts["given_at"] and moment is None:
        problems.append(("given_at", _("must be a date and time like 2026-03-01T09:00:00")))
    elif moment is not None and moment > (now or timezone.now()) + CLOCK_SKEW:
        problems.append(("given_at", _("must not be in the future")))
    channel_key = _channel(str(texts["channel"])) if texts["channel"] else None
    if texts["channel"] and channel_key is None:
        choices = ", ".join(key for key, _label in ConsentEvidence.CHANNELS)
        problems.append(("channel", _("must be one of %(choices)s") % {"choices": choices}))
    if problems:
        raise EvidenceError(problems)
    assert moment is not None and channel_key is not None
    return Evidence(str(texts["given_by"]), moment, channel_key, str(texts["wording"]))


def read_api_evidence(values: dict[str, Any]) -> Evidence | None:
    """Evidence from the import API's / CSV's field names; EvidenceError problems name those."""
    try:
        return read_evidence(*(values.get(API_FIELDS[k]) for k in API_FIELDS))
    except EvidenceError as error:
        raise EvidenceError([(API_FIELDS[k], message) for k, message in error.problems]) from None


def required_for(campaign: str) -> bool:
    """True when the campaign is consent-only."""
    return CampaignPolicy.objects.filter(campaign=campaign, consent_required=True).exists()


def record(
    evidence: Evidence, *, number: str, campaign: str, lcm_key: str, recorded_by: str
) -> ConsentEvidence:
    return ConsentEvidence.objects.create(
        lcm_key=lcm_key[:80],
        number=number,
        campaign=campaign[:100],
        given_by=evidence.given_by,
        given_at=evidence.given_at,
        channel=evidence.channel,
        wording=evidence.wording,
        recorded_by=recorded_by[:150],
    )


def evidence_for(*, lcm_key: str, number: str, campaign: str) -> ConsentEvidence | None:
    """The latest evidence for a contact: by its LCM key, else by number within the campaign."""
    if lcm_key:
        found = ConsentEvidence.objects.filter(lcm_key=lcm_key).first()
        if found is not None:
            return found
    if number and campaign:
        return ConsentEvidence.objects.filter(number=number, campaign=campaign).first()
    return None


def evidence_by_key(lcm_keys: set[str]) -> dict[str, ConsentEvidence]:
    """Evidence per LCM key, for exports (one query)."""
    found: dict[str, ConsentEvidence] = {}
    for item in ConsentEvidence.objects.filter(lcm_key__in=lcm_keys).order_by("recorded_at"):
        found[item.lcm_key] = item  # the latest wins
    return found
