"""Webhook endpoints (with "send a test event") and the delivery log, in the Django admin."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import destinations, payloads, tasks
from .models import TEST, Attempt, Delivery, Endpoint


@admin.action(description=_("Send a test event"))
def send_test_event(
    modeladmin: admin.ModelAdmin[Endpoint], request: HttpRequest, queryset: QuerySet[Endpoint]
) -> None:
    sent = 0
    for endpoint in queryset.select_related("team"):
        sent += tasks.schedule(endpoint, TEST, f"test:{uuid.uuid4()}", payloads.test_data())
    modeladmin.message_user(
        request,
        ngettext(
            "A test event is queued for %(n)d endpoint; see the webhook deliveries.",
            "A test event is queued for %(n)d endpoints; see the webhook deliveries.",
            sent,
        )
        % {"n": sent},
        messages.SUCCESS,
    )


class EndpointForm(forms.ModelForm[Endpoint]):
    class Meta:
        model = Endpoint
        fields = ["team", "url", "secret", "events", "active", "description", "created_at"]

    def clean_url(self) -> str:
        """The destination is checked now, saying why, and again at every delivery."""
        url = self.cleaned_data["url"]
        try:
            destinations.resolve(url)
        except destinations.Refused as refused:
            raise forms.ValidationError(
                _("Webhooks cannot be sent there: %(why)s.") % {"why": refused}
            ) from None
        return url


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin[Endpoint]):
    form = EndpointForm
    list_display = ("url", "team", "active", "description", "created_at")
    list_filter = ("active", "team")
    search_fields = ("url", "description")
    actions = [send_test_event]


class AttemptInline(admin.TabularInline[Attempt, Delivery]):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ("number", "at", "status_code", "error", "duration_ms", "response_excerpt")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.action(description=_("Try again now"))
def retry_now(
    modeladmin: admin.ModelAdmin[Delivery], request: HttpRequest, queryset: QuerySet[Delivery]
) -> None:
    from django.utils import timezone

    retried = 0
    for row in queryset.exclude(status__in=[Delivery.DELIVERED, Delivery.SENDING]):
        Delivery.objects.filter(pk=row.pk).update(
            status=Delivery.PENDING, next_attempt_at=timezone.now()
        )
        tasks.deliver.enqueue(row.pk)
        retried += 1
    modeladmin.message_user(
        request,
        ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", retried)
        % {"n": retried},
    )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = (
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type", "endpoint__team")
    search_fields = ("event_id", "source_key", "endpoint__url")
    readonly_fields = (
        "endpoint",
        "event_id",
        "event_type",
        "source_key",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
    )
    inlines = [AttemptInline]
    actions = [retry_now]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
