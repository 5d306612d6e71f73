"""The LCM simulator's own state: campaigns, groups, contacts, reservations and outcomes."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone

from agentdesk.lcm.timezones import time_zone_by_index


class SimAgent(models.Model):
    """An agent LCM knows; its row is also the per-agent lock for handing out contacts."""

    agent_id = models.CharField(max_length=150, unique=True)
    name = models.CharField(max_length=150, blank=True)
    logged_in = models.BooleanField(
        default=True, help_text="Logged in to the application (LCM serves only those)"
    )

    def __str__(self) -> str:
        return self.agent_id


class CampaignGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=30, default="Manual")
    status = models.CharField(max_length=30, default="Active")
    agents = models.ManyToManyField(SimAgent, blank=True, related_name="campaign_groups")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    name = models.CharField(max_length=100, unique=True, help_text="Shown to agents as CampaignId")
    group = models.ForeignKey(CampaignGroup, on_delete=models.PROTECT, related_name="campaigns")
    pct = models.PositiveSmallIntegerField(default=100)
    status = models.CharField(max_length=30, default="Active")
    time_zone_index = models.PositiveSmallIntegerField(default=84)
    queue = models.CharField(max_length=100, blank=True)
    dialing_start = models.TimeField(
        default=datetime.time(8, 0), help_text="Mode dialing window start (the contact's clock)"
    )
    dialing_end = models.TimeField(
        default=datetime.time(21, 0), help_text="Mode dialing window end (the contact's clock)"
    )
    editable_fields = models.JSONField(
        default=list,
        blank=True,
        help_text="Business fields agents may correct; empty: the name, address and e-mail fields",
    )

    def __str__(self) -> str:
        return self.name

    @property
    def time_zone_label(self) -> str:
        tz = time_zone_by_index(self.time_zone_index)
        return tz.label if tz else ""


class Outcome(models.Model):
    TELEPHONY = "telephony"
    BUSINESS = "business"

    id = models.IntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=[(TELEPHONY, TELEPHONY), (BUSINESS, BUSINESS)])
    group_type = models.CharField(max_length=30, blank=True, help_text="e.g. MANUAL")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"{self.id} {self.name}"


class Contact(models.Model):
    OPEN = 0
    IN_PROGRESS = 1
    CLOSED = 2
    EXPIRED = 3
    DELIVERED = 4
    STATUS_CHOICES = [
        (OPEN, "Open"),
        (IN_PROGRESS, "In progress (with an agent)"),
        (CLOSED, "Closed with an outcome"),
        (EXPIRED, "Expired"),
        (DELIVERED, "Delivered (held back from dialing)"),
    ]
    REGULAR = 0
    REGULAR_CALLBACK = 1
    PERSONAL_CALLBACK = 2
    CALL_TYPE_CHOICES = [
        (REGULAR, "Regular"),
        (REGULAR_CALLBACK, "Regular callback"),
        (PERSONAL_CALLBACK, "Personal callback"),
    ]

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="contacts")
    list_id = models.PositiveIntegerField(default=1)
    status = models.PositiveSmallIntegerField(choices=STATUS_CHOICES, default=OPEN)
    consent = models.BooleanField(default=False)
    call_type = models.PositiveSmallIntegerField(choices=CALL_TYPE_CHOICES, default=REGULAR)
    priority = models.IntegerField(default=0)
    expiry = models.DateTimeField(null=True, blank=True)
    callback_start = models.DateTimeField(null=True, blank=True)
    callback_end = models.DateTimeField(null=True, blank=True)
    business_fields = models.JSONField(default=dict, blank=True)
    contact_detail = models.JSONField(default=dict, blank=True)
    zip_code = models.CharField(max_length=20, blank=True)
    prefix = models.CharField(max_length=10, blank=True)
    suffix = models.CharField(max_length=10, blank=True)
    reserved_for = models.CharField(max_length=150, blank=True, db_index=True)
    held_by = models.CharField(max_length=150, blank=True, db_index=True)
    held_at = models.DateTimeField(null=True, blank=True)
    outcome = models.ForeignKey(Outcome, null=True, blank=True, on_delete=models.PROTECT)
    closed_by = models.CharField(max_length=150, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    lcm_key = models.CharField(max_length=80, blank=True, db_index=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["status", "campaign", "priority"]),
            # Serves the handout order (callbacks due first, then priority, then age).
            models.Index(
                fields=["status", "reserved_for", "-call_type", "-priority", "id"],
                name="lcmsim_handout_order",
            ),
            models.Index(fields=["held_by", "status"], name="lcmsim_held"),
        ]

    def __str__(self) -> str:
        return self.lcm_key or f"contact {self.pk}"

    def make_lcm_key(self, first_mode: ContactMode | None = None) -> str:
        """`campaign|list|contact|0|0|time zone|contact id`, the shape of the vendor samples.
        `first_mode`: the contact's first mode when the caller has it (else it is read)."""
        first_mode = first_mode or self.modes.order_by("position").first()
        tz_index = first_mode.time_zone_index if first_mode else self.campaign.time_zone_index
        return f"{self.campaign_id}|{self.list_id}|{self.pk}|0|0|{tz_index}|{self.pk}"


