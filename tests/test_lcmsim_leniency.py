"""The simulator accepts what the documented LCM accepts (docs/lcm.md, "As lenient as the
vendor pages"): the vendor's own samples and every value the pages allow, over HTTP."""

from typing import Any

import httpx
import pytest

from agentdesk.lcmsim.models import Contact

from .helpers import add_contact

pytestmark = pytest.mark.django_db(transaction=True)

# Seed 000's sample request as printed, with its two slips mended so it is JSON: the campaign
# (a JavaScript variable there) is a campaign the simulator has, and the stray quote before
# the start date is moved behind it. The rest is as the page shows it: the subtopic with
# spaces, no "source", number 609309034 in Eastern Time, start and end in the past.
SEED_000 = """{
    "channel": "LCM",
    "topic": "WebService",
    "subtopic": " CreateContact ",
    "data":
    {
        "CampaignID": "Spring Renewals",
"Calltype": "0",
"callStartDateTime": "24/10/2024 07:33",
"callEndDateTime": "24/10/2024 07:33",
"BussinessFields": "<Data><first_name>test</first_name><last_name>test</last_name></Data>",
"priority": 0,
"Modes":  "<Data><Home><Cvalue>609309034</Cvalue><TZ>(UTC-05:00) Eastern Time (US and Canada)</TZ></Home></Data>",
"AgentID": "",
"SMSData": "",
"MailSubject": "",
"MailMsg": "",
"MailAttachment": "",
"ZipCode": "",
"ContactDetail": "",
"ListID": 0,
"IsAccountNumber": true,
"Status": 4
    }
}"""


def post(server, body: str) -> dict[str, Any]:
    answer = httpx.post(server.url + "/lcm", content=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_vendors_create_contact_sample_is_accepted_over_http(sim_world, lcmsim_server):
    answer = post(lcmsim_server, SEED_000)

    assert answer["subtopic"] == "CreateContactResponse", answer
    key = answer["message"]["response"]
    contact = Contact.objects.get(lcm_key=key)
    assert contact.modes.get().number == "609309034"
    assert contact.status == Contact.DELIVERED  # Status 4: never handed to the dialer
    assert contact.business_fields == {"first_name": "test", "last_name": "test"}


def create(**changes) -> dict[str, Any]:
    import json

    from agentdesk.lcm.envelope import build_request
    from agentdesk.lcmsim import service

    envelope = json.loads(SEED_000)
    envelope["data"].update(changes)
    return service.handle(build_request("CreateContact", envelope["data"], "tests"))


@pytest.mark.parametrize(
    "number", ["609309034", "call me", "+49 (0)30 1234567", "0800-FLOWERS", "12"]
)
def test_any_number_is_taken_as_a_string_as_documented(sim_world, number):
    modes = f"<Data><Home><Cvalue>{number}</Cvalue><TZ></TZ></Home></Data>"
    answer = create(Modes=modes, Status=0)
    assert answer["subtopic"] == "CreateContactResponse", answer
    assert Contact.objects.get(lcm_key=answer["message"]["response"]).modes.get().number == number


@pytest.mark.parametrize("status", [0, 1, 2, 3, 4, 7, "9"])
def test_any_status_is_stored_and_only_open_is_handed_out(sim_world, status):
    answer = create(Status=status, callStartDateTime="01/01/2020 00:00",
                    callEndDateTime="01/01/2099 00:00")  # fmt: skip
    assert answer["subtopic"] == "CreateContactResponse", answer
    contact = Contact.objects.get(lcm_key=answer["message"]["response"])
    assert contact.status == int(status)
    waiting = Contact.objects.filter(status=Contact.OPEN, pk=contact.pk).exists()
    assert waiting == (int(status) == 0)


def test_an_end_before_the_start_is_stored_and_never_dialled(sim_world):
    answer = create(callStartDateTime="02/01/2099 00:00", callEndDateTime="01/01/2099 00:00",
                    Status=0)  # fmt: skip
    assert answer["subtopic"] == "CreateContactResponse", answer


@pytest.mark.parametrize("call_type", ["0", 0, "00", " 1 ", 2])
def test_call_types_as_numbers_in_any_spelling(sim_world, call_type):
    assert create(Calltype=call_type)["subtopic"] == "CreateContactResponse"


def test_a_skip_with_any_business_outcome_and_any_number(sim_world):
    """Seed 004: business outcomes are GetBusinessOutcome's, every group; the key names the
    contact, the number is not checked against it."""
    from agentdesk.lcm.envelope import build_request
    from agentdesk.lcmsim import service

    from .test_lcmsim import fetch

    key = add_contact(phone="2025550101")
    assert fetch()["subtopic"] == "DownloadContactsForDialing"
    data = {
        "OutcomeId": 130,
        "UserID": "a1@test",
        "AccountNumber": key,
        "PhoneNumber": "1234567890",
    }
    answer = service.handle(build_request("SkipManualDialContact", data, "tests"))
    assert answer["message"]["response"] == {"success": True}, answer
    contact = Contact.objects.get(lcm_key=key)
    assert (contact.status, contact.outcome_id) == (Contact.CLOSED, 130)
