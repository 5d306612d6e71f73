"""LCM's answers in the shapes real servers use, through the real HTTP path: the agent's page
(htmx endpoints) → agentdesk → HTTP → the simulator server switched to a shape (or a proxy
answering a canned body). Asserts what the agent reads and what LCM holds afterwards."""

import json
from typing import Any

import pytest
from django.test import Client

from agentdesk.desk.contact import contact_of
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcmsim.models import Contact
from agentdesk.lcmsim.service import set_agent_logged_in, set_shape

from .helpers import SALES, add_contact, add_form, banner, shown_fields
from .helpers import post_as_page as post

pytestmark = pytest.mark.django_db(transaction=True)
LOGGED_OUT = "Agent is not logged in to the application."


@pytest.fixture
def desk(agents, lcm_behind_proxy):
    """Alice's browser session, with agentdesk talking HTTP to the simulator via the proxy."""
    client = Client()
    client.force_login(agents["alice"].user)
    return client


def session() -> AgentSession:
    return AgentSession.objects.get(agent__user__username="alice")


def held() -> list[str]:
    return list(
        Contact.objects.filter(status=Contact.IN_PROGRESS).values_list("held_by", flat=True)
    )


def envelope(subtopic: str, response) -> dict[str, Any]:
    return {"channel": "LCM", "topic": "WebService", "subtopic": subtopic,
            "message": {"response": response}}  # fmt: skip


# ------------------------------------------------------------- item 1: LCM's own words

REFUSAL_SHAPES = [
    "documented",
    "error_text_response",
    "error_message_only",
    "error_key",
    "message_key",
    "response_text",
    "http_400",
    "http_500",
]


@pytest.mark.parametrize("shape", REFUSAL_SHAPES)
def test_lcm_refusal_text_reaches_the_agent_in_every_shape(desk, shape):
    add_contact(phone="2025550101")
    set_agent_logged_in("a1@test", False)
    set_shape(shape)

    html = banner(post(desk, "/desk/next", SALES))

    if shape in ("message_key", "response_text"):
        # A fetch answer with words but no contact: no contact, for LCM's reason.
        assert f"LCM did not hand out a contact: “{LOGGED_OUT}”" in html, html
        assert "check that you are logged in to LCM" in html
    else:
        assert f"LCM refused the request: “{LOGGED_OUT}”" in html, html
        assert "Fix what LCM names" in html  # agentdesk's own hint follows LCM's words
    assert "cannot read" not in html
    assert session().state == "idle" and held() == []


def test_a_request_failure_reason_is_shown_as_lcm_said_it(desk):
    set_agent_logged_in("a1@test", False)
    set_shape("fetch_reason")

    html = banner(post(desk, "/desk/next", SALES))

    assert f"LCM did not hand out a contact: “{LOGGED_OUT}”" in html
    assert "No contact available in Sales Manual Group" not in html
    assert "check that you are logged in to LCM" in html
    assert session().state == "idle"


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (200, envelope("WS_Error", "Invalid Call ID."), "Invalid Call ID."),
        (200, envelope("SkipManualDialContactResult", {"ErrorMessage": "Bad outcome"}),
         "Bad outcome"),
        (200, envelope("SkipManualDialContactResult", {"Error": "Contact locked"}),
         "Contact locked"),
        (200, envelope("SkipManualDialContactResult", {"success": False, "Message": "Not open"}),
         "Not open"),
        (500, envelope("WS_Error", {"ErrorType": "WS_Error", "ErrorMessage": "DB down"}),
         "DB down"),
        (400, {"error": "AccountNumber is invalid"}, "AccountNumber is invalid"),
        (200, {"status": 500, "Error": "Internal failure"}, "Internal failure"),
    ],
)  # fmt: skip
def test_skip_refusals_keep_the_contact_and_show_lcms_words(desk, proxy, status, body, said):
    key = add_contact(phone="2025550102")
    assert "is on your screen" in banner(post(desk, "/desk/next", SALES))
    proxy.answer("SkipManualDialContact", body, status=status)

    html = banner(post(desk, "/desk/skip", {"outcome": "8"}))

    assert f"LCM refused the request: “{said}”" in html, html
    assert session().state == "previewing"
    assert Contact.objects.get(lcm_key=key).status == Contact.IN_PROGRESS
    assert proxy.received["SkipManualDialContact"] == 1


