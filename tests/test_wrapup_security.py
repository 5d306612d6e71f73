"""A hostile agent, lead or anonymous user against the wrap-up: other agents' contacts and
callbacks, stale screens, replayed tokens, and input built to break the checks."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from agentdesk.desk import actions, wrapup
from agentdesk.desk.models import AgentSession, Callback
from agentdesk.desk.onscreen import Shown
from agentdesk.lcmsim.models import Contact

from .helpers import HTMX, add_contact
from .test_callbacks import callback_form

pytestmark = pytest.mark.django_db(transaction=True)
SALES = "Sales Manual Group"
NY = "America/New_York"


@sync_to_async
def db(func, *args, **kwargs):
    return func(*args, **kwargs)


async def on_screen(profile) -> AgentSession:
    result = await actions.next_contact(profile, campaign_group=SALES, consent="Both")
    assert result.ok and result.session is not None, result.message
    return result.session


@pytest.fixture
def key(agents) -> str:
    return add_contact()


# ------------------------------------------------------------------ another agent's contact


async def test_a_callback_form_naming_another_agents_contact_books_nothing(agents, key):
    """Bob copies alice's key and version into his own form: he has nothing on screen."""
    alice, bob = agents["alice"], agents["bob"]
    session = await on_screen(alice)
    form = await callback_form(session)
    done = await wrapup.book_callback(bob, form)
    assert not done.result.ok
    assert await db(Callback.objects.count) == 0


async def test_a_callback_form_for_another_agents_contact_while_holding_ones_own(agents, key):
    await db(add_contact, phone="2025550101")
    alice, bob = agents["alice"], agents["bob"]
    a = await on_screen(alice)
    b = await on_screen(bob)
    # bob's form names alice's contact with bob's own version
    form = await callback_form(a, session_version=str(b.version))
    done = await wrapup.book_callback(bob, form)
    assert not done.result.ok and "contact on your screen changed" in done.result.message
    assert await db(Callback.objects.count) == 0


# ------------------------------------------------------------------ input built to break


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lead_score", "1e9"),
        ("lead_score", "-1"),
        ("lead_score", "NaN"),
        ("target_amount", "-5"),
        ("target_amount", "NaN"),
        ("target_amount", "Infinity"),
        ("target_amount", "1e30"),
        ("comment", "x" * 1_000_000),
        ("comment", "evil\x00byte"),
        ("comment", "bell\x07"),
        ("mode_id", "999999"),
        ("mode_id", "1e3"),
        ("kind", "supervisor"),
        ("start", "2026-02-30T10:00"),
        ("start", "not a date"),
    ],
)
async def test_bad_callback_fields_are_refused_naming_the_field(agents, key, field, value):
    alice = agents["alice"]
    session = await on_screen(alice)
    form = await callback_form(session, **{field: value})
    done = await wrapup.book_callback(alice, form)
    assert not done.result.ok
    assert done.form is not None and field in done.form.errors, done.form.errors
    assert await db(Callback.objects.count) == 0


@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:30", "0001-01-01T00:10"],
)
async def test_a_window_at_the_edge_of_the_calendar_is_refused_not_a_crash(agents, key, moment):
    alice = agents["alice"]
    session = await on_screen(alice)
    form = await callback_form(session, start=moment, end=moment[:-2] + "59")
    done = await wrapup.book_callback(alice, form)
    assert not done.result.ok
    assert done.form is not None and "start" in done.form.errors, done.form.errors
    assert await db(Callback.objects.count) == 0


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "sNaN", "1e999999"])
def test_a_number_field_takes_only_a_finite_plain_number(value):
    from agentdesk.desk.wrapup_forms import FieldsForm
    from agentdesk.lcm import wrapup as w

    fields = (w.BusinessField("balance", "12.50", "Number", "", True),)
    form = FieldsForm({"field_0": value}, fields=fields)
    assert not form.is_valid()
    assert "takes a number" in form.errors["field_0"][0]


def test_a_number_field_still_takes_a_number():
    from agentdesk.desk.wrapup_forms import FieldsForm
    from agentdesk.lcm import wrapup as w

    fields = (w.BusinessField("balance", "12.50", "Number", "", True),)
    for value in ("13", "-4.75", "0,5"):
        form = FieldsForm({"field_0": value}, fields=fields)
        assert form.is_valid(), (value, form.errors)


def test_business_field_names_and_values_from_lcm_are_shown_as_text(agents, client):
    """LCM's business fields (names and values) reach the card and the panel escaped."""
    from agentdesk.lcmsim.models import Campaign

    evil = '<img src=x onerror="alert(1)">'
    add_contact(first_name=evil)
    contact = Contact.objects.get()
    contact.business_fields = {**contact.business_fields, evil: "x", "notes": evil}
    contact.save(update_fields=["business_fields"])
    Campaign.objects.filter(pk=contact.campaign_id).update(
        editable_fields=[evil, "notes", "first_name"]
    )
    client.force_login(agents["alice"].user)
    page = client.post("/desk/next", {"campaign_group": SALES, "consent": "Both"}, headers=HTMX)
    assert page.status_code == 200
    panel = client.get("/desk/wrapup", headers=HTMX).content.decode()
    assert "&lt;img src=x" in panel
    assert "<img src=x" not in panel
    whole = client.get("/").content.decode()
    assert "<img src=x" not in whole


