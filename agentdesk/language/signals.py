"""At login, the user's saved language goes into their session (read on every request)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .choice import SESSION_KEY, saved_language


@receiver(user_logged_in)
def remember_language(sender, request, user, **kwargs) -> None:
    language = saved_language(user)
    if request is not None and language:
        request.session[SESSION_KEY] = language
