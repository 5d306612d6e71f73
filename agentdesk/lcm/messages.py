"""One typed request/answer pair per LCM subtopic.

Each request knows its subtopic, the subtopic(s) LCM answers with, whether it writes, how to
become envelope `data`, and how to be read back from `data` (the simulator's side). Each
answer knows how to read LCM's `response` and how to be written (again for the simulator).
Reading is tolerant of the vendor pages' casing and string booleans and strict about
mandatory fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from .dates import LcmDate, read_lcm_datetime
from .envelope import SUCCESS_WORDS, error_words, says_no_error, text_of
from .errors import LcmBadAnswer, LcmRejected, MessageError
from .fields import (
    as_bool,
    as_consent,
    as_int,
    format_lcm_datetime,
    is_whole_number,
    lookup,
    optional_bool,
    optional_int,
    optional_text,
    parse_request_datetime,
    required_int,
    required_text,
)
from .keys import MAX_KEY_LENGTH, is_lcm_key, named_key
from .timezones import LcmTimeZone, find_time_zone, time_zone_from_key
from .xmlfields import (
    ContactMode,
    build_fields_xml,
    build_modes_xml,
    parse_fields_xml,
    parse_modes_xml,
)

CALL_TYPES = {0: "Regular", 1: "Regular callback", 2: "Personal callback"}
# ContactOD names call types in words ("Regular Call"); they are shown with the same labels.
_CALL_TYPE_WORDS = {
    "regular call": 0,
    "regular": 0,
    "regular callback": 1,
    "regular call back": 1,
    "personal callback": 2,
    "personal call back": 2,
}

# Request casing where the vendor pages' tables and samples disagree (docs/lcm.md):
# "tables" (the default) sends what the parameter tables say, "samples" what the samples send.
TABLES = "tables"
SAMPLES = "samples"
REQUEST_STYLES = (TABLES, SAMPLES)


def _call_type_label(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return CALL_TYPES.get(value, str(value))
    if isinstance(value, str):
        text = " ".join(value.split())
        if is_whole_number(text):
            return CALL_TYPES.get(int(text), text)
        known = _CALL_TYPE_WORDS.get(text.lower())
        return CALL_TYPES[known] if known is not None else text
    return ""


def peel(response: Any) -> Any:
    """Take off wrapping an LCM added around the data: `{"Contact": {...}}`,
    `{"response": {"CampaignGroups": [...]}}` — a dict whose only value is a dict or list —
    and JSON sent as a string inside the JSON (`"response": "{\"PhoneNumber\": …}"`)."""
    for _ in range(4):
        if isinstance(response, str) and response.strip()[:1] in ("{", "["):
            try:
                response = json.loads(response)
            except ValueError:
                break
            continue
        if isinstance(response, dict) and len(response) == 1:
            (inner,) = response.values()
            if isinstance(inner, dict | list):
                response = inner
                continue
        break
    return response


def _refused_with_text(response: Any, what: str) -> MessageError | LcmRejected:
    """An answer without the data it should carry: LCM's words when it sent some (a text or a
    `Message`/`Response`/`Description` field), else a plain unreadable-answer error."""
    text = text_of(response, "Message", "Response", "Description", "Reason", "Status")
    if isinstance(response, str) or (text and not text.replace(".", "").isdigit()):
        return LcmRejected(text)
    return MessageError("response", what)


# --------------------------------------------------------------------------- answers


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def opaque_key(value: Any) -> str:
    """A handed-out contact's `AccountNumber`, kept as LCM gave it: the vendor pages show
    `77|1|18|0|0|84|0`, other servers send `4711` (a number) or `"A-4711"`. agentdesk only
    sends it back, so any short text or whole number will do; anything else (empty, a list, a
    control character, longer than agentdesk stores) cannot be sent back and is unreadable."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MessageError("AccountNumber", "must be text")
    text = str(value).strip()
    if not text:
        raise MessageError("AccountNumber", "must not be empty")
    if len(text) > MAX_KEY_LENGTH or _CONTROL.search(text):
        raise MessageError("AccountNumber", f"{text[:60]!r} cannot be sent back to LCM")
    return text


