"""Small builders shared by the tests; contacts go through the simulator's own CreateContact."""

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from asgiref import sync
from django.utils import timezone

from agentdesk.lcm import messages as m
from agentdesk.lcm.xmlfields import ContactMode
from agentdesk.lcmsim import service

EASTERN = "(UTC-05:00) Eastern Time (US and Canada)"


def wait_until(check: Callable[[], Any], seconds: float = 10, what: str = "") -> Any:
    """Wait for state: `check()` again and again until it is true (its value is returned), or
    fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert value, what or f"{getattr(check, '__name__', check)} still false after {seconds} s"
    return value


async def eventually(check: Callable[[], Any], seconds: float = 10, what: str = "") -> Any:
    """`wait_until` for async tests; `check` is sync (it may use the ORM) and runs in a thread."""
    deadline = time.monotonic() + seconds
    while True:
        value = await sync.sync_to_async(check)()
        if value or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.02)
    assert value, what or f"{getattr(check, '__name__', check)} still false after {seconds} s"
    return value


def add_contact(
    campaign: str = "Spring Renewals",
    phone: str = "2025550100",
    *,
    status: int = 0,
    call_type: str = "0",
    agent_id: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    first_name: str = "Test",
    consent: bool | None = None,
) -> str:
    """Create a contact in the simulator; returns its LCM key."""
    now = timezone.localtime().replace(tzinfo=None)
    fields = {"first_name": first_name, "last_name": "Person"}
    if consent is not None:
        fields["consent"] = "true" if consent else "false"
    answer = service.create_contact(
        m.CreateContact(
            campaign_id=campaign,
            call_start=start or now - timedelta(minutes=1),
            call_end=end or now + timedelta(days=5),
            business_fields=fields,
            modes=(ContactMode("Home", phone, EASTERN),),
            call_type=call_type,
            agent_id=agent_id,
            status=status,
        )
    )
    return answer.lcm_key


async def log_into(communicator, user) -> None:
    """Give a consumer-level communicator the scope the real stack builds: a stored login
    session for `user`, and the user."""
    from asgiref.sync import sync_to_async
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    def session_key() -> str:
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    key = await sync_to_async(session_key)()
    communicator.scope["session"] = SessionStore(session_key=key)
    communicator.scope["user"] = user


def import_payload(*, omit: tuple[str, ...] = (), **fields: object) -> dict[str, object]:
    """A contact for the import API (seed 003): the smallest valid body, a campaign by ID, a
    name and a number, with `fields` added or replaced and the names in `omit` left out."""
    payload: dict[str, object] = {
        "DiallerCampaignsID": 538,
        "Name": "A",
        "PhoneNumber1": "+1 202 555 0100",
    }
    if "DiallerCampaignsName" in fields:
        del payload["DiallerCampaignsID"]
    payload.update(fields)
    for name in omit:
        del payload[name]
    return payload


@contextmanager
def thread_hops() -> Iterator[list[str]]:
    """The name of every function sent to a thread through asgiref inside the block."""
    seen: list[str] = []
    original = sync.SyncToAsync.__init__

    def recording(self, func, *args, **kwargs):
        seen.append(getattr(func, "__qualname__", repr(func)))
        original(self, func, *args, **kwargs)

    sync.SyncToAsync.__init__ = recording  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        sync.SyncToAsync.__init__ = original  # type: ignore[method-assign]


# ------------------------------------------------------------------ the agent page over HTTP

HTMX = {"HX-Request": "true"}
SALES = {"campaign_group": "Sales Manual Group", "consent": "Both"}


# The actions about the contact on screen: the page names the contact it shows.
CONTACT_ACTION_PATHS = (
    "/desk/skip",
    "/desk/hand-back",
    "/desk/confirm-dial",
    "/desk/preview-expired",
)


def shown_fields(agent: Any) -> dict[str, str]:
    """What the agent's page, up to date, sends with an action about the contact on screen:
    the contact's LCM key and the session version (desk/onscreen.py)."""
    from agentdesk.desk import state
    from agentdesk.desk.onscreen import key_on_screen

    session = state.session_for(agent)
    return {"contact_key": key_on_screen(session) or "", "session_version": str(session.version)}


def shown_in(html: str) -> dict[str, str]:
    """The contact the page last rendered in `html` names (its hidden fields), as the page
    sends it with an action about the contact on screen."""
    import html as markup
    import re

    found: dict[str, str] = {}
    for name in ("contact_key", "session_version"):
        values = re.findall(rf'name="{name}" value="([^"]*)"', html)
        if values:
            found[name] = markup.unescape(values[-1])
    return found


def post_for_screen(
    client: Any, path: str, data: dict[str, Any] | None = None, **extra: Any
) -> Any:
    """`client.post` as an up-to-date agent page sends an action about the contact on screen:
    naming the contact stored now, unless `data` names one."""
    data = dict(data or {})
    if "contact_key" not in data:
        from agentdesk.desk.models import AgentProfile

        agent = AgentProfile.objects.get(user_id=client.session["_auth_user_id"])
        data = {**shown_fields(agent), **data}
    return client.post(path, data, **extra)


def post_as_page(client: Any, path: str, data: dict[str, Any] | None = None) -> str:
    """POST as the agent page's htmx does; the answer's HTML. An action about the contact on
    screen names the contact stored now (an up-to-date page) unless `data` names one."""
    if path in CONTACT_ACTION_PATHS:
        response = post_for_screen(client, path, data, headers=HTMX)
    else:
        response = client.post(path, data or {}, headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def banner(html: str) -> str:
    start = html.index('id="banner"')
    return html[start : html.index("</div>", start)]


def add_form(**fields: Any) -> dict[str, Any]:
    """The agent page's Add contact form, filled in; `fields` change or add fields."""
    now = timezone.localtime()
    data = {
        "campaign": "Spring Renewals",
        "last_name": "Person",
        "mode1_name": "Home",
        "mode1_number": "(202) 555-0100",
        "mode1_tz": EASTERN,
        "callback_start": now.strftime("%Y-%m-%dT%H:%M"),
        "callback_end": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "call_type": "0",
        "priority": "0",
        "status": "0",
    }
    return {**data, **fields}


class AddAnswer:
    """An Add as a page sends it: the outcome, and the Add form as the answer shows it again."""

    def __init__(self, outcome: Any, form: Any) -> None:
        self.outcome = outcome
        self.form = form
        self.ok, self.message, self.level = outcome.ok, outcome.message, outcome.level
        self.lcm_key = outcome.lcm_key


async def add_through_form(profile: Any, data: Any) -> AddAnswer:
    """The Add form read by the input layer (desk/inputs.py), the action, and the form as the
    answer builder (desk/answer.py) shows it again."""
    from agentdesk.desk import answer, inputs
    from agentdesk.desk.actions import ActionContext

    context = ActionContext(profile)
    handled = await inputs.add(context, data)
    form = await answer.add_form_shown(handled.outcome, handled.add_form, context)
    return AddAnswer(handled.outcome, form)
