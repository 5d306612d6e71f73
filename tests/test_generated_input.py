"""Bad input, generated: thousands of inputs through every parser and form. Never a crash or a
500, never malformed XML towards LCM, and every rejection names the field."""

import contextlib
import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agentdesk.desk.forms import AddContactForm
from agentdesk.dialler import bulk, importing
from agentdesk.dialler.models import ALL_FIELDS, ApiToken, DiallerCampaign
from agentdesk.lcm import messages as m
from agentdesk.lcm.envelope import parse_answer, parse_request
from agentdesk.lcm.errors import LcmError, MessageError
from agentdesk.lcmsim import service
from agentdesk.lcmsim.models import Contact

from .helpers import import_payload

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=12,
)
KEYS = [
    "channel",
    "topic",
    "subtopic",
    "message",
    "response",
    "data",
    "PhoneNumber",
    "AccountNumber",
    "ErrorType",
    "ErrorMessage",
    "WS_Error",
    "RequestFailureReason",
    "CampaignGroup",
    "AgentID",
    "UserID",
    "OutcomeId",
    "CampaignGroups",
    "success",
]
envelopes = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), json_values, max_size=6)
SUBTOPICS = [t.SUBTOPIC for t in m.REQUEST_TYPES] + ["WS_Error", " AddCompliance ", "Nope"]
MANY = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SOME = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@MANY
@given(
    body=envelopes | st.binary(max_size=60).map(lambda b: b), expected=st.sampled_from(SUBTOPICS)
)
def test_answers_parse_or_fail_with_a_typed_error(body, expected):
    for request_type in m.REQUEST_TYPES:
        with contextlib.suppress(LcmError, MessageError):
            request_type.read_answer(
                parse_answer(body if isinstance(body, bytes) else json.dumps(body), [expected])
            )


@MANY
@given(
    envelope=envelopes,
    subtopic=st.sampled_from(SUBTOPICS),
    data=st.dictionaries(
        st.sampled_from(
            [
                *KEYS,
                "Consent",
                "ReservedContacts",
                "NumberOfContactsRequired",
                "Modes",
                "BussinessFields",
                "CampaignID",
            ]
        ),
        json_values,
        max_size=8,
    ),
)
def test_requests_parse_or_name_the_field(envelope, subtopic, data):
    for candidate in (envelope, {"subtopic": subtopic, "data": data}):
        try:
            name, body = parse_request(candidate)
            request_type = m.request_type_for(name)
            if request_type:
                request_type.from_data(body)
        except MessageError as error:
            assert error.field and error.problem


@pytest.mark.django_db(transaction=True)
@SOME
@given(
    subtopic=st.sampled_from(SUBTOPICS),
    data=st.dictionaries(
        st.sampled_from(
            [*KEYS, "Consent", "Modes", "BussinessFields", "CampaignID", "callStartDateTime"]
        ),
        json_values,
        max_size=8,
    ),
)
def test_the_simulator_always_answers_an_envelope(sim_world, subtopic, data):
    answer = service.handle({"channel": "LCM", "subtopic": subtopic, "data": data})
    assert answer["channel"] == "LCM" and "response" in answer["message"]


printable = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60)
FORM_FIELDS = [
    "campaign",
    "first_name",
    "last_name",
    "company",
    "email",
    "reference",
    "note",
    "callback_start",
    "callback_end",
    "call_type",
    "priority",
    "status",
    "mode1_name",
    "mode1_number",
    "mode1_tz",
    "mode2_number",
    "mode3_number",
]


@MANY
@given(values=st.fixed_dictionaries({}, optional={name: printable for name in FORM_FIELDS}))
def test_the_add_contact_form_never_breaks_and_builds_well_formed_xml(values):
    form = AddContactForm(values, campaigns=["Spring Renewals"])
    if form.is_valid():
        data = form.to_request("agent@x").to_data()
        for field in ("BussinessFields", "Modes"):
            ET.fromstring(data[field])
        assert m.CreateContact.from_data(data).modes == form.cleaned_data["modes"]
    else:
        known = set(form.fields) | {"__all__"}
        assert set(form.errors) <= known and all(form.errors.values())