class ContactTimes:
    """A contact's dates and zone read from the texts LCM wrote (the protocol's contact and
    the desk's stored one keep the same four fields)."""

    account_number: str
    time_zone: str
    expiry_time: str
    callback_time: str

    @property
    def expiry(self) -> LcmDate:
        return read_lcm_datetime(self.expiry_time)

    @property
    def callback(self) -> LcmDate:
        return read_lcm_datetime(self.callback_time)

    @property
    def lcm_time_zone(self) -> LcmTimeZone | None:
        return find_time_zone(self.time_zone) or time_zone_from_key(self.account_number)


@dataclass(frozen=True)
class Contact(ContactTimes):
    """A contact handed out for manual dialing (DownloadContactsForDialing and ContactOD)."""

    phone_number: str
    account_number: str
    campaign_id: str = ""
    mode: str = ""
    contact_id: str = ""
    expiry_time: str = ""
    callback_time: str = ""
    call_type: str = ""
    consent: str = ""
    prefix: str = ""
    suffix: str = ""
    queue: str = ""
    time_zone: str = ""

    @classmethod
    def from_response(cls, response: dict[str, Any]) -> Contact:
        consent = lookup(response, "Consent", default="")
        return cls(
            phone_number=optional_text(response, "PhoneNumber"),
            account_number=opaque_key(lookup(response, "AccountNumber")),
            campaign_id=optional_text(response, "CampaignId"),
            mode=optional_text(response, "Mode"),
            contact_id=optional_text(response, "ContactId"),
            expiry_time=optional_text(response, "ExpiryTime"),
            callback_time=optional_text(response, "CallbackTime"),
            call_type=_call_type_label(lookup(response, "CallType", default="")),
            consent="" if consent is None else str(consent).strip(),
            prefix=optional_text(response, "Prefix"),
            suffix=optional_text(response, "Suffix"),
            queue=optional_text(response, "Queue"),
            time_zone=optional_text(response, "TimeZone", "TZ"),
        )

    def to_response(self) -> dict[str, Any]:
        return {
            "PhoneNumber": self.phone_number,
            "AccountNumber": self.account_number,
            "CampaignId": self.campaign_id,
            "Mode": self.mode,
            "ContactId": self.contact_id,
            "ExpiryTime": self.expiry_time,
            "CallbackTime": self.callback_time,
            "CallType": self.call_type,
            "Consent": self.consent,
            "Prefix": self.prefix,
            "Suffix": self.suffix,
            "Queue": self.queue,
            "TimeZone": self.time_zone,
        }


def _is_empty(value: Any) -> bool:
    return value in (None, "", 0, "0", False, [], {}) or (
        isinstance(value, str) and not value.strip()
    )


@dataclass(frozen=True)
class FetchAnswer:
    """A contact, or no contact with LCM's reason (a normal outcome, not an error).

    The no-contact rule (docs/lcm.md): an answer is "no contact" when it carries neither a phone
    number nor an LCM key: `null`, `""`, `{}`, `[]`, a text (LCM's reason, e.g. "No contacts
    available"), `{"RequestFailureReason": …}`, or a contact whose fields are all empty. A
    number without a key is an unreadable answer (it cannot be closed); a key without a number
    is a contact whose number cannot be read (shown, so it can be handed back)."""

    contact: Contact | None
    failure_reason: str = ""
    # More contacts than the one asked for: the pages say a fetch hands out one
    # (NumberOfContactsRequired must be 1), but an LCM answering with a list may hold each of
    # them for the agent now. They are kept here so the desk can say so (docs/lcm.md).
    extra: tuple[Contact, ...] = ()

    @classmethod
    def from_response(cls, response: Any) -> FetchAnswer:
        response = peel(response)
        if isinstance(response, list):
            answers = [cls.from_response(item) for item in response]
            contacts = [a.contact for a in answers if a.contact is not None]
            if not contacts:
                reasons = [a.failure_reason for a in answers if a.failure_reason]
                return cls(None, reasons[0] if reasons else "")
            return cls(contacts[0], extra=tuple(contacts[1:]))
        if response is None or isinstance(response, bool | int | float):
            return cls(None)
        if isinstance(response, str):
            return cls(None, text_of(response))
        if not isinstance(response, dict):
            raise MessageError("response", "must be a contact object")
        phone = lookup(response, "PhoneNumber", default=None)
        key = lookup(response, "AccountNumber", default=None)
        if _is_empty(phone) and _is_empty(key):
            reason = text_of(
                response, "RequestFailureReason", "Reason", "Message", "Response", "Description"
            )
            return cls(None, reason)
        return cls(Contact.from_response(response))

    def to_response(self) -> dict[str, Any]:
        if self.contact is None:
            return {"RequestFailureReason": self.failure_reason}
        return self.contact.to_response()


