"""The session engine: Django's database sessions, plus closing a session's sockets whenever
the session itself is deleted.

Logging out sends `user_logged_out` and closes them (see signals.py), but other ways a session
ends send no signal: `login()` flushes the previous user's session when someone else logs in
from the same browser, `cycle_key()` deletes the old key, and code may delete a session
directly. All of them go through `SessionStore.delete`, which also makes the websocket
handshake cache forget the session (liveaccess/handshake_cache.py), as `save` does when the
session's data changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from . import handshake_cache
from .groups import END, session_group, tell


class SessionStore(DatabaseSessionStore):
    # When the row read by `load()` expires: a socket's access check needs the session's data
    # and its expiry, and reads the row once for both (sessions.current_access).
    loaded_expiry: datetime | None = None

    def _get_session_from_db(self) -> Any:
        row = super()._get_session_from_db()  # type: ignore[misc]  # missing from the stubs
        self.loaded_expiry = row.expire_date if row is not None else None
        return row

    def save(self, must_create: bool = False) -> None:
        super().save(must_create)
        if self.session_key:
            handshake_cache.forget_session(self.session_key, ended=False)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        super().delete(session_key)
        if key:
            handshake_cache.forget_session(key, ended=True)
            tell(session_group(key), END)