def test_lcm_text_is_escaped_on_the_page(desk, proxy):
    proxy.answer(
        "GetDownloadContactsForDialing",
        envelope("WS_Error", {"ErrorType": "WS_Error", "ErrorMessage": "<script>x()</script>"}),
    )
    html = banner(post(desk, "/desk/next", SALES))
    assert "<script>x()</script>" not in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html


# ---------------------------------------------------------- item 2: the no-contact rule


@pytest.mark.parametrize(
    "shape",
    [
        "documented",
        "no_contact_empty_object",
        "no_contact_null",
        "no_contact_empty_text",
        "no_contact_blank_fields",
    ],
)
def test_no_contact_in_every_shape_is_no_contact(desk, shape):
    set_shape(shape)
    html = banner(post(desk, "/desk/next", SALES))
    assert "No contact available in Sales Manual Group right now." in html, html
    assert "cannot read" not in html and "refused" not in html
    assert session().state == "idle" and session().notice.startswith("No contact available")


def test_a_no_contact_text_is_no_contact_with_lcms_words(desk):
    set_shape("no_contact_text")
    html = banner(post(desk, "/desk/next", SALES))
    assert "No contact available in Sales Manual Group right now." in html
    assert "LCM said: “No contacts available”" in html
    assert session().state == "idle"


@pytest.mark.parametrize(
    "response",
    [[], {"Contact": {}}, {"PhoneNumber": None, "AccountNumber": None, "RequestFailureReason": ""}],
)
def test_more_empty_answers_are_no_contact(desk, proxy, response):
    proxy.answer("GetDownloadContactsForDialing", envelope("DownloadContactsForDialing", response))
    html = banner(post(desk, "/desk/next", SALES))
    assert "No contact available in Sales Manual Group right now." in html


def test_half_a_contact_is_unreadable_not_no_contact(desk, proxy):
    proxy.answer(
        "GetDownloadContactsForDialing",
        envelope("DownloadContactsForDialing", {"PhoneNumber": "2025550100", "AccountNumber": ""}),
    )
    html = banner(post(desk, "/desk/next", SALES))
    assert "cannot read" in html and "LCM may have handed you a contact" in html
    assert session().state == "idle"


# ---------------------------------------------------------------- item 5: the key rule


def test_a_failure_text_where_the_key_belongs_is_a_refusal(desk, proxy):
    proxy.answer(
        "CreateContact",
        envelope("CreateContactResponse", {"Response": "Failed: Campaign not found"}),
    )
    form = {
        "campaign": "Spring Renewals",
        "first_name": "Kay",
        "last_name": "Rule",
        "mode1_name": "Home",
        "mode1_number": "2025550177",
        "mode1_tz": "(UTC-05:00) Eastern Time (US and Canada)",
        "callback_start": "2030-01-01T09:00",
        "callback_end": "2030-02-01T09:00",
        "call_type": "0",
        "priority": "0",
        "status": "0",
        "request_token": "key-rule-1",
    }
    html = post(desk, "/desk/add", form)

    assert "LCM refused the request: “Failed: Campaign not found”" in banner(html)
    assert "LCM key:" not in html
    assert not ActionLog.objects.filter(lcm_key__icontains="Failed").exists()
    assert 'value="Kay"' in html  # the agent's entries are kept

    proxy.answers.clear()  # LCM answers properly again: the same form adds the contact
    html = post(desk, "/desk/add", form)
    assert "LCM key:" in banner(html)
    assert Contact.objects.filter(business_fields__first_name="Kay").count() == 1


