from django.contrib import admin
from django.urls import include, path

from agentdesk.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/dialler/", include("agentdesk.dialler.urls")),
    path("monitor/", include("agentdesk.monitor.urls")),
    path("imports/", include("agentdesk.dialler.bulk_urls")),
    path("", include("agentdesk.desk.urls")),
]
