"""The floor agentdesk's action overhead is measured against: a bare async Django view under
Daphne that forwards the posted envelope to LCM with httpx and returns LCM's answer."""

import os

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)
django.setup()

import httpx  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

LCM_URL = os.environ["LCM_URL"]
_client: httpx.AsyncClient | None = None


@csrf_exempt
async def hop(request):
    global _client
    if _client is None:
        _client = httpx.AsyncClient(timeout=10)
    answer = await _client.post(LCM_URL, content=request.body,
                                headers={"Content-Type": "application/json"})
    return HttpResponse(answer.content, content_type="application/json")


async def ready(request):
    return HttpResponse("ok")


urlpatterns = [path("hop", hop), path("", ready)]
application = get_asgi_application()
