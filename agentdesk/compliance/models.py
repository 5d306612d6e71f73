"""The rules agentdesk enforces on every manual dial: the do-not-call list, each campaign's
calling policy, each campaign group's preview limit, and the consent evidence kept per contact.

This app sits below the desk and the dialler: they ask it, it never asks them.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentdesk.shared import phones

WEEKDAYS = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]
EVERY_DAY = "1234567"
# LCM's telephony outcomes used by default: 4 CallBack puts a contact back for later,
# 5 DNC closes it for good.
CALLBACK_OUTCOME = 4
DNC_OUTCOME = 5


class DoNotCallEntry(models.Model):
    """One number nobody may dial, in E.164 (`+12025550100`), however it was typed."""

    number = models.CharField(
        _("number"), max_length=20, unique=True, help_text=_("E.164, e.g. +12025550100")
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    added_by = models.CharField(
        _("added by"),
        max_length=150,
        help_text=_("A user name, an agent (agent:…) or an API token (api:…)"),
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: listed until removed")
    )

    class Meta:
        verbose_name = _("do-not-call entry")
        verbose_name_plural = _("do-not-call list")
        ordering = ["-added_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        try:
            self.number = phones.canonical(self.number)
        except phones.PhoneError as error:
            message = _("%(number)s %(reason)s") % {"number": error.raw, "reason": error.reason}
            raise ValidationError({"number": message}) from error

    def is_active(self, now: datetime | None = None) -> bool:
        return self.expires_at is None or self.expires_at > (now or timezone.now())


class DoNotCallRemoval(models.Model):
    """A record of an entry taken off the do-not-call list: what it was and who took it off.
    Removal is an administrator's (the admin site, an unrestricted API token); the list covers
    every campaign, so ending a listing is never left to one team or tenant."""

    ADMIN = "admin"
    API = "api"
    VIA = [(ADMIN, _("admin site")), (API, _("API (unrestricted token)"))]

    number = models.CharField(_("number"), max_length=20, db_index=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    added_by = models.CharField(_("added by"), max_length=150)
    added_at = models.DateTimeField(_("added at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    removed_by = models.CharField(_("removed by"), max_length=150)
    removed_at = models.DateTimeField(_("removed at"), default=timezone.now)
    via = models.CharField(_("via"), max_length=10, choices=VIA)

    class Meta:
        verbose_name = _("do-not-call removal")
        verbose_name_plural = _("do-not-call removals")
        ordering = ["-removed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.number} ({self.removed_by})"


class CampaignPolicy(models.Model):
    """How one LCM campaign treats calling hours and consent. Campaigns without a policy get
    the defaults of a fresh row (warn, 08:00–21:00 every day, consent not required)."""

    OFF = "off"
    WARN = "warn"
    CONFIRM = "confirm"
    BLOCK = "block"
    MODES = [
        (OFF, _("Off: no check")),
        (WARN, _("Warn: show a warning on the card")),
        (CONFIRM, _("Confirm: the agent confirms each dial outside the window (logged)")),
        (BLOCK, _("Block: no dialing outside the window")),
    ]

    campaign = models.CharField(
        _("campaign"), max_length=100, unique=True, help_text=_("The LCM campaign (CampaignId)")
    )
    region = models.CharField(
        _("region"),
        max_length=2,
        blank=True,
        help_text=_(
            "Country its numbers belong to when written without +, e.g. US or DE. "
            "Empty: the country of the contact's time zone."
        ),
    )
    calling_hours = models.CharField(_("calling hours"), max_length=10, choices=MODES, default=WARN)
    window_start = models.TimeField(_("window opens"), default=time(8, 0))
    window_end = models.TimeField(_("window closes"), default=time(21, 0))
    weekdays = models.CharField(
        _("weekdays"),
        max_length=7,
        default=EVERY_DAY,
        help_text=_("Days calls are allowed on, in the contact's local time (1 Monday … 7 Sunday)"),
    )
    hand_back_outcome = models.PositiveIntegerField(
        _("hand-back outcome"),
        default=CALLBACK_OUTCOME,
        help_text=_("LCM outcome ID an agent hands a contact back with outside calling hours"),
    )
    dnc_outcome = models.PositiveIntegerField(
        _("do-not-call outcome"),
        default=DNC_OUTCOME,
        help_text=_("LCM outcome ID a contact on the do-not-call list is handed back with"),
    )
    consent_required = models.BooleanField(
        _("consent only"),
        default=False,
        help_text=_("Refuse contacts without consent evidence (who, when, channel, wording)"),
    )

    class Meta:
        verbose_name = _("campaign calling policy")
        verbose_name_plural = _("campaign calling policies")
        ordering = ["campaign"]

    def __str__(self) -> str:
        return self.campaign

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        start, end = self.window_start, self.window_end
        if start is not None and end is not None and end <= start:
            errors["window_end"] = _("Must be after the window opens (same day).")
        if not self.weekdays or set(self.weekdays) - set(EVERY_DAY):
            errors["weekdays"] = _("Choose at least one day.")
        if self.region:
            self.region = self.region.upper()
            if not phones.is_region(self.region):
                errors["region"] = _("%(region)s is not a country code like US or DE.") % {
                    "region": self.region
                }
        if errors:
            raise ValidationError(errors)

    @property
    def iso_weekdays(self) -> frozenset[int]:
        return frozenset(int(day) for day in self.weekdays if day.isdigit())


class PreviewLimit(models.Model):
    """How long an agent may keep a contact of one campaign group on screen before dialing."""

    HAND_BACK = "hand_back"
    FLAG = "flag"
    ON_EXPIRY = [
        (HAND_BACK, _("Hand the contact back with the outcome below")),
        (FLAG, _("Flag the agent on the monitor")),
    ]

    campaign_group = models.CharField(_("campaign group"), max_length=100, unique=True)
    seconds = models.PositiveIntegerField(_("seconds"), validators=[MinValueValidator(5)])
    on_expiry = models.CharField(_("when it runs out"), max_length=10, choices=ON_EXPIRY)
    hand_back_outcome = models.PositiveIntegerField(
        _("hand-back outcome"), default=CALLBACK_OUTCOME, help_text=_("LCM outcome ID")
    )

    class Meta:
        verbose_name = _("preview limit")
        verbose_name_plural = _("preview limits")
        ordering = ["campaign_group"]

    def __str__(self) -> str:
        return f"{self.campaign_group}: {self.seconds} s"


class ConsentEvidence(models.Model):
    """Who agreed to be called, when, how and to what wording. Kept as a record (German
    practice: five years after the consent was last used)."""

    PHONE = "phone"
    WEB = "web"
    EMAIL = "email"
    WRITTEN = "written"
    IN_PERSON = "in_person"
    SMS = "sms"
    OTHER = "other"
    CHANNELS = [
        (PHONE, _("Phone call")),
        (WEB, _("Web form")),
        (EMAIL, _("E-mail")),
        (WRITTEN, _("Written, signed")),
        (IN_PERSON, _("In person")),
        (SMS, _("Text message")),
        (OTHER, _("Other")),
    ]

    lcm_key = models.CharField(_("LCM key"), max_length=80, blank=True, db_index=True)
    number = models.CharField(_("number"), max_length=20, db_index=True, help_text="E.164")
    campaign = models.CharField(_("campaign"), max_length=100)
    given_by = models.CharField(_("given by"), max_length=200)
    given_at = models.DateTimeField(_("given at"))
    channel = models.CharField(_("channel"), max_length=20, choices=CHANNELS)
    wording = models.TextField(_("wording agreed to"), max_length=2000)
    recorded_by = models.CharField(_("recorded by"), max_length=150)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent evidence")
        verbose_name_plural = _("consent evidence")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["number", "campaign"])]

    def __str__(self) -> str:
        return f"{self.number} ({self.campaign}): {self.given_by}, {self.given_at:%Y-%m-%d}"
