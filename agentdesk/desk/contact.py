"""The contact on an agent's screen, in agentdesk's own shape.

LCM's answer is read once, when the contact arrives (`from_lcm`); the session row then keeps
this shape (`to_stored`: agentdesk's field names and a shape version), and every render and
action reads it back typed (`contact_of`) without parsing LCM's wire format again.

The row also carries the same contact under LCM's wire names, which this version never reads:
a worker of the version before this shape (a rolling deploy, or a rollback) reads only those,
and without them it failed on every contact a newer worker had put on screen (the card, Skip,
the wrap-up: "AccountNumber: is missing"). See docs/deploy.md.

The attribute names are the ones the desk, the compliance rules and the templates read (the
same as the protocol's `Contact`), so a contact on screen can be judged and shown like one
LCM handed out. The LCM key is kept exactly as LCM gave it: it is only ever sent back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentdesk.lcm import messages as m

if TYPE_CHECKING:
    from .models import AgentSession

log = logging.getLogger(__name__)

# The stored shape's version: a row without it holds LCM's wire format (written before this
# shape existed, or by a worker of the older version during a rolling deploy).
SHAPE = 1
SHAPE_FIELD = "shape"

# Attribute → stored field name.
_STORED_NAMES = {
    "account_number": "lcm_key",
    "phone_number": "number",
    "campaign_id": "campaign",
    "queue": "queue",
    "mode": "mode",
    "contact_id": "contact_id",
    "call_type": "call_type",
    "consent": "consent",
    "prefix": "prefix",
    "suffix": "suffix",
    "time_zone": "time_zone",
    "expiry_time": "expires",
    "callback_time": "callback",
}


@dataclass(frozen=True)
class ContactOnScreen(m.ContactTimes):
    """What agentdesk keeps of a contact LCM handed out. Times are kept as LCM wrote them (the
    card shows a time it cannot read as given); `expiry` and `callback` read them."""

    account_number: str  # the LCM key, as LCM gave it
    phone_number: str = ""
    campaign_id: str = ""
    queue: str = ""
    mode: str = ""
    contact_id: str = ""
    call_type: str = ""
    consent: str = ""
    prefix: str = ""
    suffix: str = ""
    time_zone: str = ""
    expiry_time: str = ""
    callback_time: str = ""

    @classmethod
    def from_lcm(cls, contact: m.Contact) -> ContactOnScreen:
        return cls(**{name: getattr(contact, name) for name in _STORED_NAMES})

    def to_lcm(self) -> m.Contact:
        """The protocol's contact again (the wire shape an older worker reads)."""
        return m.Contact(**{name: getattr(self, name) for name in _STORED_NAMES})

    def to_stored(self) -> dict[str, Any]:
        # LCM's wire names first, for a worker of the older version (see the module's text).
        stored: dict[str, Any] = {**self.to_lcm().to_response(), SHAPE_FIELD: SHAPE}
        for name, stored_name in _STORED_NAMES.items():
            stored[stored_name] = getattr(self, name)
        return stored

    @classmethod
    def from_stored(cls, data: Any) -> ContactOnScreen:
        """The contact as stored; a row in LCM's wire format is read as LCM's answer."""
        if not isinstance(data, Mapping):
            # Not a contact at all (a list, a text): shown without a key, never a crash.
            log.warning("contact on screen stored as %s, not an object: %r", type(data), data)
            return cls(account_number="")
        if data.get(SHAPE_FIELD) != SHAPE:
            return cls.from_wire(data)
        return cls(
            **{
                name: str(data.get(stored_name) or "")
                for name, stored_name in _STORED_NAMES.items()
            }
        )

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ContactOnScreen:
        """A contact in LCM's wire format (`{"AccountNumber": …, "PhoneNumber": …}`), read as
        LCM's answer; one whose key cannot be read is kept with the key as it stands."""
        try:
            return cls.from_lcm(m.Contact.from_response(dict(data)))
        except m.MessageError:
            # Shown all the same, key as stored: the way out (hand back) must work.
            log.warning("contact on screen stored in an unreadable wire shape: %r", data)
            return cls(
                account_number=_stored_text(data.get("AccountNumber")),
                phone_number=_stored_text(data.get("PhoneNumber")),
                campaign_id=_stored_text(data.get("CampaignId")),
            )


def _stored_text(value: Any) -> str:
    """A field of an unreadable row as it stands; a null, object or list is no text (its
    Python spelling, "None" or "{...}", would be sent to LCM as a key)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value)


def stored(contact: m.Contact) -> dict[str, Any]:
    """What the session row keeps of a contact LCM just handed out."""
    return ContactOnScreen.from_lcm(contact).to_stored()


def contact_of(session: AgentSession) -> ContactOnScreen | None:
    """The contact the session holds (None when there is none), read typed."""
    if not session.contact:
        return None
    return ContactOnScreen.from_stored(session.contact)


def is_stored_shape(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get(SHAPE_FIELD) == SHAPE


def upgrade_rows(sessions: Any) -> int:
    """Rewrite every session row holding a contact in LCM's wire format in the stored shape
    (the data migration; `sessions` is the AgentSession model it gives). How many changed.
    A row that holds no contact object (a list, a text, a number) is left as it is."""
    changed = 0
    rows = sessions.objects.exclude(contact=None).values_list("pk", "version", "contact")
    for pk, version, data in rows:
        if not isinstance(data, Mapping):
            if data not in (None, [], ""):
                log.warning("session %s: contact %r is not an object, left as it is", pk, data)
            continue
        if data and not is_stored_shape(data):
            try:
                upgraded = ContactOnScreen.from_stored(data).to_stored()
            except Exception:
                # One odd row must not stop the deploy: it stays as it is, and the readers
                # take it as an unreadable wire row.
                log.exception("session %s: contact %r not converted", pk, data)
                continue
            # Only if no action changed the row since it was read (each bumps the version).
            changed += sessions.objects.filter(pk=pk, version=version).update(contact=upgraded)
    return changed


def downgrade_rows(sessions: Any) -> int:
    """The reverse: every stored-shape contact back in LCM's wire format."""
    changed = 0
    rows = sessions.objects.exclude(contact=None).values_list("pk", "version", "contact")
    for pk, version, data in rows:
        if is_stored_shape(data):
            wire = ContactOnScreen.from_stored(data).to_lcm().to_response()
            changed += sessions.objects.filter(pk=pk, version=version).update(contact=wire)
    return changed
