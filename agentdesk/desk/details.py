"""Who is being called: the contact's business fields and numbers as LCM keeps them, and its
earlier attempts from agentdesk's own action log.

The business fields come from GetContactDetail (with which ones an agent may correct), else
from GetScreenPopData; the numbers from GetContactModes and the ones a callback may use from
GetCallBackModes. All need the call id of the dial attempt on screen, so they are read per
attempt and kept for CONTACT_DETAILS_CACHE_SECONDS: the card is rendered on every push, LCM is
asked once. What could not be read is said on the card; the card works without it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from agentdesk.lcm import wrapup as w
from agentdesk.lcm.client import get_client
from agentdesk.lcm.errors import LcmError
from agentdesk.shared.asyncdb import db_async

from .contact import contact_of
from .models import ActionLog, AgentSession

log = logging.getLogger(__name__)

# Field names LCM deployments use for a person's name, first name first (the vendor's sample
# screen pop has FName and LName).
FIRST_NAMES = ("fname", "firstname", "first_name", "first name", "vorname", "givenname")
LAST_NAMES = ("lname", "lastname", "last_name", "last name", "surname", "nachname", "familyname")
FULL_NAMES = ("name", "fullname", "full_name", "full name", "contactname", "customername")


@dataclass(frozen=True)
class ContactDetails:
    """What LCM said about the contact on screen (empty parts: see `notes`)."""

    fields: tuple[w.BusinessField, ...] = ()
    source: str = ""  # "detail" (GetContactDetail), "screen_pop" (GetScreenPopData) or ""
    modes: tuple[w.ContactMode, ...] = ()
    callback_modes: tuple[w.CallbackMode, ...] = ()
    notes: tuple[str, ...] = ()  # what could not be read, and why, for the card
    complete: bool = True  # nothing failed: worth keeping

    @property
    def name(self) -> str:
        return name_of(self.fields)

    @property
    def editable_fields(self) -> tuple[w.BusinessField, ...]:
        return tuple(f for f in self.fields if f.editable)

    def mode(self, mode_id: int) -> w.ContactMode | None:
        return next((m for m in self.modes if m.mode_id == mode_id), None)

    def callback_mode(self, mode_id: int) -> w.CallbackMode | None:
        return next((m for m in self.callback_modes if m.mode_id == mode_id), None)


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).lower()


def name_of(fields: tuple[w.BusinessField, ...]) -> str:
    """The contact's name from its business fields ("" when none names it)."""
    by_key = {_key(f.name).replace(" ", ""): f.value.strip() for f in fields if f.value.strip()}

    def first(candidates: tuple[str, ...]) -> str:
        return next(
            (by_key[c.replace(" ", "")] for c in candidates if c.replace(" ", "") in by_key), ""
        )

    given, family = first(FIRST_NAMES), first(LAST_NAMES)
    if given or family:
        return " ".join(part for part in (given, family) if part)
    return first(FULL_NAMES)


def once_each(
    fields: tuple[w.BusinessField, ...],
) -> tuple[tuple[w.BusinessField, ...], tuple[str, ...]]:
    """Each field once (the first of a name, compared as `_key` does), and the names LCM gave
    again with another value. Such a field is shown but not offered for correction: which of
    LCM's two a correction would change is unknown."""
    first: dict[str, w.BusinessField] = {}
    conflicting: dict[str, str] = {}
    for item in fields:
        key = _key(item.name)
        kept = first.get(key)
        if kept is None:
            first[key] = item
        elif kept.value != item.value:
            conflicting[key] = kept.name
    kept_fields = tuple(
        replace(item, editable=False) if key in conflicting else item for key, item in first.items()
    )
    return kept_fields, tuple(conflicting.values())


def _cache_key(call_id: str) -> str:
    return f"agentdesk:contact-details:{call_id}"


def forget(call_id: str) -> None:
    """The contact's data changed (a correction, a new number): read it again next time."""
    if call_id:
        cache.delete(_cache_key(call_id))


def cached_name(call_id: str) -> str:
    """The contact's name if the details of this attempt were read already ("" if not): the
    card shows it without asking LCM."""
    if not call_id:
        return ""
    kept = cache.get(_cache_key(call_id))
    return kept.name if isinstance(kept, ContactDetails) else ""


async def for_session(profile_lcm_id: str, session: AgentSession) -> ContactDetails | None:
    """The details of the contact on the agent's screen (None when there is none)."""
    contact = contact_of(session)
    if session.state != AgentSession.PREVIEWING or contact is None or not session.call_id:
        return None
    if not contact.account_number:
        return None
    return await load(session.call_id, contact.account_number)


