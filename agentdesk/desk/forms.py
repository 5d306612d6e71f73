"""The Add Contact form: what an agent types, checked field by field, turned into CreateContact."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from agentdesk import phones
from agentdesk.lcm import messages as m
from agentdesk.lcm.timezones import TIME_ZONES, find_time_zone
from agentdesk.lcm.xmlfields import ContactMode

MODE_NAMES = ["Home", "Mobile", "Work", "Other"]
MODE_ROWS = 3
STATUS_CHOICES = [
    (4, "4 Delivered: stored, held back from dialing"),
    (0, "0 Open: ready to be handed out for dialing"),
]
CALL_TYPE_CHOICES = [
    ("0", "Fresh contact"),
    ("1", "Regular callback"),
    ("2", "Personal callback (reserved for me)"),
]
TIME_ZONE_CHOICES = [(tz.label, tz.label) for tz in TIME_ZONES]
DEFAULT_TIME_ZONE = "(UTC-05:00) Eastern Time (US and Canada)"
DATETIME_INPUT = "%Y-%m-%dT%H:%M"
BUSINESS_FIELDS = ("first_name", "last_name", "company", "email", "reference", "note")


def _local_input(moment: datetime) -> str:
    return timezone.localtime(moment).strftime(DATETIME_INPUT)


class AddContactForm(forms.Form):
    request_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    # Shown only after an add whose outcome is unknown: the agent checked LCM and adds anyway.
    add_anyway = forms.BooleanField(required=False, label="Add anyway")
    needs_confirmation = False
    campaign = forms.ChoiceField(label="Campaign")
    first_name = forms.CharField(label="First name", max_length=100, required=False)
    last_name = forms.CharField(label="Last name", max_length=100, required=False)
    company = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(max_length=150, required=False)
    reference = forms.CharField(label="Account reference", max_length=60, required=False)
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    callback_start = forms.DateTimeField(
        label="Callable from",
        input_formats=[DATETIME_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    callback_end = forms.DateTimeField(
        label="Callable until",
        input_formats=[DATETIME_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    call_type = forms.ChoiceField(label="Call type", choices=CALL_TYPE_CHOICES, initial="0")
    priority = forms.IntegerField(min_value=0, max_value=99, initial=0)
    status = forms.TypedChoiceField(choices=STATUS_CHOICES, coerce=int, initial=4)

    def __init__(self, *args: Any, campaigns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaign_choices = [("", "Choose a campaign…")] + [(c, c) for c in campaigns]
        cast(forms.ChoiceField, self.fields["campaign"]).choices = campaign_choices
        for row in range(1, MODE_ROWS + 1):
            self.fields[f"mode{row}_name"] = forms.ChoiceField(
                label=f"Mode {row}",
                choices=[(n, n) for n in MODE_NAMES],
                initial=MODE_NAMES[min(row - 1, len(MODE_NAMES) - 1)],
                required=False,
            )
            self.fields[f"mode{row}_number"] = forms.CharField(
                label=f"Phone {row}",
                max_length=40,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            )
            self.fields[f"mode{row}_tz"] = forms.ChoiceField(
                label=f"Time zone {row}",
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
            self.add_error("last_name", "Give at least a first or a last name.")
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
                self.add_error(f"mode{row}_number", f"{exc.raw!r} {exc.reason}.")
                continue
            names = [name for name, _, _ in modes]
            name = data.get(f"mode{row}_name") or "Home"
            if name in names:
                self.add_error(f"mode{row}_name", f"{name} is already used by another number.")
                continue
            modes.append((name, number, zone_label))
        if not modes and not any(f"mode{r}_number" in self.errors for r in range(1, 4)):
            self.add_error("mode1_number", "Enter at least one phone number.")
        data["modes"] = tuple(ContactMode(*mode) for mode in modes)
        start, end = data.get("callback_start"), data.get("callback_end")
        if start and end and end <= start:
            self.add_error("callback_end", "Must be after the start of the window.")
        if end and end <= timezone.now():
            self.add_error(
                "callback_end", "Must be in the future, or the contact can never be called."
            )
        return data

    def to_request(self, agent_id: str) -> m.CreateContact:
        data = self.cleaned_data
        business = {name: data.get(name) or "" for name in BUSINESS_FIELDS if data.get(name)}
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
