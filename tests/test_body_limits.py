"""Oversized request bodies: refused with 413 before a worker buffers them, measured on the RSS
of a real Daphne process."""

import json
import re
import socket
import threading
import time

import httpx
import pytest

from .conftest import Server, free_port, server_env

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024
CSV_LIMIT = 4 * MB
BOUNDARY = "agentdesk-test-boundary"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    port = free_port()
    running = Server(
        ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "agentdesk.asgi:application"],
        port,
        server_env(LCM_URL="embedded", CSV_UPLOAD_MAX_BYTES=str(CSV_LIMIT)),
        "/accounts/login/",
    )
    yield running
    running.stop()


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as handle:
        status = handle.read()
    found = re.search(rf"{field}:\s+(\d+)", status)
    assert found, f"{field} missing from /proc/{pid}/status"
    return int(found.group(1)) / 1024


def reset_peak(pid: int) -> None:
    with open(f"/proc/{pid}/clear_refs", "w") as handle:
        handle.write("5")  # resets VmHWM to the current RSS


def multipart(size: int, token: str):
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f'{token}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="username"\r\n\r\n'
        f'agent1\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    line = b"Name,PhoneNumber1\r\n" * (MB // 19)

    def chunks():
        yield head
        sent = 0
        while sent < size:
            piece = line[: size - sent]
            sent += len(piece)
            yield piece
        yield tail

    return chunks, len(head) + size + len(tail)


def post(server, path: str, size: int, *, chunked: bool = False) -> tuple[int, float, float]:
    """POST a `size`-byte upload; returns (status, idle RSS MB, peak RSS MB during it)."""
    page = httpx.get(server.url + "/accounts/login/")
    token = page.cookies["csrftoken"]
    chunks, length = multipart(size, token)
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Cookie": f"csrftoken={token}",
        "Referer": server.url + path,
    }
    if not chunked:
        headers["Content-Length"] = str(length)
    pid = server.process.pid
    time.sleep(0.3)
    idle = rss_mb(pid)
    reset_peak(pid)
    polled = [idle]
    done = threading.Event()

    def poll():
        while not done.is_set():
            polled.append(rss_mb(pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=poll)
    watcher.start()
    try:
        response = httpx.post(server.url + path, content=chunks(), headers=headers, timeout=120)
    finally:
        time.sleep(0.3)
        done.set()
        watcher.join()
    return response.status_code, idle, max(max(polled), rss_mb(pid, "VmHWM"))


def test_a_100_mb_upload_to_the_login_page_is_refused_without_memory_growth(server):
    status, idle, peak = post(server, "/accounts/login/", 100 * MB)
    assert status == 413
    assert peak - idle < 20, (idle, peak)


def test_a_streamed_300_mb_upload_without_length_is_refused_by_its_byte_count(server):
    status, idle, peak = post(server, "/accounts/login/", 300 * MB, chunked=True)
    assert status == 413
    assert peak - idle < 20, (idle, peak)


def test_the_csv_upload_has_its_own_larger_limit(server):
    status, idle, peak = post(server, "/imports/1/", 3 * MB)
    assert status != 413  # reaches the app (which sends the anonymous visitor to log in)
    assert peak - idle < 40, (idle, peak)
    status, _, _ = post(server, "/accounts/login/", 3 * MB)
    assert status == 413
    status, idle, peak = post(server, "/imports/1/", 100 * MB)
    assert status == 413
    assert peak - idle < 20, (idle, peak)


def test_the_refusal_comes_on_the_headers_alone(server):
    """The client announces 300 MB and sends none of it: the 413 arrives anyway, and a client
    asking to continue is not told to."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Expect: 100-continue\r\nContent-Length: 314572800\r\n\r\n"
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert b"100 Continue" not in answer
    assert b"at most 1,048,576 bytes" in answer


def test_the_api_gets_its_refusal_in_its_json_envelope(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/dialler/contacts/import HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
        )
        answer = sock.recv(4096)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"application/json" in head
    envelope = json.loads(body)
    assert envelope["status"] == 413 and envelope["records"] == [] and envelope["count"] == 0


def test_small_requests_still_work(server):
    page = httpx.get(server.url + "/accounts/login/")
    assert page.status_code == 200
    response = httpx.post(
        server.url + "/accounts/login/",
        data={
            "username": "nobody",
            "password": "x",
            "csrfmiddlewaretoken": page.cookies["csrftoken"],
        },
        cookies=page.cookies,
    )
    assert response.status_code == 200 and b"match" in response.content


def test_a_chunked_api_body_over_the_api_limit_is_refused_in_the_envelope(server):
    """Without Content-Length the API's 256 KiB limit used to read the length as 0 and let a
    chunked body of up to the site-wide 1 MiB through to the parser."""
    from agentdesk.dialler.models import ApiToken

    _, raw = ApiToken.issue("crm")
    reason = "x" * (300 * 1024)
    body = json.dumps({"PhoneNumber": "+12025550100", "Reason": reason}).encode()

    def chunks():
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
    response = httpx.post(server.url + "/api/dnc", content=chunks(), headers=headers, timeout=60)
    assert response.status_code == 413, response.text
    assert response.json()["status"] == 413 and "256 KiB" in response.json()["message"]
    small = json.dumps({"PhoneNumber": "+12025550100"}).encode()
    accepted = httpx.post(
        server.url + "/api/dnc", content=iter([small]), headers=headers, timeout=60
    )
    assert accepted.status_code == 201, accepted.text
