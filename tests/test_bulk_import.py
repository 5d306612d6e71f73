"""Team leads' CSV import: the file checks, the preview, the background run with live
progress, and the results."""

import csv
import io

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from agentdesk.dialler import bulk
from agentdesk.dialler.models import DiallerCampaign, DiallerContact, ImportJob, ImportRow
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
    assert row.status == ImportRow.INVALID and "No campaign with" in row.message


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
    assert allowed
    assert await sync_to_async(bulk.start)(job)
    assert not await sync_to_async(bulk.start)(job)  # a second click queues nothing

    await bulk.run_job(job.pk)

    job = await sync_to_async(ImportJob.objects.get)(pk=job.pk)
    assert job.state == ImportJob.DONE and job.finished_at
    progress = await sync_to_async(bulk.progress)(job)
    assert (progress.created, progress.updated, progress.failed, progress.invalid) == (29, 1, 0, 1)
    assert progress.percent == 100
    html = await sync_to_async(bulk.render_progress)(job)
    assert 'data-percent="100"' in html and 'data-state="done"' in html
    assert await sync_to_async(Contact.objects.filter(created_by="").count)() >= 29

    text = await sync_to_async(bulk.results_csv)(job)
    results = list(csv.DictReader(io.StringIO(text)))
    assert len(results) == 31
    # The overwrite reached LCM as a new contact; the old key is retired.
    assert results[0]["result"] == "updated" and results[0]["LCMKey"] != "1|1|1|0|0|84|1"
    from agentdesk.retiredkeys.models import is_retired

    assert await sync_to_async(is_retired)("1|1|1|0|0|84|1")
    assert results[1]["result"] == "created" and results[1]["DiallerContactsID"]
    assert results[-1]["result"] == "invalid" and "PhoneNumber1" in results[-1]["message"]


async def test_lcm_failing_after_acting_says_lcm_may_hold_the_rows(campaigns):
    team = campaigns["alice"].team
    job = await sync_to_async(preview)(team, campaigns["lead"], make_csv(good_rows(3)))
    await sync_to_async(bulk.start)(job)
    await sync_to_async(set_fault)("down", act_before_failing=True)
    await bulk.run_job(job.pk)
    rows = await sync_to_async(lambda: list(ImportRow.objects.filter(job=job)))()
    assert {r.status for r in rows} == {ImportRow.UNKNOWN}
    assert all("may have created" in r.message for r in rows)
    assert await sync_to_async(DiallerContact.objects.filter(lcm_state="unknown").count)() == 3
    assert await sync_to_async(Contact.objects.count)() == 3  # LCM did act


async def test_lcm_down_before_acting_stores_nothing_and_says_so(campaigns):
    team = campaigns["alice"].team
    job = await sync_to_async(preview)(team, campaigns["lead"], make_csv(good_rows(3)))
    await sync_to_async(bulk.start)(job)
    await sync_to_async(set_fault)("down")
    await bulk.run_job(job.pk)
    rows = await sync_to_async(lambda: list(ImportRow.objects.filter(job=job)))()
    assert {r.status for r in rows} == {ImportRow.FAILED}
    assert all("Nothing was stored" in r.message for r in rows)
    assert not await sync_to_async(DiallerContact.objects.exists)()
    assert await sync_to_async(Contact.objects.count)() == 0


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


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            b"Name,DiallerCampaignsName,PhoneNumber1\nA,Spring Renewals," + b"9" * 140_000 + b"\n",
            "128 KiB",
        ),
    ],
)
def test_unreadable_files_leave_no_job_behind(campaigns, data, words):
    team = campaigns["alice"].team
    with pytest.raises(bulk.CsvRejected, match=words):
        preview(team, campaigns["lead"], data)
    assert ImportJob.objects.count() == 0


def test_a_bare_cr_in_an_unquoted_cell_ends_the_row_and_the_preview_says_so(campaigns):
    team = campaigns["alice"].team
    data = b"Name,DiallerCampaignsName,PhoneNumber1\nA\rB,Spring Renewals,2025550100\n"
    job = preview(team, campaigns["lead"], data)
    rows = list(ImportRow.objects.filter(job=job).order_by("line"))
    assert rows and rows[0].status == ImportRow.INVALID and "DiallerCampaignsID" in rows[0].message


