"""Which language a page or a live connection speaks, decided in one place.

Order: the language the user chose and saved with their account (kept in the session from
login on, so no query per request), then the language cookie (set by the selector, also before
logging in), then the browser's Accept-Language, then LANGUAGE_CODE."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import translation

SESSION_KEY = "language"


def supported(code: str | None) -> str | None:
    """The configured language for `code` ("de-AT" → "de"), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_for(saved: str | None, cookies: dict[str, str], accept_language: str) -> str:
    chosen = supported(saved)
    if chosen:
        return chosen
    request = HttpRequest()
    request.COOKIES = cookies
    request.META["HTTP_ACCEPT_LANGUAGE"] = accept_language
    return translation.get_language_from_request(request)


def saved_language(user: AbstractBaseUser | AnonymousUser | None) -> str | None:
    """The language saved with the user's account, if any (one query)."""
    from .models import LanguagePreference

    if not user or not user.is_authenticated:
        return None
    return (
        LanguagePreference.objects.filter(user_id=user.pk)
        .values_list("language", flat=True)
        .first()
    )
