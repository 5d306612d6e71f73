"""The contact API's shapes (seed 003) as pydantic models: they validate every request and
generate the OpenAPI schema served at /api/openapi.json, so the two cannot drift apart."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, create_model
from pydantic.config import JsonDict

from agentdesk.shared import phones

MAX_ID = 2**63 - 1
MAX_AMOUNT = 1e15
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must not be true or false")
    return value


# Characters no XML text (the Modes and business fields LCM gets) and no PostgreSQL text can
# hold; LCM would never see them, so a contact carrying one is refused, not silently changed.
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _as_text(value: Any) -> Any:
    """CRMs send some text fields as numbers (PostalCode 10115); true/false are not text."""
    _not_bool(value)
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    if isinstance(value, str) and _CONTROL_CHARACTER.search(value):
        raise ValueError("contains a control character (such as NUL) that no contact field holds")
    return value


def _blank_is_none(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def _finite(value: Any) -> Any:
    _not_bool(value)
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value  # pydantic names the problem
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError("must be a finite number (not Infinity or NaN)")
    return value


def _date_or_none(value: Any) -> Any:
    _not_bool(value)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _sane_moment(value: datetime | None) -> datetime | None:
    """Aware (naive means the server's TIME_ZONE) and within years a dial window can use; far
    years with extreme offsets cannot even be converted to UTC."""
    if value is None:
        return None
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# Each length limit sits on the str inside the Optional: on the Optional itself pydantic would
# apply it to null too (and crash).
Text = Annotated[
    Annotated[str, Field(max_length=255)] | None,
    BeforeValidator(_as_text),
    AfterValidator(_blank_is_none),
]
LongText = Annotated[
    Annotated[str, Field(max_length=2000)] | None,
    BeforeValidator(_as_text),
    AfterValidator(_blank_is_none),
]
Link = Annotated[
    Annotated[str, Field(max_length=1000)] | None,
    BeforeValidator(_as_text),
    AfterValidator(_blank_is_none),
]
ShortText = Annotated[
    Annotated[str, Field(max_length=150)] | None,
    BeforeValidator(_as_text),
    AfterValidator(_blank_is_none),
]
# What the schema can say of the rules the import checks across fields (a client generating
# requests from the published schema must not be refused for something it did not say):
# a campaign by ID or by name, and at least one phone number that may be one. Whether a
# number exists in its country's numbering plan is said in words: no pattern can tell.
PHONE_PATTERN = r"^(?=(?:\D*\d){3})[^\x00-\x1f]*$"
PHONE_RULES = (
    "A number that exists in its country's numbering plan (read by libphonenumber), in any "
    "everyday form: +1 202 555 0143, (202) 555-0143, 030/1234567, +49 (0)30 1234567. A "
    "national form is read in the campaign's region (its policy's region, else the country "
    "of its time zone); without one it needs the +country code. At least 3 digits; an "
    "extension may follow (x123, ext. 123, #123). A number that cannot be read, is too "
    "short or too long for its country, or does not exist there is refused (400, naming "
    "the field)."
)
_CAMPAIGN_GIVEN: JsonDict = {
    "anyOf": [
        {
            "required": ["DiallerCampaignsID"],
            "properties": {"DiallerCampaignsID": {"type": "integer", "minimum": 1}},
        },
        {
            "required": ["DiallerCampaignsName"],
            "properties": {"DiallerCampaignsName": {"type": "string", "pattern": r"\S"}},
        },
    ],
}
_PHONE_GIVEN: JsonDict = {
    "anyOf": [
        {
            "required": [f"PhoneNumber{n}"],
            "properties": {f"PhoneNumber{n}": {"type": "string", "pattern": PHONE_PATTERN}},
        }
        for n in range(1, 7)
    ],
}


Phone = Annotated[
    # The pattern is published, not enforced here: the import reads the number and names
    # what is wrong with it in words.
    Annotated[
        str,
        Field(max_length=phones.MAX_INPUT_LENGTH, json_schema_extra={"pattern": PHONE_PATTERN}),
    ]
    | None,
    BeforeValidator(_as_text),
    Field(description=PHONE_RULES, examples=["+1 202 555 0143"]),
    AfterValidator(_blank_is_none),
]
Moment = Annotated[
    datetime | None,
    BeforeValidator(_date_or_none),
    Field(None, description="ISO 8601, e.g. 2026-03-01T09:00:00 (server time zone) or with offset"),
    AfterValidator(_sane_moment),
]


class ContactIn(Schema):
    """One contact to import. Unknown field names are refused (a typo is not silently lost).
    A campaign by DiallerCampaignsID or DiallerCampaignsName, a Name, and at least one of
    PhoneNumber1…PhoneNumber6."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"allOf": [_CAMPAIGN_GIVEN, _PHONE_GIVEN]}
    )

    DiallerCampaignsID: Annotated[
        Annotated[int, Field(ge=1, le=MAX_ID)] | None, BeforeValidator(_not_bool)
    ] = None
    DiallerCampaignsName: ShortText = None
    Name: Annotated[str, BeforeValidator(_as_text), Field(min_length=1, max_length=255)]
    UserData: Text = None
    Client: Text = None
    Service: Text = None
    ReferenceNumber: Text = None
    FirstName: Text = None
    Salutation: Text = None
    Title: Text = None
    Company: Text = None
    Address: Text = None
    PostalCode: Text = None
    City: Text = None
    Country: Text = None
    AccountOwner: Text = None
    AccountBank: Text = None
    AccountNationalBankCode: Text = None
    AccountBIC: Text = None
    AccountNumber: Text = None
    AccountIBAN: Text = None
    Amount: Annotated[
        Annotated[float, Field(allow_inf_nan=False, ge=-MAX_AMOUNT, le=MAX_AMOUNT)] | None,
        BeforeValidator(_finite),
    ] = None
    PhoneNumber1: Phone = None
    PhoneNumber2: Phone = None
    PhoneNumber3: Phone = None
    PhoneNumber4: Phone = None
    PhoneNumber5: Phone = None
    PhoneNumber6: Phone = None
    FaxNumber: Text = None
    Email: Text = None
    Website: Text = None
    Comment: LongText = None
    ReservedUsersUID: ShortText = Field(None, description="Agent to reserve the contact for")
    FollowUpUsersUID: ShortText = Field(None, description="Agent who makes the follow-up call")
    FollowUpDateTime: Moment = None
    dtBeginDate: Moment = None
    dtEndDate: Moment = None
    Manufacturer: Text = None
    Model: Text = None
    Tag: Text = None
    ExternalSystemLink: Link = None
    ConsentGivenBy: Annotated[
        Text, Field(description="Consent evidence: who agreed to be called (all four or none)")
    ] = None
    ConsentGivenAt: Annotated[Moment, Field(description="Consent evidence: when")] = None
    ConsentChannel: Annotated[
        ShortText,
        Field(description="Consent evidence: phone, web, email, written, in_person, sms, other"),
    ] = None
    ConsentWording: Annotated[
        LongText, Field(description="Consent evidence: the wording agreed to")
    ] = None
    RandomSortOrder: Annotated[
        Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] | None, BeforeValidator(_not_bool)
    ] = None


