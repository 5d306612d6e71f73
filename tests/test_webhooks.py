"""Webhooks: signed JSON events per team, delivered by the job runner to a real HTTP receiver,
retried with backoff, and logged."""

import itertools
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from agentdesk.webhooks import delivery as http
from agentdesk.webhooks import signing

SECRET = "whsec_test-secret-1"


class Receiver:
    """A CRM's endpoint: records each request and answers with the next scripted status."""

    def __init__(self, statuses: list[int] | None = None, secret: str = SECRET) -> None:
        self.statuses = list(statuses or [])
        self.secret = secret
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    signing.verify(receiver.secret, self.headers.get(signing.HEADER, ""), body)
                    verified = True
                except signing.BadSignature:
                    verified = False
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": body, "verified": verified}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if not verified:
                    status = 401
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"nope")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/agentdesk"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, seconds: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= count, f"{len(self.requests)} requests, wanted {count}"
        return self.requests

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


# ---------------------------------------------------------------- signing (no database)


def test_a_signature_verifies_and_any_change_breaks_it():
    body = b'{"type":"test"}'
    header = signing.header_value(SECRET, 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert signing.verify(SECRET, header, body, now=1_700_000_010) == 1_700_000_000
    with pytest.raises(signing.BadSignature, match="does not match"):
        signing.verify(SECRET, header, b'{"type":"tesT"}', now=1_700_000_010)
    with pytest.raises(signing.BadSignature, match="does not match"):
        signing.verify("whsec_other", header, body, now=1_700_000_010)
    forged = header.replace("t=1700000000", "t=1700000005")  # a fresh time on an old body
    with pytest.raises(signing.BadSignature, match="does not match"):
        signing.verify(SECRET, forged, body, now=1_700_000_010)


def test_an_old_or_malformed_signature_is_refused():
    body = b"{}"
    header = signing.header_value(SECRET, 1_700_000_000, body)
    with pytest.raises(signing.BadSignature, match="more than 300 s"):
        signing.verify(SECRET, header, body, now=1_700_000_000 + 301)
    for bad in ("", "v1=abc", "t=soon,v1=abc"):
        with pytest.raises(signing.BadSignature, match="t=<seconds>,v1=<hex>"):
            signing.verify(SECRET, bad, body)


def test_the_documented_recipe_matches():
    """docs/webhooks.md verifies with the standard library only; this is that code."""
    import hashlib
    import hmac

    body = b'{"id":"e1","type":"test"}'
    header = signing.header_value(SECRET, 1_700_000_000, body)
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(
        SECRET.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"])


def test_retries_wait_four_times_longer_each_time_up_to_six_hours():
    assert [http.retry_delay(n, 30) for n in (1, 2, 3, 4)] == [30, 120, 480, 1920]
    assert http.retry_delay(20, 30) == 6 * 3600


# ---------------------------------------------------------------- one HTTP attempt


def test_a_post_is_signed_and_a_2xx_is_a_delivery(receiver):
    body = json.dumps({"id": "e1", "type": "test"})
    outcome = http.post(receiver.url, SECRET, body, event_type="test", event_id="e1", timeout=5)
    assert outcome.ok and outcome.status_code == 200 and outcome.response_excerpt == "ok"
    (request,) = receiver.requests
    assert request["verified"]
    assert request["body"] == body.encode()
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Agentdesk-Event"] == "test"
    assert request["headers"]["Agentdesk-Delivery"] == "e1"


def test_a_wrong_secret_is_refused_by_the_receiver(receiver):
    outcome = http.post(
        receiver.url, "whsec_not-the-shared-one", "{}", event_type="test", event_id="e2", timeout=5
    )
    assert not outcome.ok and outcome.status_code == 401
    assert receiver.requests[0]["verified"] is False
    assert outcome.error == "answered HTTP 401"


def test_a_5xx_a_refused_connection_and_a_redirect_are_failures():
    server = Receiver([500, 302])
    try:
        first = http.post(server.url, SECRET, "{}", event_type="t", event_id="e", timeout=5)
        assert not first.ok and first.status_code == 500 and first.response_excerpt == "nope"
        redirect = http.post(server.url, SECRET, "{}", event_type="t", event_id="e", timeout=5)
        assert not redirect.ok and redirect.status_code == 302
    finally:
        server.close()
    refused = http.post(server.url, SECRET, "{}", event_type="t", event_id="e", timeout=2)
    assert not refused.ok and refused.status_code is None
    assert "ConnectError" in refused.error


def test_a_receiver_that_does_not_answer_in_time_is_a_failure():
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        port = listener.getsockname()[1]
        started = time.monotonic()
        outcome = http.post(
            f"http://127.0.0.1:{port}/", SECRET, "{}", event_type="t", event_id="e", timeout=0.5
        )
        assert time.monotonic() - started < 3
        assert not outcome.ok and outcome.error == "no answer within 0.5 s"
    finally:
        listener.close()


# ---------------------------------------------------------------- queued, delivered, logged


def start_worker(**env: str):
    import subprocess
    import sys

    from .conftest import ROOT, server_env

    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "jobs_worker",
            "--no-reload",
            "--interval",
            "0.1",
            "--no-startup-delay",
        ],
        cwd=ROOT,
        env=server_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process) -> None:
    import subprocess

    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until(check, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def endpoint_for(team_name: str, url: str, **fields):
    from agentdesk.teams.models import Team
    from agentdesk.webhooks.models import Endpoint

    return Endpoint.objects.create(
        team=Team.objects.get(name=team_name), url=url, secret=SECRET, **fields
    )


def act(coroutine):
    """Run an agent action and wait for the webhook rows its event queues."""
    import asyncio

    from agentdesk.webhooks import subscriptions

    async def run():
        result = await coroutine
        while subscriptions._background:
            await asyncio.gather(*list(subscriptions._background))
        return result

    return asyncio.run(run())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_agents_fetch_and_skip_reach_the_crm_signed_through_the_job_runner(agents, receiver):
    from agentdesk.desk import actions
    from agentdesk.webhooks.models import Delivery

    from .helpers import add_contact

    endpoint_for("Blue", receiver.url)
    endpoint_for("Green", receiver.url + "/green")  # carol's team: hears nothing of alice
    key = add_contact(phone="2025550177")
    alice = agents["alice"]
    fetched = act(actions.next_contact(alice, campaign_group="Sales Manual Group", consent="Both"))
    assert fetched.ok and fetched.session.contact
    assert act(actions.skip_contact(alice, outcome_id=8)).ok
    assert Delivery.objects.count() == 2  # queued, nothing sent yet: no worker runs

    worker = start_worker()
    try:
        requests = receiver.wait_for(2)
    finally:
        stop(worker)
    assert all(r["verified"] for r in requests)
    assert {r["headers"]["Agentdesk-Event"] for r in requests} == {
        "contact.fetched",
        "contact.skipped",
    }
    assert all(r["headers"].get("Host", "").startswith("127.0.0.1") for r in requests)
    events = {json.loads(r["body"])["type"]: json.loads(r["body"]) for r in requests}
    skipped = events["contact.skipped"]
    assert skipped["team"]["name"] == "Blue"
    assert skipped["data"]["agent"] == {"lcm_agent_id": "a1@test", "username": "alice"}
    assert skipped["data"]["contact"]["lcm_key"] == key
    assert skipped["data"]["contact"]["phone_last4"] == "0177"
    assert "2025550177" not in requests[0]["body"].decode() + requests[1]["body"].decode()
    assert skipped["data"]["outcome"] == {"id": 8, "name": "No Answer"}
    assert events["contact.fetched"]["data"]["contact"]["lcm_key"] == key
    rows = list(Delivery.objects.order_by("pk"))
    assert [r.status for r in rows] == ["delivered", "delivered"]
    assert [r.attempts for r in rows] == [1, 1]
    assert [a.status_code for r in rows for a in r.attempt_log.all()] == [200, 200]
    assert {str(r.event_id) for r in rows} == {e["id"] for e in events.values()}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_crm_answering_500_gets_the_same_event_again_with_backoff_and_the_log_shows_it(
    agents,
):
    from agentdesk.webhooks.models import Delivery

    crm = Receiver([500, 503, 200])
    try:
        endpoint = endpoint_for("Blue", crm.url)
        from agentdesk.webhooks import payloads, tasks

        assert tasks.schedule(endpoint, "test", "test:retry", payloads.test_data())
        worker = start_worker(WEBHOOK_RETRY_SECONDS="0.3")
        try:
            requests = crm.wait_for(3)
            row = wait_until(lambda: Delivery.objects.filter(status=Delivery.DELIVERED).first())
        finally:
            stop(worker)
    finally:
        crm.close()
    assert len(crm.requests) == 3
    assert len({r["body"] for r in requests}) == 1  # the same bytes every time
    assert len({r["headers"]["Agentdesk-Delivery"] for r in requests}) == 1
    assert all(r["verified"] for r in requests)  # each attempt signed afresh
    attempts = list(row.attempt_log.all())
    assert [a.status_code for a in attempts] == [500, 503, 200]
    assert [a.error for a in attempts] == ["answered HTTP 500", "answered HTTP 503", ""]
    assert row.attempts == 3 and row.last_status_code == 200 and row.delivered_at
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.3 and gaps[1] >= 1.2  # 0.3 s, then four times longer


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_wrong_secret_fails_and_the_delivery_gives_up_after_the_last_attempt(
    agents, receiver, settings
):
    from agentdesk.webhooks import payloads, tasks
    from agentdesk.webhooks.models import Delivery

    settings.WEBHOOK_MAX_ATTEMPTS = 2
    endpoint = endpoint_for("Blue", receiver.url)
    endpoint.secret = "whsec_rotated-on-our-side-only"
    endpoint.save()
    tasks.schedule(endpoint, "test", "test:wrong-secret", payloads.test_data())
    row = Delivery.objects.get()
    assert tasks.deliver.call(row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == Delivery.PENDING and row.last_status_code == 401
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=25)  # 30 s later
    assert tasks.deliver.call(row.pk) == "not due"  # not before its time
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert tasks.deliver.call(row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == Delivery.FAILED and row.attempts == 2
    assert tasks.deliver.call(row.pk) == "not due"  # given up: never sent again
    assert len(receiver.requests) == 2
    assert not any(r["verified"] for r in receiver.requests)
    assert [a.status_code for a in row.attempt_log.all()] == [401, 401]


@pytest.mark.django_db(transaction=True)
def test_only_the_teams_endpoints_that_want_an_event_get_it(agents):
    from agentdesk.desk import actions
    from agentdesk.webhooks.models import Delivery

    from .helpers import add_through_form

    added_only = endpoint_for("Blue", "http://127.0.0.1:9/added", events=["contact.added"])
    endpoint_for("Blue", "http://127.0.0.1:9/off", active=False)
    endpoint_for("Green", "http://127.0.0.1:9/green")
    alice = agents["alice"]
    act(actions.next_contact(alice, campaign_group="Sales Manual Group", consent="Both"))
    assert not Delivery.objects.exists()  # nothing to fetch: no event; and not wanted anyway
    result = act(
        add_through_form(
            alice,
            {
                "campaign": "Spring Renewals",
                "last_name": "Newcomer",
                "mode1_name": "Home",
                "mode1_number": "2025550190",
                "mode1_tz": "(UTC-05:00) Eastern Time (US and Canada)",
                "callback_start": "2030-01-01T09:00",
                "callback_end": "2030-02-01T09:00",
                "call_type": "0",
                "priority": "0",
                "status": "4",
                "request_token": "tok-webhook-1",
            },
        )
    )
    assert result.ok, result.message
    (row,) = Delivery.objects.all()
    assert row.endpoint == added_only and row.event_type == "contact.added"
    assert json.loads(row.body)["data"]["contact"]["phone_last4"] == "0190"


@pytest.mark.django_db(transaction=True)
def test_a_failed_action_sends_nothing(agents):
    from agentdesk.desk import actions
    from agentdesk.lcmsim.service import set_fault
    from agentdesk.webhooks.models import Delivery

    from .helpers import add_contact

    endpoint_for("Blue", "http://127.0.0.1:9/")
    add_contact(phone="2025550178")
    set_fault("down")
    failed = act(
        actions.next_contact(agents["alice"], campaign_group="Sales Manual Group", consent="Both")
    )
    assert not failed.ok
    assert not Delivery.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_finished_import_is_announced_once_with_its_counts(agents):
    import asyncio

    from agentdesk.dialler import bulk
    from agentdesk.dialler.models import DiallerCampaign, ImportJob
    from agentdesk.dialler.signals import announce_import_finished
    from agentdesk.teams.models import Team
    from agentdesk.webhooks.models import Delivery

    DiallerCampaign.objects.create(
        name="Spring Renewals",
        campaign_group="Sales Manual Group",
        time_zone="(UTC-05:00) Eastern Time (US and Canada)",
    )
    endpoint_for("Blue", "http://127.0.0.1:9/")
    blue = Team.objects.get(name="Blue")
    data = (
        b"Name,DiallerCampaignsName,PhoneNumber1\n"
        b"Ada,Spring Renewals,2025550191\nBo,Spring Renewals,2025550192\nCy,Nowhere,2025550193\n"
    )
    job = bulk.create_preview(
        blue,
        agents["lead"],
        "spring.csv",
        data,
        overwrite=True,
        allowed=bulk.allowed_campaign_ids(blue),
    )
    assert bulk.start(job)
    asyncio.run(bulk.run_job(job.pk))
    assert ImportJob.objects.get(pk=job.pk).state == ImportJob.DONE
    announce_import_finished(job.pk)  # a job announced twice still makes one event
    (row,) = Delivery.objects.all()
    data = json.loads(row.body)["data"]
    assert row.event_type == "import.finished"
    assert data["import"]["file_name"] == "spring.csv" and data["import"]["finished_at"]
    assert data["import"]["rows"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "invalid": 1,
        "unknown": 0,
    }
    assert data["started_by"] == "lena"


@pytest.mark.django_db(transaction=True)
def test_the_admin_sends_a_test_event_and_shows_the_log(agents, receiver):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from agentdesk.webhooks import tasks
    from agentdesk.webhooks.models import Delivery

    endpoint = endpoint_for("Blue", receiver.url)
    admin_user = get_user_model().objects.create_superuser("root", "r@example.com", "pw-xyz-123")
    client = Client()
    client.force_login(admin_user)
    answer = client.post(
        "/admin/webhooks/endpoint/",
        {"action": "send_test_event", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    assert "A test event is queued for 1 endpoint" in answer.content.decode()
    row = Delivery.objects.get(event_type="test")
    assert tasks.deliver.call(row.pk) == "delivered"
    assert receiver.requests[0]["verified"]
    log_page = client.get(f"/admin/webhooks/delivery/{row.pk}/change/").content.decode()
    assert "delivered" in log_page.lower() and "200" in log_page
    listing = client.get("/admin/webhooks/delivery/").content.decode()
    assert receiver.url in listing
    assert SECRET not in listing and SECRET not in log_page


@pytest.mark.django_db(transaction=True)
def test_the_secret_is_never_logged(agents, caplog):
    from agentdesk.webhooks import payloads, tasks
    from agentdesk.webhooks.models import Delivery

    endpoint = endpoint_for("Blue", "http://127.0.0.1:9/refused")
    tasks.schedule(endpoint, "test", "test:log", payloads.test_data())
    with caplog.at_level("DEBUG"):
        assert tasks.deliver.call(Delivery.objects.get().pk) == "failed"
    assert caplog.records and SECRET not in caplog.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_work_a_killed_runner_left_is_picked_up_again(agents, settings):
    from agentdesk.webhooks import payloads, tasks
    from agentdesk.webhooks.models import Delivery

    settings.JOBS_STALE_SECONDS = 30
    endpoint = endpoint_for("Blue", "http://127.0.0.1:9/")
    tasks.schedule(endpoint, "test", "test:a", payloads.test_data())
    tasks.schedule(endpoint, "test", "test:b", payloads.test_data())
    long_ago = timezone.now() - timedelta(minutes=5)
    sending, waiting = Delivery.objects.order_by("pk")
    Delivery.objects.filter(pk=sending.pk).update(status=Delivery.SENDING, claimed_at=long_ago)
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=long_ago)
    assert tasks.requeue_stale() == 2
    sending.refresh_from_db()
    assert sending.status == Delivery.PENDING
    assert tasks.requeue_stale() == 0  # not again on the next sweep


@pytest.mark.django_db(transaction=True)
def test_a_team_remembered_without_endpoints_costs_an_action_no_background_work(agents):
    import asyncio

    from agentdesk.desk import actions
    from agentdesk.webhooks import subscriptions
    from agentdesk.webhooks.models import Delivery

    from .helpers import add_contact

    add_contact(phone="2025550179")
    alice = agents["alice"]
    assert subscriptions.team_has_endpoints(alice.team_id) is False  # asked and remembered

    async def fetch() -> tuple[bool, int]:
        result = await actions.next_contact(
            alice, campaign_group="Sales Manual Group", consent="Both"
        )
        return result.ok, len(subscriptions._background)

    assert asyncio.run(fetch()) == (True, 0)
    endpoint_for("Blue", "http://127.0.0.1:9/")  # saving it makes the worker ask again
    act(actions.skip_contact(alice, outcome_id="8"))
    assert Delivery.objects.filter(endpoint__team=alice.team).exists()
