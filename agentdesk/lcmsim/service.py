"""The LCM simulator: answers every supported subtopic from real state in the database.

`handle_envelope` is the synchronous core (envelope bytes in, answer bytes out);
`handle_envelope_async` adds the configured fault (slow, down, garbage…) and is what both the
embedded transport and the `lcmsim` HTTP server call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from agentdesk.lcm import catalogue
from agentdesk.lcm import messages as m
from agentdesk.lcm.envelope import build_answer, build_ws_error, parse_request
from agentdesk.lcm.errors import MessageError
from agentdesk.lcm.fields import is_whole_number
from agentdesk.lcm.timezones import find_time_zone
from agentdesk.shared.asyncdb import db_async

from . import numbers, shapes
from .models import Campaign, CampaignGroup, Contact, ContactMode, Fault, Outcome, SimAgent

log = logging.getLogger(__name__)

LCM_TIME_FORMAT = "%m/%d/%Y %H:%M:%S"  # as in the DownloadContactsForDialing sample


class SimulatorDown(Exception):
    """The simulator is switched to refuse calls; `acted` when it carried the call out first."""

    def __init__(self, mode: str, *, acted: bool = False) -> None:
        self.acted = acted
        super().__init__(mode)


class SimulatorHttpFailure(Exception):
    """Answer with this HTTP status (and body) instead of 200."""

    def __init__(self, status: int, body: bytes = b"Internal Server Error") -> None:
        self.status = status
        self.body = body
        super().__init__(f"HTTP {status}")


class Rejected(Exception):
    """Becomes a WS_Error answer with this text."""


# ------------------------------------------------------------------------ handout


def _dialable(now: datetime) -> Q:
    return (Q(expiry__isnull=True) | Q(expiry__gt=now)) & (
        Q(callback_start__isnull=True) | Q(callback_start__lte=now)
    )


def _locked_agent(agent_id: str) -> SimAgent:
    """The agent's row, locked for this transaction so one agent's fetches run one at a time.

    LCM serves only agents it knows that are logged in to the application (the pages'
    prerequisite), and says so with an error rather than "no contact"."""
    return _check_agent(SimAgent.objects.select_for_update().filter(agent_id=agent_id).first())


def _check_agent(agent: SimAgent | None) -> SimAgent:
    if agent is None:
        raise Rejected("Invalid Agent ID.")
    if not agent.logged_in:
        raise Rejected("Agent is not logged in to the application.")
    return agent


def release_expired_holds(now: datetime) -> int:
    """Give contacts held longer than LCMSIM_HOLD_SECONDS back to the campaign (Open)."""
    cutoff = now - timedelta(seconds=settings.LCMSIM_HOLD_SECONDS)
    return Contact.objects.filter(status=Contact.IN_PROGRESS, held_at__lt=cutoff).update(
        status=Contact.OPEN, held_by="", held_at=None
    )


def _claim_first(candidates: QuerySet[Contact], agent_id: str, now: datetime) -> Contact | None:
    """Hand the first free candidate to the agent.

    The conditional UPDATE (status still Open) is the compare-and-set that keeps one contact
    from ever going to two agents, on SQLite and PostgreSQL alike. On PostgreSQL the candidate
    row is also locked with SKIP LOCKED (one row at a time, so racing agents take different
    rows instead of queueing on the same one); SQLite runs write transactions one at a time.
    """
    for _ in range(200):
        pk = (
            candidates.select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            if not candidates.exists():
                return None
            time.sleep(0.005)  # every open row is being claimed right now; look again
            continue
        won = Contact.objects.filter(pk=pk, status=Contact.OPEN).update(
            status=Contact.IN_PROGRESS, held_by=agent_id, held_at=now
        )
        if won:
            return Contact.objects.select_related("campaign__group").get(pk=pk)
    return None


def _held_contact(agent_id: str) -> Contact | None:
    return (
        Contact.objects.select_related("campaign__group")
        .filter(held_by=agent_id, status=Contact.IN_PROGRESS)
        .order_by()
        .first()
    )


def fetch_contact(
    agent_id: str, *, group: CampaignGroup | None, consent: str, reserved: bool
) -> Contact | None:
    """One contact for the agent: the one they already hold, else a free one (atomically)."""
    now = timezone.now()
    with transaction.atomic():
        _locked_agent(agent_id)
        release_expired_holds(now)
        held = _held_contact(agent_id)
        if held is not None:
            if group is not None and held.campaign.group_id != group.pk:
                raise Rejected(
                    f"Agent {agent_id} already holds contact {held.lcm_key} of campaign group "
                    f"{held.campaign.group.name}; close it before fetching from {group.name}."
                )
            return held
        candidates = Contact.objects.filter(_dialable(now), status=Contact.OPEN)
        if group is not None:
            candidates = candidates.filter(
                campaign_id__in=list(group.campaigns.values_list("pk", flat=True))
            )
        if reserved:
            candidates = candidates.filter(reserved_for=agent_id)
        else:
            candidates = candidates.filter(reserved_for="")
        if consent == "true":
            candidates = candidates.filter(consent=True)
        elif consent == "false":
            candidates = candidates.filter(consent=False)
        candidates = numbers.without_unreachable(candidates, now)  # all numbers do-not-call
        # Callbacks that are due come first, then priority, then the oldest.
        candidates = candidates.order_by("-call_type", "-priority", "pk")
        return _claim_first(candidates, agent_id, now)


def _format_time(moment: datetime | None, fmt: str = LCM_TIME_FORMAT) -> str:
    return timezone.localtime(moment).strftime(fmt) if moment else ""


def _od_time(moment: datetime | None) -> str:
    """Seed 002's style, "Oct 7 2020 11:59PM" (no leading zero on the day)."""
    if not moment:
        return ""
    local = timezone.localtime(moment)
    return f"{local:%b} {local.day} {local:%Y %I:%M%p}"