_SEED_FIELDS = [name for name in ContactIn.model_fields if not name.startswith("DiallerCampaigns")]
_COUNTERS: dict[str, Any] = {
    f"{prefix}{n}{suffix}": (int | None, None)
    for n in range(1, 7)
    for prefix, suffix in (
        ("nTriesPhoneNumber", ""),
        ("nPhoneNumber", "LastCause"),
        ("PhoneNumber", "LastAcdAgentEndReasonsID"),
    )
} | {f"bPhoneNumber{n}Invalid": (bool | None, None) for n in range(1, 7)}


def _record_model() -> type[Schema]:
    fields: dict[str, Any] = {
        "ID": (int, ...),
        "DiallerCampaignsID": (int, ...),
        "DiallerCampaignsName": (str, ...),
        **{name: (str | float | int | None, None) for name in _SEED_FIELDS if name != "Name"},
        "Name": (str, ...),
        "LCMKey": (str, Field(description="The contact's key in LCM ('' while unknown)")),
        "LCMStatus": (
            str,
            Field(
                description="confirmed: LCM holds it under LCMKey; unknown: LCM's answer was "
                "lost, LCM may hold it (retry with the same UserData)"
            ),
        ),
        "LCMPossibleDuplicate": (
            bool,
            Field(description="An earlier CreateContact's answer was lost: LCM may hold a copy"),
        ),
        "LCMContactStatus": (
            int,
            Field(
                description="The CreateContact Status sent: 0 Open (dialled), 4 Delivered "
                "(dtEndDate had passed: never dialled)"
            ),
        ),
        "dtCreated": (str, ...),
        "dtModified": (str, ...),
        "dtNextTry": (str | None, None),
        "bLastResultMailbox": (bool | None, None),
        "LastAcdAgentEndReasonsID": (int | None, None),
        **_COUNTERS,
    }
    return create_model(
        "ContactRecord",
        __base__=Schema,
        __doc__="A stored contact as the API answers it: every seed field (null when not "
        "given; numbers in E.164) plus agentdesk's ID, the campaign, the LCM key and the "
        "seed's per-number counters.",
        **fields,
    )


# Built from the field lists so the answer's schema cannot miss a field; mypy sees a Schema.
if TYPE_CHECKING:
    ContactRecord = Schema
else:
    ContactRecord = _record_model()


class CampaignRecord(Schema):
    ID: int
    Name: str
    CampaignGroup: str
    TimeZone: str
    Region: str | None = Field(description="Where numbers without +country code are read")


class FieldProblem(Schema):
    field: str
    message: str


class ContactsEnvelope(Schema):
    records: list[ContactRecord]
    count: int
    status: int
    total: int | None = Field(None, description="Matching contacts (list call)")
    created: bool | None = Field(None, description="Import: a new contact was created")
    changedInLCM: bool | None = Field(
        None, description="Import: LCM was sent new data (a new LCM contact, old key retired)"
    )
    message: str | None = Field(
        None, description="Import: a note on the contact, e.g. that its dial window is over"
    )


class CampaignsEnvelope(Schema):
    records: list[CampaignRecord]
    count: int
    status: int


class ErrorEnvelope(Schema):
    records: list[dict[str, Any]] = Field(default_factory=list)
    count: int = 0
    status: int
    message: str
    errors: list[FieldProblem] = Field(default_factory=list)
