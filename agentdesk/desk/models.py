"""Agents, their live session state and the log of what they did."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentdesk.teams.models import Team


def fit_to_fields(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """`values` with each text cut to its column's max_length: what LCM or an error says can
    be longer than the log keeps, and the log must be written all the same."""
    fitted = dict(values)
    for name, value in values.items():
        if isinstance(value, str):
            limit = getattr(model._meta.get_field(name), "max_length", None)
            if limit is not None and len(value) > limit:
                fitted[name] = value[:limit]
    return fitted


class AgentProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    lcm_agent_id = models.CharField(
        "LCM agent ID", max_length=150, unique=True, help_text="The ID LCM knows this agent by"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="agents"
    )
    campaign_groups = models.JSONField(
        default=list,
        blank=True,
        help_text='Campaign groups this agent may work, e.g. ["Sales Manual Group"]. '
        "Empty: every group LCM assigns to the agent.",
    )

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.lcm_agent_id})"

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class AgentSession(models.Model):
    """One row per agent: the truth every tab, reconnect and worker process renders from."""

    IDLE = "idle"
    PREVIEWING = "previewing"
    STATES = [(IDLE, _("Idle")), (PREVIEWING, _("Previewing a contact"))]
    CONSENT_CHOICES = [
        ("Both", _("Both")),
        ("true", _("With consent")),
        ("false", _("Without consent")),
    ]

    agent = models.OneToOneField(AgentProfile, on_delete=models.CASCADE, related_name="session")
    state = models.CharField(max_length=20, choices=STATES, default=IDLE)
    state_since = models.DateTimeField(default=timezone.now)
    contact = models.JSONField(
        null=True,
        blank=True,
        help_text="The contact on screen, in agentdesk's own shape (desk/contact.py)",
    )
    campaign_group = models.CharField(max_length=100, blank=True)
    consent = models.CharField(max_length=10, choices=CONSENT_CHOICES, default="Both")
    notice = models.CharField(max_length=300, blank=True, help_text="Last friendly message")
    last_error = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=0)
    contact_version = models.PositiveIntegerField(
        default=0,
        help_text="The session version at which the contact on screen arrived: an action "
        "pressed on a page showing an older version was pressed for another contact",
    )
    busy_token = models.CharField(max_length=40, blank=True)
    busy_until = models.DateTimeField(null=True, blank=True)
    connections = models.IntegerField(default=0, help_text="Open live connections")
    seen_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The agent counts as connected until then, unless a worker holding one of "
        "their connections renews it (see desk/presence.py)",
    )
    # Also "adds" (a list of {request_token, campaign, number, at}, newer than the single "add")
    # and "pending", a write in flight (desk/pending.py).
    unconfirmed = models.JSONField(
        default=dict,
        blank=True,
        help_text="Writes LCM may have done without confirming, by kind: "
        '{"skip": {lcm_key, outcome_id, outcome_name, at}, "add": {request_token, campaign, at}}',
    )
    call_id = models.CharField(
        max_length=40,
        blank=True,
        help_text="The call id of the dial attempt on screen: made by agentdesk when a contact "
        "reaches the screen or the agent dials another of its numbers, sent with every wrap-up "
        "message to LCM",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.agent} {self.state}"


class ActionLog(models.Model):
    NEXT = "next"
    RESERVED = "reserved"
    SKIP = "skip"
    ADD = "add"
    CONFIRM_DIAL = "confirm_dial"
    HAND_BACK = "hand_back"
    PREVIEW_OVER = "preview_over"
    RELEASE = "release"
    CALLBACK = "callback"
    DIAL_OTHER = "dial_other"
    CORRECT = "correct"
    NEW_NUMBER = "new_number"
    REASSIGN = "reassign_callback"
    KINDS = [
        (NEXT, _("Next contact")),
        (RESERVED, _("Reserved contact")),
        (SKIP, _("Skip")),
        (ADD, _("Add contact")),
        (CONFIRM_DIAL, _("Dial outside hours confirmed")),
        (HAND_BACK, _("Hand back")),
        (PREVIEW_OVER, _("Preview time ran out")),
        (RELEASE, _("Released by team lead")),
        (CALLBACK, _("Callback booked")),
        (DIAL_OTHER, _("Another number dialled")),
        (CORRECT, _("Contact data corrected")),
        (NEW_NUMBER, _("Number added or changed")),
        (REASSIGN, _("Callback reassigned")),
    ]
    # Kinds about the contact on screen that leave it there (the wrap-up steps).
    WRAPUP_KINDS = (CALLBACK, DIAL_OTHER, CORRECT, NEW_NUMBER)
    # Kinds that close the contact on screen in LCM (a Skip as far as LCM is concerned).
    CLOSING_KINDS = (SKIP, HAND_BACK, RELEASE)

    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="actions")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=20, choices=KINDS)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    subtopic = models.CharField(max_length=60, blank=True)
    ok = models.BooleanField(default=True)
    result = models.CharField(max_length=300, blank=True, help_text="What happened, in words")
    outcome_id = models.IntegerField(null=True, blank=True)
    outcome_name = models.CharField(max_length=100, blank=True)
    campaign_group = models.CharField(max_length=100, blank=True)
    campaign = models.CharField(max_length=100, blank=True)
    queue = models.CharField(max_length=100, blank=True)
    lcm_key = models.CharField(max_length=80, blank=True)
    phone_last4 = models.CharField(max_length=4, blank=True)
    lcm_latency_ms = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    error_kind = models.CharField(max_length=20, blank=True)
    request_token = models.CharField(max_length=40, blank=True)
    actor = models.CharField(
        max_length=150, blank=True, help_text="Who acted when not the agent (a team lead)"
    )
    call_id = models.CharField(
        max_length=40, blank=True, db_index=True, help_text="The dial attempt this action was about"
    )
    comment = models.CharField(
        max_length=1000,
        blank=True,
        help_text="The agent's comment (a close carries none to LCM: kept here, in the export "
        "and the webhook)",
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["team", "at"]), models.Index(fields=["agent", "at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "request_token"],
                condition=~models.Q(request_token=""),
                name="one_action_per_request_token",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.kind} {self.at:%H:%M:%S}"


class Callback(models.Model):
    """A callback an agent booked in LCM, as agentdesk keeps it: LCM has no message to list
    callbacks, so the monitor's "due today" and "overdue" come from here.

    One row per booking request (the form's request token): a retry after a lost answer finds
    the row and never books a twin."""

    REGULAR = "regular"
    PERSONAL = "personal"
    KINDS = [(REGULAR, _("Regular (any agent)")), (PERSONAL, _("Personal (only me)"))]
    SENDING = "sending"
    BOOKED = "booked"
    UNKNOWN = "unknown"
    REFUSED = "refused"
    REASSIGNED = "reassigned"
    REPLACED = "replaced"
    STATUSES = [
        (SENDING, _("Being sent to LCM")),
        (BOOKED, _("Booked")),
        (UNKNOWN, _("May have been booked")),
        (REFUSED, _("Refused by LCM")),
        (REASSIGNED, _("Reassigned")),
        (REPLACED, _("Replaced by a later booking")),
    ]

    agent = models.ForeignKey(
        AgentProfile,
        on_delete=models.CASCADE,
        related_name="callbacks",
        help_text="For a personal callback: the agent it comes back to",
    )
    booked_by = models.ForeignKey(
        AgentProfile, on_delete=models.CASCADE, related_name="booked_callbacks"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=10, choices=KINDS)
    status = models.CharField(max_length=12, choices=STATUSES, default=SENDING)
    lcm_key = models.CharField(max_length=80)
    call_id = models.CharField(max_length=40)
    campaign = models.CharField(max_length=100, blank=True)
    mode_id = models.IntegerField()
    phone_last4 = models.CharField(max_length=4, blank=True)
    time_zone = models.CharField(max_length=64, help_text="IANA zone of the callback's mode")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    comment = models.CharField(max_length=1000, blank=True)
    lead_score = models.IntegerField(null=True, blank=True)
    target_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    request_token = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    reassigned_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reassigned_to"
    )
    reassigned_by = models.CharField(max_length=150, blank=True)
    # When a lead's move of it was sent to LCM; a move a stopped worker left behind is
    # settled by the job runner's sweep (desk.actions.callback_move.settle_abandoned_moves).
    moving_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["team", "starts_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["booked_by", "request_token"], name="one_callback_per_request_token"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} callback {self.lcm_key} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def local_start(self) -> datetime:
        """The start in the contact's own time (the zone LCM reads the window in)."""
        return self.starts_at.astimezone(ZoneInfo(self.time_zone))

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(ZoneInfo(self.time_zone))


# What a DayCount row counts by: one row per combination (desk/daycounts.py upserts on it).
DAY_COUNT_KEY = (
    "team",
    "zone",
    "day",
    "agent",
    "hour",
    "campaign_group",
    "outcome_id",
    "outcome_name",
)


class DayCount(models.Model):
    """What one agent of a team did in one hour of a day (in the server's time zone, `zone`),
    per campaign group and, for closed contacts, per outcome: counted as each action is
    logged (desk/daycounts.py), so the monitor's charts read these rows instead of counting
    the day's log."""

    # The outcome key of entries that closed no contact (a constraint cannot match NULLs).
    NO_OUTCOME = -(2**31)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="+")
    zone = models.CharField(max_length=64)
    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    campaign_group = models.CharField(max_length=100, blank=True)
    outcome_id = models.IntegerField(default=NO_OUTCOME)
    outcome_name = models.CharField(max_length=100, blank=True)
    logged = models.IntegerField(default=0)  # entries, whatever they were
    fetched = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    added = models.IntegerField(default=0)
    errors = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=list(DAY_COUNT_KEY),
                name="one_day_count_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.hour:02d}h agent {self.agent_id} {self.campaign_group}"


class CountedDay(models.Model):
    """A team's day whose DayCount rows hold every log entry of that day: counted from the
    log once (the day began before its counters were kept), then kept with each action."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    zone = models.CharField(max_length=64)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "zone", "day"], name="one_counted_day")
        ]

    def __str__(self) -> str:
        return f"team {self.team_id} {self.day} ({self.zone})"
