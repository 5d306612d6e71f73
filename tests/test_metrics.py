"""`/metrics` for operators: Prometheus text, who may read it, and what it counts."""

import asyncio
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from agentdesk.desk.models import AgentSession
from agentdesk.lcm import messages as m
from agentdesk.lcm.client import CircuitBreaker, LcmClient, get_client
from agentdesk.lcm.errors import LcmRejected, LcmUnreachable
from agentdesk.lcmsim.service import set_fault
from agentdesk.metrics.access import may_scrape, parse_networks
from agentdesk.teams.models import Team

from .conftest import ROOT

LOCAL = parse_networks(["127.0.0.1/32", "::1/128"])


def scrape(remote_addr: str = "127.0.0.1") -> dict[tuple[str, tuple[Any, ...]], float]:
    response = Client().get("/metrics", REMOTE_ADDR=remote_addr)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# ---------------------------------------------------------------- who may read it


def test_local_addresses_may_scrape_and_others_may_not():
    assert may_scrape("127.0.0.1", "", LOCAL)
    assert may_scrape("::1", "", LOCAL)
    assert may_scrape("::ffff:127.0.0.1", "", LOCAL)
    assert not may_scrape("10.0.0.5", "", LOCAL)
    assert not may_scrape("", "", LOCAL)
    assert not may_scrape("not-an-address", "", LOCAL)


def test_a_local_proxy_forwarding_an_outside_client_is_refused():
    assert not may_scrape("127.0.0.1", "203.0.113.9", LOCAL)
    assert not may_scrape("127.0.0.1", "127.0.0.1, 203.0.113.9", LOCAL)
    assert may_scrape("127.0.0.1", "127.0.0.1", LOCAL)


def test_networks_are_read_in_cidr_and_a_bad_one_is_named():
    office = parse_networks(["10.20.0.0/16", "192.0.2.7"])
    assert may_scrape("10.20.3.4", "", office)
    assert may_scrape("192.0.2.7", "", office)
    assert not may_scrape("10.21.0.1", "", office)
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'"):
        parse_networks(["10.0.0.0/33"])


@pytest.mark.django_db
def test_metrics_need_no_login_from_localhost_and_refuse_other_networks(settings):
    assert scrape("127.0.0.1")
    refused = Client().get("/metrics", REMOTE_ADDR="198.51.100.4")
    assert refused.status_code == 403
    assert b"METRICS_ALLOWED_NETWORKS" in refused.content
    assert b"agentdesk_" not in refused.content

    settings.METRICS_ALLOWED_NETWORKS = ["198.51.100.0/24"]
    assert scrape("198.51.100.4")
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


@pytest.mark.django_db
def test_metrics_answer_only_get():
    assert Client().post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405


def test_a_bad_network_setting_stops_the_start_with_its_name():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "agentdesk.settings",
            "METRICS_ALLOWED_NETWORKS": "127.0.0.1,office-lan",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "'office-lan'" in result.stderr


# ---------------------------------------------------------------- what it counts


@pytest.mark.django_db(transaction=True)
def test_lcm_calls_are_counted_by_subtopic_and_result_with_latency(sim_world):
    ok_before = counted("agentdesk_lcm_calls_total", subtopic="GetCallOutCome", result="ok")
    timed_before = counted("agentdesk_lcm_call_seconds_count", subtopic="GetCallOutCome")
    asyncio.run(get_client().call(m.GetCallOutCome()))
    asyncio.run(get_client().call(m.GetCallOutCome()))
    samples = scrape()
    key = (("result", "ok"), ("subtopic", "GetCallOutCome"))
    assert samples[("agentdesk_lcm_calls_total", key)] == ok_before + 2
    assert (
        samples[("agentdesk_lcm_call_seconds_count", (("subtopic", "GetCallOutCome"),))]
        == timed_before + 2
    )

    set_fault("ws_error")
    rejected_before = counted(
        "agentdesk_lcm_calls_total", subtopic="GetCallOutCome", result="rejected"
    )
    with pytest.raises(LcmRejected):
        asyncio.run(get_client().call(m.GetCallOutCome()))
    assert (
        counted("agentdesk_lcm_calls_total", subtopic="GetCallOutCome", result="rejected")
        == rejected_before + 1
    )


class Down:
    async def exchange(self, envelope):
        raise LcmUnreachable("refused")


def test_a_dead_lcm_shows_as_failures_then_circuit_open_and_one_opening():
    client = LcmClient(Down(), timeout=1, source="t", breaker=CircuitBreaker(2, cooldown=30))
    request = m.SkipManualDialContact(3, "a", "1|1|1|0|0|84|1", "1")
    before = {
        result: counted("agentdesk_lcm_calls_total", subtopic=request.SUBTOPIC, result=result)
        for result in ("unreachable", "circuit_open")
    }
    openings = counted("agentdesk_lcm_circuit_openings_total")
    for _ in range(4):
        with pytest.raises(LcmUnreachable):
            asyncio.run(client.call(request))
    after = {
        result: counted("agentdesk_lcm_calls_total", subtopic=request.SUBTOPIC, result=result)
        for result in before
    }
    assert after["unreachable"] - before["unreachable"] == 2
    assert after["circuit_open"] - before["circuit_open"] == 2
    assert counted("agentdesk_lcm_circuit_openings_total") == openings + 1


