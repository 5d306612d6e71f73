"""Reading a login session afresh from the session store (not the copy a socket opened with)."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module
from types import SimpleNamespace
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpRequest
from django.utils import timezone


def _store(session_key: str) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def current_access(session_key: str) -> tuple[int | None, datetime]:
    """The user the session is logged in as now (None once it is logged out, expired,
    deleted, or no longer valid for that user: deactivated, password changed), and when the
    session ends unless it is extended meanwhile. Two statements: the session row, the user."""
    store = _store(session_key)
    user = get_user(cast(HttpRequest, SimpleNamespace(session=store)))
    user_id = user.pk if user.is_authenticated else None
    ends = getattr(store, "loaded_expiry", None)
    if ends is None:
        ends = expires_at(session_key) if user_id is not None else timezone.now()
    return user_id, ends


def current_user_id(session_key: str) -> int | None:
    """The user the session is logged in as now (see `current_access`)."""
    return current_access(session_key)[0]


def expires_at(session_key: str) -> datetime:
    """When the session ends unless it is extended meanwhile."""
    store = _store(session_key)
    model = getattr(store, "get_model_class", None)
    if model is not None:  # database-backed sessions keep their expiry
        row = model().objects.filter(session_key=session_key).values_list("expire_date")
        found = row.first()
        if found is not None:
            return found[0]
        return timezone.now()
    return timezone.now() + timedelta(seconds=store.get_expiry_age())