@pytest.mark.parametrize(
    ("response", "key"),
    [
        ({"AccountNumber": 4711}, "4711"),
        ({"AccountNumber": "A-4711"}, "A-4711"),
        ({"LCMKey": " 0815 ", "ErrorCode": 0, "ErrorMessage": "Success"}, "0815"),
        ({"Key": "77|1|18|0|0|84|0"}, "77|1|18|0|0|84|0"),
    ],
)
def test_a_new_key_in_a_field_named_for_keys_is_taken_as_given(response, key):
    from agentdesk.lcm import messages as m

    assert read(m.CreateContact, "CreateContactResponse", response).lcm_key == key


@pytest.mark.parametrize(
    "response",
    [{"AccountNumber": "Failed: Campaign not found"}, {"AccountNumber": "Success"},
     {"Response": "4711"}, {"AccountNumber": ""}],
)  # fmt: skip
def test_words_or_a_bare_number_where_a_key_could_be_words_are_not_a_key(response):
    from agentdesk.lcm import messages as m
    from agentdesk.lcm.errors import LcmBadAnswer, LcmRejected, MessageError

    with pytest.raises((LcmRejected, LcmBadAnswer, MessageError)):
        read(m.CreateContact, "CreateContactResponse", response)


def test_an_lcm_keying_contacts_4711_adds_them_once_with_that_key(desk, proxy):
    """A server that keys contacts by plain numbers: the Add is done, not 'may have been'."""
    proxy.answer("CreateContact", envelope("CreateContactResponse", {"AccountNumber": 4711}))
    form = add_form(mode1_number="2025550178", request_token="numeric-key-1")

    html = banner(post(desk, "/desk/add", form))

    assert "LCM key: 4711" in html, html
    assert "may have" not in html
    assert ActionLog.objects.filter(kind="add", ok=True, lcm_key="4711").count() == 1
    assert not session().unconfirmed


@pytest.mark.parametrize(
    ("response", "said"),
    [
        ({"AccountNumber": "0"}, "0"),
        ({"AccountNumber": -1}, "-1"),
        ({"AccountNumber": "ERR-500"}, "ERR-500"),
        ({"Key": "Error42"}, "Error42"),
        ({"AccountNumber": "4711", "Response": "Failed: duplicate"}, "Failed: duplicate"),
        ({"AccountNumber": "4711", "ErrorCode": 17, "ErrorMessage": "Campaign closed"},
         "Campaign closed"),
        ({"AccountNumber": "77|1|18|0|0|84|0", "ErrorCode": 17, "ErrorMessage": "Campaign closed"},
         "Campaign closed"),
        ({"AccountNumber": "4711", "success": False}, "success: false"),
        ({"AccountNumber": "4711", "Status": 500}, "status 500"),
    ],
)  # fmt: skip
def test_an_error_where_the_new_key_belongs_or_beside_it_may_have_added(
    desk, proxy, response, said
):
    """A status code or an error code in the key field, or a key beside words of failure:
    LCM may have added the contact. The agent is told so with LCM's words, nothing is stored
    as a key, and the same form is not sent again unasked."""
    proxy.answer("CreateContact", envelope("CreateContactResponse", response))
    form = add_form(mode1_number="2025550179", request_token=f"error-key-{said[:20]}")

    html = banner(post(desk, "/desk/add", form))

    assert "LCM may have added this contact" in html and said in html, html
    assert "LCM key:" not in html and "Nothing was changed" not in html
    assert not ActionLog.objects.filter(kind="add", ok=True).exists()
    assert session().unconfirmed.get("adds")


# --------------------------------------------- shapes nobody planned for, read all the same


@pytest.mark.parametrize(
    "shape",
    ["strings_for_numbers", "arrays", "nested", "success_error_fields", "success_status_words"],
)
def test_a_working_day_in_other_shapes(desk, shape):
    key = add_contact(phone="2025550131")
    set_shape(shape)

    html = post(desk, "/desk/next", SALES)
    assert "is on your screen" in banner(html), banner(html)
    assert key in html and 'href="tel:+1-202-555-0131"' in html
    assert '<option value="8">8 No Answer</option>' in html  # outcomes read in this shape
    html = post(desk, "/desk/skip", {"outcome": "8"})
    assert "Skipped with outcome 8 No Answer." in banner(html)
    assert Contact.objects.get(lcm_key=key).status == Contact.CLOSED
    assert session().state == "idle"


