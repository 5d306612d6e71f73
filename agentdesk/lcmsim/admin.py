from django.contrib import admin

from .models import Campaign, CampaignGroup, Contact, ContactMode, Fault, Outcome, SimAgent


class ContactModeInline(admin.TabularInline[ContactMode, Contact]):
    model = ContactMode
    extra = 0


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    list_display = ["lcm_key", "campaign", "status", "call_type", "consent", "held_by", "expiry"]
    list_filter = ["status", "call_type", "consent", "campaign"]
    search_fields = ["lcm_key", "held_by", "reserved_for"]
    inlines = [ContactModeInline]


@admin.register(CampaignGroup)
class CampaignGroupAdmin(admin.ModelAdmin[CampaignGroup]):
    list_display = ["name", "type", "status"]
    filter_horizontal = ["agents"]


admin.site.register(Campaign)
admin.site.register(Outcome)
admin.site.register(SimAgent)
admin.site.register(Fault)
