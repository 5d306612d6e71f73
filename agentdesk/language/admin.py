from django.contrib import admin

from .models import LanguagePreference


@admin.register(LanguagePreference)
class LanguagePreferenceAdmin(admin.ModelAdmin[LanguagePreference]):
    list_display = ("user", "language")
    list_filter = ("language",)
    search_fields = ("user__username",)
