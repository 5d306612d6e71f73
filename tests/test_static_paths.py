"""A static path that climbs out of the static directories is a 404 with nothing in the log,
however it is written; real static files are still served. Requests go raw over a socket to
agentdesk under Daphne so no client normalises the path first."""

import socket

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

CLIMBS = [
    "/static/..%2f..%2fsettings.py",
    "/static/..%2F..%2Fagentdesk%2Fsettings.py",
    "/static/%2e%2e/%2e%2e/agentdesk/settings.py",
    "/static/%2E%2E%2F%2E%2E%2Fagentdesk%2Fsettings.py",
    "/static/../agentdesk/settings.py",
    "/static/css/../../agentdesk/settings.py",
    "/static/%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/static/..%5c..%5csettings.py",
    "/static/%252e%252e%252fsettings.py",
    "/static/agentdesk/agentdesk.css%00.py",
]


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("target", CLIMBS)
def test_a_path_out_of_the_static_directories_is_a_404_without_a_traceback(app_server, target):
    before = len(app_server.log())
    status, body = raw_get(app_server.port, target)
    assert status == 404, body[:300]
    assert b"SECRET_KEY" not in body and b"root:" not in body
    assert "Traceback" not in app_server.log()[before:]


def test_real_static_files_are_still_served(app_server):
    status, body = raw_get(app_server.port, "/static/agentdesk/agentdesk.css")
    assert status == 200
    assert body
