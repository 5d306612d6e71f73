"""The dialler contact import API (seed 003)."""

import json

import pytest
from django.test import Client

from agentdesk.dialler.models import ApiToken, DiallerCampaign, DiallerContact
from agentdesk.lcmsim import demo
from agentdesk.lcmsim.models import Contact
from agentdesk.lcmsim.service import set_fault

from .helpers import import_payload

pytestmark = pytest.mark.django_db(transaction=True)

# The seed's two example bodies, as written (the second one's "..." removed: it is not JSON).
SEED_BY_ID = """{ "DiallerCampaignsID": 538, "RandomSortOrder": null, "UserData": "testUserData", "Client": "Client", "Service": "Service", "ReferenceNumber": "ReferenceNumber", "Name" : "Name", "FirstName" : "FirstName", "Salutation" : "Salutation", "Title" : "Title", "Company" : "Company", "Address" : "Address", "PostalCode" : "PostalCode", "City" : "City", "Country" : "Country", "AccountOwner" : "AccountOwner", "AccountBank" : "AccountBank", "AccountNationalBankCode" : "AccountNationalBankCode", "AccountBIC" : "AccountBIC", "AccountNumber" : "AccountNumber", "AccountIBAN" : "AccountIBAN", "Amount": 0.0, "PhoneNumber1" : "PhoneNumber1", "PhoneNumber2" : "PhoneNumber2", "PhoneNumber3" : "PhoneNumber3", "PhoneNumber4" : "PhoneNumber4", "PhoneNumber5" : "PhoneNumber5", "PhoneNumber6" : "PhoneNumber6", "FaxNumber" : "FaxNumber", "Email" : "Email", "Website" : "Website", "Comment" : "Comment", "ReservedUsersUID" : "ReservedUsersUID", "FollowUpUsersUID" : "FollowUpUsersUID", "FollowUpDateTime" : null, "dtBeginDate" : "2020-01-01T00:00:00", "dtEndDate" : "2020-03-01T00:00:00", "Manufacturer" : "Manufacturer", "Model" : "Model", "Tag": "Tag", "ExternalSystemLink": "http://test.external.link/" }"""
SEED_BY_NAME = """{ "DiallerCampaignsName": "My Campaign Name", "RandomSortOrder": null, "UserData": "testUserData", "Client": "Client", "Service": "Service", "ReferenceNumber": "ReferenceNumber", "Name" : "Name", "FirstName" : "FirstName", "Salutation" : "Salutation", "Title" : "Title", "Company" : "Company", "Address" : "Address", "PostalCode" : "PostalCode", "City" : "City", "Country" : "Country", "AccountOwner" : "AccountOwner", "AccountBank" : "AccountBank", "AccountNationalBankCode" : "AccountNationalBankCode", "AccountBIC" : "AccountBIC", "AccountNumber" : "AccountNumber", "AccountIBAN" : "AccountIBAN", "Amount": 0.0, "PhoneNumber1" : "PhoneNumber1", "PhoneNumber2" : "PhoneNumber2", "PhoneNumber3" : "PhoneNumber3", "PhoneNumber4" : "PhoneNumber4", "PhoneNumber5" : "PhoneNumber5", "PhoneNumber6" : "PhoneNumber6", "FaxNumber" : "FaxNumber", "Email" : "Email", "Website" : "Website", "Comment" : "Comment", "ReservedUsersUID" : "ReservedUsersUID", "FollowUpUsersUID" : "FollowUpUsersUID", "FollowUpDateTime" : null, "dtBeginDateUserData" : "2020-01-01T00:00:00testUserData", "dtEndDateClient" : "2020-03-01T00:00:00Client", "ManufacturerService" : "ManufacturerService", "ModelReferenceNumber" : "ModelReferenceNumber", "TagName" : "TagName", "ExternalSystemLink": "http://test.external.link/" }"""
URL = "/api/dialler/contacts/import"


@pytest.fixture
def api(sim_world):
    demo.seed_outcomes()
    sim_campaigns = {c.name: c for c in sim_world}
    # The seed's campaigns, mapped to simulator campaigns.
    DiallerCampaign.objects.create(
        id=538,
        name="Spring Renewals",
        campaign_group="Sales Manual Group",
        time_zone=sim_campaigns["Spring Renewals"].time_zone_label,
    )
    from agentdesk.lcmsim.models import Campaign, CampaignGroup

    Campaign.objects.create(name="My Campaign Name", group=CampaignGroup.objects.first())
    DiallerCampaign.objects.create(
        id=539,
        name="My Campaign Name",
        time_zone="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
    )
    DiallerCampaign.objects.create(id=540, name="Win-back West", time_zone="")
    token, raw = ApiToken.issue("crm")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), token


def post(client, body, overwrite=None):
    url = URL if overwrite is None else f"{URL}?overwriteDuplicates={str(overwrite).lower()}"
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json")