@pytest.mark.parametrize("shape", ["success_error_fields", "success_status_words"])
def test_adding_and_no_contact_with_success_fields(desk, shape):
    set_shape(shape)

    html = post(desk, "/desk/next", SALES)  # the campaign has nothing open
    assert "No contact available in Sales Manual Group right now." in banner(html), banner(html)
    html = post(desk, "/desk/add", add_form(first_name="Ada", request_token=f"ok-{shape}"))
    assert "LCM key:" in banner(html), banner(html)
    assert "refused" not in banner(html) and "may have" not in banner(html)
    assert Contact.objects.filter(business_fields__first_name="Ada").count() == 1


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (200, b"", "cannot read"),
        (200, b"<html><title>Bad Gateway</title></html>", "cannot read"),
        (404, b"<html>Not Found</html>", "cannot read"),
        (200, b"null", "cannot read"),
        (200, b'"just text"', "cannot read"),
        (200, b"[1, 2]", "cannot read"),
        (502, b"", "may have"),
    ],
)
def test_garbage_on_a_fetch_says_lcm_may_have_handed_one_out(desk, proxy, status, body, words):
    proxy.answer("GetDownloadContactsForDialing", body, status=status)
    html = banner(post(desk, "/desk/next", SALES))
    assert words in html, html
    assert "Nothing was changed" not in html
    assert session().state == "idle"


def test_an_envelope_inside_an_array_is_read(desk, proxy):
    key = add_contact(phone="2025550132")
    proxy.answer(
        "GetDownloadContactsForDialing",
        json.dumps(
            [
                envelope(
                    "DownloadContactsForDialing",
                    {"PhoneNumber": 2025550132, "AccountNumber": key, "ContactId": "7"},
                )
            ]
        ),
    )
    html = post(desk, "/desk/next", SALES)
    assert "is on your screen" in banner(html)
    assert 'href="tel:+1-202-555-0132"' in html


# ------------------------------- found by answering in shapes nobody planned for (review)


def read(request_type, subtopic: str, response, *, raw: str | None = None):
    from agentdesk.lcm.envelope import parse_answer

    body = raw if raw is not None else json.dumps(envelope(subtopic, response))
    return request_type.read_answer(parse_answer(body, request_type.ANSWERS))


def test_json_sent_as_a_string_is_read_not_taken_for_a_reason():
    from agentdesk.lcm import messages as m

    inner = json.dumps({"PhoneNumber": "2025550100", "AccountNumber": "1|2|3"})
    answer = read(m.GetDownloadContactsForDialing, "DownloadContactsForDialing", inner)
    assert answer.contact is not None and answer.contact.account_number == "1|2|3"


def test_a_key_beside_a_success_word_is_the_key():
    from agentdesk.lcm import messages as m

    answer = read(
        m.CreateContact,
        "CreateContactResponse",
        {"Response": "Success", "AccountNumber": "77|1|18|0|0|84|0"},
    )
    assert answer.lcm_key == "77|1|18|0|0|84|0"


@pytest.mark.parametrize("response", [12345, None, {"success": True}, {}])
def test_no_key_and_no_words_is_unreadable_not_a_refusal(response):
    from agentdesk.lcm import messages as m
    from agentdesk.lcm.errors import LcmRejected, MessageError

    with pytest.raises(MessageError):  # the client makes it an unknown outcome for this write
        try:
            read(m.CreateContact, "CreateContactResponse", response)
        except LcmRejected:
            pytest.fail("a number or a bare flag is not LCM's words")


