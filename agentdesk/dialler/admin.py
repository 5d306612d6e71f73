from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, DiallerCampaign, DiallerContact, ImportJob


@admin.register(DiallerCampaign)
class DiallerCampaignAdmin(admin.ModelAdmin[DiallerCampaign]):
    """Also how the campaign's contacts reach LCM: region, mode names, business fields
    (checked by DiallerCampaign.clean; docs/api.md, "What LCM receives")."""

    list_display = ["id", "name", "campaign_group", "time_zone", "region"]
    fields = [
        "name",
        "campaign_group",
        "time_zone",
        "default_region",
        "region",
        "mode_names",
        "business_fields",
    ]
    readonly_fields = ["region"]

    @admin.display(description=_("Region in use"))
    def region(self, campaign: DiallerCampaign) -> str:
        return campaign.region or str(_("none: numbers need a +country code"))


class ApiTokenForm(forms.ModelForm[Any]):
    class Meta:
        model = ApiToken
        fields = ["name", "limited", "campaigns"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("limited") and data.get("campaigns"):
            self.add_error(
                "limited",
                _("Campaigns are chosen: tick this, or remove them to allow every campaign."),
            )
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    form = ApiTokenForm
    list_display = ["name", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["limited"]
    readonly_fields = ["prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    fields = [
        "name",
        "prefix",
        "limited",
        "campaigns",
        "scope",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    filter_horizontal = ["campaigns"]
    actions = ["revoke"]

    @admin.display(description=_("May use"))
    def scope(self, token: ApiToken) -> str:
        if not token.limited:
            return str(_("every campaign"))
        names = [c.name for c in token.campaigns.all()]
        if not names:
            return str(_("nothing: limited, and its campaigns were deleted (refused)"))
        return ", ".join(names)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued with `manage.py create_api_token`, which shows them once

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.")


@admin.register(DiallerContact)
class DiallerContactAdmin(admin.ModelAdmin[DiallerContact]):
    list_display = [
        "id",
        "name",
        "user_data",
        "campaign",
        "lcm_key",
        "lcm_state",
        "uncertain_attempts",
        "updated_at",
    ]
    list_filter = ["campaign", "lcm_state"]
    search_fields = ["name", "user_data", "lcm_key"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin[ImportJob]):
    list_display = ["file_name", "team", "created_by", "state", "created_at", "finished_at"]
