"""Where webhooks may go: a destination that is, or resolves to, a loopback, link-local,
private or unspecified address is refused on save (saying why) and at delivery (logged as
refused, never sent), in every spelling of such an address, unless WEBHOOK_ALLOWED_NETWORKS
allows it; redirects are not followed; a deactivated endpoint gets no queued retry."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.utils import timezone

from agentdesk.teams.models import Team
from agentdesk.webhooks import delivery as http
from agentdesk.webhooks import destinations, payloads, tasks
from agentdesk.webhooks.models import Delivery, Endpoint

from .test_webhooks import SECRET, Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def no_networks_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []


@pytest.fixture
def dns(monkeypatch):
    """Names resolve as the test says (a rebinding DNS server, a name for a private host)."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in names[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


def send(url: str) -> http.AttemptOutcome:
    return http.post(url, SECRET, "{}", event_type="test", event_id="e1", timeout=2)


LOOPBACK_FORMS = [
    "127.0.0.1",
    "localhost",
    "LOCALHOST",
    "127.1",
    "2130706433",  # 127.0.0.1 as one decimal number
    "0x7f000001",
    "0177.0.0.1",
    "127.0.0.1.",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
    "[::127.0.0.1]",
    "[64:ff9b::127.0.0.1]",
    "[2002:7f00:1::1]",
    "0.0.0.0",  # noqa: S104 - a destination, not a bind
    "[::]",
]


@pytest.mark.parametrize("host", LOOPBACK_FORMS)
def test_every_spelling_of_this_machine_is_refused_and_nothing_is_sent(
    no_networks_allowed, receiver, host
):
    port = receiver.server.server_address[1]
    outcome = send(f"http://{host}:{port}/hooks/agentdesk")
    assert outcome.refused and not outcome.ok
    assert outcome.error.startswith("refused, not sent:")
    assert "webhooks go only to public addresses" in outcome.error or (
        "cannot be resolved" in outcome.error  # "127.0.0.1." is no name the resolver knows
    )
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "reserved"),
        ("[fe80::1]", "link-local"),
        ("[fd00::1]", "private"),
        ("[::ffff:169.254.169.254]", "link-local"),
        ("224.0.0.1", "multicast"),
        ("[fec0::1]", "site-local"),
        ("0", "unspecified"),
        ("[::ffff:a00:1]", "private"),
    ],
)
def test_internal_networks_and_cloud_metadata_are_refused(no_networks_allowed, address, kind):
    outcome = send(f"http://{address}/latest/meta-data/")
    assert outcome.refused
    assert f" {kind} address" in outcome.error


def test_a_name_resolving_to_a_private_address_is_refused(no_networks_allowed, dns):
    dns["crm.example.com"] = ["93.184.216.34", "10.0.0.5"]  # one bad address is enough
    outcome = send("https://crm.example.com/hook")
    assert outcome.refused
    assert "crm.example.com resolves to 10.0.0.5 is a private address" in outcome.error


def test_the_request_goes_to_the_address_that_was_checked(dns, receiver):
    """A rebinding name cannot switch addresses between the check and the connection: the
    connection goes to the checked address, with the URL's name in the Host header."""
    port = receiver.server.server_address[1]
    dns["crm.example.com"] = ["127.0.0.1"]
    outcome = send(f"http://crm.example.com:{port}/hooks/agentdesk")
    assert outcome.ok, outcome.error
    assert receiver.requests[0]["headers"]["Host"] == f"crm.example.com:{port}"
    assert receiver.requests[0]["verified"]


def test_the_allowed_networks_let_an_internal_crm_through(settings, receiver):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    port = receiver.server.server_address[1]
    assert send(f"http://127.0.0.1:{port}/hooks/agentdesk").ok
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert send(f"http://127.0.0.1:{port}/hooks/agentdesk").refused


def test_a_redirect_to_an_internal_address_is_not_followed(receiver):
    """A public receiver answering 302 to an internal page is a failure; nothing is fetched."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    target = f"http://127.0.0.1:{receiver.server.server_address[1]}/internal"

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        outcome = send(f"http://127.0.0.1:{server.server_address[1]}/hook")
    finally:
        server.shutdown()
        server.server_close()
    assert not outcome.ok and outcome.status_code == 302
    assert receiver.requests == []


def test_the_admin_refuses_an_internal_endpoint_and_says_why(no_networks_allowed, admin_client):
    team = Team.objects.create(name="Blue")
    answer = admin_client.post(
        "/admin/webhooks/endpoint/add/",
        {
            "team": team.pk,
            "url": "http://169.254.169.254/latest/meta-data/",
            "secret": SECRET,
            "events": '["test"]',
            "active": "on",
            "description": "",
            "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00",
        },
    )
    assert answer.status_code == 200
    assert "Webhooks cannot be sent there: 169.254.169.254 is a link-local address" in (
        answer.content.decode()
    )
    assert not Endpoint.objects.exists()


def test_a_refused_delivery_is_logged_as_refused(no_networks_allowed, dns):
    dns["crm.example.com"] = ["127.0.0.1"]  # saved when it was public; now it is not
    team = Team.objects.create(name="Blue")
    endpoint = Endpoint.objects.create(team=team, url="http://crm.example.com/h", secret=SECRET)
    assert tasks.schedule(endpoint, "test", "test:refused", payloads.test_data())
    row = Delivery.objects.get()
    assert tasks.deliver.call(row.pk) == "failed"
    attempt = row.attempt_log.get()
    assert attempt.status_code is None and attempt.response_excerpt == ""
    assert attempt.error.startswith("refused, not sent: crm.example.com resolves to 127.0.0.1")


def test_deactivating_an_endpoint_stops_the_retries_already_queued(receiver):
    receiver.statuses = [500]
    team = Team.objects.create(name="Blue")
    endpoint = Endpoint.objects.create(team=team, url=receiver.url, secret=SECRET)
    assert tasks.schedule(endpoint, "test", "test:deactivated", payloads.test_data())
    row = Delivery.objects.get()
    assert tasks.deliver.call(row.pk) == "failed"  # the retry is queued
    assert len(receiver.requests) == 1
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False)
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())  # the retry is due
    assert tasks.deliver.call(row.pk) == "not due"
    row.refresh_from_db()
    assert row.status == Delivery.FAILED and row.last_error == tasks.DEACTIVATED
    assert row.attempts == 1 and len(receiver.requests) == 1


def test_a_bad_allowed_network_is_named():
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is not a network"):
        destinations.parse_networks(["10.0.0.0/33"])


def test_a_name_server_that_never_answers_is_given_up_after_the_webhook_timeout(
    monkeypatch, settings
):
    """The lookup is bounded like the request: the job runner's thread is not held."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    answered = threading.Event()

    def silent_name_server(*args, **kwargs):
        answered.wait(5)  # the resolver waits for a name server that does not answer
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", silent_name_server)
    started = time.monotonic()
    try:
        outcome = send("https://crm.example.com/hooks/agentdesk")
    finally:
        answered.set()

    assert time.monotonic() - started < 2
    assert outcome.refused and not outcome.ok
    assert "crm.example.com could not be resolved within 0.3 s" in outcome.error