_KEY_FIELDS = ("AccountNumber", "LCMKey", "LcmKey", "Key")
# Something where the key belongs that only says there is none: LCM did not answer a key, and
# any words beside it say why.
_NO_KEY_WORDS = {"", "n/a", "na", "null", "none", "nan", "undefined", "-", "false"}
# Words of a `Response`/`Status`/`Message` beside a key that say the Add went wrong.
_ADD_FAILURE_WORDS = (
    "fail",
    "error",
    "invalid",
    "duplicate",
    "already",
    "denied",
    "reject",
    "refuse",
    "exception",
    "unable",
    "cannot",
    "not ",
)


def _is_no_key(text: str) -> bool:
    return text.lower() in _NO_KEY_WORDS or (is_whole_number(text) and int(text) <= 0)


def _says_add_failed(response: dict[str, Any]) -> str | None:
    """What an answer that carries a new key also says went wrong, or None: an error field
    (`ErrorMessage`, a non-zero `ErrorCode`), `success: false`, a `Response`, `Status`,
    `Result` or `Message` text with words of failure ("Failed: duplicate"), or a `Status` of
    400 or more."""
    if (errors := error_words(response)) is not None:
        return errors
    flag = lookup(response, "success", default=None)
    if flag is False or (isinstance(flag, str) and flag.strip().lower() in ("false", "0")):
        return text_of(response, "Message", "Response", "Description") or "success: false"
    for name in ("Response", "Status", "Result", "Message", "Description"):
        text = text_of(response, name)
        if any(word in text.lower() for word in _ADD_FAILURE_WORDS):
            return text
    # A numeric status is an HTTP code: 4xx and 5xx say the call failed.
    status = text_of(response, "Status", "StatusCode")
    if is_whole_number(status) and int(status) >= 400:
        return text_of(response, "Message", "Description") or f"status {status}"
    return None


@dataclass(frozen=True)
class CreateContactAnswer:
    """The new contact's LCM key: as LCM gave it in a field named for keys (`AccountNumber`
    4711 or "A-4711" from servers that key contacts their own way), or key-shaped (keys.py)
    where a text could as well be LCM's words (`Response`, a bare answer). Words where the
    key belongs are LCM refusing, with its text (`{"Response": "Failed: Campaign not
    found"}`)."""

    lcm_key: str

    @classmethod
    def from_response(cls, response: Any) -> CreateContactAnswer:
        response = peel(response)
        if isinstance(response, list) and len(response) == 1:
            response = response[0]
        candidates = [response]
        held = ""  # what stands in a key field when it is no key
        if isinstance(response, dict):
            for name in _KEY_FIELDS:
                value = lookup(response, name, default=None)
                key = named_key(value)
                if key is not None:
                    if (said := _says_add_failed(response)) is not None:
                        # A key beside words of failure: LCM may or may not have added it.
                        raise LcmBadAnswer(
                            f"the answer gives the key {key[:60]!r} and says it failed",
                            lcm_text=said,
                        )
                    return cls(key)
                held = held or text_of(value) or ("" if value is None else str(value)[:60])
            candidates = [lookup(response, "Response", default=None)]
        for candidate in candidates:
            if is_lcm_key(candidate):
                return cls(candidate.strip())
        if held and not _is_no_key(held):
            # An error code where the key belongs ("ERR-500", "-1"): LCM may have failed
            # after adding the contact, so the outcome is unknown, never "nothing changed".
            raise LcmBadAnswer("the key field holds no LCM key", lcm_text=held)
        # Words where the key belongs are LCM refusing; anything else (a number, null, a bare
        # success flag) is unreadable, and for this write its outcome unknown.
        text = text_of(response, "Response", "Message", "Description", "Status", "Error")
        if text.lower() in SUCCESS_WORDS or says_no_error(text):
            # "Success" without a key: LCM says it worked, so the outcome is unknown.
            if held:  # `0`, `N/A` where the key belongs: shown as LCM wrote it
                raise LcmBadAnswer("the answer carries no LCM key", lcm_text=held)
            raise MessageError("response", "says it worked but carries no LCM key")
        if any(char.isalpha() for char in text) and not is_lcm_key(text):
            raise LcmRejected(text)
        raise MessageError("response", "must be the new contact's LCM key")

    def to_response(self) -> str:
        return self.lcm_key


