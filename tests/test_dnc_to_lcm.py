"""Do-not-call reaches LCM: every number agentdesk lists (by hand, the API, an upload, an
agent's DNC outcome) is appended to LCM's list with AddCompliance by the job runner, retried
until LCM confirms, never appended twice, and its state is visible in the admin."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from agentdesk.compliance import dnc
from agentdesk.compliance.models import DoNotCallEntry
from agentdesk.dialler.models import ApiToken
from agentdesk.dncsync import tasks
from agentdesk.dncsync.models import LcmDncAppend
from agentdesk.lcm.envelope import build_request
from agentdesk.lcmsim import service
from agentdesk.lcmsim.models import Contact, SimDncEntry
from agentdesk.lcmsim.service import set_fault

from .helpers import SALES, add_contact, banner
from .helpers import post_as_page as post

pytestmark = pytest.mark.django_db(transaction=True)
NUMBER = "+12025550142"


def queued_jobs() -> int:
    return DBTaskResult.objects.filter(task_path="agentdesk.dncsync.tasks.send").count()


def row(number: str = NUMBER) -> LcmDncAppend:
    return LcmDncAppend.objects.get(number=number)


def due_now(number: str = NUMBER) -> None:
    """The backoff has passed (the test does not wait for it)."""
    LcmDncAppend.objects.filter(number=number).update(next_attempt_at=timezone.now())


def test_a_listed_number_is_queued_and_the_job_appends_it_in_lcm(sim_world):
    dnc.add("(202) 555-0142", region="US", added_by="admin")
    assert row().status == LcmDncAppend.PENDING and queued_jobs() == 1  # nothing sent yet
    assert not SimDncEntry.objects.exists()

    assert tasks.send.call(row().pk) == "confirmed"
    done = row()
    assert done.status == LcmDncAppend.CONFIRMED and done.attempts == 1
    assert done.lcm_text == "Success" and done.confirmed_at is not None
    entry = SimDncEntry.objects.get()
    assert (entry.e164, entry.campaign, entry.end) == (NUMBER, "", None)
    assert tasks.send.call(done.pk) == "not due"  # confirmed: never sent again


def test_listing_again_with_the_same_end_sends_nothing_a_new_end_sends_it(sim_world):
    dnc.add(NUMBER, added_by="admin")
    tasks.send.call(row().pk)
    dnc.add(NUMBER, added_by="admin", reason="asked again")
    assert row().status == LcmDncAppend.CONFIRMED and queued_jobs() == 1

    until = timezone.now() + timedelta(days=30)
    dnc.add(NUMBER, added_by="admin", expires_at=until)
    assert row().status == LcmDncAppend.PENDING and queued_jobs() == 2
    assert tasks.send.call(row().pk) == "confirmed"
    entry = SimDncEntry.objects.get()  # the same entry, its window updated
    assert entry.end == until.replace(second=0, microsecond=0) and entry.times_sent == 2


def test_lcm_down_then_up_retries_and_appends_once(sim_world):
    dnc.add(NUMBER, added_by="admin")
    set_fault("down")
    assert tasks.send.call(row().pk) == "will retry"
    waiting = row()
    assert waiting.status == LcmDncAppend.PENDING and waiting.attempts == 1
    assert "unreachable" in waiting.last_error
    assert waiting.next_attempt_at > timezone.now()
    assert tasks.send.call(waiting.pk) == "not due"  # not before its time
    assert queued_jobs() == 2  # the retry is queued for the job runner
    assert DBTaskResult.objects.filter(run_after__isnull=False).exists()

    due_now()
    assert tasks.send.call(waiting.pk) == "will retry"  # still down: waits longer
    assert row().next_attempt_at - timezone.now() > timedelta(seconds=60)

    set_fault("none")
    due_now()
    assert tasks.send.call(waiting.pk) == "confirmed"
    assert row().attempts == 3 and row().last_error == ""
    entry = SimDncEntry.objects.get()
    assert entry.times_sent == 1  # LCM appended it once


def test_a_lost_answer_is_retried_and_lcm_keeps_one_entry(sim_world):
    dnc.add(NUMBER, added_by="admin")
    set_fault("down", act_before_failing=True)  # LCM appends, then the answer is lost
    assert tasks.send.call(row().pk) == "will retry"
    assert "may have" in row().last_error
    set_fault("none")
    due_now()
    assert tasks.send.call(row().pk) == "confirmed"
    assert "already" in row().lcm_text
    entry = SimDncEntry.objects.get()
    assert entry.times_sent == 2  # sent twice, one entry: no duplicate append


def test_lcm_refusing_is_retried_a_few_times_then_left_for_an_operator(sim_world, settings):
    settings.DNC_LCM_MAX_REFUSALS = 2
    dnc.add(NUMBER, added_by="admin")
    set_fault("ws_error")
    assert tasks.send.call(row().pk) == "will retry"
    due_now()
    assert tasks.send.call(row().pk) == "refused"
    refused = row()
    assert refused.status == LcmDncAppend.REFUSED and refused.refusals == 2
    assert refused.lcm_text == "Simulated LCM failure."
    assert tasks.send.call(refused.pk) == "not due"

    set_fault("none")
    dnc.add(NUMBER, added_by="admin")  # listed again: tried again
    assert tasks.send.call(row().pk) == "confirmed"


def test_a_dnc_outcome_reaches_lcm_and_the_contact_is_never_handed_out_again(agents):
    add_contact(phone="2025550142")
    alice = Client()
    alice.force_login(agents["alice"].user)
    assert "is on your screen" in banner(post(alice, "/desk/next", SALES))
    post(alice, "/desk/skip", {"outcome": "5"})
    assert tasks.send.call(row().pk) == "confirmed"

    Contact.objects.update(status=Contact.OPEN, held_by="")  # LCM would offer it again…
    fetched = service.handle(
        build_request(
            "GetDownloadContactsForDialing",
            {
                "CampaignGroup": "Sales Manual Group",
                "NumberOfContactsRequired": "1",
                "Consent": "Both",
                "AgentID": "a2@test",
                "ReservedContacts": "false",
            },
            "tests",
        )
    )
    assert fetched["message"]["response"].get("AccountNumber") is None  # …but not on DNC


def test_the_api_and_an_upload_queue_their_numbers(sim_world):
    _, raw = ApiToken.issue("crm")
    crm = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    answer = crm.post(
        "/api/dnc", data=json.dumps({"PhoneNumber": NUMBER}), content_type="application/json"
    )
    assert answer.status_code == 201
    assert row().status == LcmDncAppend.PENDING

    result = dnc.import_csv(
        b"PhoneNumber,Reason\n+12025550143,a\n+12025550144,b\nnot a number,c\n", added_by="lead"
    )
    assert result.added == 2
    assert set(LcmDncAppend.objects.values_list("number", flat=True)) == {
        NUMBER,
        "+12025550143",
        "+12025550144",
    }
    assert queued_jobs() == 3


def test_a_big_upload_is_queued_by_jobs_not_while_the_lead_waits(sim_world, monkeypatch):
    from agentdesk.dncsync import signals

    monkeypatch.setattr(signals, "CHUNK", 20)
    lines = "".join(f"+1202555{n:04d}\n" for n in range(300, 345))
    assert dnc.import_csv(f"PhoneNumber\n{lines}".encode(), added_by="lead").added == 45
    assert not LcmDncAppend.objects.exists()  # nothing per number in the upload's request
    jobs = DBTaskResult.objects.filter(task_path="agentdesk.dncsync.tasks.schedule_listed")
    assert jobs.count() == 3  # 20 + 20 + 5
    taken_off = DoNotCallEntry.objects.get(number="+12025550300")
    dnc.remove(taken_off, removed_by="admin", via="admin")  # before its job ran: not sent
    for job in jobs:
        tasks.schedule_listed.call(*job.args_kwargs["args"])
    assert LcmDncAppend.objects.count() == 44 and queued_jobs() == 44
    assert not LcmDncAppend.objects.filter(number="+12025550300").exists()


def test_an_expired_listing_is_not_sent(sim_world):
    dnc.add(NUMBER, added_by="admin", expires_at=timezone.now() + timedelta(days=1))
    LcmDncAppend.objects.all().delete()
    DoNotCallEntry.objects.update(expires_at=timezone.now() - timedelta(days=1))
    DoNotCallEntry.objects.get().save()
    assert not LcmDncAppend.objects.exists()


def test_the_admin_shows_each_numbers_state_and_sends_again(sim_world):
    dnc.add(NUMBER, added_by="admin")
    set_fault("down")
    tasks.send.call(row().pk)
    admin = get_user_model().objects.create(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/dncsync/lcmdncappend/")
    assert page.status_code == 200
    html = page.content.decode()
    assert NUMBER in html and "unreachable" in html

    set_fault("none")
    answer = client.post(
        "/admin/dncsync/lcmdncappend/",
        {"action": "send_again", "_selected_action": [row().pk]},
    )
    assert answer.status_code == 302
    assert row().next_attempt_at <= timezone.now()
    assert tasks.send.call(row().pk) == "confirmed"


def test_a_dead_workers_send_is_picked_up_by_the_sweep(sim_world, settings):
    settings.JOBS_STALE_SECONDS = 1
    dnc.add(NUMBER, added_by="admin")
    LcmDncAppend.objects.update(
        status=LcmDncAppend.SENDING, claimed_at=timezone.now() - timedelta(seconds=5)
    )
    assert tasks.requeue_stale() == 1
    assert row().status == LcmDncAppend.PENDING
    assert tasks.send.call(row().pk) == "confirmed"


def wait_until(check, seconds: float = 30):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_the_job_runner_sends_it_while_lcm_goes_down_and_comes_back(sim_world):
    from .test_job_runner import start_worker, stop

    set_fault("down")
    dnc.add(NUMBER, added_by="admin")
    worker = start_worker(
        LCM_URL="embedded", DNC_LCM_RETRY_SECONDS="0.2", LCM_BREAKER_FAILURES="100"
    )
    try:
        wait_until(lambda: row().attempts >= 2)  # LCM down: tried, waiting, tried again
        assert row().status in (LcmDncAppend.PENDING, LcmDncAppend.SENDING)
        assert not SimDncEntry.objects.exists()
        set_fault("none")
        wait_until(lambda: row().status == LcmDncAppend.CONFIRMED)
    finally:
        stop(worker)
    assert SimDncEntry.objects.get().times_sent == 1
