"""The agent's four actions. The one place that talks to LCM for an agent, changes the agent's
session state, writes the action log and publishes the change.

Every action: check the input, take the agent's action lock, call LCM, then apply the result
(or leave the state exactly as it was on any failure), log it, publish it once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.asyncdb import db_async
from agentdesk.compliance import consent, rules
from agentdesk.lcm import messages as m
from agentdesk.lcm.client import LcmExchange, get_client
from agentdesk.lcm.errors import LcmError, LcmTimeout

from . import events, state
from .forms import AddContactForm
from .lookups import group_choices, outcome_menu
from .models import ActionLog, AgentProfile, AgentSession
from .presenters import tel_href

log = logging.getLogger(__name__)

BUSY_MESSAGE = "Your previous action is still running; wait for it to finish."


@dataclass
class Result:
    """What an action did, for the view or consumer to render."""

    ok: bool
    message: str = ""
    level: str = "info"  # info, success, warning, error
    session: AgentSession | None = None
    form: AddContactForm | None = None
    lcm_key: str = ""
    dial_href: str = ""  # a confirmed dial: the tel: link the acting page opens


# ------------------------------------------------------------------------ helpers


def _log_fields(error: LcmError | None = None, exchange: LcmExchange | None = None) -> dict:
    fields: dict[str, Any] = {}
    if exchange is not None:
        fields["subtopic"] = exchange.request.SUBTOPIC
        fields["lcm_latency_ms"] = round(exchange.latency_ms, 1)
    if error is not None:
        fields.update(
            ok=False,
            subtopic=error.subtopic,
            lcm_latency_ms=round(error.latency_ms, 1),
            error=error.describe()[:500],
            error_kind=error.kind,
            result="failed",
        )
    return fields


def _contact_fields(contact: m.Contact) -> dict:
    return {
        "campaign": contact.campaign_id[:100],
        "queue": contact.queue[:100],
        "lcm_key": contact.account_number[:80],
        "phone_last4": contact.phone_number[-4:],
    }


async def _finish(
    profile: AgentProfile,
    session: AgentSession,
    token: str,
    kind: str,
    log_fields: dict,
    **changes: Any,
) -> AgentSession:
    """Apply the result, write the log, publish once. Returns the session as now stored, with
    the published fragments on `session.published_html`."""

    def apply() -> AgentSession | None:
        updated = state.release(session, token, **changes)
        state.write_log(profile, kind, **log_fields)
        return updated

    updated = await db_async(apply)()
    if updated is None:
        # The lock expired and another action took over; show whatever is stored now.
        log.warning("agent %s: %s finished after its lock expired", profile.lcm_agent_id, kind)
        updated = await db_async(state.session_for)(profile)
        updated.agent = profile
    updated.published_html = await events.publish(updated)
    return updated


async def _acquire(profile: AgentProfile) -> tuple[AgentSession | None, str, Result | None]:
    try:
        session, token = await db_async(state.acquire)(profile)
    except state.Busy:
        current = await db_async(state.session_for)(profile)
        return None, "", Result(False, BUSY_MESSAGE, "warning", current)
    return session, token, None


async def _give_back(session: AgentSession, token: str) -> AgentSession:
    """Release the lock without changing anything the agent sees."""
    return await db_async(state.release)(session, token) or session


# ------------------------------------------------------------------------ actions


async def _refuse_choices(
    profile: AgentProfile, campaign_group: str, consent: str
) -> Result | None:
    """A refusal when the campaign group is not the agent's or the consent filter unknown."""
    groups = await group_choices(profile)
    if campaign_group not in groups.names:
        return Result(False, "Choose one of your campaign groups first.", "error")
    if consent not in dict(AgentSession.CONSENT_CHOICES):
        return Result(False, "Choose consent, non-consent or both.", "error")
    return None


async def next_contact(profile: AgentProfile, *, campaign_group: str, consent: str) -> Result:
    """Next Contact: one fresh contact from the chosen campaign group."""
    if refused := await _refuse_choices(profile, campaign_group, consent):
        return refused
    return await _fetch(
        profile,
        ActionLog.NEXT,
        m.GetDownloadContactsForDialing(campaign_group, profile.lcm_agent_id, consent, False),
        f"No contact available in {campaign_group} right now.",
        campaign_group=campaign_group,
        consent=consent,
    )