_FAILURE_WORDS = {"failed", "failure", "fail", "error", "refused", "rejected"}


def _success_flag(response: Any) -> Any:
    """What the answer says about success: `success`, `Result` or `Response` (a flag or a
    word), else a `Status` word ("Success"; a numeric status is an HTTP code, not a flag)."""
    if not isinstance(response, dict):
        return response
    value = lookup(response, "success", "Result", "Response", default=None)
    if value is None:
        status = lookup(response, "Status", default=None)
        value = status if isinstance(status, str) else None
    return value


@dataclass(frozen=True)
class SkipAnswer:
    success: bool

    @classmethod
    def from_response(cls, response: Any) -> SkipAnswer:
        response = peel(response)
        if isinstance(response, list) and len(response) == 1:
            response = response[0]
        value = _success_flag(response)
        if isinstance(value, str) and not value.strip():
            # Nothing said (as an empty body or `null` says nothing): not a "no", since LCM
            # may have closed the contact.
            raise LcmBadAnswer("the skip answer is empty")
        if isinstance(value, str) and value.strip().lower() in SUCCESS_WORDS:
            value = True
        elif isinstance(value, str) and value.strip().lower() in _FAILURE_WORDS:
            value = False
        try:
            success = as_bool(value, "success")
        except MessageError:
            # Words agentdesk cannot read as yes or no: LCM may have closed the contact.
            raise LcmBadAnswer(
                "the skip answer does not say whether it succeeded",
                lcm_text=text_of(response, "Message", "Response", "Description", "Result"),
            ) from None
        if success and (said := error_words(response)) is not None:
            # "success: true" beside a real error: LCM may or may not have closed it.
            raise LcmBadAnswer(
                "the skip answer says both that it worked and that it failed", lcm_text=said
            )
        if not success and (
            reason := error_words(response) or text_of(response, "Message", "Reason", "Description")
        ):
            raise LcmRejected(reason)  # a refusal that explains itself
        return cls(success)

    def to_response(self) -> dict[str, Any]:
        return {"success": self.success}


@dataclass(frozen=True)
class Outcome:
    id: int
    name: str
    kind: str = "telephony"
    parent_id: int | None = None

    @classmethod
    def from_response(cls, item: dict[str, Any], kind: str) -> Outcome:
        parent = lookup(item, "ParentID", "ParentId", "Parent", default=None)
        return cls(
            id=required_int(item, "OutcomeID", "OutcomeId", "ID"),
            name=required_text(item, "OutcomeName", "Name", "Description"),
            kind=kind,
            parent_id=None if parent in (None, "", 0, "0") else as_int(parent, "ParentID"),
        )

    def to_response(self) -> dict[str, Any]:
        return {"OutcomeID": self.id, "OutcomeName": self.name, "ParentID": self.parent_id or 0}


@dataclass(frozen=True)
class OutcomeList:
    outcomes: tuple[Outcome, ...]
    KIND: ClassVar[str] = "telephony"

    @classmethod
    def from_response(cls, response: Any) -> OutcomeList:
        response = peel(response)
        if isinstance(response, dict) and lookup(response, "OutcomeID", "OutcomeId", default=None):
            response = [response]  # a single outcome sent as an object
        elif (
            isinstance(response, dict)
            and response
            and all(
                isinstance(key, str) and is_whole_number(key.strip()) and isinstance(name, str)
                for key, name in response.items()
            )
        ):
            # {"3": "Busy", "8": "No Answer"}: outcomes keyed by their ID
            response = [{"OutcomeID": key, "OutcomeName": name} for key, name in response.items()]
        if isinstance(response, dict):
            response = lookup(response, "Outcomes", "OutcomeList", default=None)
        if not isinstance(response, list) or not all(isinstance(i, dict) for i in response):
            raise _refused_with_text(response, "must be a list of outcomes")
        return cls(tuple(Outcome.from_response(item, cls.KIND) for item in response))

    def to_response(self) -> list[dict[str, Any]]:
        return [outcome.to_response() for outcome in self.outcomes]


class BusinessOutcomeList(OutcomeList):
    KIND = "business"


@dataclass(frozen=True)
class CampaignInGroup:
    id: str
    pct: int = 0
    status: str = "Active"