def with_numbers(seed: str) -> dict:
    body = json.loads(seed)
    for n in range(1, 7):
        body[f"PhoneNumber{n}"] = f"+49 30 555 01{n:02d}"
    return body


def assert_envelope(response, status, count):
    body = response.json()
    assert response.status_code == status == body["status"]
    assert body["count"] == count == len(body["records"])
    return body


@pytest.mark.parametrize("seed", [SEED_BY_ID, SEED_BY_NAME])
def test_the_seed_examples_as_written_are_refused_for_their_placeholder_numbers(api, seed):
    client, _ = api
    body = assert_envelope(post(client, seed), 400, 0)
    assert {e["field"] for e in body["errors"]} == {f"PhoneNumber{n}" for n in range(1, 7)}
    assert "'PhoneNumber1' is not a phone number" in json.dumps(body)
    assert DiallerContact.objects.count() == 0 and Contact.objects.count() == 0


@pytest.mark.parametrize(
    ("seed", "campaign"), [(SEED_BY_ID, "Spring Renewals"), (SEED_BY_NAME, "My Campaign Name")]
)
def test_the_seed_examples_with_real_numbers_import(api, seed, campaign):
    client, _ = api
    body = assert_envelope(post(client, with_numbers(seed)), 200, 1)
    record = body["records"][0]
    contact = DiallerContact.objects.get()
    assert record["ID"] == contact.pk and record["DiallerCampaignsName"] == campaign
    assert record["Company"] == "Company" and record["Amount"] == 0.0
    assert record["ExternalSystemLink"] == "http://test.external.link/"
    assert record["nTriesPhoneNumber1"] == 0 and record["bPhoneNumber6Invalid"] is None
    assert record["LCMKey"] and record["LCMKey"] == contact.lcm_key
    lcm = Contact.objects.get(lcm_key=record["LCMKey"])
    assert lcm.campaign.name == campaign
    assert [m.name for m in lcm.modes.all()] == [f"PhoneNumber{n}" for n in range(1, 7)]
    assert (
        lcm.business_fields["last_name"] == "Name"
        and lcm.business_fields["first_name"] == "FirstName"
    )
    assert "AccountIBAN" not in lcm.business_fields  # bank details stay in agentdesk


def test_callback_window_and_time_zone_reach_lcm(api):
    client, _ = api
    body = import_payload(
        omit=("PhoneNumber1",),
        Name="Tz",
        PhoneNumber2="2025550100",
        dtBeginDate="2030-01-02T09:00:00",
        dtEndDate="2030-01-09T17:00:00",
    )
    record = assert_envelope(post(client, body), 200, 1)["records"][0]
    lcm = Contact.objects.get(lcm_key=record["LCMKey"])
    assert lcm.callback_start.isoformat().startswith("2030-01-02T09:00")
    assert lcm.expiry.isoformat().startswith("2030-01-09T17:00")
    assert lcm.modes.get().time_zone_label == "(UTC-05:00) Eastern Time (US and Canada)"


@pytest.mark.parametrize("missing", ["Name", "phones", "campaign"])
def test_each_missing_mandatory_field_is_named(api, missing):
    client, _ = api
    expected = {"Name": "Name", "phones": "PhoneNumber1", "campaign": "DiallerCampaignsID"}[missing]
    body = import_payload(omit=(expected,))
    response = assert_envelope(post(client, body), 400, 0)
    assert [e["field"] for e in response["errors"]] == [expected]


def test_every_problem_is_listed_at_once(api):
    client, _ = api
    body = {"Amount": "lots", "dtBeginDate": "soon", "RandomSortOrder": 1.5, "Email": ["x"]}
    fields = {e["field"] for e in assert_envelope(post(client, body), 400, 0)["errors"]}
    assert fields == {
        "Amount",
        "dtBeginDate",
        "RandomSortOrder",
        "Email",
        "Name",
        "PhoneNumber1",
        "DiallerCampaignsID",
    }


@pytest.mark.parametrize("raw", ["{not json", "", "[1, 2]", '"a string"', "\xff"])
def test_bad_json(api, raw):
    client, _ = api
    body = assert_envelope(post(client, raw), 400, 0)
    assert body["message"]


def test_unknown_campaign(api):
    client, _ = api
    body = assert_envelope(
        post(client, import_payload(DiallerCampaignsName="Nope")),
        404,
        0,
    )
    assert "Nope" in body["message"]
    assert_envelope(
        post(client, import_payload(DiallerCampaignsID=9999)),
        404,
        0,
    )


def test_overwrite_duplicates_updates_in_place(api):
    client, _ = api
    body = import_payload(Name="First", UserData="crm-42")
    first = assert_envelope(post(client, body, overwrite=True), 200, 1)["records"][0]
    body.update(Name="Second", Company="ACME")
    second = assert_envelope(post(client, body, overwrite=True), 200, 1)["records"][0]
    assert second["ID"] == first["ID"] and second["Name"] == "Second"
    assert second["Company"] == "ACME" and second["LCMKey"] == first["LCMKey"]
    assert DiallerContact.objects.count() == 1 and Contact.objects.count() == 1


