"""The agent page and its endpoints over HTTP: login, CSRF, fragments, and identity."""

import pytest
from django.test import Client

from agentdesk.desk.models import AgentSession
from agentdesk.lcmsim.models import Contact

from .helpers import add_contact, post_for_screen

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice_client(agents):
    client = Client()
    client.force_login(agents["alice"].user)
    return client


def test_anonymous_visitors_are_sent_to_login(agents):
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = Client().post("/desk/next", **HTMX)
    # htmx is told to navigate to the login page, not handed the login page as a fragment
    assert response.status_code == 401 and response["HX-Redirect"] == "/accounts/login/"


def test_login_page_and_real_login(agents):
    client = Client()
    assert b"Log in" in client.get("/accounts/login/").content
    response = client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200 and b"a1@test" in page.content


def test_wrong_password_says_so(agents):
    response = Client().post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200 and b"didn't match" in response.content


def test_the_page_shows_groups_outcomes_shortcuts_and_the_socket(alice_client):
    add_contact()
    html = alice_client.get("/").content.decode()
    assert 'ws-connect="/ws/desk/"' in html
    assert "htmx-2.min.js" in html and "hx-ws-2.min.js" in html
    assert '<option value="Sales Manual Group" selected>' in html
    assert "<kbd>N</kbd>" in html and "<kbd>S</kbd>" in html and "<kbd>A</kbd>" in html
    assert 'name="request_token"' in html
    assert "X-CSRFToken" in html


def test_next_then_skip_over_http(alice_client):
    key = add_contact(phone="2025550142")
    response = alice_client.post(
        "/desk/next", {"campaign_group": "Sales Manual Group", "consent": "Both"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="contact-panel"' in html and 'hx-swap-oob="true"' in html
    assert 'href="tel:+1-202-555-0142"' in html and key in html
    assert "is on your screen" in html  # the banner
    assert '<option value="8">8 No Answer</option>' in html
    assert Contact.objects.get(lcm_key=key).held_by == "a1@test"

    again = alice_client.post("/desk/next", {"campaign_group": "Sales Manual Group"}, **HTMX)
    assert "skip it with an outcome first" in again.content.decode()

    skipped = post_for_screen(alice_client, "/desk/skip", {"outcome": "8"}, **HTMX).content.decode()
    assert "Skipped with outcome 8 No Answer." in skipped
    assert AgentSession.objects.get(agent__user__username="alice").state == "idle"


def test_the_browser_cannot_choose_who_acts(alice_client):
    """Extra fields naming another agent are ignored: the profile decides."""
    add_contact()
    alice_client.post(
        "/desk/next",
        {
            "campaign_group": "Sales Manual Group",
            "AgentID": "a2@test",
            "agent": "bob",
            "UserID": "a2@test",
        },
        **HTMX,
    )
    assert Contact.objects.get().held_by == "a1@test"


def test_csrf_is_enforced_on_actions(agents):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agents["alice"].user)
    add_contact()
    response = client.post("/desk/next", {"campaign_group": "Sales Manual Group"}, **HTMX)
    assert response.status_code == 403
    assert Contact.objects.get().status == Contact.OPEN
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/desk/next", {"campaign_group": "Sales Manual Group"}, HTTP_X_CSRFTOKEN=token, **HTMX
    )
    assert response.status_code == 200 and Contact.objects.get().status == Contact.IN_PROGRESS


def test_actions_only_accept_post(alice_client):
    assert alice_client.get("/desk/next").status_code == 405


def test_add_contact_errors_keep_what_was_typed(alice_client):
    response = alice_client.post(
        "/desk/add",
        {
            "campaign": "Spring Renewals",
            "first_name": "Ünïcode & <Co>",
            "mode1_number": "not a number",
            "mode1_name": "Home",
            "callback_start": "2030-01-01T09:00",
            "callback_end": "2030-02-01T09:00",
            "call_type": "0",
            "priority": "0",
            "status": "4",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Check the highlighted fields." in html
    assert 'value="Ünïcode &amp; &lt;Co&gt;"' in html
    assert "&#x27;not a number&#x27; is not a phone number" in html
    assert 'value="not a number"' in html


def test_a_user_without_agent_profile_gets_a_clear_403(agents):
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.create(username="nobody"))
    response = client.get("/")
    assert response.status_code == 403 and b"No agent profile" in response.content
    response = client.post("/desk/next", **HTMX)
    assert response.status_code == 403 and b"No agent profile" in response.content


def test_a_team_lead_on_the_agent_page_is_sent_to_the_monitor(agents):
    client = Client()
    client.force_login(agents["lead"])
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/monitor/"
    # acting as an agent stays refused: a lead has no agent identity to act with
    response = client.post("/desk/next", {"campaign_group": "Sales Manual Group"}, **HTMX)
    assert response.status_code == 403 and b"No agent profile" in response.content


def test_group_and_consent_choice_is_remembered(alice_client):
    alice_client.post(
        "/desk/select", {"campaign_group": "Service Manual Group", "consent": "true"}, **HTMX
    )
    session = AgentSession.objects.get(agent__user__username="alice")
    assert (session.campaign_group, session.consent) == ("Service Manual Group", "true")
    html = alice_client.get("/").content.decode()
    assert '<option value="Service Manual Group" selected>' in html
