"""The agent's four actions. The one place that talks to LCM for an agent, changes the agent's
session state, writes the action log and publishes the change.

Every action: check the input, take the agent's action lock, call LCM, then apply the result
(or leave the state exactly as it was on any failure), log it, publish it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agentdesk.asyncdb import db_async
from agentdesk.lcm import messages as m
from agentdesk.lcm.client import LcmExchange, get_client
from agentdesk.lcm.errors import LcmError, LcmTimeout

from . import events, state
from .forms import AddContactForm
from .lookups import group_choices, outcome_menu
from .models import ActionLog, AgentProfile, AgentSession

log = logging.getLogger(__name__)

BUSY_MESSAGE = gettext_lazy("Your previous action is still running; wait for it to finish.")


@dataclass
class Result:
    """What an action did, for the view or consumer to render."""

    ok: bool
    message: str = ""
    level: str = "info"  # info, success, warning, error
    session: AgentSession | None = None
    form: AddContactForm | None = None
    lcm_key: str = ""


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
        return None, "", Result(False, str(BUSY_MESSAGE), "warning", current)
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
        return Result(False, _("Choose one of your campaign groups first."), "error")
    if consent not in dict(AgentSession.CONSENT_CHOICES):
        return Result(False, _("Choose consent, non-consent or both."), "error")
    return None


async def next_contact(profile: AgentProfile, *, campaign_group: str, consent: str) -> Result:
    """Next Contact: one fresh contact from the chosen campaign group."""
    if refused := await _refuse_choices(profile, campaign_group, consent):
        return refused
    return await _fetch(
        profile,
        ActionLog.NEXT,
        m.GetDownloadContactsForDialing(campaign_group, profile.lcm_agent_id, consent, False),
        _("No contact available in %(group)s right now.") % {"group": campaign_group},
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
        profile, ActionLog.RESERVED, request, _("No contact is reserved for you right now.")
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
            _("A contact is already on your screen: skip it with an outcome first."),
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
            "result": _("Contact %(id)s on screen")
            % {"id": contact.contact_id or contact.account_number},
        },
        state=AgentSession.PREVIEWING,
        contact=contact.to_response(),
        notice="",
        last_error="",
        **choices,
    )
    return Result(
        True,
        _("Contact %(number)s is on your screen.") % {"number": contact.phone_number},
        "success",
        session,
    )


def _group(choices: dict) -> dict:
    return (
        {"campaign_group": choices["campaign_group"][:100]} if "campaign_group" in choices else {}
    )


async def skip_contact(profile: AgentProfile, *, outcome_id: Any) -> Result:
    """Skip: close the contact on screen with an outcome and go back to idle."""
    menu = await outcome_menu()
    if menu.error:
        return Result(False, menu.error, "error")
    try:
        outcome = menu.ids.get(int(outcome_id))
    except (TypeError, ValueError):
        outcome = None
    if outcome is None:
        return Result(False, _("Pick an outcome from the list before skipping."), "error")
    session, token, refused = await _acquire(profile)
    if refused:
        return refused
    if session.state != AgentSession.PREVIEWING or not session.contact:
        session = await _give_back(session, token)
        return Result(
            False, _("There is no contact on your screen to skip."), "warning", session
        )
    contact = m.Contact.from_response(session.contact)
    request = m.SkipManualDialContact(
        outcome.id, profile.lcm_agent_id, contact.account_number, contact.phone_number
    )
    groups = await group_choices(profile)
    outcome_fields = {
        "outcome_id": outcome.id,
        "outcome_name": outcome.name[:100],
        **_contact_fields(contact),
        "campaign_group": (groups.group_of(contact.campaign_id) or session.campaign_group)[:100],
    }
    try:
        exchange = await get_client().call(request)
        if not exchange.answer.success:
            raise _NotConfirmed(exchange)
    except _NotConfirmed as failure:
        message = _("LCM did not confirm the skip. The contact is still yours; try again.")
        session = await _finish(
            profile,
            session,
            token,
            ActionLog.SKIP,
            {
                **_log_fields(exchange=failure.exchange),
                **outcome_fields,
                "ok": False,
                "error": message,
                "error_kind": "rejected",
                "result": _("not confirmed"),
            },
            last_error=message,
        )
        return Result(False, message, "error", session)
    except LcmError as error:
        session = await _finish(
            profile,
            session,
            token,
            ActionLog.SKIP,
            {**_log_fields(error), **outcome_fields},
            last_error=error.describe()[:500],
        )
        return Result(False, error.describe(), "error", session)
    session = await _finish(
        profile,
        session,
        token,
        ActionLog.SKIP,
        {
            **_log_fields(exchange=exchange),
            **outcome_fields,
            "result": (_("Skipped with %(outcome)s") % {"outcome": outcome.name})[:300],
        },
        state=AgentSession.IDLE,
        contact=None,
        notice="",
        last_error="",
    )
    return Result(
        True,
        _("Skipped with outcome %(id)s %(name)s.") % {"id": outcome.id, "name": outcome.name},
        "success",
        session,
    )


class _NotConfirmed(Exception):
    def __init__(self, exchange: LcmExchange) -> None:
        self.exchange = exchange


async def add_contact(profile: AgentProfile, data: Any) -> Result:
    """Add Contact: CreateContact from the form; a failure keeps everything the agent typed."""
    groups = await group_choices(profile)
    form = AddContactForm(data, campaigns=groups.campaigns)
    if not form.is_valid():
        return Result(False, _("Check the highlighted fields."), "error", form=form)
    token = form.cleaned_data.get("request_token") or ""
    already = await db_async(state.used_request_token)(profile, token)
    if already is not None:
        return Result(
            True,
            _("This contact was already added (LCM key %(key)s).") % {"key": already.lcm_key},
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
            message = _(
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
            "result": (_("Added to %(campaign)s") % {"campaign": request.campaign_id})[:300],
        },
        last_error="",
    )
    return Result(
        True,
        _("Contact added to %(campaign)s. LCM key: %(key)s")
        % {"campaign": request.campaign_id, "key": lcm_key},
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


ACTIONS = {"next", "reserved", "skip", "add", "select"}


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
    if action == "select":
        return await select(
            profile,
            campaign_group=str(params.get("campaign_group", "")),
            consent=str(params.get("consent", "Both")),
        )
    return Result(False, _("Unknown action %(action)r.") % {"action": action}, "error")
