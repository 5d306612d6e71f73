"""The agent page and its action endpoints: parse, authorize, call an action, render."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from agentdesk.shared.asyncdb import db_async

from . import answer, inputs, state, timeliness
from .actions import ActionContext
from .forms import AddContactForm
from .lookups import page_lookups
from .models import AgentProfile
from .rendering import desk_context


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails  # set by django-htmx's middleware


class AgentRequest(HtmxRequest):
    """A request of a logged-in agent: `agent_profile` says who acts (never the browser)."""

    agent_profile: AgentProfile


AgentView = Callable[[AgentRequest], Coroutine[Any, Any, HttpResponse]]
View = Callable[[HtmxRequest], Coroutine[Any, Any, HttpResponse]]


def _profile_of(user: AbstractBaseUser) -> AgentProfile | None:
    return AgentProfile.objects.select_related("user", "team").filter(user__pk=user.pk).first()


def _agent_of(request: HttpRequest) -> tuple[AbstractBaseUser | AnonymousUser, AgentProfile | None]:
    """The logged-in user (session and user read here, in one worker-thread trip with the
    profile, instead of a trip each) and their agent profile."""
    user = request.user
    if not user.is_authenticated:
        return user, None
    return user, _profile_of(user)


def agent_required(view: AgentView) -> View:
    """Logged in, with an agent profile. Not Django's login_required: an htmx request must be
    told to navigate to the login page (401 + HX-Redirect), not be redirected in place."""

    @wraps(view)
    async def wrapper(request: HtmxRequest) -> HttpResponse:
        user, profile = await db_async(_agent_of)(request)
        if not user.is_authenticated:
            if request.htmx:
                return HttpResponseClientRedirect(reverse("login"), status=401)
            return redirect_to_login(request.get_full_path())
        if profile is None:
            is_lead = await db_async(lambda: user.led_teams.exists())()
            if is_lead and request.method == "GET":
                return redirect("monitor:home")
            return await db_async(render)(request, "desk/no_profile.html", status=403)
        agent_request = cast(AgentRequest, request)
        agent_request.agent_profile = profile
        return await view(agent_request)

    return wrapper


@require_GET
@agent_required
async def agent_page(request: AgentRequest) -> HttpResponse:
    profile = request.agent_profile
    menu, groups = await page_lookups(profile)

    def build() -> dict[str, Any]:
        session = state.session_for(profile)
        session.agent = profile
        return desk_context(session, menu, groups)

    context = await db_async(build)()
    context["server_ms"] = timeliness.now_ms()  # the page's deadlines are in this clock
    context["form"] = AddContactForm(
        campaigns=groups.campaigns, campaigns_error=groups.campaigns_error
    )
    return await db_async(render)(request, "desk/page.html", context)


async def _answer(
    request: AgentRequest, handled: inputs.Handled, context: ActionContext
) -> HttpResponse:
    """The acting tab's answer (desk/answer.py): fresh fragments plus the banner (and form)."""
    if not request.htmx:
        return redirect("desk:page")
    said = await answer.build(handled.outcome, context, add_form=handled.add_form)
    return HttpResponse(said.html)


def _action_view(action: str) -> View:
    """The POST endpoint of one action: the same input reading as the socket's."""

    @require_POST
    @agent_required
    async def view(request: AgentRequest) -> HttpResponse:
        context = answer.context_for(request.agent_profile)
        handled = await inputs.run(context, action, request.POST)
        response = await _answer(request, handled, context)
        if dial_href := handled.outcome.dial_href:
            # A confirmed dial: only the acting page opens the tel: link.
            response["HX-Trigger"] = json.dumps({"agentdesk:dial": {"href": dial_href}})
        return response

    view.__name__ = view.__qualname__ = f"{action}_view"
    return view


next_contact = _action_view("next")
reserved_contact = _action_view("reserved")
skip_contact = _action_view("skip")
add_contact = _action_view("add")
select = _action_view("select")
confirm_dial = _action_view("confirm_dial")
hand_back = _action_view("hand_back")
preview_expired = _action_view("preview_expired")
