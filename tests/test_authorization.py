"""Who may do what: every route × every kind of visitor, as a table."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from agentdesk.asgi import application
from agentdesk.dialler.models import ApiToken, DiallerCampaign, ImportJob
from agentdesk.teams.models import Team

from .helpers import import_payload

pytestmark = pytest.mark.django_db(transaction=True)
ROLES = ["anonymous", "agent", "other_agent", "lead", "other_lead", "staff"]


@pytest.fixture
def people(agents):
    users = get_user_model().objects
    green = Team.objects.get(name="Green")
    other_lead = users.create(username="gina", password="!")
    green.leads.add(other_lead)
    staff = users.create(username="sam", password="!", is_staff=True)
    blue = agents["alice"].team
    job = ImportJob.objects.create(team=blue, created_by=agents["lead"], file_name="x.csv")
    return {
        "users": {
            "agent": agents["alice"].user,
            "other_agent": agents["carol"].user,
            "lead": agents["lead"],
            "other_lead": other_lead,
            "staff": staff,
        },
        "blue": blue,
        "green": green,
        "job": job,
    }


def client_as(people, role, **kwargs) -> Client:
    client = Client(**kwargs)
    if role != "anonymous":
        client.force_login(people["users"][role])
    return client


# (method, url template, expected status per role in ROLES order)
HTTP_MATRIX = [
    ("get", "/", [302, 200, 200, 302, 302, 403]),
    ("post", "/desk/next", [401, 200, 200, 403, 403, 403]),
    ("post", "/desk/skip", [401, 200, 200, 403, 403, 403]),
    ("post", "/desk/add", [401, 200, 200, 403, 403, 403]),
    ("get", "/monitor/", [302, 403, 403, 302, 302, 403]),
    ("get", "/monitor/{blue}/", [302, 403, 403, 200, 404, 403]),
    ("get", "/monitor/{blue}/export.csv", [302, 404, 404, 200, 404, 404]),
    ("get", "/imports/{blue}/", [302, 404, 404, 200, 404, 404]),
    ("get", "/imports/{blue}/{job}/", [302, 404, 404, 200, 404, 404]),
    ("get", "/imports/{blue}/{job}/results.csv", [302, 404, 404, 200, 404, 404]),
    ("get", "/admin/", [302, 302, 302, 302, 302, 200]),
    ("get", "/api/dialler/campaigns", [401, 401, 401, 401, 401, 401]),
    ("get", "/healthz", [200, 200, 200, 200, 200, 200]),
]


@pytest.mark.parametrize(
    ("method", "url", "expected"), HTTP_MATRIX, ids=[f"{m} {u}" for m, u, _ in HTTP_MATRIX]
)
def test_http_matrix(people, method, url, expected):
    path = url.format(blue=people["blue"].pk, job=people["job"].pk)
    got = []
    for role in ROLES:
        client = client_as(people, role)
        extra = {"HTTP_HX_REQUEST": "true"} if method == "post" else {}
        response = getattr(client, method)(path, **extra)
        got.append(response.status_code)
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True))


API = "/api/dialler/contacts/import"


def test_api_token_matrix(people):
    campaign = DiallerCampaign.objects.create(name="Spring Renewals", time_zone="")
    other = DiallerCampaign.objects.create(name="Service Follow-up", time_zone="")
    _, valid = ApiToken.issue("valid")
    revoked_token, revoked = ApiToken.issue("revoked")
    ApiToken.objects.filter(pk=revoked_token.pk).update(revoked_at=timezone.now())
    limited_token, limited = ApiToken.issue("limited")
    limited_token.campaigns.set([campaign])
    cases = [
        (None, campaign, 401),
        ("adk_wrong", campaign, 401),
        (revoked, campaign, 401),
        (valid, campaign, 200),
        (limited, campaign, 200),
        (limited, other, 404),  # exactly like a campaign that does not exist
    ]
    for token, target, expected in cases:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        response = Client(**headers).post(
            API,
            data=json.dumps(import_payload(DiallerCampaignsID=target.pk)),
            content_type="application/json",
        )
        assert response.status_code == expected, (token, target.name, response.content)
    # A logged-in session is no API credential.
    session = client_as(people, "staff").post(
        API,
        data=json.dumps(import_payload(DiallerCampaignsID=campaign.pk)),
        content_type="application/json",
    )
    assert session.status_code == 401


CSRF_POSTS = [
    "/desk/next",
    "/desk/skip",
    "/desk/add",
    "/desk/select",
    "/accounts/logout/",
    "/imports/{blue}/",
    "/imports/{blue}/{job}/start",
]


@pytest.mark.parametrize("url", CSRF_POSTS)
def test_csrf_is_enforced_on_every_form(people, url):
    role = "agent" if url.startswith("/desk") else "lead"
    client = client_as(people, role, enforce_csrf_checks=True)
    path = url.format(blue=people["blue"].pk, job=people["job"].pk)
    assert client.post(path, {}, HTTP_HX_REQUEST="true").status_code == 403


def test_login_form_has_csrf_too(people):
    response = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"}
    )
    assert response.status_code == 403


def cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


# (path template, roles that may connect)
SOCKET_MATRIX = [
    ("/ws/desk/", {"agent", "other_agent"}),
    ("/ws/monitor/{blue}/", {"lead"}),
    ("/ws/imports/{job}/", {"lead"}),
]


@pytest.mark.parametrize(("path", "allowed"), SOCKET_MATRIX, ids=[p for p, _ in SOCKET_MATRIX])
async def test_socket_matrix(people, path, allowed):
    target = path.format(blue=people["blue"].pk, job=people["job"].pk)
    for role in ROLES:
        headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
        if role != "anonymous":
            headers.append((b"cookie", await sync_to_async(cookie_for)(people["users"][role])))
        communicator = WebsocketCommunicator(application, target, headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected is (role in allowed), (role, target)
        await communicator.disconnect()


@pytest.mark.parametrize("path", ["/ws/desk/", "/ws/monitor/{blue}/"])
async def test_foreign_origins_are_refused_everywhere(people, path):
    role = "agent" if path == "/ws/desk/" else "lead"
    cookie = await sync_to_async(cookie_for)(people["users"][role])
    communicator = WebsocketCommunicator(
        application,
        path.format(blue=people["blue"].pk),
        headers=[
            (b"origin", b"https://evil.example"),
            (b"host", b"localhost"),
            (b"cookie", cookie),
        ],
    )
    connected, _ = await communicator.connect(timeout=5)
    assert not connected
