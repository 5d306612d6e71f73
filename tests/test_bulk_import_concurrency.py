"""Two imports at once: a CSV row whose UserData another import is working on waits for it
(never a 409 in the results), and a job runner whose heartbeat stalls while it is alive loses
its job to the new runner cleanly: every row is imported once, with or without UserData."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from agentdesk.dialler import bulk, importing
from agentdesk.dialler.models import (
    DiallerCampaign,
    DiallerContact,
    ImportClaim,
    ImportJob,
    ImportRow,
)
from agentdesk.lcmsim.models import Contact

from .test_bulk_import import campaigns, make_csv, preview  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


async def wait_until(check, seconds: float = 20.0) -> None:
    """Wait for a state (checked in the database), failing after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await sync_to_async(check)():
        assert asyncio.get_running_loop().time() < deadline, "state not reached"
        await asyncio.sleep(0.02)


async def statuses(job) -> dict[int, str]:
    rows = await sync_to_async(lambda: list(ImportRow.objects.filter(job=job)))()
    return {row.line: row.status for row in rows}


async def test_a_row_whose_user_data_another_import_holds_waits_for_it(campaigns):  # noqa: F811
    team = campaigns["alice"].team
    rows = [
        ("Roe", "A", "Spring Renewals", "2025000001", "crm-held"),
        ("Doe", "B", "Spring Renewals", "2025000002", "crm-free"),
    ]
    job = await sync_to_async(preview)(team, campaigns["lead"], make_csv(rows))
    await sync_to_async(bulk.start)(job)
    campaign = await sync_to_async(DiallerCampaign.objects.get)(name="Spring Renewals")
    key = importing._claim_key(campaign, "crm-held")
    await sync_to_async(ImportClaim.objects.create)(key=key)  # another batch in flight holds it

    running = asyncio.create_task(bulk.run_job(job.pk))
    # The free row reaches LCM while the held one waits (not failed with 409).
    await wait_until(lambda: Contact.objects.filter(modes__number="+12025000002").exists())
    assert await statuses(job) == {2: ImportRow.IMPORTING, 3: ImportRow.IMPORTING}
    assert not await sync_to_async(Contact.objects.filter(modes__number="+12025000001").exists)()
    await sync_to_async(ImportClaim.objects.filter(key=key).delete)()  # the other import settles
    await asyncio.wait_for(running, 20)

    assert await statuses(job) == {2: "created", 3: "created"}
    assert await sync_to_async(Contact.objects.filter(modes__number="+12025000001").count)() == 1
    job = await sync_to_async(ImportJob.objects.get)(pk=job.pk)
    assert job.state == ImportJob.DONE


async def test_the_rest_api_still_answers_409_for_a_held_user_data(campaigns):  # noqa: F811
    campaign = await sync_to_async(DiallerCampaign.objects.get)(name="Spring Renewals")
    await sync_to_async(ImportClaim.objects.create)(key=importing._claim_key(campaign, "crm-api"))
    payload = {"DiallerCampaignsName": "Spring Renewals", "Name": "Roe",
               "PhoneNumber1": "2025000009", "UserData": "crm-api"}  # fmt: skip
    with pytest.raises(importing.ImportRejected) as refused:
        await importing.import_contact(payload, overwrite=True, allowed=None, actor="api:t")
    assert refused.value.status == 409 and refused.value.retry_after == 1