def test_more_shapes_read_as_meant():
    from agentdesk.lcm import messages as m

    assert read(m.SkipManualDialContact, "SkipManualDialContactResult", "Success").success
    outcomes = read(m.GetCallOutCome, "CallOutCome", {"3": "Busy", "8": "No Answer"}).outcomes
    assert [(o.id, o.name) for o in outcomes] == [(3, "Busy"), (8, "No Answer")]
    groups = read(
        m.GetCampaignGroups,
        "SetCampaignGroup",
        {"CampaignGroups": [{"Name": "G", "Campaigns": {"ID": "C", "PCT": "100.0"}}]},
    ).groups
    assert groups[0].campaigns == (m.CampaignInGroup("C", 100, ""),)
    count = read(m.GetAgentCallCount, "AgentCallCount", {"PCBCount": "1.0", "RegularCount": "2"})
    assert (count.pcb_count, count.regular_count) == (1, 2)
    assert (
        read(m.GetDownloadContactsForDialing, "DownloadContactsForDialing", 0).failure_reason == ""
    )
    text_message = (
        '{"channel": "LCM", "subtopic": "DownloadContactsForDialing", "message": "None left"}'
    )
    answer = read(m.GetDownloadContactsForDialing, "", None, raw=text_message)
    assert answer.contact is None and answer.failure_reason == "None left"


def test_a_byte_order_mark_before_the_json_is_read(desk, proxy):
    key = add_contact(phone="2025550133")
    body = json.dumps(
        envelope("DownloadContactsForDialing", {"PhoneNumber": "2025550133", "AccountNumber": key})
    )
    proxy.answer("GetDownloadContactsForDialing", "\ufeff" + body)
    html = post(desk, "/desk/next", SALES)
    assert "is on your screen" in banner(html)


# ------------------- success answers that carry error-named fields (no error in them)

CONTACT_FIELDS_OK = [
    {"ErrorCode": 0, "ErrorMessage": "Success"},
    {"Error": "OK", "Status": "Success"},
    {"ErrorCode": "0", "ErrorMessage": "", "Error": None},
    {"Error": False, "ErrorMessage": "None"},
]


@pytest.mark.parametrize("beside", CONTACT_FIELDS_OK)
def test_a_contact_beside_no_error_words_goes_on_screen(desk, proxy, beside):
    key = add_contact(phone="2025550141")
    proxy.answer(
        "GetDownloadContactsForDialing",
        envelope(
            "DownloadContactsForDialing",
            {"PhoneNumber": "2025550141", "AccountNumber": key, **beside},
        ),
        forward_first=True,  # LCM holds the contact for alice, as a real server would
    )
    html = banner(post(desk, "/desk/next", SALES))
    assert "is on your screen" in html, html
    assert "refused" not in html and "Nothing was changed" not in html
    assert session().state == "previewing" and contact_of(session()).account_number == key
    assert held() == ["a1@test"]


def test_a_contact_beside_a_real_error_text_is_read_for_its_data(desk, proxy):
    """The answer's own data first: LCM handed the contact out, whatever else it says."""
    key = add_contact(phone="2025550142")
    proxy.answer(
        "GetDownloadContactsForDialing",
        envelope(
            "DownloadContactsForDialing",
            {"PhoneNumber": "2025550142", "AccountNumber": key, "ErrorMessage": "Slow query"},
        ),
        forward_first=True,
    )
    assert "is on your screen" in banner(post(desk, "/desk/next", SALES))
    assert contact_of(session()).account_number == key


@pytest.mark.parametrize(
    "response",
    [
        {"success": True, "ErrorCode": 0, "ErrorMessage": "Success"},
        {"status": "success", "message": "Skipped"},
        {"Success": "true", "Error": "OK"},
        {"Result": "OK", "ErrorCode": 0},
    ],
)
def test_a_skip_answered_success_with_error_named_fields_is_done(desk, proxy, response):
    key = add_contact(phone="2025550143")
    assert "is on your screen" in banner(post(desk, "/desk/next", SALES))
    proxy.answer(
        "SkipManualDialContact",
        envelope("SkipManualDialContactResult", response),
        forward_first=True,  # LCM closed the contact
    )
    html = banner(post(desk, "/desk/skip", {"outcome": "8"}))
    assert "Skipped with outcome 8 No Answer." in html, html
    assert "refused" not in html
    assert session().state == "idle"
    assert Contact.objects.get(lcm_key=key).status == Contact.CLOSED
    assert ActionLog.objects.filter(kind="skip", ok=True, lcm_key=key).count() == 1


