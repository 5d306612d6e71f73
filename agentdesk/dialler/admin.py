from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, DiallerCampaign, DiallerContact, ImportJob


@admin.register(DiallerCampaign)
class DiallerCampaignAdmin(admin.ModelAdmin):
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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    filter_horizontal = ["campaigns"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued with `manage.py create_api_token`, which shows them once

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.")


@admin.register(DiallerContact)
class DiallerContactAdmin(admin.ModelAdmin):
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
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["file_name", "team", "created_by", "state", "created_at", "finished_at"]