def test_huge_numbers_in_cells_are_row_problems_not_crashes(campaigns):
    team = campaigns["alice"].team
    digits = "9" * 5000
    data = (
        make_csv(
            [("A", "B", "Spring Renewals", digits, "u1")],
            header=("Name", "FirstName", "DiallerCampaignsName", "PhoneNumber1", "UserData"),
        )
        + f"C,D,Spring Renewals,2025550100,u2,{digits}\n".encode()
    )
    data = data.replace(b"UserData\r\n", b"UserData,DiallerCampaignsID\r\n", 1)
    job = preview(team, campaigns["lead"], data)
    rows = list(ImportRow.objects.filter(job=job).order_by("line"))
    assert [r.status for r in rows] == [ImportRow.INVALID, ImportRow.INVALID]
    assert "PhoneNumber1" in rows[0].message and "DiallerCampaignsID" in rows[1].message


def test_a_killed_worker_loses_no_row_and_doubles_none(campaigns, lcmsim_server):
    """40 rows over HTTP to the simulator in batches of 8, the worker killed (SIGKILL) in the
    middle of a batch (its rows tied to their records, LCM being called), a second worker
    takes over: every row ends created (exactly one LCM contact) or unknown (at most one),
    none pending or failed."""
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT, server_env

    team = campaigns["alice"].team
    job = preview(team, campaigns["lead"], make_csv(good_rows(40)))
    set_fault("slow", delay_seconds=0.15)
    assert bulk.start(job)
    env = server_env(
        LCM_URL=f"{lcmsim_server.url}/lcm",
        JOBS_STALE_SECONDS="2",
        JOBS_SWEEP_SECONDS="0.5",
        IMPORT_BATCH_SIZE="8",
        # What is tested is a killed worker, not a slow machine's LCM timeouts.
        LCM_TIMEOUT_SECONDS="30",
    )
    command = [
        sys.executable,
        "manage.py",
        "jobs_worker",
        "--no-reload",
        "--interval",
        "0.1",
        "--no-startup-delay",
    ]
    first = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    second = None
    try:
        deadline = time.monotonic() + 60
        in_flight = ImportRow.objects.filter(
            job=job, status=ImportRow.IMPORTING, contact__isnull=False
        )
        while not (
            ImportRow.objects.filter(job=job, status=ImportRow.CREATED).exists()
            and in_flight.exists()
        ):
            assert time.monotonic() < deadline, "the first worker imported nothing"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = ImportRow.objects.filter(job=job, status=ImportRow.CREATED).count()
        assert killed_at < 40
        set_fault("none")
        second = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while ImportJob.objects.get(pk=job.pk).state != ImportJob.DONE:
            assert time.monotonic() < deadline, bulk.progress(job)
            time.sleep(0.2)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)
    rows = list(ImportRow.objects.filter(job=job))
    assert {r.status for r in rows} <= {ImportRow.CREATED, ImportRow.UNKNOWN}, [
        (r.line, r.status, r.message) for r in rows if r.status != ImportRow.CREATED
    ]
    for row in rows:
        number = "+1" + row.data["PhoneNumber1"]
        held = Contact.objects.filter(modes__number=number).count()
        assert row.contact is not None  # tied to agentdesk's record before LCM was asked
        if row.status == ImportRow.CREATED:
            assert held == 1, (row.line, held)
            assert row.contact.lcm_key == Contact.objects.get(modes__number=number).lcm_key
        else:
            assert held <= 1 and row.contact.lcm_state == "unknown"
    assert DiallerContact.objects.count() == 40


def _upload_and_start(lead: Client, team_id: int, data: bytes) -> ImportJob:
    upload = io.BytesIO(data)
    upload.name = "contacts.csv"
    response = lead.post(f"/imports/{team_id}/", {"file": upload, "overwrite": "on"})
    assert response.status_code == 302
    job = ImportJob.objects.latest("pk")
    assert lead.post(f"/imports/{team_id}/{job.pk}/start").status_code == 302
    return job