@pytest.mark.django_db(transaction=True)
def test_the_breaker_state_of_the_answering_worker_is_shown(sim_world):
    assert scrape()[("agentdesk_lcm_circuit_state", (("state", "closed"),))] == 1
    set_fault("down")
    for _ in range(3):
        with pytest.raises(LcmUnreachable):
            asyncio.run(get_client().call(m.GetCallOutCome()))
    samples = scrape()
    assert samples[("agentdesk_lcm_circuit_state", (("state", "open"),))] == 1
    assert samples[("agentdesk_lcm_circuit_state", (("state", "closed"),))] == 0
    assert samples[("agentdesk_lcm_consecutive_failures", ())] >= 3


@pytest.mark.postgres
@pytest.mark.django_db
def test_open_sockets_and_import_rows_come_from_the_database(agents):
    from agentdesk.dialler.models import ImportJob, ImportRow

    AgentSession.objects.create(agent=agents["alice"], connections=2)
    AgentSession.objects.create(agent=agents["bob"], connections=1)
    Team.objects.filter(name="Blue").update(monitors_open=1)
    job = ImportJob.objects.create(
        team=Team.objects.get(name="Blue"), created_by=agents["lead"], file_name="x.csv"
    )
    ImportRow.objects.bulk_create(
        [ImportRow(job=job, line=n, data={}, status=ImportRow.CREATED) for n in range(3)]
        + [ImportRow(job=job, line=9, data={}, status=ImportRow.INVALID)]
    )
    samples = scrape()
    assert samples[("agentdesk_open_sockets", (("kind", "agent"),))] == 3
    assert samples[("agentdesk_open_sockets", (("kind", "monitor"),))] == 1
    assert samples[("agentdesk_import_rows", (("status", "created"),))] == 3
    assert samples[("agentdesk_import_rows", (("status", "invalid"),))] == 1
    assert samples[("agentdesk_import_rows", (("status", "failed"),))] == 0


WORKER = """
from agentdesk.lcm.client import CallRecord
from agentdesk.metrics import instruments
instruments.record_lcm_call(CallRecord("GetCallOutCome", "ok", 0.02))
instruments.record_action("next", "ok", 0.05)
"""

SCRAPER = """
import django
django.setup()
from django.test import Client
response = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_HOST="localhost")
assert response.status_code == 200, response.status_code
print(response.content.decode())
"""


def test_several_processes_add_up_in_multiprocess_mode(tmp_path):
    """Two workers count into PROMETHEUS_MULTIPROC_DIR; a third one's /metrics shows the sum."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "agentdesk.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "AGENTDESK_DATA_DIR": str(tmp_path / "data"),
        "AGENTDESK_DEMO": "1",  # the bundled LCM, on purpose
    }
    for _ in range(2):
        subprocess.run([sys.executable, "-c", WORKER], cwd=ROOT, env=env, check=True, timeout=60)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    out = subprocess.run(
        [sys.executable, "-c", SCRAPER],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(out)
        for s in family.samples
    }
    assert (
        samples[("agentdesk_lcm_calls_total", (("result", "ok"), ("subtopic", "GetCallOutCome")))]
        == 2
    )
    assert samples[("agentdesk_actions_total", (("kind", "next"), ("result", "ok")))] == 2
    assert samples[("agentdesk_action_seconds_count", (("kind", "next"),))] == 2
    assert ("agentdesk_open_sockets", (("kind", "agent"),)) in samples


@pytest.mark.django_db(transaction=True)
def test_agent_actions_are_counted_by_kind_and_result_with_their_duration(agents):
    from agentdesk.desk import actions

    from .helpers import add_contact

    add_contact(phone="2025550181")
    alice = agents["alice"]

    def now(kind: str, result: str) -> tuple[float, float]:
        return (
            counted("agentdesk_actions_total", kind=kind, result=result),
            counted("agentdesk_action_seconds_count", kind=kind),
        )

    next_ok, next_timed = now("next", "ok")
    skip_ok, _ = now("skip", "ok")
    asyncio.run(actions.next_contact(alice, campaign_group="Sales Manual Group", consent="Both"))
    asyncio.run(actions.skip_contact(alice, outcome_id=8))
    assert now("next", "ok") == (next_ok + 1, next_timed + 1)
    assert now("skip", "ok")[0] == skip_ok + 1
    assert (REGISTRY.get_sample_value("agentdesk_action_seconds_sum", {"kind": "next"}) or 0) > 0

    set_fault("down")
    down_before = counted("agentdesk_actions_total", kind="next", result="unreachable")
    asyncio.run(actions.next_contact(alice, campaign_group="Sales Manual Group", consent="Both"))
    assert counted("agentdesk_actions_total", kind="next", result="unreachable") == down_before + 1
    samples = scrape()
    assert samples[("agentdesk_actions_total", (("kind", "next"), ("result", "ok")))] >= 1
