"""The language selector: saves the choice with the user's account and in the language cookie."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .choice import SESSION_KEY, supported
from .models import LanguagePreference


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = supported(request.POST.get("language"))
    if language is None or language != request.POST.get("language"):
        from django.conf import settings

        codes = ", ".join(code for code, _name in settings.LANGUAGES)
        return HttpResponseBadRequest(
            _("language: choose one of %(codes)s.") % {"codes": codes},
            content_type="text/plain; charset=utf-8",
        )
    if request.user.is_authenticated:
        LanguagePreference.objects.update_or_create(
            user=request.user, defaults={"language": language}
        )
        request.session[SESSION_KEY] = language
    # Django's own view sets the cookie (so the login page speaks it too) and redirects only
    # to a safe "next".
    return django_set_language(request)
