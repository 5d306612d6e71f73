"""One row per number agentdesk lists as do-not-call: has LCM confirmed it has it too?"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LcmDncAppend(models.Model):
    """The AddCompliance of one number, retried by the job runner until LCM confirms."""

    PENDING = "pending"
    SENDING = "sending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    STATUSES = [
        (PENDING, _("waiting to be sent")),
        (SENDING, _("being sent")),
        (CONFIRMED, _("confirmed by LCM")),
        (REFUSED, _("refused by LCM")),
    ]

    number = models.CharField(_("number"), max_length=20, unique=True, help_text=_("E.164"))
    ends_at = models.DateTimeField(
        _("listed until"), null=True, blank=True, help_text=_("Empty: until removed")
    )
    sent_ends_at = models.DateTimeField(_("sent with end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    refusals = models.PositiveIntegerField(_("refusals in a row"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    lcm_text = models.CharField(_("LCM's answer"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("do-not-call number sent to LCM")
        verbose_name_plural = _("do-not-call numbers sent to LCM")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="dncsync_due")]

    def __str__(self) -> str:
        return f"{self.number} ({self.status})"