class ContactMode(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="modes")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=40)
    number = models.CharField(max_length=40)
    time_zone_index = models.PositiveSmallIntegerField(default=84)
    time_zone_label = models.CharField(max_length=120, blank=True)
    # The number in E.164 (read in the mode's country), compared with the do-not-call list.
    e164 = models.CharField(max_length=20, blank=True, db_index=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.name} {self.number}"


class Fault(models.Model):
    """How the simulator misbehaves, for demos, training and fault drills (one row)."""

    NONE = "none"
    SLOW = "slow"
    DOWN = "down"
    GARBAGE = "garbage"
    WRONG_SHAPE = "wrong_shape"
    WS_ERROR = "ws_error"
    HTTP_500 = "http_500"
    MODES = [
        (NONE, "Behave normally"),
        (SLOW, "Answer after a delay"),
        (DOWN, "Refuse to answer (unreachable)"),
        (GARBAGE, "Answer with non-JSON"),
        (WRONG_SHAPE, "Answer JSON of the wrong shape"),
        (WS_ERROR, "Answer every call with WS_Error"),
        (HTTP_500, "Answer HTTP 500 (server mode)"),
    ]

    mode = models.CharField(max_length=20, choices=MODES, default=NONE)
    delay_seconds = models.FloatField(default=0)
    act_before_failing = models.BooleanField(
        default=False, help_text="Carry out the call, then fail the answer (lost-answer drill)"
    )
    shape = models.CharField(
        max_length=40,
        default="documented",
        help_text="How answers are written (agentdesk/lcmsim/shapes.py), e.g. error_key",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.mode


class SimCall(models.Model):
    """A call id agentdesk sent for a contact ("the Call ID generated by the application"),
    tied to the contact and the agent who held it when the simulator first saw it."""

    call_id = models.CharField(max_length=100, unique=True)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="calls")
    agent_id = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.call_id


class CallbackBooking(models.Model):
    """A callback booked during a call; the contact's own schedule (callback_start…) is what
    hands it out. One row per call id: booking again under the same call id replaces it."""

    call = models.OneToOneField(SimCall, on_delete=models.CASCADE, related_name="callback")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="callbacks")
    personal = models.BooleanField(default=False)
    agent_id = models.CharField(max_length=150)
    mode_name = models.CharField(max_length=40)
    number = models.CharField(max_length=40)
    start = models.DateTimeField()
    end = models.DateTimeField()
    comments = models.TextField(blank=True)
    lead_score = models.IntegerField(null=True, blank=True)
    target_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    outcome = models.ForeignKey(Outcome, null=True, blank=True, on_delete=models.SET_NULL)
    active = models.BooleanField(default=True, help_text="The contact's current schedule")
    booked_at = models.DateTimeField(default=timezone.now)
    times_sent = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        kind = "personal" if self.personal else "regular"
        return f"{kind} callback {self.contact} at {self.start:%Y-%m-%d %H:%M}"


class SimDncEntry(models.Model):
    """A number appended to LCM's do-not-call list (AddCompliance): never handed out while its
    window is open, for one campaign or (campaign "") all."""

    e164 = models.CharField(max_length=20)
    campaign = models.CharField(max_length=100, blank=True)
    mode_id = models.IntegerField(null=True, blank=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    raw = models.CharField(max_length=64, help_text="CValue as sent")
    added_at = models.DateTimeField(default=timezone.now)
    times_sent = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "do-not-call entry"
        verbose_name_plural = "do-not-call entries"
        constraints = [
            models.UniqueConstraint(fields=["e164", "campaign"], name="lcmsim_dnc_once"),
        ]

    def __str__(self) -> str:
        return f"{self.e164} ({self.campaign or 'all campaigns'})"
