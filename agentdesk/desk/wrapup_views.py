"""The wrap-up panel and its steps' endpoints: parse, call a step, answer with the live
fragments, the banner and the panel (as typed after a failure, fresh after a success)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from . import answer, wrapup, wrapup_panel
from .actions import ActionContext
from .models import AgentProfile
from .views import AgentRequest, View, agent_required


@require_GET
@agent_required
async def panel(request: AgentRequest) -> HttpResponse:
    """The panel for the contact on screen (the page asks for it when a contact arrives)."""
    comment = str(request.GET.get("comment", ""))
    ctx = await wrapup_panel.context(request.agent_profile, comment=comment)
    return HttpResponse(wrapup_panel.render(ctx))


class Step(Protocol):
    def __call__(
        self, profile: AgentProfile, data: Any, *, context: ActionContext | None = None
    ) -> Awaitable[wrapup.Done]: ...


def _step_view(step: Step, name: str) -> View:
    @require_POST
    @agent_required
    async def view(request: AgentRequest) -> HttpResponse:
        context = answer.context_for(request.agent_profile)
        done = await step(request.agent_profile, request.POST, context=context)
        if not request.htmx:
            return redirect("desk:page")
        said = await answer.build(done.result, context)
        # The comment box is shared with the close: what was typed stays.
        comment = str(request.POST.get("comment", ""))
        ctx = await wrapup_panel.context(request.agent_profile, form=done.form, comment=comment)
        parts = [said.html, wrapup_panel.render(ctx, oob=True)]
        return HttpResponse("\n".join(parts))

    view.__name__ = view.__qualname__ = f"{name}_view"
    return view


book_callback = _step_view(wrapup.book_callback, "book_callback")
dial_other = _step_view(wrapup.dial_other, "dial_other")
correct_fields = _step_view(wrapup.correct_fields, "correct_fields")
set_number = _step_view(wrapup.set_number, "set_number")
