"""Static files for the ASGI application: Django's handler, with a path that climbs out of the
static directories (`/static/..%2f..%2fsettings.py`, `%2e%2e`, a NUL byte) answered 404.

Django's handler turns only Http404 into a response; the SuspiciousFileOperation its finders
raise for such a path went up as a 500 with a traceback in the log, for any anonymous request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404


class StaticFiles(ASGIStaticFilesHandler):
    def serve(self, request: Any) -> Any:
        try:
            return super().serve(request)
        except (SuspiciousFileOperation, ValueError):  # ValueError: a NUL byte in the path
            raise Http404("No such static file.") from None
