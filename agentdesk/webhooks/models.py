"""Webhook endpoints per team, and the log of every delivery and attempt."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CONTACT_FETCHED = "contact.fetched"
CONTACT_SKIPPED = "contact.skipped"
CONTACT_ADDED = "contact.added"
IMPORT_FINISHED = "import.finished"
CALLBACK_BOOKED = "callback.booked"
CONTACT_COMMENTED = "contact.commented"
CONTACT_CORRECTED = "contact.corrected"
TEST = "test"
EVENT_TYPES = [
    (CONTACT_FETCHED, _("Contact fetched (Next or Reserved)")),
    (CONTACT_SKIPPED, _("Contact skipped, with its outcome")),
    (CONTACT_ADDED, _("Contact added")),
    (CALLBACK_BOOKED, _("Callback booked (regular or personal, or moved by a lead)")),
    (CONTACT_COMMENTED, _("Comment written on a call")),
    (CONTACT_CORRECTED, _("Contact data or number corrected")),
    (IMPORT_FINISHED, _("Bulk import finished")),
]


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def all_event_types() -> list[str]:
    return [name for name, _label in EVENT_TYPES]


class Endpoint(models.Model):
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(
        _("URL"), max_length=500, help_text=_("Where agentdesk POSTs each event as JSON")
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_secret,
        help_text=_("Shared with the receiver, which checks each request's signature with it"),
    )
    events = models.JSONField(
        _("events"),
        default=all_event_types,
        blank=True,
        help_text=_("Event types to send; empty: all of them"),
    )
    active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.team} → {self.url}"

    def wants(self, event_type: str) -> bool:
        return event_type == TEST or not self.events or event_type in self.events


class Delivery(models.Model):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"
    STATES = [
        (PENDING, _("Waiting to be sent")),
        (SENDING, _("Sending")),
        (DELIVERED, _("Delivered")),
        (FAILED, _("Given up")),
    ]

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=40)
    source_key = models.CharField(
        max_length=80, help_text=_("What the event is about, so it is sent once per endpoint")
    )
    body = models.TextField(help_text=_("The JSON sent, byte for byte"))
    status = models.CharField(max_length=20, choices=STATES, default=PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "source_key"], name="one_delivery_per_event_and_endpoint"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint.url} ({self.status})"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.FloatField(default=0)
    response_excerpt = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("attempt")

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"