OD_CALL_TYPES = {0: "Regular Call", 1: "Regular Callback", 2: "Personal Callback"}


def contact_answer(contact: Contact, *, od_style: bool = False) -> m.Contact:
    """The contact as LCM hands it out; `od_style` is ContactOD's (seed 002) way of writing
    dates and call types, the default DownloadContactsForDialing's (seed 001)."""
    mode = numbers.handout_mode(contact, timezone.now())
    write_time = _od_time if od_style else _format_time
    return m.Contact(
        phone_number=mode.number if mode else "",
        account_number=contact.lcm_key,
        campaign_id=contact.campaign.name,
        mode=mode.name if mode else "",
        contact_id=str(contact.pk),
        expiry_time=write_time(contact.expiry),
        callback_time=write_time(contact.callback_start),
        call_type=OD_CALL_TYPES[contact.call_type] if od_style else str(contact.call_type),
        consent="Yes" if contact.consent else "No",
        prefix=contact.prefix,
        suffix=contact.suffix,
        queue=contact.campaign.queue or contact.campaign.group.name,
        time_zone=mode.time_zone_label if mode else contact.campaign.time_zone_label,
    )


# ----------------------------------------------------------------------- handlers


def _group(name: str) -> CampaignGroup:
    group = CampaignGroup.objects.filter(name__iexact=name.strip()).first()
    if group is None:
        raise Rejected("Invalid Campaign Group.")
    return group


def _check_assigned(group: CampaignGroup, agent_id: str) -> None:
    if not group.agents.filter(agent_id=agent_id).exists():
        raise Rejected(f"Agent {agent_id} is not assigned to campaign group {group.name}.")


def _fetch_answer(contact: Contact | None, reason: str, *, od_style: bool = False) -> m.FetchAnswer:
    if contact is None:
        return m.FetchAnswer(None, reason)
    return m.FetchAnswer(contact_answer(contact, od_style=od_style))


def download_contacts(request: m.GetDownloadContactsForDialing) -> m.FetchAnswer:
    _check_agent(SimAgent.objects.filter(agent_id=request.agent_id).first())
    group = _group(request.campaign_group)
    _check_assigned(group, request.agent_id)
    if group.status.lower() != "active":
        raise Rejected(f"Campaign group {group.name} is not active.")
    contact = fetch_contact(
        request.agent_id,
        group=group,
        consent=request.consent,
        reserved=request.reserved_contacts,
    )
    return _fetch_answer(contact, f"No contacts available in campaign group {group.name}.")


def reserved_contact_od(request: m.GetReservedContactOD) -> m.FetchAnswer:
    contact = fetch_contact(request.user_id, group=None, consent="Both", reserved=True)
    return _fetch_answer(
        contact, f"No contact is reserved for agent {request.user_id}.", od_style=True
    )


def reserved_manual_dial(request: m.GetReservedManualDialContact) -> m.FetchAnswer:
    group = _group(request.campaign_group) if request.campaign_group else None
    contact = fetch_contact(request.agent_id, group=group, consent="Both", reserved=True)
    return _fetch_answer(contact, f"No contact is reserved for agent {request.agent_id}.")