async def reserved_contact(profile: AgentProfile) -> Result:
    """Reserved: the contact LCM already holds for this agent."""
    request: m.LcmRequest
    if settings.LCM_RESERVED_SUBTOPIC == m.GetReservedManualDialContact.SUBTOPIC:
        request = m.GetReservedManualDialContact(profile.lcm_agent_id)
    else:
        request = m.GetReservedContactOD(profile.lcm_agent_id)
    return await _fetch(
        profile, ActionLog.RESERVED, request, "No contact is reserved for you right now."
    )


async def _fetch(
    profile: AgentProfile, kind: str, request: m.LcmRequest, none_message: str, **choices: str
) -> Result:
    session, token, refused = await _acquire(profile)
    if refused:
        return refused
    if session.state == AgentSession.PREVIEWING:
        session = await _give_back(session, token)
        return Result(
            False,
            "A contact is already on your screen: skip it with an outcome first.",
            "warning",
            session,
        )
    try:
        exchange = await get_client().call(request)
    except LcmError as error:
        session = await _finish(
            profile,
            session,
            token,
            kind,
            {**_log_fields(error), **_group(choices)},
            last_error=error.describe()[:500],
        )
        return Result(False, error.describe(), "error", session)
    answer: m.FetchAnswer = exchange.answer
    if answer.contact is None:
        message = none_message
        session = await _finish(
            profile,
            session,
            token,
            kind,
            {**_log_fields(exchange=exchange), "result": message[:300], **_group(choices)},
            notice=message[:300],
            last_error="",
            **choices,
        )
        return Result(True, message, "info", session)
    contact = answer.contact
    groups = await group_choices(profile)
    queue = groups.group_of(contact.campaign_id) or choices.get("campaign_group", "")
    session = await _finish(
        profile,
        session,
        token,
        kind,
        {
            **_log_fields(exchange=exchange),
            **_contact_fields(contact),
            "campaign_group": queue[:100],
            "result": f"Contact {contact.contact_id or contact.account_number} on screen",
        },
        state=AgentSession.PREVIEWING,
        contact=contact.to_response(),
        notice="",
        last_error="",
        **choices,
    )
    return Result(True, f"Contact {contact.phone_number} is on your screen.", "success", session)


def _group(choices: dict) -> dict:
    return (
        {"campaign_group": choices["campaign_group"][:100]} if "campaign_group" in choices else {}
    )


@dataclass
class _Close:
    """How to close the contact on screen: the outcome, and what the log and the agent read."""

    outcome_id: Any
    result_text: str = ""  # "{outcome}" is replaced by the outcome's ID and name
    message: str = ""
    notice: str = ""


@dataclass
class _Refusal:
    message: str
    level: str = "warning"


Decide = Callable[[AgentSession, m.Contact], Awaitable["_Close | _Refusal"]]


async def skip_contact(profile: AgentProfile, *, outcome_id: Any) -> Result:
    """Skip: close the contact on screen with an outcome and go back to idle."""
    menu = await outcome_menu()
    if menu.error:
        return Result(False, menu.error, "error")
    try:
        known = int(outcome_id) in menu.ids
    except (TypeError, ValueError):
        known = False
    if not known:
        return Result(False, "Pick an outcome from the list before skipping.", "error")

    async def chosen(session: AgentSession, contact: m.Contact) -> _Close:
        return _Close(outcome_id, "Skipped with {name}", "Skipped with outcome {outcome}.")

    return await _close_contact(profile, ActionLog.SKIP, chosen)


def is_dnc_outcome(outcome: m.Outcome) -> bool:
    """LCM's telephony outcome "DNC": the person asked not to be called again."""
    return outcome.kind == "telephony" and outcome.name.strip().upper() == "DNC"


