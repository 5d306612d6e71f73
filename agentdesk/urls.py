from django.contrib import admin
from django.urls import include, path

from agentdesk.dialler import dnc_api
from agentdesk.health import healthz
from agentdesk.login import ThrottledLoginView

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/dialler/", include("agentdesk.dialler.urls")),
    path("api/dnc", dnc_api.add_number, name="dnc-add"),
    path("api/dnc/<str:number>", dnc_api.one_number, name="dnc-number"),
    path("monitor/", include("agentdesk.monitor.urls")),
    path("imports/", include("agentdesk.dialler.bulk_urls")),
    path("", include("agentdesk.desk.urls")),
]
