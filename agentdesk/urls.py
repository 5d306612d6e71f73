from django.contrib import admin
from django.urls import include, path, re_path

from agentdesk.dialler import dnc_api  # noqa: F401 - puts /api/dnc on the API before its URLs
from agentdesk.dialler.api import api, api_not_found
from agentdesk.language.views import set_language
from agentdesk.metrics.views import metrics
from agentdesk.serving.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("language/", set_language, name="set_language"),
    path("api/", api.urls),
    re_path(r"^api/", api_not_found),  # unknown API paths answer in the API's envelope too
    path("monitor/", include("agentdesk.monitor.urls")),
    path("imports/", include("agentdesk.dialler.bulk_urls")),
    path("", include("agentdesk.desk.urls")),
]