def test_lcm_acting_then_losing_its_answer_over_http_and_the_same_file_again(
    campaigns, lcmsim_server, settings
):
    """Through the CSV pages, LCM over HTTP: LCM creates each contact but its answer is
    garbage. The rows say LCM may hold them; the same file again finishes them, with no
    second agentdesk contact (LCM, which has no lookup, then holds a flagged second copy)."""
    from asgiref.sync import async_to_sync

    settings.LCM_URL = f"{lcmsim_server.url}/lcm"
    lead = Client()
    lead.force_login(campaigns["lead"])
    team = campaigns["alice"].team
    data = make_csv(good_rows(3))
    job = _upload_and_start(lead, team.pk, data)
    set_fault("garbage", act_before_failing=True)
    async_to_sync(bulk.run_job)(job.pk)  # what the job runner does
    set_fault("none")
    rows = list(ImportRow.objects.filter(job=job))
    assert {r.status for r in rows} == {ImportRow.UNKNOWN}
    assert all("may have created" in r.message for r in rows)
    numbers = [f"+1{row[3]}" for row in good_rows(3)]
    assert [Contact.objects.filter(modes__number=n).count() for n in numbers] == [1, 1, 1]
    html = lead.get(f"/imports/{team.pk}/{job.pk}/").content.decode()
    assert "outcome unknown (LCM may hold them)" in html

    again = _upload_and_start(lead, team.pk, data)
    async_to_sync(bulk.run_job)(again.pk)
    assert {r.status for r in ImportRow.objects.filter(job=again)} == {ImportRow.UPDATED}
    assert DiallerContact.objects.count() == 3
    for contact in DiallerContact.objects.all():
        assert contact.lcm_state == "confirmed" and contact.uncertain_attempts == 1
        assert Contact.objects.filter(lcm_key=contact.lcm_key).exists()
    assert [Contact.objects.filter(modes__number=n).count() for n in numbers] == [2, 2, 2]


def test_lcm_refusing_before_acting_over_http_leaves_nothing(campaigns, lcmsim_server, settings):
    from asgiref.sync import async_to_sync

    settings.LCM_URL = f"{lcmsim_server.url}/lcm"
    lead = Client()
    lead.force_login(campaigns["lead"])
    job = _upload_and_start(lead, campaigns["alice"].team.pk, make_csv(good_rows(2)))
    set_fault("ws_error")
    async_to_sync(bulk.run_job)(job.pk)
    set_fault("none")
    rows = list(ImportRow.objects.filter(job=job))
    assert {r.status for r in rows} == {ImportRow.FAILED}
    assert all("Simulated LCM failure." in r.message for r in rows)
    assert DiallerContact.objects.count() == 0 and Contact.objects.count() == 0


async def test_one_lost_answer_in_a_batch_marks_that_row_unknown_and_the_others_created(
    campaigns, monkeypatch
):
    """LCM creates every contact of the batch but the answer for one is lost: that row says LCM
    may hold it (its record stays, unknown, tied to the row), every other row is created."""
    from agentdesk.dialler import importing
    from agentdesk.lcm.errors import LcmTimeout

    real = importing.get_client()
    lost_number = "+12025000003"

    class LosingOne:
        async def call(self, request):
            answer = await real.call(request)
            if request.modes[0].number == lost_number:
                raise LcmTimeout("the answer was lost")
            return answer

    monkeypatch.setattr(importing, "get_client", LosingOne)
    team = campaigns["alice"].team
    job = await sync_to_async(preview)(team, campaigns["lead"], make_csv(good_rows(6)))
    await sync_to_async(bulk.start)(job)
    await bulk.run_job(job.pk)

    rows = await sync_to_async(
        lambda: list(ImportRow.objects.filter(job=job).select_related("contact"))
    )()
    by_status = {r.line: r.status for r in rows}
    assert by_status == {
        2: "created",
        3: "created",
        4: "created",
        5: "unknown",
        6: "created",
        7: "created",
    }
    unknown = next(r for r in rows if r.status == ImportRow.UNKNOWN)
    assert "may have created" in unknown.message
    assert unknown.contact is not None and unknown.contact.lcm_state == DiallerContact.UNKNOWN
    assert unknown.contact.uncertain_attempts == 1
    for row in rows:
        number = "+1" + row.data["PhoneNumber1"]
        held = await sync_to_async(Contact.objects.filter(modes__number=number).count)()
        assert held == 1  # LCM acted once for every row, the lost one included
        if row.status == ImportRow.CREATED:
            assert row.contact.lcm_state == DiallerContact.CONFIRMED and row.contact.lcm_key


async def test_rows_with_the_same_user_data_in_one_batch_import_one_after_the_other(campaigns):
    team = campaigns["alice"].team
    first = ("Last", "First", "Spring Renewals", "2025000001", "crm-same")
    second = ("Last", "Changed", "Spring Renewals", "2025000002", "crm-same")
    job = await sync_to_async(preview)(team, campaigns["lead"], make_csv([first, second, first]))
    await sync_to_async(bulk.start)(job)
    await bulk.run_job(job.pk)
    rows = await sync_to_async(lambda: list(ImportRow.objects.filter(job=job).order_by("line")))()
    assert [r.status for r in rows] == ["created", "updated", "updated"]
    contact = await sync_to_async(DiallerContact.objects.get)()
    assert {r.contact_id for r in rows} == {contact.pk}
    assert contact.fields["PhoneNumber1"] == "+12025000001" and contact.lcm_state == "confirmed"
    from agentdesk.retiredkeys.models import RetiredKey

    assert await sync_to_async(RetiredKey.objects.count)() == 2  # each overwrite retired a key