async def load(call_id: str, lcm_key: str) -> ContactDetails:
    """Read everything from LCM at once (three reads in parallel, the screen pop only when the
    business fields cannot be read); kept per call id when all of it was read."""
    cache_key = _cache_key(call_id)
    kept = await cache.aget(cache_key)
    if isinstance(kept, ContactDetails):
        return kept
    client = get_client()
    detail, modes, callback_modes = await asyncio.gather(
        _read(client.call(w.GetContactDetail(call_id, lcm_key))),
        _read(client.call(w.GetContactModes(call_id, lcm_key))),
        _read(client.call(w.GetCallBackModes(call_id, lcm_key))),
    )
    notes: list[str] = []
    fields: tuple[w.BusinessField, ...] = ()
    source = ""
    if isinstance(detail, LcmError):
        pop = await _read(client.call(w.GetScreenPopData(call_id, lcm_key)))
        if isinstance(pop, LcmError):
            notes.append(
                _("The contact's name and data could not be read from LCM: %(cause)s")
                % {"cause": detail.cause()}
            )
        else:
            fields = tuple(w.BusinessField(k, v) for k, v in pop.answer.fields.items())
            source = "screen_pop"
            notes.append(
                _(
                    "LCM did not give the business fields (%(cause)s): the screen-pop data is "
                    "shown instead, and cannot be corrected here."
                )
                % {"cause": detail.cause()}
            )
    else:
        fields, source = tuple(detail.answer.fields), "detail"
    fields, twice = once_each(fields)
    contact_modes: tuple[w.ContactMode, ...] = ()
    if isinstance(modes, LcmError):
        notes.append(
            _("The contact's numbers could not be read from LCM: %(cause)s")
            % {"cause": modes.cause()}
        )
    else:
        contact_modes = tuple(modes.answer.modes)
    cb_modes: tuple[w.CallbackMode, ...] = ()
    if isinstance(callback_modes, LcmError):
        notes.append(
            _("The numbers a callback may use could not be read from LCM: %(cause)s")
            % {"cause": callback_modes.cause()}
        )
    else:
        cb_modes = tuple(callback_modes.answer.modes)
    complete = not notes  # a field given twice is read all the same: worth keeping
    if twice:
        notes.append(
            _(
                "LCM gave %(fields)s more than once with different values: the first is shown, "
                "and cannot be corrected here."
            )
            % {"fields": ", ".join(twice)}
        )
    details = ContactDetails(
        fields=fields,
        source=source,
        modes=contact_modes,
        callback_modes=cb_modes,
        notes=tuple(notes),
        complete=complete,
    )
    if details.complete and settings.CONTACT_DETAILS_CACHE_SECONDS:
        await cache.aset(cache_key, details, settings.CONTACT_DETAILS_CACHE_SECONDS)
    return details


async def _read(call: Any) -> Any:
    """The exchange, or the LcmError it failed with (the card shows what it could read)."""
    try:
        return await call
    except LcmError as error:
        log.info("contact details: %s", error)
        return error


@dataclass(frozen=True)
class Attempt:
    """One earlier attempt on the contact, from agentdesk's action log."""

    entry: ActionLog
    agent_name: str
    outcome: str
    comment: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


ATTEMPT_KINDS = (
    ActionLog.SKIP,
    ActionLog.HAND_BACK,
    ActionLog.RELEASE,
    ActionLog.CALLBACK,
    ActionLog.DIAL_OTHER,
)


def earlier_attempts(lcm_key: str, call_id: str, limit: int = 10) -> list[Attempt]:
    """The contact's earlier attempts (closes, callbacks, other numbers dialled), newest
    first, leaving out the attempt on screen."""
    if not lcm_key:
        return []
    entries = (
        ActionLog.objects.filter(lcm_key=lcm_key[:80], kind__in=ATTEMPT_KINDS, ok=True)
        .exclude(call_id=call_id)
        .select_related("agent__user")
        .order_by("-at", "-pk")[:limit]
    )
    attempts = []
    for entry in entries:
        named = f"{entry.outcome_id} {entry.outcome_name}"
        outcome = named if entry.outcome_name else entry.result
        attempts.append(
            Attempt(
                entry=entry,
                agent_name=entry.actor or entry.agent.display_name,
                outcome=outcome,
                comment=entry.comment,
            )
        )
    return attempts


earlier_attempts_async = db_async(earlier_attempts)
