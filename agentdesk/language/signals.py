"""At login, the user's saved language goes into their session (read on every request)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from .choice import SESSION_KEY, saved_language


@receiver(user_logged_in)
def remember_language(
    sender: type, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any
) -> None:
    language = saved_language(user)
    if request is not None and language:
        request.session[SESSION_KEY] = language