def test_a_skip_saying_success_and_a_real_error_may_have_closed_it(desk, proxy):
    add_contact(phone="2025550144")
    assert "is on your screen" in banner(post(desk, "/desk/next", SALES))
    proxy.answer(
        "SkipManualDialContact",
        envelope(
            "SkipManualDialContactResult",
            {"success": True, "ErrorCode": 17, "ErrorMessage": "Contact locked"},
        ),
        forward_first=True,
    )
    html = banner(post(desk, "/desk/skip", {"outcome": "8"}))
    assert "may already have closed" in html and "Contact locked" in html, html
    assert "Nothing was changed" not in html and "refused" not in html


@pytest.mark.parametrize(
    ("response", "said"),
    [
        ({"success": False, "ErrorCode": 3, "ErrorMessage": "Outcome not allowed"},
         "Outcome not allowed"),
        ({"ErrorCode": 42}, "error code 42"),
        ({"status": "failed", "message": "Outcome locked"}, "Outcome locked"),
    ],
)  # fmt: skip
def test_real_errors_in_the_same_fields_are_still_refusals(desk, proxy, response, said):
    key = add_contact(phone="2025550145")
    assert "is on your screen" in banner(post(desk, "/desk/next", SALES))
    proxy.answer("SkipManualDialContact", envelope("SkipManualDialContactResult", response))
    html = banner(post(desk, "/desk/skip", {"outcome": "8"}))
    assert f"LCM refused the request: “{said}”" in html, html
    assert session().state == "previewing"
    assert Contact.objects.get(lcm_key=key).status == Contact.IN_PROGRESS


def test_a_create_answer_saying_success_without_a_key_may_have_added_it():
    from agentdesk.lcm import messages as m
    from agentdesk.lcm.errors import MessageError

    with pytest.raises(MessageError):  # an unknown outcome for this write, never a refusal
        read(m.CreateContact, "CreateContactResponse",
             {"ErrorCode": 0, "ErrorMessage": "Success", "Status": "Success"})  # fmt: skip
    answer = read(
        m.CreateContact,
        "CreateContactResponse",
        {"Response": "77|1|18|0|0|84|0", "ErrorCode": 0, "ErrorMessage": "Success"},
    )
    assert answer.lcm_key == "77|1|18|0|0|84|0"


# ---------------------------------------------- keys as LCM gives them (opaque), the way out


def test_a_numeric_account_number_is_worked_like_any_key(desk, proxy):
    """A server keying contacts 4711: shown, skipped with the key sent back as given."""
    proxy.answer(
        "GetDownloadContactsForDialing",
        envelope(
            "DownloadContactsForDialing", {"PhoneNumber": "2025550146", "AccountNumber": 4711}
        ),
    )
    html = post(desk, "/desk/next", SALES)
    assert "is on your screen" in banner(html), banner(html)
    assert "4711" in html and contact_of(session()).account_number == "4711"
    proxy.answer(
        "SkipManualDialContact", envelope("SkipManualDialContactResult", {"success": True})
    )

    html = banner(post(desk, "/desk/skip", {"outcome": "8"}))

    assert "Skipped with outcome 8 No Answer." in html, html
    skip = [e for e in proxy.sent if e["subtopic"] == "SkipManualDialContact"][-1]
    assert skip["data"]["AccountNumber"] == "4711" and skip["data"]["PhoneNumber"] == "2025550146"
    assert session().state == "idle"
    assert ActionLog.objects.filter(kind="skip", ok=True, lcm_key="4711").count() == 1


@pytest.mark.parametrize("key", ["A-4711", "4711.0", " 0815 "])
def test_keys_in_other_shapes_are_kept_as_given(key):
    from agentdesk.lcm import messages as m

    answer = read(
        m.GetDownloadContactsForDialing,
        "DownloadContactsForDialing",
        {"PhoneNumber": "2025550100", "AccountNumber": key},
    )
    assert answer.contact is not None and answer.contact.account_number == key.strip()


