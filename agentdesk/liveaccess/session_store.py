"""The session engine: Django's database sessions, plus closing a session's sockets whenever
the session itself is deleted.

Logging out sends `user_logged_out` and closes them (see signals.py), but other ways a session
ends send no signal: `login()` flushes the previous user's session when someone else logs in
from the same browser, `cycle_key()` deletes the old key, and code may delete a session
directly. All of them go through `SessionStore.delete`."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from .groups import END, session_group, tell


class SessionStore(DatabaseSessionStore):
    def delete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        super().delete(session_key)
        if key:
            tell(session_group(key), END)
