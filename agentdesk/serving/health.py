"""`GET /healthz` for load balancers and operators: is this worker able to serve?"""

from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse

from agentdesk.lcm.client import breaker_state


def healthz(request: HttpRequest) -> JsonResponse:
    database = "ok"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        database = "unavailable"
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "database_vendor": connection.vendor,
        "channel_layer": type(get_channel_layer()).__name__,
        "lcm_circuit": breaker_state(),
    }
    return JsonResponse(body, status=200 if database == "ok" else 503)
