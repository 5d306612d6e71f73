from django.contrib import admin
from django.http import HttpRequest

from .models import ActionLog, AgentProfile, AgentSession


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin[AgentProfile]):
    list_display = ["user", "lcm_agent_id", "team"]
    list_filter = ["team"]
    search_fields = ["user__username", "lcm_agent_id"]
    raw_id_fields = ["user"]


@admin.register(AgentSession)
class AgentSessionAdmin(admin.ModelAdmin[AgentSession]):
    list_display = ["agent", "state", "state_since", "campaign_group", "connections", "version"]
    list_filter = ["state"]
    readonly_fields = ["version", "busy_token", "busy_until", "connections", "updated_at"]


@admin.register(ActionLog)
class ActionLogAdmin(admin.ModelAdmin[ActionLog]):
    list_display = ["at", "agent", "kind", "ok", "subtopic", "outcome_name", "lcm_latency_ms"]
    list_filter = ["kind", "ok", "team"]
    search_fields = ["agent__user__username", "lcm_key"]
    date_hierarchy = "at"

    def has_change_permission(self, request: HttpRequest, obj: ActionLog | None = None) -> bool:
        return False  # the log is a record: read it, do not edit it