def test_a_batch_costs_the_same_statements_whatever_its_size(campaigns, monkeypatch, settings):
    """Claiming, checking, writing, settling and finishing a batch is a fixed number of
    statements, none per row: a regression to per-row queries fails here."""
    from asgiref.sync import async_to_sync
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agentdesk.dialler import importing

    # The import's database work runs on this thread, so this connection sees every statement.
    def here(func):
        return sync_to_async(func, thread_sensitive=True)

    monkeypatch.setattr(bulk.running, "db_async", here)
    monkeypatch.setattr(importing, "db_async", here)
    team = campaigns["alice"].team
    campaign = DiallerCampaign.objects.get(name="Spring Renewals")

    def run(rows: int, start: int) -> list[str]:
        """A job of `rows` rows as one batch, one of them overwriting an older contact."""
        settings.IMPORT_BATCH_SIZE = rows
        old = DiallerContact.objects.create(
            campaign=campaign, user_data=f"crm-{start}", name="Old", lcm_key=f"1|1|{start}|0|0|84|1"
        )
        job = preview(team, campaigns["lead"], make_csv(good_rows(rows, start)))
        assert bulk.start(job)
        with CaptureQueriesContext(connection) as captured:
            async_to_sync(bulk.run_job)(job.pk)
        assert (bulk.progress(job).created, bulk.progress(job).updated) == (rows - 1, 1)
        old.refresh_from_db()
        assert old.lcm_state == "confirmed" and old.lcm_key != f"1|1|{start}|0|0|84|1"
        return [q["sql"] for q in captured.captured_queries if 'SET "heartbeat_at"' not in q["sql"]]

    small, large = run(10, 0), run(40, 100)
    assert len(large) == len(small), "\n".join(large)
    # The job's context, start and end: 6; a batch: claim 1, check 3 (campaign and consent
    # policy once per job), claims and records 8 (with the check that the job is still this
    # runner's), settle 7, finish 3 (the same check, in its transaction) (with SQLite's BEGIN
    # and COMMIT, which count here; PostgreSQL's two workers add one claim that finds nothing).
    assert len(large) <= 33, "\n".join(large)


@pytest.mark.postgres
def test_a_cell_with_a_nul_byte_is_an_invalid_row_not_a_crash(campaigns):
    """PostgreSQL text holds no NUL: the preview must still store the row, as invalid."""
    team = campaigns["alice"].team
    rows = [("A\x00B", "F", "Spring Renewals", "2025550100", "n-1"), *good_rows(1)]
    job = preview(team, campaigns["lead"], make_csv(rows))
    bad, good = ImportRow.objects.filter(job=job).order_by("line")
    assert bad.status == ImportRow.INVALID and "Name" in bad.message
    assert "control character" in bad.message
    assert good.status == ImportRow.PENDING


def test_a_dead_workers_overwrite_in_flight_retires_the_old_key(campaigns):
    """The sweep finds a row whose worker died while LCM was sent an overwrite: LCM may hold
    the new data now, so the old data is never dialled either way."""
    from datetime import timedelta

    from django.utils import timezone

    from agentdesk.retiredkeys.models import RetiredKey

    team = campaigns["alice"].team
    job = preview(team, campaigns["lead"], make_csv(good_rows(1)))
    assert bulk.start(job)
    campaign = DiallerCampaign.objects.get(name="Spring Renewals")
    record = DiallerContact.objects.create(
        campaign=campaign,
        user_data="crm-0",
        name="Last0",
        lcm_key="old-key",
        lcm_state=DiallerContact.SENDING,
    )
    ImportRow.objects.filter(job=job).update(status=ImportRow.IMPORTING, contact=record)
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=10), task_id=""
    )
    assert bulk.requeue_stale_jobs() == 1
    row = ImportRow.objects.get(job=job)
    assert row.status == ImportRow.UNKNOWN and row.contact_id == record.pk
    assert RetiredKey.objects.filter(lcm_key="old-key").exists()