async def _close_contact(
    profile: AgentProfile, kind: str, decide: Decide, *, actor: str = ""
) -> Result:
    """Close the contact on screen in LCM (SkipManualDialContact) with the outcome `decide`
    picks once the agent's lock is held, and go back to idle. Skip, hand back and a team
    lead's release all come through here."""
    menu = await outcome_menu()
    if menu.error:
        return Result(False, menu.error, "error")
    session, token, refused = await _acquire(profile)
    if refused:
        return refused
    if session.state != AgentSession.PREVIEWING or not session.contact:
        session = await _give_back(session, token)
        return Result(False, "There is no contact on your screen to skip.", "warning", session)
    contact = m.Contact.from_response(session.contact)
    decision = await decide(session, contact)
    if isinstance(decision, _Refusal):
        session = await _give_back(session, token)
        return Result(False, decision.message, decision.level, session)
    try:
        outcome = menu.ids.get(int(decision.outcome_id))
    except (TypeError, ValueError):
        outcome = None
    if outcome is None:
        session = await _give_back(session, token)
        if kind == ActionLog.SKIP:
            return Result(False, "Pick an outcome from the list before skipping.", "error", session)
        message = (
            f"Outcome {decision.outcome_id} is not one of LCM's outcomes: ask an administrator "
            "to correct the compliance settings. Skip with an outcome instead."
        )
        return Result(False, message, "error", session)
    if is_dnc_outcome(outcome):
        # The opt-out is honoured at once, whatever LCM answers next.
        who = actor or profile.lcm_agent_id
        await db_async(rules.list_contact)(
            contact,
            reason=f"Outcome {outcome.id} {outcome.name} chosen by {who}",
            added_by=actor or f"agent:{profile.lcm_agent_id}",
        )
    request = m.SkipManualDialContact(
        outcome.id, profile.lcm_agent_id, contact.account_number, contact.phone_number
    )
    groups = await group_choices(profile)
    outcome_fields = {
        "outcome_id": outcome.id,
        "outcome_name": outcome.name[:100],
        **_contact_fields(contact),
        "campaign_group": (groups.group_of(contact.campaign_id) or session.campaign_group)[:100],
        "actor": actor[:150],
    }
    named = f"{outcome.id} {outcome.name}"
    try:
        exchange = await get_client().call(request)
        if not exchange.answer.success:
            raise _NotConfirmed(exchange)
    except _NotConfirmed as failure:
        message = "LCM did not confirm the skip. The contact is still yours; try again."
        session = await _finish(
            profile,
            session,
            token,
            kind,
            {
                **_log_fields(exchange=failure.exchange),
                **outcome_fields,
                "ok": False,
                "error": message,
                "error_kind": "rejected",
                "result": "not confirmed",
            },
            last_error=message,
        )
        return Result(False, message, "error", session)
    except LcmError as error:
        session = await _finish(
            profile,
            session,
            token,
            kind,
            {**_log_fields(error), **outcome_fields},
            last_error=error.describe()[:500],
        )
        return Result(False, error.describe(), "error", session)
    session = await _finish(
        profile,
        session,
        token,
        kind,
        {
            **_log_fields(exchange=exchange),
            **outcome_fields,
            "result": _fill(decision.result_text, named, outcome.name)[:300],
        },
        state=AgentSession.IDLE,
        contact=None,
        notice=_fill(decision.notice, named, outcome.name)[:300],
        last_error="",
    )
    return Result(True, _fill(decision.message, named, outcome.name), "success", session)


def _fill(text: str, outcome: str, name: str) -> str:
    # replace(), not format(): the texts carry people's names, which may contain braces.
    return text.replace("{outcome}", outcome).replace("{name}", name)


class _NotConfirmed(Exception):
    def __init__(self, exchange: LcmExchange) -> None:
        self.exchange = exchange


async def add_contact(profile: AgentProfile, data: Any) -> Result:
    """Add Contact: CreateContact from the form; a failure keeps everything the agent typed."""
    groups = await group_choices(profile)
    form = AddContactForm(data, campaigns=groups.campaigns)
    if not await db_async(form.is_valid)():  # checks the do-not-call list and consent rules
        return Result(False, "Check the highlighted fields.", "error", form=form)
    token = form.cleaned_data.get("request_token") or ""
    already = await db_async(state.used_request_token)(profile, token)
    if already is not None:
        return Result(
            True,
            f"This contact was already added (LCM key {already.lcm_key}).",
            "info",
            form=form.fresh_copy(groups.campaigns),
            lcm_key=already.lcm_key,
        )
    session, token_lock, refused = await _acquire(profile)
    if refused:
        refused.form = form
        return refused
    request = form.to_request(profile.lcm_agent_id)
    add_fields = {
        "campaign": request.campaign_id[:100],
        "campaign_group": groups.group_of(request.campaign_id)[:100],
        "phone_last4": request.modes[0].number[-4:] if request.modes else "",
    }
    try:
        exchange = await get_client().call(request)
    except LcmError as error:
        message = error.describe()
        if isinstance(error, LcmTimeout):
            message = (
                "LCM did not answer in time, so the contact may or may not have been "
                "added. Your entries are kept: check the campaign before adding again."
            )
        await _finish(
            profile,
            session,
            token_lock,
            ActionLog.ADD,
            {**_log_fields(error), **add_fields, "error": message[:500]},
            last_error=message[:500],
        )
        return Result(False, message, "error", form=form)
    lcm_key = exchange.answer.lcm_key
    evidence = form.cleaned_data.get("consent_evidence")
    if evidence is not None:
        await db_async(consent.record)(
            evidence,
            number=form.first_number(),
            campaign=request.campaign_id,
            lcm_key=lcm_key,
            recorded_by=f"agent:{profile.lcm_agent_id}",
        )
    session = await _finish(
        profile,
        session,
        token_lock,
        ActionLog.ADD,
        {
            **_log_fields(exchange=exchange),
            **add_fields,
            "lcm_key": lcm_key[:80],
            "request_token": token,
            "result": f"Added to {request.campaign_id}"[:300],
        },
        last_error="",
    )
    return Result(
        True,
        f"Contact added to {request.campaign_id}. LCM key: {lcm_key}",
        "success",
        session,
        form=form.fresh_copy(groups.campaigns),
        lcm_key=lcm_key,
    )


