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
from agentdesk.lcm import catalogue
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
SUBTOPICS = [t.SUBTOPIC for t in catalogue.REQUEST_TYPES] + ["WS_Error", " AddCompliance ", "Nope"]
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
    for request_type in catalogue.REQUEST_TYPES:
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
            request_type = catalogue.request_type_for(name)
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


@pytest.mark.django_db  # a reserved agent (ReservedUsersUID) is looked up among the agents
@MANY
@given(payload=import_payloads | json_values)
@example(payload={"Name": 0, "ReservedUsersUID": 0})
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
@settings(SOME, max_examples=500)
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


@settings(MANY, max_examples=1500)
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


# --- socket frames --------------------------------------------------------------------------

FRAME_FIELDS = [
    "action",
    "campaign_group",
    "consent",
    "outcome",
    "campaign",
    "first_name",
    "callback_start",
    "callback_end",
    "priority",
    "status",
    "mode1_number",
    "request_token",
    "HEADERS",
    "AgentID",
]
ACTIONS = ["next", "reserved", "skip", "add", "select", "", "Next", "delete", "__class__"]
action_frames = st.fixed_dictionaries(
    {"action": st.sampled_from(ACTIONS) | json_values},
    optional={name: json_values | st.text(max_size=60) for name in FRAME_FIELDS[1:]},
).map(json.dumps)
nested_frames = st.integers(min_value=1, max_value=20_000).map(
    lambda depth: "[" * depth + "]" * depth
)
socket_frames = (
    action_frames
    | json_values.map(json.dumps)
    | nested_frames
    | st.text(max_size=200)
    | st.binary(max_size=64)
)
FRAMES_PER_CONNECTION = 40
FRAME_CONNECTIONS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FRAME_CONNECTIONS
@given(
    frames=st.lists(socket_frames, min_size=FRAMES_PER_CONNECTION, max_size=FRAMES_PER_CONNECTION)
)
def test_every_socket_frame_gets_an_answer_and_never_breaks_the_desk(agents, frames):
    """2,000 frames per run, 40 per live connection of the agent's desk: each is answered with
    one fragment (an error naming the problem when it cannot be read), the connection survives
    them all, and closing it gives the agent's connection back."""
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from agentdesk.desk.consumers import AgentConsumer
    from agentdesk.desk.models import AgentSession

    from .helpers import log_into

    async def drive() -> None:
        desk = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
        await log_into(desk, agents["alice"].user)
        assert (await desk.connect(timeout=10))[0]
        await desk.receive_from(timeout=10)  # the resync
        answers = []
        for frame in frames:
            if isinstance(frame, bytes):
                await desk.send_to(bytes_data=frame or b"\x00")
            else:
                await desk.send_to(text_data=frame or " ")
            # Every frame is answered at least once (an action may also push to the agent's
            # tabs, this one included), so reading one output per frame never waits in vain.
            answers.append(await desk.receive_output(timeout=10))
        while not await desk.receive_nothing(timeout=0.2):
            answers.append(await desk.receive_output())
        for answer in answers:
            assert answer["type"] == "websocket.send", answer  # never closed, never crashed
            assert 'id="agent-status"' in answer["text"] or "banner" in answer["text"]
        unreadable = [f for f in frames if not (isinstance(f, str) and f.startswith("{"))]
        told = sum("Unreadable message" in answer["text"] for answer in answers)
        assert told >= len(unreadable)
        await desk.disconnect()

    async_to_sync(drive)()
    assert AgentSession.objects.get(agent=agents["alice"]).connections == 0


FRAME_PARSER = settings(max_examples=5000, deadline=None)


@FRAME_PARSER
@given(frame=socket_frames.filter(lambda f: isinstance(f, str)))
def test_the_frame_reader_returns_text_fields_or_says_why(frame):
    """5,000 more frames through the desk consumer's frame reader alone: it never raises, and
    what it lets through is a flat object of text fields the page could have sent."""
    from agentdesk.desk.consumers import frame_fields

    fields, problem = frame_fields(frame)
    if fields is None:
        assert problem.startswith("Unreadable message")
    else:
        assert problem == ""
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
        assert "HEADERS" not in fields
        for value in fields.values():
            value.encode("utf-8")  # sendable back to the page
