"""Who may change a do-not-call listing, on every way in: a team lead (CSV upload, admin) and
an agent (a DNC outcome) may list numbers and keep any listing longer, never shorten, end or
rewrite one they did not make; a past expiry is a row problem; removal is an administrator's,
recorded. A lead's page shows only what their team listed."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from agentdesk.compliance import dnc
from agentdesk.compliance.models import DoNotCallEntry, DoNotCallRemoval
from agentdesk.desk.models import AgentProfile
from agentdesk.dialler.models import ApiToken
from agentdesk.teams.models import Team

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+12025550100"


@pytest.fixture
def people():
    users = get_user_model().objects
    blue, green = Team.objects.create(name="Blue"), Team.objects.create(name="Green")
    lena, gina = users.create(username="lena"), users.create(username="gina")
    blue.leads.add(lena)
    green.leads.add(gina)
    alice = AgentProfile.objects.create(
        user=users.create(username="alice"), lcm_agent_id="a1@test", team=blue
    )
    return {"blue": blue, "green": green, "lena": lena, "gina": gina, "alice": alice}


@pytest.fixture
def crm():
    _, raw = ApiToken.issue("crm")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    answer = client.post(
        "/api/dnc",
        data=json.dumps({"PhoneNumber": NUMBER, "Reason": "CRM: litigation hold"}),
        content_type="application/json",
    )
    assert answer.status_code == 201
    return client


def upload(user, team, text: str) -> str:
    client = Client()
    client.force_login(user)
    answer = client.post(
        f"/monitor/{team.pk}/dnc/",
        {"file": SimpleUploadedFile("dnc.csv", text.encode(), "text/csv")},
    )
    assert answer.status_code == 200
    return answer.content.decode()


def entry() -> DoNotCallEntry:
    return DoNotCallEntry.objects.get(number=NUMBER)


def test_a_lead_cannot_end_a_listing_the_api_made(people, crm):
    """The attack: lead2's upload with ExpiresAt 2001-01-01 made the number dialable again
    in every campaign and overwrote why and by whom it was listed."""
    html = upload(
        people["gina"], people["green"], f"PhoneNumber,Reason,ExpiresAt\n{NUMBER},mine,2001-01-01\n"
    )
    assert "ExpiresAt is in the past" in html
    listed = entry()
    assert listed.is_active() and listed.expires_at is None
    assert (listed.reason, listed.added_by) == ("CRM: litigation hold", "api:crm")
    assert dnc.listed([NUMBER]) is not None


def test_a_lead_may_keep_a_listing_longer_but_never_shorter_or_rewritten(people, crm):
    soon = (timezone.now() + timedelta(days=30)).date().isoformat()
    later = (timezone.now() + timedelta(days=400)).date().isoformat()
    crm.post(
        "/api/dnc",
        data=json.dumps(
            {"PhoneNumber": NUMBER, "Reason": "CRM: litigation hold", "ExpiresAt": later}
        ),
        content_type="application/json",
    )
    html = upload(
        people["gina"], people["green"], f"PhoneNumber,Reason,ExpiresAt\n{NUMBER},mine,{soon}\n"
    )
    assert "listed longer than that by someone else" in html
    assert entry().expires_at.date().isoformat() == later
    html = upload(
        people["gina"], people["green"], f"PhoneNumber,Reason,ExpiresAt\n{NUMBER},mine,\n"
    )
    assert "0 numbers listed, 1 already listed (updated), 0 rows not read." in html
    listed = entry()
    assert listed.expires_at is None  # kept longer: until removed
    assert (listed.reason, listed.added_by) == ("CRM: litigation hold", "api:crm")


def test_a_lead_may_rewrite_their_own_listing(people):
    lena, blue = people["lena"], people["blue"]
    upload(lena, blue, f"PhoneNumber,Reason\n{NUMBER},asked\n")
    soon = (timezone.now() + timedelta(days=30)).date().isoformat()
    upload(lena, blue, f"PhoneNumber,Reason,ExpiresAt\n{NUMBER},asked again,{soon}\n")
    listed = entry()
    assert (listed.reason, listed.added_by) == ("asked again", "lena")
    assert listed.expires_at.date().isoformat() == soon
    # Another team's lead cannot.
    upload(people["gina"], people["green"], f"PhoneNumber,Reason\n{NUMBER},gina's\n")
    assert entry().reason == "asked again" and entry().added_by == "lena"


def test_an_agents_dnc_outcome_keeps_someone_elses_reason(people, crm):
    dnc.add(
        NUMBER,
        reason="Outcome 5 DNC chosen by a1@test",
        added_by="agent:a1@test",
        extend_only=True,
        owner="agent:a1@test",
    )
    listed = entry()
    assert (listed.reason, listed.added_by) == ("CRM: litigation hold", "api:crm")


def _lead_in_admin(lead) -> Client:
    lead.is_staff = True
    lead.save()
    lead.user_permissions.add(*Permission.objects.filter(codename__endswith="donotcallentry"))
    client = Client()
    client.force_login(lead)
    return client


def test_a_lead_with_admin_access_follows_the_same_rules(people):
    """Alice (Lena's agent) listed the number with a DNC outcome: Lena sees it in the admin
    and may keep it longer, not rewrite, shorten or delete it."""
    dnc.add(NUMBER, reason="asked on the phone", added_by="agent:a1@test")
    client = _lead_in_admin(people["lena"])
    url = f"/admin/compliance/donotcallentry/{entry().pk}/change/"
    soon = timezone.now() + timedelta(days=3)
    for form in (
        {"number": NUMBER, "reason": "mine", "expires_at_0": "", "expires_at_1": ""},
        {
            "number": NUMBER,
            "reason": "asked on the phone",
            "expires_at_0": soon.date().isoformat(),
            "expires_at_1": "12:00:00",
        },
        {
            "number": NUMBER,
            "reason": "asked on the phone",
            "expires_at_0": "2001-01-01",
            "expires_at_1": "12:00:00",
        },
    ):
        answer = client.post(url, form)
        assert answer.status_code == 200, form  # the form again, with the error
        assert "errorlist" in answer.content.decode()
    assert (
        client.post(
            f"/admin/compliance/donotcallentry/{entry().pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    listed = entry()
    assert listed.expires_at is None and listed.reason == "asked on the phone"


def test_a_lead_in_the_admin_reads_only_what_the_team_listed(people, crm):
    """The CRM's listing and another team's are not in Lena's admin list, nor reachable by
    their address; a superuser reads everything."""
    dnc.add("+12025550111", reason="asked on the phone", added_by="agent:a1@test")
    dnc.add("+12025550133", reason="gina's list", added_by="gina")
    client = _lead_in_admin(people["lena"])

    html = client.get("/admin/compliance/donotcallentry/").content.decode()

    assert "+12025550111" in html and "asked on the phone" in html
    for secret in (NUMBER, "CRM: litigation hold", "+12025550133", "gina's list"):
        assert secret not in html
    for number in (NUMBER, "+12025550133"):
        pk = DoNotCallEntry.objects.get(number=number).pk
        answer = client.get(f"/admin/compliance/donotcallentry/{pk}/change/", follow=True)
        assert number not in answer.content.decode()
        assert "doesn’t exist" in answer.content.decode()
    superuser = get_user_model().objects.create(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    html = client.get("/admin/compliance/donotcallentry/").content.decode()
    assert all(n in html for n in (NUMBER, "+12025550111", "+12025550133"))


def test_removal_is_an_administrators_and_recorded(people, crm, admin_client):
    pk = entry().pk
    answer = admin_client.post(f"/admin/compliance/donotcallentry/{pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302
    assert not DoNotCallEntry.objects.exists()
    removal = DoNotCallRemoval.objects.get()
    assert (removal.number, removal.reason, removal.added_by) == (
        NUMBER,
        "CRM: litigation hold",
        "api:crm",
    )
    assert (removal.removed_by, removal.via) == ("admin", "admin")
    # The unrestricted API token's DELETE is recorded too.
    crm.post("/api/dnc", data=json.dumps({"PhoneNumber": NUMBER}), content_type="application/json")
    assert crm.delete(f"/api/dnc/{NUMBER}").status_code == 200
    assert DoNotCallRemoval.objects.filter(via="api", removed_by="api:crm").count() == 1
    assert "Do-not-call removals" in admin_client.get("/admin/compliance/").content.decode()


def test_the_lead_page_shows_only_what_the_team_listed(people, crm):
    dnc.add("+12025550111", reason="asked on the phone", added_by="agent:a1@test")
    dnc.add("+12025550122", reason="lena's list", added_by="lena")
    client = Client()
    client.force_login(people["lena"])
    html = client.get(f"/monitor/{people['blue'].pk}/dnc/").content.decode()
    assert "+12025550111" in html and "+12025550122" in html
    assert "CRM: litigation hold" not in html and "api:crm" not in html and NUMBER not in html
    client.force_login(people["gina"])
    html = client.get(f"/monitor/{people['green'].pk}/dnc/").content.decode()
    for secret in ("asked on the phone", "lena's list", "CRM: litigation hold", "+120255501"):
        assert secret not in html


def _lead_with_compliance_rights(lead) -> Client:
    """A lead made staff with Django's permissions on the Compliance models and on the list
    of numbers sent to LCM, as the README describes for a site that lets leads edit them."""
    lead.is_staff = True
    lead.save()
    lead.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["compliance", "dncsync"])
    )
    client = Client()
    client.force_login(lead)
    return client


def test_a_lead_in_the_admin_reads_no_other_tenants_numbers_by_any_route(people, crm):
    """The removals record, the numbers sent to LCM and the consent evidence held every
    tenant's numbers, reasons and makers for any lead with admin rights on them."""
    from agentdesk.compliance.models import ConsentEvidence
    from agentdesk.dncsync.models import LcmDncAppend

    dnc.add("+12025550111", reason="asked on the phone", added_by="agent:a1@test")
    dnc.add("+12025550133", reason="gina's secret", added_by="gina")
    for number in ("+12025550111", "+12025550133"):
        LcmDncAppend.objects.get_or_create(number=number)
    LcmDncAppend.objects.get_or_create(number=NUMBER)
    dnc.remove(DoNotCallEntry.objects.get(number="+12025550133"), removed_by="root", via="admin")
    ConsentEvidence.objects.create(
        number="+12025550144",
        campaign="Green Sales",
        given_by="Mr Green's customer",
        given_at=timezone.now(),
        channel="phone",
        wording="yes",
        recorded_by="gina",
    )
    client = _lead_with_compliance_rights(people["lena"])
    secrets = (NUMBER, "+12025550133", "gina's secret", "+12025550144", "Mr Green")
    pages = [
        "/admin/compliance/donotcallremoval/",
        "/admin/compliance/donotcallremoval/?q=gina",
        "/admin/dncsync/lcmdncappend/",
        "/admin/dncsync/lcmdncappend/?q=555",
        "/admin/compliance/consentevidence/",
        "/admin/compliance/consentevidence/?q=Mr",
    ]
    removal = DoNotCallRemoval.objects.get(number="+12025550133")
    pages.append(f"/admin/compliance/donotcallremoval/{removal.pk}/change/")
    pages.append(f"/admin/compliance/donotcallremoval/{removal.pk}/history/")
    evidence = ConsentEvidence.objects.get(number="+12025550144")
    pages.append(f"/admin/compliance/consentevidence/{evidence.pk}/change/")
    for row in LcmDncAppend.objects.exclude(number="+12025550111"):
        pages.append(f"/admin/dncsync/lcmdncappend/{row.pk}/change/")
    for page in pages:
        html = client.get(page, follow=True).content.decode()
        for secret in secrets:
            assert secret not in html, (page, secret)
    own = client.get("/admin/dncsync/lcmdncappend/").content.decode()
    assert "+12025550111" in own  # the team's own listing stays readable