import_payloads = st.fixed_dictionaries(
    {},
    optional={
        name: json_values | printable
        for name in [*ALL_FIELDS, "DiallerCampaignsID", "DiallerCampaignsName"]
    },
)


@MANY
@given(payload=import_payloads | json_values)
def test_import_validation_names_every_field(payload):
    campaign = DiallerCampaign(name="C", time_zone="(UTC-05:00) Eastern Time (US and Canada)")
    try:
        prepared = importing.prepare(importing.parse(payload), campaign)
    except importing.ImportRejected as rejected:
        assert rejected.status == 400 and rejected.message
        known = {*ALL_FIELDS, "DiallerCampaignsID", "DiallerCampaignsName", "body"}
        sent = set(payload) if isinstance(payload, dict) else set()
        assert all(e.field in known | sent and e.message for e in rejected.errors)
        return
    data = prepared.request.to_data()
    ET.fromstring(data["BussinessFields"])
    ET.fromstring(data["Modes"])


@pytest.fixture
def api_token(sim_world) -> str:
    DiallerCampaign.objects.create(id=1, name="Spring Renewals", time_zone="")
    return ApiToken.issue("generated")[1]


@pytest.mark.django_db(transaction=True)
@SOME
@given(body=import_payloads.map(json.dumps) | st.binary(max_size=80))
@example(body=json.dumps(import_payload(DiallerCampaignsID=1)))
@example(body=json.dumps(import_payload(DiallerCampaignsID=2)))
@example(body=json.dumps(import_payload(omit=("Name",), DiallerCampaignsID=1)))
def test_the_import_api_answers_every_body_with_a_documented_outcome(api_token, body):
    """With a healthy LCM, an unrestricted token and one request at a time, a body is
    imported (200), refused with the fields named (400), or names an unknown campaign (404).
    Anything else (a 5xx, or LCM refusing what agentdesk let through) is a bug."""
    response = Client(HTTP_AUTHORIZATION=f"Bearer {api_token}").post(
        "/api/dialler/contacts/import", data=body, content_type="application/json"
    )
    answer = response.json()
    assert response.status_code in (200, 400, 404), answer
    assert answer["status"] == response.status_code
    if response.status_code == 200:
        (record,) = answer["records"]
        assert Contact.objects.filter(lcm_key=record["LCMKey"]).exists()
    elif response.status_code == 400:
        assert answer["message"]
        known = {*ALL_FIELDS, "DiallerCampaignsID", "DiallerCampaignsName", "body"}
        assert all(e["field"] in known and e["message"] for e in answer.get("errors", []))
    else:
        assert "campaign" in answer["message"].lower()


csv_cells = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20
)


@MANY
@given(
    header=st.lists(
        st.sampled_from([*ALL_FIELDS, "DiallerCampaignsName", "Junk", ""]), min_size=1, max_size=8
    ),
    rows=st.lists(st.lists(csv_cells, max_size=8), max_size=5),
    separator=st.sampled_from([",", ";", "\t"]),
)
def test_csv_files_are_read_or_refused_with_a_reason(header, rows, separator):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator)
    writer.writerow(header)
    writer.writerows(rows)
    try:
        _, parsed = bulk.read_csv(out.getvalue().encode())
    except bulk.CsvRejected as refused:
        assert str(refused)
        return
    known = {*ALL_FIELDS, "DiallerCampaignsID", "DiallerCampaignsName"}
    for row in parsed:
        payload = bulk._row_payload(row)
        try:
            importing.parse(payload)
        except importing.ImportRejected as rejected:
            assert all(e.field in known for e in rejected.errors)
