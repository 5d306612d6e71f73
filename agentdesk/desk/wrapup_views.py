"""The wrap-up panel and its steps' endpoints: parse, call a step, answer with the live
fragments, the banner and the panel (as typed after a failure, fresh after a success)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from . import wrapup, wrapup_panel
from .models import AgentProfile
from .views import AgentRequest, View, _answer, agent_required


@require_GET
@agent_required
async def panel(request: AgentRequest) -> HttpResponse:
    """The panel for the contact on screen (the page asks for it when a contact arrives)."""
    comment = str(request.GET.get("comment", ""))
    ctx = await wrapup_panel.context(request.agent_profile, comment=comment)
    return HttpResponse(wrapup_panel.render(ctx))


Step = Callable[[AgentProfile, Any], Awaitable[wrapup.Done]]


def _step_view(step: Step, name: str) -> View:
    @require_POST
    @agent_required
    async def view(request: AgentRequest) -> HttpResponse:
        done = await step(request.agent_profile, request.POST)
        if not request.htmx:
            return redirect("desk:page")
        answer = await _answer(request, done.result)
        # The comment box is shared with the close: what was typed stays.
        comment = str(request.POST.get("comment", ""))
        ctx = await wrapup_panel.context(request.agent_profile, form=done.form, comment=comment)
        parts = [answer.content.decode(), wrapup_panel.render(ctx, oob=True)]
        return HttpResponse("\n".join(parts))

    view.__name__ = view.__qualname__ = f"{name}_view"
    return view


book_callback = _step_view(wrapup.book_callback, "book_callback")
dial_other = _step_view(wrapup.dial_other, "dial_other")
correct_fields = _step_view(wrapup.correct_fields, "correct_fields")
set_number = _step_view(wrapup.set_number, "set_number")