def _manual_outcome(outcome_id: int) -> Outcome:
    """Outcomes valid for a skip: seed 004 names the telephony outcomes (GetCallOutcome) and
    the business outcomes (GetBusinessOutcome), every one of them, whatever its group."""
    outcome = Outcome.objects.filter(pk=outcome_id).first()
    if outcome is None:
        raise Rejected("Invalid Outcome ID.")
    return outcome


def skip_contact(request: m.SkipManualDialContact) -> m.SkipAnswer:
    outcome = _manual_outcome(request.outcome_id)
    with transaction.atomic():
        _locked_agent(request.user_id)
        contact = Contact.objects.filter(lcm_key=request.account_number.strip()).first()
        if contact is None:
            raise Rejected("Invalid Account Number.")
        # The key names the contact; seed 004 documents no check of PhoneNumber against it.
        if contact.status == Contact.CLOSED and contact.closed_by == request.user_id:
            # The same agent repeating a skip whose answer was lost: already done when the
            # outcome is the same; with another outcome LCM says what it already has.
            if contact.outcome_id == outcome.pk:
                return m.SkipAnswer(True)
            raise Rejected(
                f"Contact is already closed with outcome {contact.outcome_id} "
                f"{contact.outcome.name if contact.outcome else ''}.".replace(" .", ".")
            )
        if contact.status != Contact.IN_PROGRESS or contact.held_by != request.user_id:
            raise Rejected(f"Contact is not held by agent {request.user_id}.")
        contact.status = Contact.CLOSED
        contact.outcome = outcome
        contact.closed_by = request.user_id
        contact.closed_at = timezone.now()
        contact.held_by = ""
        contact.save(update_fields=["status", "outcome", "closed_by", "closed_at", "held_by"])
    return m.SkipAnswer(True)


MAX_STATUS = 32767  # the largest status the simulator's table stores


def _call_type(value: str) -> int:
    """Seed 000 documents `Calltype` "0 - Fresh Contacts"; the simulator also knows 1
    (regular callback) and 2 (personal callback), written as numbers ("0", "00", " 2 ")."""
    text = value.strip()
    if is_whole_number(text) and int(text) in (
        Contact.REGULAR,
        Contact.REGULAR_CALLBACK,
        Contact.PERSONAL_CALLBACK,
    ):
        return int(text)
    raise Rejected("Invalid Call Type. Use 0 (fresh contact), 1 or 2 (callbacks).")


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def create_contact(request: m.CreateContact) -> m.CreateContactAnswer:
    name = request.campaign_id.strip()
    campaign = Campaign.objects.filter(name__iexact=name).first()
    if campaign is None and is_whole_number(name):
        campaign = Campaign.objects.filter(pk=int(name)).first()
    if campaign is None:
        raise Rejected("Invalid Campaign ID.")
    # Seed 000: "0 - Open, 4 - Delivered, etc.": any status is stored as given; only Open
    # (0) is ever handed out. A negative one cannot be stored.
    if not 0 <= request.status <= MAX_STATUS:
        raise Rejected(f"Invalid Status. Use a number from 0 to {MAX_STATUS}.")
    call_type = _call_type(request.call_type)
    # No check of the numbers: seed 000 documents Cvalue as a String and no rule for it (its
    # own sample, 609309034 in Eastern Time, is no valid US number). agentdesk's own forms
    # check numbers before they are sent (docs/lcm.md).
    if request.agent_id:  # "The agent must be on an active call or logged in" (seed 000)
        _check_agent(SimAgent.objects.filter(agent_id=request.agent_id).first())
    with transaction.atomic():
        contact = Contact.objects.create(
            campaign=campaign,
            list_id=request.list_id or 1,
            status=request.status,
            call_type=call_type,
            priority=request.priority,
            callback_start=_aware(request.call_start),
            callback_end=_aware(request.call_end),
            expiry=_aware(request.call_end),
            business_fields=request.business_fields,
            contact_detail=request.contact_detail,
            zip_code=request.zip_code,
            reserved_for=request.agent_id if call_type == Contact.PERSONAL_CALLBACK else "",
            created_by=request.agent_id,
            consent=str(request.business_fields.get("consent", "")).lower() in {"true", "yes"},
        )
        modes = []
        for position, mode in enumerate(request.modes):
            tz = find_time_zone(mode.time_zone)
            modes.append(
                ContactMode(
                    contact=contact,
                    position=position,
                    name=mode.name,
                    number=mode.number,
                    time_zone_index=tz.index if tz else campaign.time_zone_index,
                    time_zone_label=tz.label if tz else campaign.time_zone_label,
                )
            )
        numbers.fill_e164(modes, campaign.time_zone_label)
        ContactMode.objects.bulk_create(modes)
        # The key names the contact's ID, so it is known only once the contact is stored.
        contact.lcm_key = contact.make_lcm_key(modes[0] if modes else None)
        Contact.objects.filter(pk=contact.pk).update(lcm_key=contact.lcm_key)
    return m.CreateContactAnswer(contact.lcm_key)