async def select(profile: AgentProfile, *, campaign_group: str, consent: str) -> Result:
    """Remember the agent's campaign group and consent choice (shown in every tab)."""
    if refused := await _refuse_choices(profile, campaign_group, consent):
        return refused

    def save() -> AgentSession:
        session = state.session_for(profile)
        AgentSession.objects.filter(pk=session.pk).update(
            campaign_group=campaign_group, consent=consent
        )
        session.refresh_from_db()
        session.agent = profile
        return session

    session = await db_async(save)()
    await events.publish(session)
    return Result(True, "", "info", session)


# ------------------------------------------------------------------------ compliance


def _reasons(verdict: rules.Verdict) -> str:
    return " ".join(verdict.reasons)


async def hand_back(profile: AgentProfile) -> Result:
    """Hand back the contact on screen that may not be dialled now, with the campaign policy's
    outcome (the do-not-call outcome for a listed number)."""

    async def decide(session: AgentSession, contact: m.Contact) -> _Close | _Refusal:
        verdict = await db_async(rules.evaluate)(contact)
        if not (verdict.blocked or verdict.needs_confirmation or verdict.outside_window):
            return _Refusal(
                _("Nothing stops you dialing this contact; skip it with an outcome instead.")
            )
        why = "do-not-call" if verdict.dnc else "outside calling hours"
        if verdict.consent_missing:
            why = "no consent evidence"
        elif verdict.unreadable:
            why = "unreadable number"
        return _Close(
            verdict.hand_back_outcome,
            f"Handed back ({why}) with {{outcome}}",
            _("Handed back with outcome {outcome}."),
        )

    return await _close_contact(profile, ActionLog.HAND_BACK, decide)


async def confirm_dial(profile: AgentProfile) -> Result:
    """Confirm dialing the contact on screen outside its calling hours: logged with who, when,
    the contact and their local time; the answer carries the number to dial."""
    session, token, refused = await _acquire(profile)
    if refused:
        return refused
    if session.state != AgentSession.PREVIEWING or not session.contact:
        session = await _give_back(session, token)
        return Result(False, _("There is no contact on your screen to dial."), "warning", session)
    contact = m.Contact.from_response(session.contact)
    verdict = await db_async(rules.evaluate)(contact)
    if verdict.blocked:
        session = await _give_back(session, token)
        message = _("This contact may not be dialled: %(why)s") % {"why": _reasons(verdict)}
        return Result(False, message, "error", session)
    href = tel_href(contact.dial_string)
    if not verdict.needs_confirmation:
        session = await _give_back(session, token)
        return Result(True, _("No confirmation needed: dial."), "info", session, dial_href=href)
    if await db_async(state.dial_confirmed_at)(session) is not None:
        session = await _give_back(session, token)
        return Result(True, _("Already confirmed: dial."), "info", session, dial_href=href)
    groups = await group_choices(profile)
    session = await _finish(
        profile,
        session,
        token,
        ActionLog.CONFIRM_DIAL,
        {
            **_contact_fields(contact),
            "campaign_group": (groups.group_of(contact.campaign_id) or session.campaign_group)[
                :100
            ],
            "result": (
                f"Dial outside calling hours ({verdict.window_text}) confirmed; "
                f"their time {verdict.local_time_text}"
            )[:300],
        },
    )
    message = _("Confirmed and logged. Dialing %(number)s.") % {"number": contact.dial_string}
    return Result(True, message, "success", session, dial_href=href)