def test_without_overwrite_a_new_contact_is_always_created(api):
    client, _ = api
    body = import_payload(Name="Same", UserData="crm-7")
    ids = {
        assert_envelope(post(client, body, overwrite=False), 200, 1)["records"][0]["ID"]
        for _ in range(2)
    }
    assert len(ids) == 2 and DiallerContact.objects.filter(user_data="crm-7").count() == 2


def test_overwrite_flag_must_be_a_boolean(api):
    client, _ = api
    response = client.post(
        f"{URL}?overwriteDuplicates=maybe", data="{}", content_type="application/json"
    )
    assert response.status_code == 400 and "overwriteDuplicates" in response.json()["message"]


def test_lcm_down_answers_503_and_a_retry_creates_exactly_one(api):
    client, _ = api
    body = import_payload(Name="Retry", UserData="crm-9")
    set_fault("down")
    response = post(client, body, overwrite=True)
    assert_envelope(response, 503, 0)
    assert response["Retry-After"] == "30"
    assert "Nothing was stored" in response.json()["message"]
    assert DiallerContact.objects.count() == 0 and Contact.objects.count() == 0
    set_fault("none")
    for _ in range(2):
        assert_envelope(post(client, body, overwrite=True), 200, 1)
    assert DiallerContact.objects.count() == 1 and Contact.objects.count() == 1


def test_lcm_refusing_is_a_502_with_its_text(api):
    client, _ = api
    body = import_payload(DiallerCampaignsID=540)
    set_fault("ws_error")
    response = assert_envelope(post(client, body), 502, 0)
    assert "Simulated LCM failure." in response["message"]


def test_tokens_missing_wrong_revoked_and_limited(api):
    client, token = api
    body = import_payload()
    anonymous = Client().post(URL, data=json.dumps(body), content_type="application/json")
    assert anonymous.status_code == 401 and anonymous.json()["status"] == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    wrong = Client(HTTP_AUTHORIZATION="Bearer adk_nope").post(
        URL, data=json.dumps(body), content_type="application/json"
    )
    assert wrong.status_code == 401 and "not valid" in wrong.json()["message"]
    assert not ApiToken.objects.filter(token_hash__contains="adk_").exists()  # stored hashed

    limited, raw = ApiToken.issue("limited")
    limited.campaigns.set([DiallerCampaign.objects.get(pk=539)])
    limited_client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_envelope(post(limited_client, body), 403, 0)
    campaigns = limited_client.get("/api/dialler/campaigns").json()
    assert [c["ID"] for c in campaigns["records"]] == [539]

    from django.utils import timezone

    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    revoked = post(client, body)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["message"]
    assert DiallerContact.objects.count() == 0


def test_list_and_read_contacts(api):
    client, _ = api
    for n in range(5):
        post(
            client,
            import_payload(
                DiallerCampaignsID=538 if n < 4 else 539,
                Name=f"Person {n}",
                UserData=f"u{n}",
                PhoneNumber1=f"20255501{n:02d}",
            ),
        )
    page = assert_envelope(
        client.get(
            "/api/dialler/contacts?limitStart=1&limitPageSize=2&orderBy=Name&ascending=false"
        ),
        200,
        2,
    )
    assert [r["Name"] for r in page["records"]] == ["Person 3", "Person 2"]
    assert page["total"] == 5
    found = assert_envelope(client.get("/api/dialler/contacts?filter=0103"), 200, 1)
    one = found["records"][0]
    assert one["Name"] == "Person 3"
    by_id = assert_envelope(client.get(f"/api/dialler/contacts/{one['ID']}"), 200, 1)
    assert by_id["records"][0] == one
    assert_envelope(client.get("/api/dialler/contacts/999999"), 404, 0)
    bad = assert_envelope(client.get("/api/dialler/contacts?limitPageSize=0&orderBy=evil"), 400, 0)
    assert {e["field"] for e in bad["errors"]} == {"limitPageSize", "orderBy"}

    limited, raw = ApiToken.issue("limited")
    limited.campaigns.set([DiallerCampaign.objects.get(pk=539)])
    other = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [r["Name"] for r in other.get("/api/dialler/contacts").json()["records"]] == ["Person 4"]
    assert other.get(f"/api/dialler/contacts/{one['ID']}").status_code == 404


def test_create_api_token_command_prints_a_working_token(api):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "create_api_token", "cli", "--campaign", "Spring Renewals", stdout=out, stderr=StringIO()
    )
    raw = out.getvalue().strip()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [c["Name"] for c in client.get("/api/dialler/campaigns").json()["records"]] == [
        "Spring Renewals"
    ]