def _outcomes(queryset: QuerySet[Outcome], answer_type: type[m.OutcomeList]) -> m.OutcomeList:
    return answer_type(
        tuple(
            m.Outcome(o.pk, o.name, answer_type.KIND, o.parent_id) for o in queryset.order_by("pk")
        )
    )


def call_outcomes(request: m.GetCallOutCome) -> m.OutcomeList:
    return _outcomes(Outcome.objects.filter(kind=Outcome.TELEPHONY), m.OutcomeList)


def business_outcomes(request: m.GetBusinessOutCome) -> m.OutcomeList:
    return _outcomes(Outcome.objects.filter(kind=Outcome.BUSINESS), m.BusinessOutcomeList)


def outcomes_by_group(request: m.GetOutcomeByOutcomegroup) -> m.OutcomeList:
    queryset = Outcome.objects.filter(kind=Outcome.BUSINESS, group_type__iexact=request.group_type)
    return _outcomes(queryset, m.BusinessOutcomeList)


def _known_agent(agent_id: str) -> None:
    if not SimAgent.objects.filter(agent_id=agent_id).exists():
        raise Rejected("Invalid Agent ID.")


def campaign_groups(request: m.GetCampaignGroups) -> m.CampaignGroupsAnswer:
    _known_agent(request.user_id)
    groups = list(CampaignGroup.objects.filter(agents__agent_id=request.user_id).order_by("name"))
    campaigns: dict[int, list[Any]] = {g.pk: [] for g in groups}
    for group_id, name, pct, status in Campaign.objects.filter(group__in=groups).values_list(
        "group_id", "name", "pct", "status"
    ):
        campaigns[group_id].append(m.CampaignInGroup(name, pct, status))
    members: dict[int, list[Any]] = {g.pk: [] for g in groups}
    for group_id, agent_id, name in CampaignGroup.agents.through.objects.filter(
        campaigngroup__in=groups
    ).values_list("campaigngroup_id", "simagent__agent_id", "simagent__name"):
        members[group_id].append((agent_id, name))
    return m.CampaignGroupsAnswer(
        tuple(
            m.CampaignGroup(
                name=g.name,
                type=g.type,
                status=g.status,
                campaigns=tuple(campaigns[g.pk]),
                agents=tuple(members[g.pk]),
            )
            for g in groups
        )
    )


def agent_call_count(request: m.GetAgentCallCount) -> m.AgentCallCountAnswer:
    _known_agent(request.agent_id)
    now = timezone.now()
    reserved = Contact.objects.filter(
        _dialable(now) | Q(callback_start__gt=now),
        status=Contact.OPEN,
        reserved_for=request.agent_id,
    )
    pcb = reserved.filter(call_type=Contact.PERSONAL_CALLBACK).count()
    regular = reserved.exclude(call_type=Contact.PERSONAL_CALLBACK).count()
    return m.AgentCallCountAnswer(pcb, regular, pcb + regular > 0)


def queue_count(request: m.GetCampaignGroupContactCount) -> m.QueueCountAnswer:
    group = _group(request.campaign_group)
    waiting = Contact.objects.filter(
        _dialable(timezone.now()), status=Contact.OPEN, reserved_for="", campaign__group=group
    ).count()
    return m.QueueCountAnswer(group.name, waiting)


HANDLERS: dict[type[m.LcmRequest[Any]], Callable[[Any], Any]] = {
    m.CreateContact: create_contact,
    m.GetDownloadContactsForDialing: download_contacts,
    m.GetReservedContactOD: reserved_contact_od,
    m.GetReservedManualDialContact: reserved_manual_dial,
    m.SkipManualDialContact: skip_contact,
    m.GetCallOutCome: call_outcomes,
    m.GetBusinessOutCome: business_outcomes,
    m.GetOutcomeByOutcomegroup: outcomes_by_group,
    m.GetCampaignGroups: campaign_groups,
    m.GetAgentCallCount: agent_call_count,
    m.GetCampaignGroupContactCount: queue_count,
}


def _answer_subtopic(request_type: type[m.LcmRequest[Any]], sent_as: str) -> str:
    for alias in request_type.ALIASES:
        if sent_as.strip().lower() == alias.lower():
            return f"{alias}Response"
    return request_type.ANSWERS[0]


