from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentdesk.shared import phones

from . import dnc
from .models import (
    WEEKDAYS,
    CampaignPolicy,
    ConsentEvidence,
    DoNotCallEntry,
    DoNotCallRemoval,
    PreviewLimit,
)


class DoNotCallForm(forms.ModelForm[Any]):
    region = forms.CharField(
        label=_("Region"),
        max_length=2,
        required=False,
        help_text=_("Country to read a number written without + in, e.g. US or DE"),
    )

    class Meta:
        model = DoNotCallEntry
        fields = ["number", "region", "reason", "expires_at"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        region = (data.get("region") or "").upper()
        if region and not phones.is_region(region):
            self.add_error("region", _("Not a country code like US or DE."))
            return data
        raw = data.get("number") or ""
        try:
            data["number"] = phones.canonical(raw, region or None)
        except phones.PhoneError as error:
            self.add_error("number", f"{raw} {error.reason}")
        else:
            self.instance.number = data["number"]
        self._check_rules(data)
        return data

    # Set by DoNotCallAdmin.get_form: who is editing.
    editor: AbstractBaseUser | AnonymousUser | None = None

    def _check_rules(self, data: dict[str, Any]) -> None:
        """The rules of every way onto the list (dnc.add): no expiry in the past (removal is
        Delete, recorded); a user who is not a superuser may only keep someone else's entry
        longer, never shorten, end or rewrite it."""
        expires_at = data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            self.add_error(
                "expires_at",
                _(
                    "In the past: an expired entry blocks nothing. To take the number off the "
                    "list, delete the entry (the removal is recorded)."
                ),
            )
        existing = self.instance.pk and DoNotCallEntry.objects.filter(pk=self.instance.pk).first()
        editor = self.editor
        if not existing or editor is None or getattr(editor, "is_superuser", False):
            return
        if existing.added_by == editor.get_username():
            return
        if data.get("number") != existing.number or data.get("reason") != existing.reason:
            self.add_error(
                None,
                _(
                    "%(maker)s listed this number: you may keep it listed longer, not change "
                    "its number or reason."
                )
                % {"maker": existing.added_by},
            )
        if expires_at is not None and (
            existing.expires_at is None or expires_at < existing.expires_at
        ):
            self.add_error("expires_at", _("Only a later expiry (or none) is allowed here."))


@admin.register(DoNotCallEntry)
class DoNotCallAdmin(admin.ModelAdmin[DoNotCallEntry]):
    form = DoNotCallForm
    list_display = ["number", "reason", "added_by", "added_at", "expires_at"]
    search_fields = ["number", "reason", "added_by"]
    date_hierarchy = "added_at"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[DoNotCallEntry], search_term: str
    ) -> tuple[QuerySet[DoNotCallEntry], bool]:
        # Find "(202) 555-0100" or "+1 202-555-0100" as the stored "+12025550100".
        phone = phones.try_parse(search_term, "US") or phones.try_parse(search_term)
        if phone is not None:
            search_term = phone.e164
        return super().get_search_results(request, queryset, search_term)

    def get_queryset(self, request: HttpRequest) -> QuerySet[DoNotCallEntry]:
        """A superuser reads the whole list; anyone else (a team lead with admin rights) only
        what the people of the teams they lead listed, as on the monitor's upload page."""
        entries = super().get_queryset(request)
        makers = dnc.readable_makers(request.user)
        return entries if makers is None else entries.filter(added_by__in=makers)

    def save_model(
        self, request: HttpRequest, obj: DoNotCallEntry, form: forms.Form, change: bool
    ) -> None:
        if not change or not obj.added_by:
            obj.added_by = request.user.get_username()
        super().save_model(request, obj, form, change)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        # A class made for this request (modelform_factory), so the editor is this request's.
        form = cast(type[DoNotCallForm], super().get_form(request, obj, change, **kwargs))
        form.editor = request.user
        return form

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The list covers every campaign: only an administrator takes a number off it.
        return bool(request.user.is_superuser)

    def delete_model(self, request: HttpRequest, obj: DoNotCallEntry) -> None:
        dnc.remove(obj, removed_by=request.user.get_username(), via=DoNotCallRemoval.ADMIN)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DoNotCallEntry]) -> None:
        for entry in queryset:
            self.delete_model(request, entry)


@admin.register(DoNotCallRemoval)
class DoNotCallRemovalAdmin(admin.ModelAdmin[DoNotCallRemoval]):
    """What was taken off the list, by whom: a record, read-only."""

    list_display = ["number", "removed_by", "removed_at", "via", "reason", "added_by", "added_at"]
    search_fields = ["number", "removed_by", "added_by"]
    list_filter = ["via"]
    date_hierarchy = "removed_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[DoNotCallRemoval]:
        """As for the list itself: a lead reads the removals of what their teams listed."""
        removals = super().get_queryset(request)
        makers = dnc.readable_makers(request.user)
        return removals if makers is None else removals.filter(added_by__in=makers)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CampaignPolicyForm(forms.ModelForm[Any]):
    weekdays = forms.MultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Days calls are allowed on, in the contact's local time"),
    )

    class Meta:
        model = CampaignPolicy
        fields = [
            "campaign",
            "region",
            "calling_hours",
            "window_start",
            "window_end",
            "weekdays",
            "hand_back_outcome",
            "dnc_outcome",
            "consent_required",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["weekdays"] = list(self.instance.weekdays or "")

    def clean_weekdays(self) -> str:
        return "".join(sorted(self.cleaned_data["weekdays"]))


@admin.register(CampaignPolicy)
class CampaignPolicyAdmin(admin.ModelAdmin[CampaignPolicy]):
    form = CampaignPolicyForm
    list_display = [
        "campaign",
        "calling_hours",
        "window_start",
        "window_end",
        "weekdays",
        "region",
        "consent_required",
    ]
    list_filter = ["calling_hours", "consent_required"]
    search_fields = ["campaign"]


@admin.register(PreviewLimit)
class PreviewLimitAdmin(admin.ModelAdmin[PreviewLimit]):
    list_display = ["campaign_group", "seconds", "on_expiry", "hand_back_outcome"]
    search_fields = ["campaign_group"]


@admin.register(ConsentEvidence)
class ConsentEvidenceAdmin(admin.ModelAdmin[ConsentEvidence]):
    list_display = ["number", "campaign", "given_by", "given_at", "channel", "recorded_by"]
    list_filter = ["channel", "campaign"]
    search_fields = ["number", "lcm_key", "given_by"]
    date_hierarchy = "given_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConsentEvidence]:
        """Who consented to which tenant's calls is theirs: a lead reads what the people of
        their teams recorded."""
        evidence = super().get_queryset(request)
        makers = dnc.readable_makers(request.user)
        return evidence if makers is None else evidence.filter(recorded_by__in=makers)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # evidence is a record: read it, do not rewrite it