@dataclass(frozen=True)
class CampaignGroup:
    name: str
    type: str = "Manual"
    status: str = "Active"
    campaigns: tuple[CampaignInGroup, ...] = ()
    agents: tuple[tuple[str, str], ...] = ()

    @property
    def is_active(self) -> bool:
        return self.status.strip().lower() in {"active", "1", "true", "running", "started"}


def _agent_entry(agent: dict[str, Any]) -> tuple[str, str]:
    """(ID, Name) of a group member; a group can list thousands, so exact keys go first."""
    agent_id, name = agent.get("ID"), agent.get("Name")
    if isinstance(agent_id, str) and agent_id and (name is None or isinstance(name, str)):
        return agent_id, name or ""
    return required_text(agent, "ID"), optional_text(agent, "Name")


def _as_list(value: Any) -> list[Any]:
    """A list as sent; one object sent on its own as a list of one; anything else empty."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


@dataclass(frozen=True)
class CampaignGroupsAnswer:
    groups: tuple[CampaignGroup, ...]

    @classmethod
    def from_response(cls, response: Any) -> CampaignGroupsAnswer:
        response = peel(response)
        if isinstance(response, dict) and lookup(response, "Name", default=None) is not None:
            response = [response]  # a single group sent as an object
        if isinstance(response, dict):
            response = lookup(response, "CampaignGroups", default=response)
        if not isinstance(response, list):
            raise _refused_with_text(response, "CampaignGroups must be a list")
        groups = []
        for item in response:
            if not isinstance(item, dict):
                raise MessageError("CampaignGroups", "must hold objects")
            campaigns = tuple(
                CampaignInGroup(
                    required_text(c, "ID"), optional_int(c, "PCT"), optional_text(c, "Status")
                )
                for c in _as_list(lookup(item, "Campaigns", default=[]))
                if isinstance(c, dict)
            )
            agents = tuple(
                _agent_entry(a)
                for a in _as_list(lookup(item, "Agents", default=[]))
                if isinstance(a, dict)
            )
            groups.append(
                CampaignGroup(
                    name=required_text(item, "Name"),
                    type=optional_text(item, "Type"),
                    status=optional_text(item, "Status") or "Active",
                    campaigns=campaigns,
                    agents=agents,
                )
            )
        return cls(tuple(groups))

    def to_response(self) -> dict[str, Any]:
        return {
            "CampaignGroups": [
                {
                    "Name": group.name,
                    "Type": group.type,
                    "Status": group.status,
                    "Campaigns": [
                        {"ID": c.id, "PCT": c.pct, "Status": c.status} for c in group.campaigns
                    ],
                    "Agents": [{"ID": agent_id, "Name": name} for agent_id, name in group.agents],
                }
                for group in self.groups
            ]
        }


@dataclass(frozen=True)
class AgentCallCountAnswer:
    pcb_count: int
    regular_count: int
    is_agent_reserved: bool

    @classmethod
    def from_response(cls, response: Any) -> AgentCallCountAnswer:
        response = peel(response)
        if isinstance(response, list) and len(response) == 1:
            response = response[0]
        if not isinstance(response, dict) or lookup(response, "PCBCount", default=None) is None:
            raise _refused_with_text(response, "must be an object with PCBCount")
        return cls(
            pcb_count=required_int(response, "PCBCount"),
            regular_count=required_int(response, "RegularCount"),
            is_agent_reserved=optional_bool(response, "IsAgentReserved"),
        )

    def to_response(self) -> dict[str, Any]:
        return {
            "PCBCount": self.pcb_count,
            "RegularCount": self.regular_count,
            "IsAgentReserved": self.is_agent_reserved,
        }


@dataclass(frozen=True)
class QueueCountAnswer:
    campaign_group: str
    open_contacts: int

    @classmethod
    def from_response(cls, response: Any) -> QueueCountAnswer:
        response = peel(response)
        if not isinstance(response, dict):
            raise MessageError("response", "must be an object")
        return cls(required_text(response, "CampaignGroup"), required_int(response, "OpenContacts"))

    def to_response(self) -> dict[str, Any]:
        return {"CampaignGroup": self.campaign_group, "OpenContacts": self.open_contacts}


# -------------------------------------------------------------------------- requests


class Answer(Protocol):
    """What an answer type offers: reading itself from LCM's `response`."""

    @classmethod
    def from_response(cls, response: Any) -> Any: ...


AnswerT = TypeVar("AnswerT")


