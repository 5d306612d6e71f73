"""The Add Contact form: what an agent types, checked field by field, turned into CreateContact."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentdesk.compliance import consent, dnc
from agentdesk.compliance.models import ConsentEvidence
from agentdesk.lcm import messages as m
from agentdesk.lcm.timezones import TIME_ZONES, find_time_zone
from agentdesk.lcm.xmlfields import ContactMode
from agentdesk.shared import phones

MODE_NAMES = ["Home", "Mobile", "Work", "Other"]
MODE_ROWS = 3
STATUS_CHOICES = [
    (4, _("4 Delivered: stored, held back from dialing")),
    (0, _("0 Open: ready to be handed out for dialing")),
]
CALL_TYPE_CHOICES = [
    ("0", _("Fresh contact")),
    ("1", _("Regular callback")),
    ("2", _("Personal callback (reserved for me)")),
]
# The names are LCM's mode names (sent as they are); only their labels are translated.
MODE_LABELS = {"Home": _("Home"), "Mobile": _("Mobile"), "Work": _("Work"), "Other": _("Other")}
TIME_ZONE_CHOICES = [(tz.label, tz.label) for tz in TIME_ZONES]
DEFAULT_TIME_ZONE = "(UTC-05:00) Eastern Time (US and Canada)"
DATETIME_INPUT = "%Y-%m-%dT%H:%M"
BUSINESS_FIELDS = ("first_name", "last_name", "company", "email", "reference", "note")


def _region_of(time_zone_label: str) -> str | None:
    """The country a national number typed for this LCM time zone belongs to."""
    zone = find_time_zone(time_zone_label)
    return phones.region_for_time_zone(zone.iana if zone else None)


def _local_input(moment: datetime) -> str:
    return timezone.localtime(moment).strftime(DATETIME_INPUT)


class AddContactForm(forms.Form):
    request_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    # Shown only after an add whose outcome is unknown: the agent checked LCM and adds anyway.
    add_anyway = forms.BooleanField(required=False, label=_("Add anyway"))
    needs_confirmation = False
    campaign = forms.ChoiceField(label=_("Campaign"))
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    company = forms.CharField(label=_("Company"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), max_length=150, required=False)
    reference = forms.CharField(label=_("Account reference"), max_length=60, required=False)
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    callback_start = forms.DateTimeField(
        label=_("Callable from"),
        input_formats=[DATETIME_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    callback_end = forms.DateTimeField(
        label=_("Callable until"),
        input_formats=[DATETIME_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    call_type = forms.ChoiceField(label=_("Call type"), choices=CALL_TYPE_CHOICES, initial="0")
    priority = forms.IntegerField(label=_("Priority"), min_value=0, max_value=99, initial=0)
    status = forms.TypedChoiceField(
        label=_("Status"), choices=STATUS_CHOICES, coerce=int, initial=4
    )
    consent_given_by = forms.CharField(
        label=_("Consent given by"), max_length=consent.MAX_GIVEN_BY, required=False
    )
    consent_given_at = forms.DateTimeField(
        label=_("Consent given at"),
        required=False,
        input_formats=[DATETIME_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    consent_channel = forms.ChoiceField(
        label=_("Consent channel"),
        required=False,
        choices=[("", "—"), *ConsentEvidence.CHANNELS],
    )
    consent_wording = forms.CharField(
        label=_("Wording agreed to"),
        max_length=consent.MAX_WORDING,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, campaigns: list[str], campaigns_error: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.campaigns_error = campaigns_error
        campaign = cast(forms.ChoiceField, self.fields["campaign"])
        if campaigns_error and not campaigns:
            # Not "This field is required.": the agent could not choose, LCM did not say.
            campaign.choices = [("", _("Campaigns could not be loaded"))]
            campaign.error_messages = {
                **campaign.error_messages,
                "required": campaigns_error,
                "invalid_choice": campaigns_error,
            }
        else:
            campaign.choices = [("", _("Choose a campaign…"))] + [(c, c) for c in campaigns]
        for row in range(1, MODE_ROWS + 1):
            self.fields[f"mode{row}_name"] = forms.ChoiceField(
                label=_("Mode %(row)d") % {"row": row},
                choices=[(n, MODE_LABELS.get(n, n)) for n in MODE_NAMES],
                initial=MODE_NAMES[min(row - 1, len(MODE_NAMES) - 1)],
                required=False,
            )
            self.fields[f"mode{row}_number"] = forms.CharField(
                label=_("Phone %(row)d") % {"row": row},
                max_length=40,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            )
            self.fields[f"mode{row}_tz"] = forms.ChoiceField(
                label=_("Time zone %(row)d") % {"row": row},
                choices=TIME_ZONE_CHOICES,
                initial=DEFAULT_TIME_ZONE,
                required=False,
            )
        if not self.is_bound:
            now = timezone.now()
            self.initial.setdefault("request_token", uuid.uuid4().hex)
            self.initial.setdefault("callback_start", _local_input(now))
            self.initial.setdefault("callback_end", _local_input(now + timedelta(days=30)))

    def mode_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"mode{r}_name"], self[f"mode{r}_number"], self[f"mode{r}_tz"])
            for r in range(1, MODE_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("first_name") or "").strip() and not (data.get("last_name") or "").strip():
            self.add_error("last_name", _("Give at least a first or a last name."))
        modes: list[tuple[str, str, str]] = []
        for row in range(1, MODE_ROWS + 1):
            number = (data.get(f"mode{row}_number") or "").strip()
            if not number:
                continue
            zone_label = data.get(f"mode{row}_tz") or DEFAULT_TIME_ZONE
            zone = find_time_zone(zone_label)
            # National numbers are read in the country of the number's own time zone.
            region = phones.region_for_time_zone(zone.iana) if zone else None
            try:
                number = phones.canonical(number, region)
            except phones.PhoneError as exc:
                self.add_error(
                    f"mode{row}_number",
                    _("%(number)s %(reason)s.") % {"number": repr(exc.raw), "reason": exc.reason},
                )
                continue
            names = [mode[0] for mode in modes]
            name = data.get(f"mode{row}_name") or "Home"
            if name in names:
                self.add_error(
                    f"mode{row}_name",
                    _("%(mode)s is already used by another number.")
                    % {"mode": MODE_LABELS.get(name, name)},
                )
                continue
            modes.append((name, number, zone_label))
        if not modes and not any(f"mode{r}_number" in self.errors for r in range(1, 4)):
            self.add_error("mode1_number", _("Enter at least one phone number."))
        data["modes"] = tuple(ContactMode(*mode) for mode in modes)
        start, end = data.get("callback_start"), data.get("callback_end")
        if start and end and end <= start:
            self.add_error("callback_end", _("Must be after the start of the window."))
        if end and end <= timezone.now():
            self.add_error(
                "callback_end", _("Must be in the future, or the contact can never be called.")
            )
        self._check_do_not_call(data)
        self._check_consent(data)
        return data

    def _check_do_not_call(self, data: dict[str, Any]) -> None:
        """Refuse a number on the do-not-call list, naming it."""
        for row in range(1, MODE_ROWS + 1):
            raw = (data.get(f"mode{row}_number") or "").strip()
            if not raw or f"mode{row}_number" in self.errors:
                continue
            time_zone = data.get(f"mode{row}_tz") or DEFAULT_TIME_ZONE
            phone = phones.try_parse(raw, _region_of(time_zone))
            if phone is not None and dnc.listed([phone.e164]):
                self.add_error(
                    f"mode{row}_number",
                    _("%(number)s is on the do-not-call list: it cannot be added.")
                    % {"number": phone.e164},
                )

    def _check_consent(self, data: dict[str, Any]) -> None:
        """Consent evidence is all four parts or none; a consent-only campaign needs it."""
        try:
            data["consent_evidence"] = consent.read_evidence(
                data.get("consent_given_by"),
                data.get("consent_given_at"),
                data.get("consent_channel"),
                data.get("consent_wording"),
            )
        except consent.EvidenceError as error:
            data["consent_evidence"] = None
            for part, message in error.problems:
                self.add_error(f"consent_{part}", message)
            return
        campaign = data.get("campaign")
        if campaign and data["consent_evidence"] is None and consent.required_for(campaign):
            self.add_error(
                "consent_given_by",
                _(
                    "%(campaign)s calls only contacts with consent: give who agreed, when, "
                    "through which channel and the wording."
                )
                % {"campaign": campaign},
            )

    def consent_fields(self) -> list[forms.BoundField]:
        return [self[f"consent_{part}"] for part in ("given_by", "given_at", "channel", "wording")]

    def first_number(self) -> str:
        """The first number in E.164 (what consent evidence is filed under)."""
        modes = self.cleaned_data["modes"]
        return modes[0].number if modes else ""

    def to_request(self, agent_id: str) -> m.CreateContact:
        data = self.cleaned_data
        business = {name: data.get(name) or "" for name in BUSINESS_FIELDS if data.get(name)}
        if data.get("consent_evidence") is not None:
            business["consent"] = "true"  # LCM's consent flag, for its consent filter
        return m.CreateContact(
            campaign_id=data["campaign"],
            call_start=timezone.localtime(data["callback_start"]).replace(tzinfo=None),
            call_end=timezone.localtime(data["callback_end"]).replace(tzinfo=None),
            business_fields=business,
            modes=data["modes"],
            call_type=data["call_type"],
            priority=data["priority"] or 0,
            agent_id=agent_id,
            status=data["status"],
        )

    def fresh_copy(self, campaigns: list[str]) -> AddContactForm:
        """An empty form for the next contact, keeping the campaign the agent was using."""
        return AddContactForm(
            campaigns=campaigns, initial={"campaign": self.cleaned_data["campaign"]}
        )
