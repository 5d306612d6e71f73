"""Which do-not-call numbers LCM has confirmed, which wait, and why, in the Django admin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from agentdesk.compliance.dnc import readable_makers
from agentdesk.compliance.models import DoNotCallEntry, DoNotCallRemoval

from . import tasks
from .models import LcmDncAppend


@admin.action(description=_("Send again now"))
def send_again(
    modeladmin: admin.ModelAdmin[LcmDncAppend],
    request: HttpRequest,
    queryset: QuerySet[LcmDncAppend],
) -> None:
    queued = 0
    for row in queryset.exclude(status=LcmDncAppend.SENDING):
        with transaction.atomic():
            LcmDncAppend.objects.filter(pk=row.pk).exclude(status=LcmDncAppend.SENDING).update(
                status=LcmDncAppend.PENDING, refusals=0, next_attempt_at=timezone.now()
            )
            tasks.send.enqueue(row.pk)
        queued += 1
    modeladmin.message_user(
        request,
        ngettext(
            "%(n)d number is queued for LCM again.",
            "%(n)d numbers are queued for LCM again.",
            queued,
        )
        % {"n": queued},
        messages.SUCCESS,
    )


@admin.register(LcmDncAppend)
class LcmDncAppendAdmin(admin.ModelAdmin[LcmDncAppend]):
    list_display = (
        "number",
        "status",
        "attempts",
        "last_error",
        "lcm_text",
        "next_attempt_at",
        "confirmed_at",
    )
    list_filter = ("status",)
    search_fields = ("number",)
    actions = [send_again]
    readonly_fields = (
        "number",
        "ends_at",
        "sent_ends_at",
        "status",
        "attempts",
        "refusals",
        "last_error",
        "lcm_text",
        "next_attempt_at",
        "claimed_at",
        "confirmed_at",
        "created_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[LcmDncAppend]:
        """A lead without superuser rights reads the numbers their teams listed (or whose
        listing by them was removed), as in the do-not-call admin, not every tenant's."""
        rows = super().get_queryset(request)
        makers = readable_makers(request.user)
        if makers is None:
            return rows
        listed = DoNotCallEntry.objects.filter(added_by__in=makers).values("number")
        removed = DoNotCallRemoval.objects.filter(added_by__in=makers).values("number")
        return rows.filter(Q(number__in=listed) | Q(number__in=removed))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from the do-not-call list