class LcmRequest(Generic[AnswerT]):
    """One LCM call. `LcmRequest[X]` answers with an X (`ANSWER`, read by `read_answer`), so a
    caller's `exchange.answer` has the type of what it asked for."""

    SUBTOPIC: ClassVar[str]
    ALIASES: ClassVar[tuple[str, ...]] = ()
    ANSWERS: ClassVar[tuple[str, ...]]
    ANSWER: ClassVar[type[Answer]]  # the class of AnswerT
    WRITES: ClassVar[bool] = False
    # Where the answer's data sits in `message` when a page puts it under another key than
    # `response` (GetContactModes: `Contactmodes`).
    RESPONSE_KEYS: ClassVar[tuple[str, ...]] = ()
    # The answer's data is a new LCM key (envelope.carries_data).
    ANSWER_IS_KEY: ClassVar[bool] = False

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        """The envelope's `data`; `style` picks the casing where the pages disagree."""
        raise NotImplementedError

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> LcmRequest[AnswerT]:
        raise NotImplementedError

    @classmethod
    def read_answer(cls, response: Any) -> AnswerT:
        return cast(AnswerT, cls.ANSWER.from_response(response))


@dataclass(frozen=True)
class CreateContact(LcmRequest[CreateContactAnswer]):
    """Seed 000: add a contact to a campaign; LCM answers with the new LCM key. (The seed's
    sample sends this body under " AddCompliance ", a copy-paste slip of the vendor page:
    AddCompliance is the do-not-call append, `wrapup.AddCompliance`.)"""

    SUBTOPIC: ClassVar[str] = "CreateContact"
    ANSWERS: ClassVar[tuple[str, ...]] = ("CreateContactResponse",)
    ANSWER: ClassVar[type[Answer]] = CreateContactAnswer
    WRITES: ClassVar[bool] = True
    ANSWER_IS_KEY: ClassVar[bool] = True

    campaign_id: str
    call_start: datetime
    call_end: datetime
    business_fields: dict[str, str]
    modes: tuple[ContactMode, ...]
    call_type: str = "0"
    priority: int = 0
    agent_id: str = ""
    status: int = 4
    zip_code: str = ""
    contact_detail: dict[str, str] = field(default_factory=dict)
    list_id: int = 0
    is_account_number: bool = True
    sms_data: str = ""
    mail_subject: str = ""
    mail_msg: str = ""
    mail_attachment: str = ""

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        return {
            "CampaignID": self.campaign_id,
            "Calltype": self.call_type,
            "callStartDateTime": format_lcm_datetime(self.call_start),
            "callEndDateTime": format_lcm_datetime(self.call_end),
            "BussinessFields": build_fields_xml(self.business_fields),
            "priority": self.priority,
            "Modes": build_modes_xml(self.modes),
            "AgentID": self.agent_id,
            "SMSData": self.sms_data,
            "MailSubject": self.mail_subject,
            "MailMsg": self.mail_msg,
            "MailAttachment": self.mail_attachment,
            "ZipCode": self.zip_code,
            "ContactDetail": (
                build_fields_xml(self.contact_detail, "ContactDetail")
                if self.contact_detail
                else ""
            ),
            "ListID": self.list_id,
            "IsAccountNumber": self.is_account_number,
            "Status": self.status,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CreateContact:
        # An end before the start is taken as sent (seed 000 sets no rule): such a window never
        # opens, so the contact is stored and never dialled.
        start = parse_request_datetime(data, "callStartDateTime")
        end = parse_request_datetime(data, "callEndDateTime")
        detail = lookup(data, "ContactDetail", default="") or ""
        return cls(
            campaign_id=required_text(data, "CampaignID"),
            call_type=required_text(data, "Calltype", "CallType"),
            call_start=start,
            call_end=end,
            business_fields=parse_fields_xml(
                required_text(data, "BussinessFields", "BusinessFields")
            ),
            modes=tuple(parse_modes_xml(required_text(data, "Modes"))),
            priority=optional_int(data, "priority"),
            agent_id=optional_text(data, "AgentID"),
            status=required_int(data, "Status"),
            zip_code=optional_text(data, "ZipCode"),
            contact_detail=parse_fields_xml(detail, "ContactDetail") if detail else {},
            list_id=optional_int(data, "ListID"),
            is_account_number=as_bool(lookup(data, "IsAccountNumber"), "IsAccountNumber"),
            sms_data=optional_text(data, "SMSData"),
            mail_subject=optional_text(data, "MailSubject"),
            mail_msg=optional_text(data, "MailMsg"),
            mail_attachment=optional_text(data, "MailAttachment"),
        )


def _contacts_required_field(style: str) -> dict[str, Any]:
    """Seed 001's table: `NumberOfContactsRequired`, a String; its sample: a number under
    `NumberofContactsRequired`."""
    if style == SAMPLES:
        return {"NumberofContactsRequired": 1}
    return {"NumberOfContactsRequired": "1"}


def _contacts_required(data: dict[str, Any], *, mandatory: bool = True) -> int:
    if mandatory:
        number = required_int(data, "NumberOfContactsRequired")
    else:
        number = optional_int(data, "NumberOfContactsRequired", default=1)
    if number != 1:
        raise MessageError("NumberOfContactsRequired", "must be 1 (one contact per request)")
    return number


@dataclass(frozen=True)
class GetDownloadContactsForDialing(LcmRequest[FetchAnswer]):
    """Seed 001: one contact for manual dialing from a campaign group."""

    SUBTOPIC: ClassVar[str] = "GetDownloadContactsForDialing"
    ANSWERS: ClassVar[tuple[str, ...]] = ("DownloadContactsForDialing",)
    ANSWER: ClassVar[type[Answer]] = FetchAnswer
    WRITES: ClassVar[bool] = True  # hands a contact out: never repeated blindly

    campaign_group: str
    agent_id: str
    consent: str = "Both"
    reserved_contacts: bool = False

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        return {
            "CampaignGroup": self.campaign_group,
            **_contacts_required_field(style),
            "Consent": self.consent,
            "AgentID": self.agent_id,
            "ReservedContacts": "true" if self.reserved_contacts else "false",
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> GetDownloadContactsForDialing:
        _contacts_required(data)
        return cls(
            campaign_group=required_text(data, "CampaignGroup"),
            agent_id=required_text(data, "AgentID", "UserID"),
            consent=as_consent(lookup(data, "Consent")),
            reserved_contacts=as_bool(lookup(data, "ReservedContacts"), "ReservedContacts"),
        )


@dataclass(frozen=True)
class GetReservedContactOD(LcmRequest[FetchAnswer]):
    """Seed 002: the contact already reserved for this agent."""

    SUBTOPIC: ClassVar[str] = "GetReservedContactOD"
    ANSWERS: ClassVar[tuple[str, ...]] = ("ContactOD",)
    ANSWER: ClassVar[type[Answer]] = FetchAnswer
    WRITES: ClassVar[bool] = True

    user_id: str

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        return {"UserID": self.user_id}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> GetReservedContactOD:
        return cls(user_id=required_text(data, "UserID", "AgentID"))


@dataclass(frozen=True)
class GetReservedManualDialContact(LcmRequest[FetchAnswer]):
    """The newer reserved-contact call of the Manual Dial widget."""

    SUBTOPIC: ClassVar[str] = "GetReservedManualDialContact"
    ANSWERS: ClassVar[tuple[str, ...]] = ("DownloadContactsForDialing",)
    ANSWER: ClassVar[type[Answer]] = FetchAnswer
    WRITES: ClassVar[bool] = True

    agent_id: str
    campaign_group: str = ""

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        data: dict[str, Any] = {"AgentID": self.agent_id, **_contacts_required_field(style)}
        if self.campaign_group:
            data["CampaignGroup"] = self.campaign_group
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> GetReservedManualDialContact:
        _contacts_required(data, mandatory=False)
        return cls(
            agent_id=required_text(data, "AgentID", "UserID"),
            campaign_group=optional_text(data, "CampaignGroup"),
        )


@dataclass(frozen=True)
class SkipManualDialContact(LcmRequest[SkipAnswer]):
    """Seed 004: close the agent's contact with an outcome."""

    SUBTOPIC: ClassVar[str] = "SkipManualDialContact"
    ANSWERS: ClassVar[tuple[str, ...]] = ("SkipManualDialContactResult",)
    ANSWER: ClassVar[type[Answer]] = SkipAnswer
    WRITES: ClassVar[bool] = True

    outcome_id: int
    user_id: str
    account_number: str
    phone_number: str

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        return {
            "OutcomeId": self.outcome_id,
            ("UserID" if style == SAMPLES else "UserId"): self.user_id,
            "AccountNumber": self.account_number,
            "PhoneNumber": self.phone_number,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SkipManualDialContact:
        return cls(
            outcome_id=required_int(data, "OutcomeId"),
            user_id=required_text(data, "UserId", "AgentID"),
            account_number=required_text(data, "AccountNumber"),
            phone_number=required_text(data, "PhoneNumber"),
        )


@dataclass(frozen=True)
class GetCallOutCome(LcmRequest[OutcomeList]):
    """Telephony outcomes (3 Busy, 4 CallBack, 5 DNC, 8 No Answer, 9 Reject, …)."""

    SUBTOPIC: ClassVar[str] = "GetCallOutCome"
    ANSWERS: ClassVar[tuple[str, ...]] = ("CallOutCome",)
    ANSWER: ClassVar[type[Answer]] = OutcomeList

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        return {}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> GetCallOutCome:
        return cls()


@dataclass(frozen=True)
class GetBusinessOutCome(LcmRequest[BusinessOutcomeList]):
    SUBTOPIC: ClassVar[str] = "GetBusinessOutCome"
    ANSWERS: ClassVar[tuple[str, ...]] = ("BusinessOutCome",)
    ANSWER: ClassVar[type[Answer]] = BusinessOutcomeList

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        return {}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> GetBusinessOutCome:
        return cls()


@dataclass(frozen=True)
class GetOutcomeByOutcomegroup(LcmRequest[BusinessOutcomeList]):
    """Business outcomes of one outcome group type (the widget asks for MANUAL)."""

    SUBTOPIC: ClassVar[str] = "GetOutcomeByOutcomegroup"
    ANSWERS: ClassVar[tuple[str, ...]] = ("OutcomeByOutcomegroup", "BusinessOutCome")
    ANSWER: ClassVar[type[Answer]] = BusinessOutcomeList

    group_type: str = "MANUAL"

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        return {"Type": self.group_type}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> GetOutcomeByOutcomegroup:
        return cls(group_type=required_text(data, "Type", "OutcomeGroupType").upper())


@dataclass(frozen=True)
class GetCampaignGroups(LcmRequest[CampaignGroupsAnswer]):
    SUBTOPIC: ClassVar[str] = "GetCampaignGroups"
    ANSWERS: ClassVar[tuple[str, ...]] = ("SetCampaignGroup",)
    ANSWER: ClassVar[type[Answer]] = CampaignGroupsAnswer

    user_id: str

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        return {"UserID": self.user_id}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> GetCampaignGroups:
        return cls(user_id=required_text(data, "UserID", "AgentID"))


@dataclass(frozen=True)
class GetAgentCallCount(LcmRequest[AgentCallCountAnswer]):
    SUBTOPIC: ClassVar[str] = "GetAgentCallCount"
    ANSWERS: ClassVar[tuple[str, ...]] = ("AgentCallCount",)
    ANSWER: ClassVar[type[Answer]] = AgentCallCountAnswer

    agent_id: str

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        return {"AgentID": self.agent_id}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> GetAgentCallCount:
        return cls(agent_id=required_text(data, "AgentID", "UserID"))


@dataclass(frozen=True)
class GetCampaignGroupContactCount(LcmRequest[QueueCountAnswer]):
    """Open contacts still waiting in a campaign group (the simulator's queue-depth call;
    an LCM without it answers WS_Error and the monitor shows "unknown")."""

    SUBTOPIC: ClassVar[str] = "GetCampaignGroupContactCount"
    ANSWERS: ClassVar[tuple[str, ...]] = ("CampaignGroupContactCount",)
    ANSWER: ClassVar[type[Answer]] = QueueCountAnswer

    campaign_group: str

    def to_data(self, style: str = TABLES) -> dict[str, Any]:
        return {"CampaignGroup": self.campaign_group}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> GetCampaignGroupContactCount:
        return cls(campaign_group=required_text(data, "CampaignGroup"))


# The messages of dialling; the wrap-up ones are in wrapup.py, and catalogue.py knows both.
DIALLING_REQUEST_TYPES: tuple[type[LcmRequest[Any]], ...] = (
    CreateContact,
    GetDownloadContactsForDialing,
    GetReservedContactOD,
    GetReservedManualDialContact,
    SkipManualDialContact,
    GetCallOutCome,
    GetBusinessOutCome,
    GetOutcomeByOutcomegroup,
    GetCampaignGroups,
    GetAgentCallCount,
    GetCampaignGroupContactCount,
)