def _preview_state(profile: AgentProfile):
    session = state.session_for(profile)
    return session, rules.preview_limit_for(session.campaign_group)


# The agent's page asks when its countdown ends; the server's clock has the last word, with
# this much tolerance for the page's timer and the request's travel.
PREVIEW_TOLERANCE_SECONDS = 3


async def preview_expired(profile: AgentProfile) -> Result:
    """The preview limit of the contact on screen ran out: hand it back, or flag the agent."""
    session, limit = await db_async(_preview_state)(profile)
    if limit is None or session.state != AgentSession.PREVIEWING:
        return Result(False, _("No preview limit applies to your screen."), "info", session)
    elapsed = (timezone.now() - session.state_since).total_seconds()
    if elapsed + PREVIEW_TOLERANCE_SECONDS < limit.seconds:
        left = int(limit.seconds - elapsed)
        message = _("The preview time has not run out yet (%(left)d s left).") % {"left": left}
        return Result(False, message, "info", session)
    if limit.on_expiry == limit.HAND_BACK:
        expected_key = (session.contact or {}).get("AccountNumber")

        async def decide(current: AgentSession, contact: m.Contact) -> _Close | _Refusal:
            if contact.account_number != expected_key:
                return _Refusal(_("The contact on your screen changed; nothing handed back."))
            return _Close(
                limit.hand_back_outcome,
                f"Preview time ({limit.seconds} s) ran out: handed back with {{outcome}}",
                _("The preview time ran out: handed back with outcome {outcome}."),
            )

        return await _close_contact(profile, ActionLog.HAND_BACK, decide)
    return await _flag_preview_over(profile, limit.seconds)


async def _flag_preview_over(profile: AgentProfile, seconds: int) -> Result:
    session, token, refused = await _acquire(profile)
    if refused:
        return refused
    if session.state != AgentSession.PREVIEWING or not session.contact:
        session = await _give_back(session, token)
        return Result(False, _("There is no contact on your screen."), "info", session)
    if await db_async(state.preview_over_logged)(session):
        session = await _give_back(session, token)
        return Result(True, "", "info", session)
    contact = m.Contact.from_response(session.contact)
    session = await _finish(
        profile,
        session,
        token,
        ActionLog.PREVIEW_OVER,
        {
            **_contact_fields(contact),
            "campaign_group": session.campaign_group[:100],
            "result": f"Preview limit of {seconds} s ran out; team lead alerted",
        },
    )
    message = _("The preview time ran out: your team lead has been alerted. Dial or skip now.")
    return Result(True, message, "warning", session)


async def release_contact(lead_name: str, profile: AgentProfile, *, outcome_id: Any) -> Result:
    """A team lead closes the contact an agent holds (the agent went home with it on screen),
    under the agent's LCM ID, with an outcome; logged with the lead's name."""

    async def chosen(session: AgentSession, contact: m.Contact) -> _Close:
        return _Close(
            outcome_id,
            f"Released by {lead_name} with {{outcome}}",
            _("Released %(agent)s's contact with outcome {outcome}.")
            % {"agent": profile.display_name},
            _("Your team lead %(lead)s released your contact with outcome {outcome}.")
            % {"lead": lead_name},
        )

    return await _close_contact(profile, ActionLog.RELEASE, chosen, actor=lead_name)


ACTIONS = {"next", "reserved", "skip", "add", "select", "hand_back", "confirm_dial"}


async def dispatch(profile: AgentProfile, action: str, params: dict[str, Any]) -> Result:
    """Run an action named by a socket message, with the same functions the views use."""
    if action == "next":
        return await next_contact(
            profile,
            campaign_group=str(params.get("campaign_group", "")),
            consent=str(params.get("consent", "Both")),
        )
    if action == "reserved":
        return await reserved_contact(profile)
    if action == "skip":
        return await skip_contact(profile, outcome_id=params.get("outcome"))
    if action == "add":
        return await add_contact(profile, params)
    if action == "hand_back":
        return await hand_back(profile)
    if action == "confirm_dial":
        return await confirm_dial(profile)
    if action == "select":
        return await select(
            profile,
            campaign_group=str(params.get("campaign_group", "")),
            consent=str(params.get("consent", "Both")),
        )
    return Result(False, f"Unknown action {action!r}.", "error")