def test_a_contact_whose_number_cannot_be_read_can_be_handed_back(desk, proxy):
    """LCM holds a contact whose number is missing: the agent sees it, and the way out works."""
    proxy.answer(
        "GetDownloadContactsForDialing",
        envelope("DownloadContactsForDialing", {"PhoneNumber": "", "AccountNumber": "9|9|9"}),
    )
    html = post(desk, "/desk/next", SALES)
    assert "is on your screen" in banner(html)
    assert "cannot be dialled" in html and "/desk/hand-back" in html
    proxy.answer(
        "SkipManualDialContact", envelope("SkipManualDialContactResult", {"success": True})
    )

    html = banner(post(desk, "/desk/hand-back"))

    assert "Handed back with outcome" in html, html
    assert session().state == "idle"
    skip = [e for e in proxy.sent if e["subtopic"] == "SkipManualDialContact"][-1]
    assert skip["data"]["AccountNumber"] == "9|9|9"


def test_a_lead_releases_a_numeric_key_contact(desk, proxy, agents):
    proxy.answer(
        "GetDownloadContactsForDialing",
        envelope("DownloadContactsForDialing", {"PhoneNumber": "2025550147", "AccountNumber": 815}),
    )
    assert "is on your screen" in banner(post(desk, "/desk/next", SALES))
    proxy.answer(
        "SkipManualDialContact", envelope("SkipManualDialContactResult", {"success": True})
    )
    lead = Client()
    lead.force_login(agents["lead"])
    url = f"/monitor/{agents['alice'].team_id}/agents/{agents['alice'].pk}/release"

    lead.post(url, {"outcome": "8", **shown_fields(agents["alice"])})

    assert session().state == "idle"
    assert ActionLog.objects.filter(kind="release", ok=True, lcm_key="815").count() == 1


# --------------------------------------- more contacts than asked for (one per fetch)


def test_an_answer_with_two_contacts_shows_the_first_and_names_the_second(desk, proxy):
    first, second = add_contact(phone="2025550148"), add_contact(phone="2025550149")
    proxy.answer(
        "GetDownloadContactsForDialing",
        envelope(
            "DownloadContactsForDialing",
            [
                {"PhoneNumber": "2025550148", "AccountNumber": first},
                {"PhoneNumber": "2025550149", "AccountNumber": second},
            ],
        ),
    )
    html = banner(post(desk, "/desk/next", SALES))

    assert "Contact (202) 555-0148 is on your screen." in html
    assert f"LCM also handed you {second}" in html and "Next Contact brings it back" in html
    assert contact_of(session()).account_number == first
    rows = ActionLog.objects.filter(kind="next").order_by("pk")
    assert [r.lcm_key for r in rows] == [first, second]
    assert "not shown" in rows[1].result and rows[1].phone_last4 == "0149"


@pytest.mark.parametrize("response", ["", "   ", {"success": ""}, {"Result": " "}])
def test_a_skip_answered_with_nothing_may_have_closed_it_and_the_retry_confirms(
    desk, proxy, response
):
    """An empty answer to a close says neither yes nor no (as an empty body or `null` does
    not): it was read as `success: false`, "the contact is still yours", and when LCM had
    closed it, the retry took it off the screen as "closed nothing in LCM", the close never
    logged as a skip."""
    key = add_contact(phone="2025550146")
    assert "is on your screen" in banner(post(desk, "/desk/next", SALES))
    proxy.answer(
        "SkipManualDialContact",
        envelope("SkipManualDialContactResult", response),
        forward_first=True,  # LCM closed the contact
    )
    html = banner(post(desk, "/desk/skip", {"outcome": "8"}))
    assert "LCM may already have closed this contact with 8 No Answer" in html, html
    assert "still yours" not in html
    assert session().unconfirmed["skip"]["outcome_id"] == 8

    not_open = {"ErrorType": "WS_Error", "ErrorMessage": "Contact is not in Open state."}
    proxy.answer("SkipManualDialContact", envelope("WS_Error", not_open))
    html = banner(post(desk, "/desk/skip", {"outcome": "8"}))
    assert "your earlier skip with 8 No Answer most likely closed the contact" in html, html
    assert session().state == "idle"
    closes = ActionLog.objects.filter(kind="skip", ok=True, lcm_key=key)
    assert closes.count() == 1 and closes.get().outcome_id == 8
