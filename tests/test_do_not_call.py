"""The do-not-call list: its API, the team leads' CSV upload, and what a listed number does on
the agent page, in Add contact, in the import API and when skipping with DNC."""

import json

import pytest
from django.test import Client

from agentdesk.compliance.models import DoNotCallEntry
from agentdesk.dialler.models import ApiToken, DiallerCampaign

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api():
    _, raw = ApiToken.issue("crm")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post_dnc(client, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post("/api/dnc", data=data, content_type="application/json")


# ----------------------------------------------------------------- API


def test_api_lists_a_number_in_canonical_form(api):
    response = post_dnc(api, {"PhoneNumber": "+1 202-555-0100", "Reason": "asked by phone"})
    body = response.json()
    assert response.status_code == 201 == body["status"]
    assert body["count"] == 1 and body["created"] is True
    record = body["records"][0]
    assert record["PhoneNumber"] == "+12025550100"
    assert record["Reason"] == "asked by phone"
    assert record["AddedBy"] == "api:crm"
    entry = DoNotCallEntry.objects.get()
    assert entry.number == "+12025550100"

    again = post_dnc(api, {"PhoneNumber": "(202) 555-0100", "Region": "us", "Reason": "again"})
    assert again.status_code == 200 and again.json()["created"] is False
    assert DoNotCallEntry.objects.get().reason == "again"


def test_api_errors_name_the_field(api):
    missing = post_dnc(api, {"Reason": "x"})
    assert missing.status_code == 400
    assert missing.json()["errors"] == [{"field": "PhoneNumber", "message": "is required"}]
    national = post_dnc(api, {"PhoneNumber": "(202) 555-0100"})
    assert national.status_code == 400
    assert national.json()["errors"][0]["field"] == "PhoneNumber"
    assert "no country code" in national.json()["errors"][0]["message"]
    region = post_dnc(api, {"PhoneNumber": "2025550100", "Region": "USA"})
    assert region.json()["errors"][0]["field"] == "Region"
    expiry = post_dnc(api, {"PhoneNumber": "+12025550100", "ExpiresAt": "soon"})
    assert expiry.json()["errors"][0]["field"] == "ExpiresAt"
    reason = post_dnc(api, {"PhoneNumber": "+12025550100", "Reason": ["x"]})
    assert reason.json()["errors"][0]["field"] == "Reason"
    unknown = post_dnc(api, {"PhoneNumber": "+12025550100", "Raeson": "typo"})
    assert unknown.json()["errors"][0]["field"] == "Raeson"
    assert post_dnc(api, "{not json").status_code == 400
    assert post_dnc(api, "[1]").status_code == 400
    assert not DoNotCallEntry.objects.exists()


def test_api_needs_a_token():
    response = post_dnc(Client(), {"PhoneNumber": "+12025550100"})
    assert response.status_code == 401 and response.json()["status"] == 401
    bad = Client(HTTP_AUTHORIZATION="Bearer nope")
    assert post_dnc(bad, {"PhoneNumber": "+12025550100"}).status_code == 401
    assert not DoNotCallEntry.objects.exists()


def test_api_reads_and_deletes_by_any_spelling(api):
    post_dnc(api, {"PhoneNumber": "+12025550100", "Reason": "x"})
    found = api.get("/api/dnc/+12025550100")
    assert found.status_code == 200 and found.json()["records"][0]["PhoneNumber"] == "+12025550100"
    assert found.json()["active"] is True
    deleted = api.delete("/api/dnc/(202)%20555-0100?Region=US")
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert not DoNotCallEntry.objects.exists()
    gone = api.delete("/api/dnc/+12025550100")
    assert (
        gone.status_code == 404
        and "+12025550100 is not on the do-not-call list" in (gone.json()["message"])
    )
    unreadable = api.delete("/api/dnc/12")
    assert unreadable.status_code == 400 and unreadable.json()["errors"][0]["field"] == "number"


def test_a_campaign_limited_token_may_list_but_not_unlist():
    token, raw = ApiToken.issue("one campaign")
    token.campaigns.add(DiallerCampaign.objects.create(name="Spring Renewals", time_zone=""))
    limited = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert post_dnc(limited, {"PhoneNumber": "+12025550100"}).status_code == 201
    assert limited.delete("/api/dnc/+12025550100").status_code == 403
    assert DoNotCallEntry.objects.exists()


def limited_client(name="one campaign"):
    token, raw = ApiToken.issue(name)
    token.campaigns.add(DiallerCampaign.objects.create(name=f"{name} campaign", time_zone=""))
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_no_token_may_list_a_number_as_already_expired(api):
    for client in (api, limited_client()):
        response = post_dnc(client, {"PhoneNumber": "+12025550100", "ExpiresAt": "2020-01-01"})
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "ExpiresAt"
        assert "past" in response.json()["errors"][0]["message"]
    assert not DoNotCallEntry.objects.exists()


def test_a_limited_token_cannot_end_another_tenants_listing(api):
    """The attack: re-list a number another tenant listed, expiring now, to make it dialable
    everywhere and overwrite why and by whom it was listed."""
    assert (
        post_dnc(api, {"PhoneNumber": "+12025550100", "Reason": "court order"}).status_code == 201
    )
    limited = limited_client()
    for expiry in ("2020-01-01", "2099-01-01"):
        response = post_dnc(
            limited, {"PhoneNumber": "+12025550100", "Reason": "mine", "ExpiresAt": expiry}
        )
        assert response.status_code in (400, 403), expiry
    entry = DoNotCallEntry.objects.get()
    assert entry.is_active() and entry.expires_at is None
    assert (entry.reason, entry.added_by) == ("court order", "api:crm")


def test_a_limited_token_may_keep_a_listing_longer_but_not_shorter(api):
    post_dnc(api, {"PhoneNumber": "+12025550100", "Reason": "asked", "ExpiresAt": "2090-01-01"})
    limited = limited_client()
    sooner = post_dnc(limited, {"PhoneNumber": "+12025550100", "ExpiresAt": "2080-01-01"})
    assert sooner.status_code == 403 and "longer, never shorter" in sooner.json()["message"]
    later = post_dnc(
        limited, {"PhoneNumber": "+12025550100", "Reason": "x", "ExpiresAt": "2095-01-01"}
    )
    assert later.status_code == 200
    entry = DoNotCallEntry.objects.get()
    assert entry.expires_at.year == 2095
    assert (entry.reason, entry.added_by) == ("asked", "api:crm")
    forever = post_dnc(limited, {"PhoneNumber": "+12025550100"})
    assert forever.status_code == 200 and DoNotCallEntry.objects.get().expires_at is None
    # The unrestricted token still sets whatever it likes.
    assert (
        post_dnc(api, {"PhoneNumber": "+12025550100", "ExpiresAt": "2080-01-01"}).status_code == 200
    )
    assert DoNotCallEntry.objects.get().expires_at.year == 2080


def test_a_limited_token_reads_only_whether_and_until_when(api):
    post_dnc(api, {"PhoneNumber": "+12025550100", "Reason": "court order"})
    for response in (
        limited_client().get("/api/dnc/+12025550100"),
        post_dnc(limited_client("other"), {"PhoneNumber": "+12025550100"}),
    ):
        assert response.status_code == 200
        record = response.json()["records"][0]
        assert record["PhoneNumber"] == "+12025550100" and record["ExpiresAt"] is None
        assert "court order" not in response.content.decode()
        assert "api:crm" not in response.content.decode()
    assert limited_client("third").get("/api/dnc/+12025550100").json()["active"] is True
    full = api.get("/api/dnc/+12025550100").json()["records"][0]
    assert (full["Reason"], full["AddedBy"]) == ("court order", "api:crm")


# ----------------------------------------------------------------- team leads' upload


def test_team_lead_uploads_a_dnc_csv(agents, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    team = agents["alice"].team
    client.force_login(agents["lead"])
    page = client.get(f"/monitor/{team.pk}/")
    assert f"/monitor/{team.pk}/dnc/" in page.content.decode()
    data = b"PhoneNumber;Reason\n(202) 555-0100;complaint\n+49 30 1234567;Widerspruch\nabc;x\n"
    response = client.post(
        f"/monitor/{team.pk}/dnc/",
        {"file": SimpleUploadedFile("dnc.csv", data, "text/csv"), "region": "US"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 numbers listed, 0 already listed (updated), 1 rows not read." in html
    assert "is not a phone number" in html and ">4<" in html  # line 4 named
    assert set(DoNotCallEntry.objects.values_list("number", "added_by")) == {
        ("+12025550100", "lena"),
        ("+49301234567", "lena"),
    }


def test_only_leads_of_the_team_upload(agents, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(agents["alice"].user)
    team = agents["alice"].team
    upload = SimpleUploadedFile("dnc.csv", b"PhoneNumber\n+12025550100\n", "text/csv")
    assert client.post(f"/monitor/{team.pk}/dnc/", {"file": upload}).status_code == 404
    assert not DoNotCallEntry.objects.exists()


def test_upload_of_a_wrong_file_says_why(agents, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(agents["lead"])
    team = agents["alice"].team
    upload = SimpleUploadedFile("dnc.csv", b"Number\n+12025550100\n", "text/csv")
    response = client.post(f"/monitor/{team.pk}/dnc/", {"file": upload})
    assert "needs a PhoneNumber column" in response.content.decode()
    bad_region = SimpleUploadedFile("dnc.csv", b"PhoneNumber\n2025550100\n", "text/csv")
    response = client.post(f"/monitor/{team.pk}/dnc/", {"file": bad_region, "region": "ZZ"})
    assert "ZZ is not a country code" in response.content.decode()
    assert not DoNotCallEntry.objects.exists()


# ----------------------------------------------------------------- on the agent page

HTMX = {"HTTP_HX_REQUEST": "true"}
GROUP = {"campaign_group": "Sales Manual Group", "consent": "Both"}


def test_a_listed_number_is_never_dialable_and_hands_back_with_dnc(alice, agents):
    from agentdesk.compliance import dnc
    from agentdesk.desk.models import ActionLog
    from agentdesk.lcmsim.models import Contact

    from .helpers import add_contact, post_for_screen

    dnc.add("+1 202-555-0100", reason="complaint", added_by="lena")
    key = add_contact(phone="202 555 0100")  # a US campaign (Eastern time)
    html = alice.post("/desk/next", GROUP, **HTMX).content.decode()
    assert "+12025550100 is on the do-not-call list (complaint)." in html
    assert '<span id="contact-number" class="dial dial-disabled"' in html
    assert "tel:+1-202-555-0100" not in html
    assert "Hand back with 5 DNC <kbd>H</kbd>" in html
    refused = post_for_screen(alice, "/desk/confirm-dial", **HTMX).content.decode()
    assert "may not be dialled" in refused

    done = post_for_screen(alice, "/desk/hand-back", **HTMX).content.decode()
    assert "Handed back with outcome 5 DNC." in done
    assert Contact.objects.get(lcm_key=key).outcome_id == 5
    entry = ActionLog.objects.get(kind=ActionLog.HAND_BACK)
    assert entry.result == "Handed back (do-not-call) with 5 DNC"


def test_an_expired_entry_no_longer_blocks(alice):
    from datetime import timedelta

    from django.utils import timezone

    from .helpers import add_contact

    DoNotCallEntry.objects.create(  # listed once, expired since
        number="+12025550100", added_by="lena", expires_at=timezone.now() - timedelta(days=1)
    )
    add_contact(phone="2025550100")
    html = alice.post("/desk/next", GROUP, **HTMX).content.decode()
    assert 'id="compliance"' not in html and 'href="tel:+1-202-555-0100"' in html


def test_skipping_with_dnc_lists_the_number_at_once(alice):
    from agentdesk.lcmsim.service import set_fault

    from .helpers import add_contact, post_for_screen

    add_contact(phone="202-555-0177")
    alice.post("/desk/next", GROUP, **HTMX)
    set_fault("down")  # even when LCM fails the skip, the opt-out is kept
    failed = post_for_screen(alice, "/desk/skip", {"outcome": "5"}, **HTMX).content.decode()
    assert "unreachable" in failed
    entry = DoNotCallEntry.objects.get()
    assert entry.number == "+12025550177" and entry.added_by == "agent:a1@test"
    assert entry.reason == "Outcome 5 DNC chosen by a1@test"
    set_fault("none")
    assert (
        "Skipped with outcome 5 DNC."
        in post_for_screen(alice, "/desk/skip", {"outcome": "5"}, **HTMX).content.decode()
    )
    assert DoNotCallEntry.objects.count() == 1


def test_skipping_with_another_outcome_lists_nothing(alice):
    from .helpers import add_contact, post_for_screen

    add_contact(phone="2025550178")
    alice.post("/desk/next", GROUP, **HTMX)
    assert (
        "Skipped with outcome 8"
        in post_for_screen(alice, "/desk/skip", {"outcome": "8"}, **HTMX).content.decode()
    )
    assert not DoNotCallEntry.objects.exists()


def add_form(**fields):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.localtime()
    data = {
        "campaign": "Spring Renewals",
        "last_name": "Person",
        "mode1_name": "Home",
        "mode1_number": "(202) 555-0100",
        "mode1_tz": "(UTC-05:00) Eastern Time (US and Canada)",
        "callback_start": now.strftime("%Y-%m-%dT%H:%M"),
        "callback_end": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "call_type": "0",
        "priority": "0",
        "status": "0",
    }
    data.update(fields)
    return data


def test_add_contact_refuses_a_listed_number_naming_it(alice):
    from agentdesk.compliance import dnc
    from agentdesk.lcmsim.models import Contact

    dnc.add("+1 202-555-0100", added_by="lena")
    before = Contact.objects.count()
    html = alice.post("/desk/add", add_form(), **HTMX).content.decode()
    assert "+12025550100 is on the do-not-call list: it cannot be added." in html
    assert "Check the highlighted fields." in html
    assert Contact.objects.count() == before
    # Typed in Berlin's zone, the same digits are a German number: not listed.
    html = alice.post(
        "/desk/add",
        add_form(mode1_tz="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"),
        **HTMX,
    ).content.decode()
    assert "do-not-call" not in html


# ----------------------------------------------------------------- import API and CSV import

IMPORT = "/api/dialler/contacts/import"


@pytest.fixture
def us_campaign(agents):
    return DiallerCampaign.objects.create(
        name="Spring Renewals",
        campaign_group="Sales Manual Group",
        time_zone="(UTC-05:00) Eastern Time (US and Canada)",
    )


def import_contact(client, **fields):
    body = {"DiallerCampaignsName": "Spring Renewals", "Name": "Mustermann", **fields}
    return client.post(IMPORT, data=json.dumps(body), content_type="application/json")


def test_the_import_api_refuses_a_listed_number_naming_it(api, us_campaign):
    from agentdesk.compliance import dnc
    from agentdesk.lcmsim.models import Contact

    dnc.add("+1 202-555-0100", added_by="lena")
    before = Contact.objects.count()
    response = import_contact(api, PhoneNumber1="+4930123456", PhoneNumber2="(202) 555-0100")
    body = response.json()
    assert response.status_code == 422 == body["status"]
    assert (
        body["message"] == "The contact cannot be imported: +12025550100 on the do-not-call list."
    )
    assert body["errors"] == [
        {"field": "PhoneNumber2", "message": "+12025550100 is on the do-not-call list"}
    ]
    assert Contact.objects.count() == before  # LCM never asked
    ok = import_contact(api, PhoneNumber1="(202) 555-0101")
    assert ok.status_code == 200, ok.content


def test_the_csv_import_refuses_listed_numbers_by_line(agents, us_campaign):
    import csv
    import io

    from agentdesk.compliance import dnc
    from agentdesk.dialler import bulk
    from agentdesk.dialler.models import ImportRow

    dnc.add("+1 202-555-0100", added_by="lena")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "DiallerCampaignsName", "PhoneNumber1"])
    writer.writerow(["Listed", "Spring Renewals", "(202) 555-0100"])
    writer.writerow(["Fine", "Spring Renewals", "(202) 555-0102"])
    team = agents["alice"].team
    job = bulk.create_preview(
        team,
        agents["lead"],
        "contacts.csv",
        out.getvalue().encode(),
        overwrite=True,
        allowed=bulk.allowed_campaign_ids(team),
    )
    rows = {row.line: row for row in ImportRow.objects.filter(job=job)}
    assert rows[2].status == ImportRow.INVALID
    assert "+12025550100 is on the do-not-call list" in rows[2].message
    assert rows[3].status == ImportRow.PENDING and not rows[3].message