def handle(envelope: Any) -> dict[str, Any]:
    """Answer one request envelope (a dict) with an answer envelope (a dict)."""
    try:
        subtopic, data = parse_request(envelope)
        request_type = catalogue.request_type_for(subtopic)
        if request_type is None:
            return build_ws_error(f"Unknown subtopic {subtopic}.")
        request = request_type.from_data(data)
        handler = HANDLERS.get(request_type)
        if handler is None:
            return build_ws_error(f"Unknown subtopic {subtopic}.")
        answer = handler(request)
    except MessageError as exc:
        return build_ws_error(f"Invalid request: {exc.field} {exc.problem}.")
    except Rejected as exc:
        return build_ws_error(str(exc))
    envelope = build_answer(_answer_subtopic(request_type, subtopic), answer.to_response())
    call_id = getattr(request, "call_id", None)
    if call_id:  # the wrap-up pages echo the call id in the message
        envelope["message"]["callid"] = call_id
    return envelope


def handle_envelope(body: bytes) -> bytes:
    """Answer one request envelope given as JSON bytes."""
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return json.dumps(build_ws_error("Invalid request: the body is not JSON.")).encode()
    return json.dumps(handle(envelope)).encode()


def current_fault() -> Fault:
    return Fault.objects.order_by("pk").first() or Fault(mode=Fault.NONE)


def set_shape(shape: str) -> Fault:
    """Write every answer in `shape` (see shapes.SHAPES); "documented" to go back."""
    if shape not in shapes.SHAPES:
        raise ValueError(f"unknown answer shape {shape!r}; choose from {', '.join(shapes.SHAPES)}")
    fault = Fault.objects.order_by("pk").first() or Fault()
    fault.shape = shape
    fault.save()
    return fault


def set_agent_logged_in(agent_id: str, logged_in: bool) -> SimAgent:
    """Log an agent in to or out of the application, as LCM sees it."""
    agent, _ = SimAgent.objects.get_or_create(agent_id=agent_id)
    agent.logged_in = logged_in
    agent.save(update_fields=["logged_in"])
    return agent


def set_fault(mode: str, *, delay_seconds: float = 0, act_before_failing: bool = False) -> Fault:
    if mode not in dict(Fault.MODES):
        raise ValueError(f"unknown fault mode {mode!r}; choose from {', '.join(dict(Fault.MODES))}")
    fault = Fault.objects.order_by("pk").first() or Fault()
    fault.mode = mode
    fault.delay_seconds = delay_seconds
    fault.act_before_failing = act_before_failing
    fault.save()
    return fault


def _answer_unless_delayed(body: bytes) -> tuple[Fault, bytes | None]:
    """The configured fault and, unless it delays the answer or fails without acting, the
    answer: both in one trip to a worker thread."""
    fault = current_fault()
    if fault.mode == Fault.SLOW and fault.delay_seconds > 0:
        return fault, None
    if fault.mode not in (Fault.NONE, Fault.SLOW) and not fault.act_before_failing:
        return fault, None
    return fault, handle_envelope(body)


async def handle_envelope_async(body: bytes) -> bytes:
    """Answer an envelope, misbehaving as the configured fault says and written in the
    configured answer shape (shapes.py). Raises SimulatorHttpFailure for a non-200 answer."""
    fault, answer = await db_async(_answer_unless_delayed)(body)
    if fault.mode == Fault.SLOW and fault.delay_seconds > 0:
        await asyncio.sleep(fault.delay_seconds)
        answer = await db_async(handle_envelope)(body)
    if fault.mode == Fault.DOWN:
        raise SimulatorDown(fault.mode, acted=answer is not None)
    if fault.mode == Fault.HTTP_500:
        raise SimulatorHttpFailure(500)
    if fault.mode == Fault.GARBAGE:
        return b"<html><body>502 Bad Gateway</body></html>"
    if fault.mode == Fault.WRONG_SHAPE:
        return json.dumps(
            {"channel": "LCM", "message": {"response": {"unexpected": True}}}
        ).encode()
    if fault.mode == Fault.WS_ERROR:
        answer = json.dumps(build_ws_error("Simulated LCM failure.")).encode()
    assert answer is not None
    if fault.shape == shapes.DOCUMENTED:
        return answer
    shaped = shapes.reshape(fault.shape, shapes.request_subtopic(body), json.loads(answer))
    encoded = json.dumps(shaped).encode()
    status = shapes.http_status(fault.shape, shaped)
    if status != 200:
        raise SimulatorHttpFailure(status, encoded)
    return encoded
