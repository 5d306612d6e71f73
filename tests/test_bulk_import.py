"""Team leads' CSV import: the file checks, the preview, the background run with live
progress, and the results."""

import csv
import io

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import Client

from agentdesk.dialler import bulk
from agentdesk.dialler.models import DiallerCampaign, DiallerContact, ImportJob, ImportRow
from agentdesk.language.sockets import language_group
from agentdesk.lcmsim.models import Contact
from agentdesk.lcmsim.service import set_fault

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaigns(agents):
    """Blue team works Sales and Service; Green only Service."""
    for name, group in [
        ("Spring Renewals", "Sales Manual Group"),
        ("Service Follow-up", "Service Manual Group"),
    ]:
        DiallerCampaign.objects.create(
            name=name, campaign_group=group, time_zone="(UTC-05:00) Eastern Time (US and Canada)"
        )
    return agents


def make_csv(
    rows, header=("Name", "FirstName", "DiallerCampaignsName", "PhoneNumber1", "UserData")
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def preview(team, lead, data: bytes) -> ImportJob:
    """A checked, not yet imported job, as a lead of `team` uploading `data` would make it."""
    return bulk.create_preview(
        team, lead, "contacts.csv", data, overwrite=True, allowed=bulk.allowed_campaign_ids(team)
    )


def good_rows(count, start=0):
    return [
        (f"Last{n}", f"First{n}", "Spring Renewals", f"2025{n:06d}", f"crm-{n}")
        for n in range(start, start + count)
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b"Foo,Bar\n1,2\n", "header row needs"),
        (b"Name,DiallerCampaignsName,PhoneNumber1\n", "no contacts"),
    ],
)
def test_files_that_cannot_be_used_say_why(campaigns, data, words):
    with pytest.raises(bulk.CsvRejected, match=words):
        bulk.read_csv(data)


def test_preview_checks_every_row_and_names_the_problem(campaigns):
    team = campaigns["alice"].team
    data = make_csv(
        [
            *good_rows(2),
            ("", "NoLast", "Spring Renewals", "2025550100", "x"),
            ("Bad", "Phone", "Spring Renewals", "not-a-phone", "y"),
            ("Who", "Where", "Nowhere", "2025550100", "z"),
        ],
        header=("Name", "FirstName", "DiallerCampaignsName", "PhoneNumber1", "UserData"),
    )
    data = data.replace(b"UserData\r\n", b"UserData,Favourite colour\r\n", 1)
    job = preview(team, campaigns["lead"], data)
    rows = {r.line: r for r in ImportRow.objects.filter(job=job)}
    assert rows[2].status == rows[3].status == ImportRow.PENDING
    assert rows[4].status == ImportRow.INVALID and rows[4].message == "Name is required"
    assert "PhoneNumber1 'not-a-phone' is not a phone number" in rows[5].message
    assert "No campaign with DiallerCampaignsName 'Nowhere'" in rows[6].message
    job.refresh_from_db()
    assert job.notes == "Columns ignored (not contact fields): Favourite colour"
    progress = bulk.progress(job)
    assert (progress.total, progress.to_import, progress.invalid) == (5, 2, 3)
    assert DiallerContact.objects.count() == 0  # a preview imports nothing


def test_a_team_imports_only_into_its_campaigns(campaigns):
    green = campaigns["carol"].team
    data = make_csv(good_rows(1))  # Spring Renewals is Sales: not Green's
    job = preview(green, campaigns["lead"], data)
    row = ImportRow.objects.get(job=job)
    assert row.status == ImportRow.INVALID and "may not import" in row.message


async def test_the_run_imports_pushes_progress_and_summarises(campaigns):
    team = campaigns["alice"].team
    lead = campaigns["lead"]
    await sync_to_async(DiallerContact.objects.create)(
        campaign=await sync_to_async(DiallerCampaign.objects.get)(name="Spring Renewals"),
        user_data="crm-0",
        name="Old",
        lcm_key="1|1|1|0|0|84|1",
    )
    data = make_csv([*good_rows(30), ("Oops", "", "Spring Renewals", "x", "bad")])
    allowed = await sync_to_async(bulk.allowed_campaign_ids)(team)
    job = await sync_to_async(preview)(team, lead, data)
    layer = get_channel_layer()
    listener = await layer.new_channel()
    # Progress is rendered once per language, to a group per language.
    await layer.group_add(language_group(bulk.job_group(job.pk), "en"), listener)

    await bulk.run_job(job.pk, allowed=allowed, actor="csv:lena")

    job = await sync_to_async(ImportJob.objects.get)(pk=job.pk)
    assert job.state == ImportJob.DONE and job.finished_at
    progress = await sync_to_async(bulk.progress)(job)
    assert (progress.created, progress.updated, progress.failed, progress.invalid) == (29, 1, 0, 1)
    assert progress.percent == 100
    pushes = []
    while True:
        try:
            pushes.append(await layer.receive(listener))
        except Exception:
            break
        if 'data-state="done"' in pushes[-1]["html"]:
            break
    assert 'data-percent="100"' in pushes[-1]["html"]
    assert await sync_to_async(Contact.objects.filter(created_by="").count)() >= 29

    text = await sync_to_async(bulk.results_csv)(job)
    results = list(csv.DictReader(io.StringIO(text)))
    assert len(results) == 31
    assert results[0]["result"] == "updated" and results[0]["LCMKey"] == "1|1|1|0|0|84|1"
    assert results[1]["result"] == "created" and results[1]["DiallerContactsID"]
    assert results[-1]["result"] == "invalid" and "PhoneNumber1" in results[-1]["message"]


async def test_lcm_down_during_a_run_fails_rows_with_the_reason(campaigns):
    team = campaigns["alice"].team
    allowed = await sync_to_async(bulk.allowed_campaign_ids)(team)
    job = await sync_to_async(preview)(team, campaigns["lead"], make_csv(good_rows(3)))
    await sync_to_async(set_fault)("down")
    await bulk.run_job(job.pk, allowed=allowed, actor="csv:lena")
    rows = await sync_to_async(lambda: list(ImportRow.objects.filter(job=job)))()
    assert {r.status for r in rows} == {ImportRow.FAILED}
    assert all("unreachable" in r.message for r in rows)
    assert await sync_to_async(DiallerContact.objects.count)() == 0


def test_upload_and_job_pages(campaigns):
    lead = Client()
    lead.force_login(campaigns["lead"])
    team = campaigns["alice"].team
    page = lead.get(f"/imports/{team.pk}/")
    assert page.status_code == 200 and b"Upload a CSV" in page.content
    bad = lead.post(f"/imports/{team.pk}/", {"file": io.BytesIO(b"nope")})
    assert bad.status_code == 400 and b"header row needs" in bad.content
    upload = io.BytesIO(make_csv([*good_rows(3), ("", "x", "Spring Renewals", "1", "")]))
    upload.name = "contacts.csv"
    response = lead.post(f"/imports/{team.pk}/", {"file": upload, "overwrite": "on"})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    html = lead.get(response["Location"]).content.decode()
    assert "3</strong> can be imported" in html and "Name is required" in html
    assert "Import 3 contacts" in html
    assert lead.get(f"/imports/{team.pk}/{job.pk}/results.csv").status_code == 200

    agent = Client()
    agent.force_login(campaigns["alice"].user)
    assert agent.get(f"/imports/{team.pk}/").status_code == 404
    assert agent.get(f"/imports/{team.pk}/{job.pk}/").status_code == 404
    assert Client().get(f"/imports/{team.pk}/").status_code == 302
    green = campaigns["carol"].team
    assert lead.get(f"/imports/{green.pk}/").status_code == 404
