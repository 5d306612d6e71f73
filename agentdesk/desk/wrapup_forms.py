"""The wrap-up forms: a callback, the contact's corrected business fields and a new number.
Each is checked field by field before anything goes to LCM; the contact it was filled in for is
named beside it (desk/onscreen.py)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentdesk.compliance import dnc
from agentdesk.lcm import wrapup as w
from agentdesk.lcm.timezones import find_time_zone
from agentdesk.shared import phones

from .actions import has_control_character
from .models import Callback

DATETIME_INPUT = "%Y-%m-%dT%H:%M"
COMMENT_MAX = 1000
FIELD_VALUE_MAX = 250
PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)")
NUMBER_TYPES = {"int", "integer", "number", "numeric", "decimal", "float", "double", "money"}


class AttemptForm(forms.Form):
    """A wrap-up form. The contact it was filled in for travels beside its fields, as every
    action about the contact on screen does (`contact_key` and `session_version`,
    desk/onscreen.py), and is checked by the step, not by the form."""


def _no_controls(value: str, what: str) -> None:
    if has_control_character(value):
        raise forms.ValidationError(
            _("%(what)s contains a control character; remove it.") % {"what": what}
        )


def clean_comment(raw: object) -> str:
    comment = str(raw or "").strip()
    if len(comment) > COMMENT_MAX:
        raise forms.ValidationError(
            _("At most %(max)d characters (it has %(count)d).")
            % {"max": COMMENT_MAX, "count": len(comment)}
        )
    _no_controls(comment, str(_("The comment")))
    return comment


def zone_of_label(label: str) -> str:
    """The IANA zone of an LCM time zone label ("" when unknown)."""
    zone = find_time_zone(label)
    return zone.iana if zone else ""


class CallbackForm(AttemptForm):
    request_token = forms.CharField(widget=forms.HiddenInput, max_length=40)
    kind = forms.ChoiceField(
        label=_("Callback for"),
        choices=Callback.KINDS,
        initial=Callback.REGULAR,
        widget=forms.RadioSelect,
    )
    mode_id = forms.TypedChoiceField(label=_("Number to call back"), coerce=int)
    start = forms.DateTimeField(
        label=_("From (their time)"),
        input_formats=[DATETIME_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    end = forms.DateTimeField(
        label=_("Until (their time)"),
        input_formats=[DATETIME_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=COMMENT_MAX * 2)
    lead_score = forms.IntegerField(
        label=_("Lead score"), required=False, min_value=0, max_value=100
    )
    target_amount = forms.DecimalField(
        label=_("Target amount"),
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
    )

    def __init__(
        self,
        *args: Any,
        callback_modes: tuple[w.CallbackMode, ...],
        zones: dict[int, str],
        default_zone: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.zones = zones  # mode ID -> IANA zone, from GetContactModes
        self.default_zone = default_zone
        choices = [(m.mode_id, f"{m.description} · {m.number}") for m in callback_modes]
        cast(forms.TypedChoiceField, self.fields["mode_id"]).choices = choices
        if not self.is_bound:
            self.initial.setdefault("request_token", uuid.uuid4().hex)
            if callback_modes:
                self.initial.setdefault("mode_id", callback_modes[0].mode_id)
            zone = self.zone_for(self.initial.get("mode_id"))
            if zone:
                # A suggestion in their time: tomorrow 10:00 to 12:00.
                local = timezone.now().astimezone(ZoneInfo(zone)).replace(tzinfo=None)
                day = (local + timedelta(days=1)).replace(
                    hour=10, minute=0, second=0, microsecond=0
                )
                self.initial.setdefault("start", day.strftime(DATETIME_INPUT))
                self.initial.setdefault("end", (day + timedelta(hours=2)).strftime(DATETIME_INPUT))

    def zone_for(self, mode_id: int | None) -> str:
        if mode_id is not None and self.zones.get(mode_id):
            return self.zones[mode_id]
        return self.default_zone

    def clean_comment(self) -> str:
        return clean_comment(self.cleaned_data.get("comment"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode_id = data.get("mode_id")
        if mode_id is not None and not self.zone_for(mode_id):
            self.add_error(
                "mode_id",
                _(
                    "LCM gives no time zone for this number, so the window cannot be checked "
                    "against calling hours: choose another number."
                ),
            )
        return data

    @property
    def zone_name(self) -> str:
        return self.zone_for(self.cleaned_data.get("mode_id"))

    def start_local(self) -> datetime:
        return cast(datetime, self.cleaned_data["start"]).replace(tzinfo=None)

    def end_local(self) -> datetime:
        return cast(datetime, self.cleaned_data["end"]).replace(tzinfo=None)


class FieldsForm(AttemptForm):
    """The contact's business fields LCM marks Editable, one input each. Only what the agent
    changed is checked and sent: a value LCM already holds (longer than a typed one may be, a
    word in a Number field, a stray control character, surrounding spaces) never keeps the
    agent from correcting another field, and is never rewritten behind their back."""

    def __init__(self, *args: Any, fields: tuple[w.BusinessField, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.business_fields = tuple(f for f in fields if f.editable)
        for index, field in enumerate(self.business_fields):
            help_text = field.format or ""
            self.fields[f"field_{index}"] = forms.CharField(
                label=field.name,
                required=False,
                initial=field.value,
                help_text=help_text,
                strip=True,
                widget=forms.TextInput(attrs={"maxlength": max(FIELD_VALUE_MAX, len(field.value))}),
            )

    @staticmethod
    def _is_changed(value: str, field: w.BusinessField) -> bool:
        return value != field.value.strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for index, field in enumerate(self.business_fields):
            name = f"field_{index}"
            value = data.get(name)
            if value is None or not self._is_changed(value, field):
                continue
            if len(value) > FIELD_VALUE_MAX:
                self.add_error(
                    name,
                    _("At most %(max)d characters (it has %(count)d).")
                    % {"max": FIELD_VALUE_MAX, "count": len(value)},
                )
                continue
            try:
                _no_controls(value, field.name)
            except forms.ValidationError as error:
                self.add_error(name, error)
                continue
            if (
                value
                and field.data_type.strip().lower() in NUMBER_TYPES
                and not PLAIN_NUMBER.fullmatch(value)
            ):
                # Written out, as LCM keeps it: Decimal alone would let "NaN", "Infinity"
                # and "1e999999" through.
                self.add_error(name, _("%(name)s takes a number.") % {"name": field.name})
        return data

    def changed_fields(self) -> tuple[w.BusinessField, ...]:
        """The fields whose value the agent changed, with their new values."""
        changed = []
        for index, field in enumerate(self.business_fields):
            value = self.cleaned_data.get(f"field_{index}", "")
            if self._is_changed(value, field):
                changed.append(
                    w.BusinessField(field.name, value, field.data_type, field.format, True)
                )
        return tuple(changed)


class NumberForm(AttemptForm):
    """Add or change the number of one of the contact's modes: read and checked the way the
    Add contact form reads numbers (in the country of the mode's time zone, not on the
    do-not-call list)."""

    mode_id = forms.TypedChoiceField(label=_("Mode"), coerce=int)
    number = forms.CharField(
        label=_("New number"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    delete_other_modes = forms.BooleanField(
        label=_("Remove the contact's other numbers"), required=False
    )

    def __init__(self, *args: Any, modes: tuple[w.ContactMode, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.modes = modes
        choices = [(m.mode_id, f"{m.description} · {m.number or '—'}") for m in modes]
        cast(forms.TypedChoiceField, self.fields["mode_id"]).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = (data.get("number") or "").strip()
        mode_id = data.get("mode_id")
        if not raw or mode_id is None:
            return data
        mode = next((m for m in self.modes if m.mode_id == mode_id), None)
        zone = find_time_zone(mode.time_zone) if mode else None
        region = phones.region_for_time_zone(zone.iana) if zone else None
        try:
            number = phones.canonical(raw, region)
        except phones.PhoneError as exc:
            self.add_error(
                "number",
                _("%(number)s %(reason)s.") % {"number": repr(exc.raw), "reason": exc.reason},
            )
            return data
        if dnc.listed([number]):
            self.add_error(
                "number",
                _("%(number)s is on the do-not-call list: it cannot be added.")
                % {"number": number},
            )
            return data
        data["number"] = number
        return data
