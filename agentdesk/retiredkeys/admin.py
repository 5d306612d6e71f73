from django.contrib import admin

from .models import RetiredKey


@admin.register(RetiredKey)
class RetiredKeyAdmin(admin.ModelAdmin[RetiredKey]):
    list_display = ["lcm_key", "reason", "replaced_by", "retired_at", "closed_at"]
    search_fields = ["lcm_key", "replaced_by"]
    readonly_fields = ["lcm_key", "reason", "replaced_by", "retired_at", "closed_at"]