async def test_a_runner_whose_heartbeat_stalls_loses_its_job_and_imports_nothing_twice(
    campaigns,  # noqa: F811
    monkeypatch,
    settings,
):
    """Rows without UserData (nothing else tells them apart): the first runner has claimed them
    and stalls; the sweep gives the job to a second runner, which imports them; when the first
    one wakes up it sends nothing and stops."""
    from django_tasks_db.models import DBTaskResult

    settings.JOBS_STALE_SECONDS = 5
    monkeypatch.setattr(bulk.running, "HEARTBEAT_SECONDS", 3600)  # one beat, then silence
    real_import = importing.import_contacts
    wake = asyncio.Event()
    calls = 0

    async def stalls_first(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 1:
            await wake.wait()  # the first runner, alive but stuck after claiming its batch
        return await real_import(*args, **kwargs)

    monkeypatch.setattr(bulk.importing, "import_contacts", stalls_first)
    team = campaigns["alice"].team
    rows = [(f"Roe{n}", "A", "Spring Renewals", f"20250000{n:02d}", "") for n in range(4)]
    job = await sync_to_async(preview)(team, campaigns["lead"], make_csv(rows))
    await sync_to_async(bulk.start)(job)
    first = asyncio.create_task(bulk.run_job(job.pk))
    await wait_until(lambda: ImportRow.objects.filter(job=job, status="importing").count() == 4)

    def silence() -> None:  # its task runs, its heartbeat is older than JOBS_STALE_SECONDS
        old = timezone.now() - timedelta(seconds=60)
        task_id = ImportJob.objects.get(pk=job.pk).task_id
        DBTaskResult.objects.filter(pk=task_id).update(status="RUNNING", started_at=old)
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=old)

    await sync_to_async(silence)()
    assert await sync_to_async(bulk.requeue_stale_jobs)() == 1
    assert set((await statuses(job)).values()) == {ImportRow.PENDING}
    await bulk.run_job(job.pk)  # the new runner
    assert set((await statuses(job)).values()) == {ImportRow.CREATED}

    wake.set()
    await asyncio.wait_for(first, 20)

    assert set((await statuses(job)).values()) == {ImportRow.CREATED}
    for n in range(4):
        number = f"+120250000{n:02d}"
        assert await sync_to_async(Contact.objects.filter(modes__number=number).count)() == 1
    assert await sync_to_async(DiallerContact.objects.count)() == 4
    job = await sync_to_async(ImportJob.objects.get)(pk=job.pk)
    assert job.state == ImportJob.DONE


async def test_two_batches_at_once_apply_one_user_data_in_line_order(campaigns, monkeypatch):  # noqa: F811
    """Lines 2 and 4 update one contact from two batches running at once; the earlier batch
    is slow to reach LCM. The contact ends with line 4's data, as if imported in order."""
    from django.conf import settings as django_settings

    monkeypatch.setattr(
        bulk.running, "concurrency", lambda: 2
    )  # two batches at once, as on PostgreSQL
    monkeypatch.setattr(django_settings, "IMPORT_BATCH_SIZE", 2)
    real_import = importing.import_contacts
    later_batch_went_on = asyncio.Event()

    async def earlier_batch_slow(payloads, **kwargs):
        if payloads[0].get("FirstName") == "Line2":
            # Until the later batch has either imported or been held back for this one.
            await asyncio.wait_for(later_batch_went_on.wait(), 20)
        result = await real_import(payloads, **kwargs)
        if payloads[0].get("FirstName") == "Line4":
            later_batch_went_on.set()
        return result

    real_wait = bulk._BatchOrder.wait_for_earlier

    async def noticing_wait(self, batch):
        if self._blocked(batch):
            later_batch_went_on.set()  # held back: the earlier batch may go on
        await real_wait(self, batch)

    monkeypatch.setattr(bulk.importing, "import_contacts", earlier_batch_slow)
    monkeypatch.setattr(bulk._BatchOrder, "wait_for_earlier", noticing_wait)
    team = campaigns["alice"].team
    rows = [
        ("Roe", "Line2", "Spring Renewals", "2025000011", "crm-twice"),
        ("Doe", "Line3", "Spring Renewals", "2025000012", "crm-other"),
        ("Roe", "Line4", "Spring Renewals", "2025000013", "crm-twice"),
        ("Poe", "Line5", "Spring Renewals", "2025000014", "crm-third"),
    ]
    job = await sync_to_async(preview)(team, campaigns["lead"], make_csv(rows))
    await sync_to_async(bulk.start)(job)

    await asyncio.wait_for(bulk.run_job(job.pk), 60)

    assert await statuses(job) == {2: "created", 3: "created", 4: "updated", 5: "created"}
    contact = await sync_to_async(DiallerContact.objects.get)(user_data="crm-twice")
    assert contact.fields["FirstName"] == "Line4"
    assert contact.fields["PhoneNumber1"] == "+12025000013"
    live = await sync_to_async(Contact.objects.get)(lcm_key=contact.lcm_key)
    assert live.business_fields["first_name"] == "Line4"
