"""The agent page and its action endpoints: parse, authorize, call an action, render."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from agentdesk.asyncdb import db_async, release_request_connection

from . import actions, state
from .forms import AddContactForm
from .lookups import group_choices, outcome_menu
from .models import AgentProfile
from .rendering import desk_context, render_banner, render_live

View = Callable[..., Awaitable[HttpResponse]]


def _profile_of(user) -> AgentProfile | None:
    return AgentProfile.objects.select_related("user", "team").filter(user=user).first()


def agent_required(view: View) -> View:
    """Logged in, with an agent profile; the profile (never the browser) says who acts."""

    @wraps(view)
    async def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = await request.auser()
        await release_request_connection()
        if not user.is_authenticated:
            if request.htmx:
                response = HttpResponse(status=401)
                response["HX-Redirect"] = "/accounts/login/"
                return response
            return redirect_to_login(request.get_full_path())
        profile = await db_async(_profile_of)(user)
        if profile is None:
            is_lead = await db_async(lambda: user.led_teams.exists())()
            if is_lead and request.method == "GET":
                return redirect("/monitor/")
            return await db_async(render)(request, "desk/no_profile.html", status=403)
        request.agent_profile = profile
        return await view(request, *args, **kwargs)

    return wrapper


@require_GET
@agent_required
async def agent_page(request: HttpRequest) -> HttpResponse:
    profile = request.agent_profile
    menu = await outcome_menu()
    groups = await group_choices(profile)

    def build() -> dict:
        session = state.session_for(profile)
        session.agent = profile
        return desk_context(session, menu, groups)

    context = await db_async(build)()
    context["form"] = AddContactForm(campaigns=groups.campaigns)
    return await db_async(render)(request, "desk/page.html", context)


async def _answer(request: HttpRequest, result: actions.Result) -> HttpResponse:
    """The acting tab's answer: fresh fragments plus the result's banner (and form)."""
    if not request.htmx:
        return redirect("/")
    profile = request.agent_profile
    if result.session is None:
        html = render_banner(result.message, result.level)
        if result.form is not None:
            html += await _form_only(request, result.form)
        return HttpResponse(html)
    published = getattr(result.session, "published_html", "")
    if published:
        html = published + "\n" + render_banner(result.message, result.level)
        if result.form is not None:
            html += await _form_only(request, result.form)
        return HttpResponse(html)
    result.session.agent = profile
    menu = await outcome_menu()
    groups = await group_choices(profile)
    html = await db_async(render_live)(
        result.session, menu, groups, message=result.message, level=result.level, form=result.form
    )
    return HttpResponse(html)


async def _form_only(request: HttpRequest, form: AddContactForm) -> str:
    from django.template.loader import render_to_string

    return render_to_string("desk/_add.html", {"form": form, "oob": True}, request=request)


def _choices(request: HttpRequest) -> dict[str, str]:
    return {
        "campaign_group": request.POST.get("campaign_group", ""),
        "consent": request.POST.get("consent", "Both"),
    }


@require_POST
@agent_required
async def next_contact(request: HttpRequest) -> HttpResponse:
    result = await actions.next_contact(request.agent_profile, **_choices(request))
    return await _answer(request, result)


@require_POST
@agent_required
async def reserved_contact(request: HttpRequest) -> HttpResponse:
    return await _answer(request, await actions.reserved_contact(request.agent_profile))


@require_POST
@agent_required
async def skip_contact(request: HttpRequest) -> HttpResponse:
    result = await actions.skip_contact(
        request.agent_profile, outcome_id=request.POST.get("outcome")
    )
    return await _answer(request, result)


@require_POST
@agent_required
async def add_contact(request: HttpRequest) -> HttpResponse:
    return await _answer(request, await actions.add_contact(request.agent_profile, request.POST))


@require_POST
@agent_required
async def select(request: HttpRequest) -> HttpResponse:
    result = await actions.select(request.agent_profile, **_choices(request))
    return await _answer(request, result)


def _with_dial(response: HttpResponse, result: actions.Result) -> HttpResponse:
    """A confirmed dial: tell the acting page (only it) to open the tel: link."""
    if result.dial_href:
        response["HX-Trigger"] = json.dumps({"agentdesk:dial": {"href": result.dial_href}})
    return response


@require_POST
@agent_required
async def confirm_dial(request: HttpRequest) -> HttpResponse:
    result = await actions.confirm_dial(request.agent_profile)
    return _with_dial(await _answer(request, result), result)


@require_POST
@agent_required
async def hand_back(request: HttpRequest) -> HttpResponse:
    return await _answer(request, await actions.hand_back(request.agent_profile))


@require_POST
@agent_required
async def preview_expired(request: HttpRequest) -> HttpResponse:
    return await _answer(request, await actions.preview_expired(request.agent_profile))