@pytest.mark.parametrize("comment", ["nul\x00byte", "escape\x1b[31m", "bell\x07"])
async def test_a_close_comment_with_a_control_character_is_refused_and_nothing_closed(
    agents, key, comment
):
    """A NUL byte stored in the log would break PostgreSQL's write after LCM closed the
    contact; any control character would reach the export and the webhooks."""
    alice = agents["alice"]
    session = await on_screen(alice)
    shown = Shown(key, session.version)
    result = await actions.skip_contact(alice, outcome_id="8", shown=shown, comment=comment)
    assert not result.ok and "Comment" in result.message and "control character" in result.message
    after = await db(AgentSession.objects.get, agent=alice)
    assert after.state == AgentSession.PREVIEWING
    assert (await db(Contact.objects.get, lcm_key=key)).held_by == "a1@test"


# ------------------------------------------------------------------ the lead's callbacks


def test_a_personal_callback_cannot_be_moved_to_an_agent_who_left(agents, client):
    """The panel offers only active agents; a hand-made form naming one who left is refused,
    nothing is sent to LCM."""
    from .test_callbacks import _booked

    alice, bob = agents["alice"], agents["bob"]
    row = _booked(alice)
    bob.user.is_active = False
    bob.user.save(update_fields=["is_active"])
    client.force_login(agents["lead"])
    url = f"/monitor/{alice.team_id}/callbacks/{row.pk}/reassign"
    answer = client.post(url, {"agent": str(bob.pk)}).content.decode()
    assert "choose an agent of this team" in answer, answer[:400]
    assert Callback.objects.get(pk=row.pk).status == Callback.BOOKED
    assert Callback.objects.count() == 1


def test_a_lead_cannot_move_another_teams_callback_through_their_own_team(agents, client):
    from .test_callbacks import _booked

    carol = agents["carol"]
    row = _booked(carol)
    client.force_login(agents["lead"])
    url = f"/monitor/{agents['alice'].team_id}/callbacks/{row.pk}/reassign"
    answer = client.post(url, {"agent": str(agents["bob"].pk)}).content.decode()
    assert "no longer be moved" in answer
    assert Callback.objects.get(pk=row.pk).status == Callback.BOOKED
    # and not without CSRF: the browser form carries the token
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agents["lead"])
    assert strict.post(url, {"agent": str(agents["bob"].pk)}).status_code == 403


# ------------------------------------------------------------------ the export


@pytest.mark.parametrize(
    "comment", ['=HYPERLINK("http://x")', "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3"]
)
def test_a_comment_a_spreadsheet_would_run_is_exported_as_text(agents, key, client, comment):
    import csv
    import io

    from .helpers import post_for_screen

    client.force_login(agents["alice"].user)
    client.post("/desk/next", {"campaign_group": SALES, "consent": "Both"}, headers=HTMX)
    post_for_screen(client, "/desk/skip", {"outcome": "8", "comment": comment}, headers=HTMX)
    client.force_login(agents["lead"])
    body = client.get(f"/monitor/{agents['alice'].team_id}/export.csv").content.decode()
    row = next(r for r in csv.DictReader(io.StringIO(body)) if r["action"] == "skip")
    assert row["comment"] == "'" + comment


# ------------------------------------------------------------------ CSRF and anonymous


WRAPUP_POSTS = (
    "/desk/wrapup/callback",
    "/desk/wrapup/dial",
    "/desk/wrapup/fields",
    "/desk/wrapup/number",
    "/desk/skip",
    "/desk/hand-back",
)


@pytest.mark.parametrize("path", WRAPUP_POSTS)
def test_wrapup_posts_need_the_csrf_token_and_a_login(agents, key, path):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agents["alice"].user)
    strict.post("/desk/next", {"campaign_group": SALES, "consent": "Both"})  # refused as well
    assert strict.post(path, {"outcome": "8"}).status_code == 403
    anonymous = Client()
    answer = anonymous.post(path, {"outcome": "8"})
    assert answer.status_code in (302, 401, 403)
    assert Callback.objects.count() == 0
    assert AgentSession.objects.filter(state=AgentSession.PREVIEWING).count() == 0


# ------------------------------------------------------------------ the key as LCM gave it


def test_a_long_lcm_key_still_names_the_contact_on_screen(agents):
    """LCM's key is opaque: a page that sends back a 250-character key it was given must be
    able to act on it (cut to 200 characters it never matched: the agent was stuck)."""
    from agentdesk.desk import onscreen

    key = "7|" + "x" * 240 + "|84|77"
    session = AgentSession(
        agent=agents["alice"],
        state=AgentSession.PREVIEWING,
        contact={"AccountNumber": key},
        version=5,
        contact_version=4,
    )
    shown, problem = onscreen.read_shown({"contact_key": key, "session_version": "5"})
    assert shown is not None, problem
    assert onscreen.still_on_screen(session, shown)
    other, _ = onscreen.read_shown({"contact_key": key[:-1] + "8", "session_version": "5"})
    assert other is not None and not onscreen.still_on_screen(session, other)


def test_a_comment_with_markup_reaches_the_monitor_as_text(agents, key, client):
    from .helpers import post_for_screen

    evil = '<img src=x onerror="alert(1)">'
    client.force_login(agents["alice"].user)
    client.post("/desk/next", {"campaign_group": SALES, "consent": "Both"}, headers=HTMX)
    post_for_screen(client, "/desk/skip", {"outcome": "8", "comment": evil}, headers=HTMX)
    assert "<img src=x" not in client.get("/").content.decode()
    client.force_login(agents["lead"])
    team = agents["alice"].team_id
    for path in (f"/monitor/{team}/", f"/monitor/{team}/history/"):
        page = client.get(path)
        assert page.status_code == 200
        assert "<img src=x" not in page.content.decode()
