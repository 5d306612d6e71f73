from django.urls import path

from agentdesk.desk.consumers import DESK_SOCKET_PATH, AgentConsumer
from agentdesk.dialler.consumers import ImportConsumer
from agentdesk.monitor.consumers import MonitorConsumer

websocket_urlpatterns = [
    path(DESK_SOCKET_PATH.lstrip("/"), AgentConsumer.as_asgi()),
    path("ws/monitor/<int:team_id>/", MonitorConsumer.as_asgi()),
    path("ws/imports/<int:job_id>/", ImportConsumer.as_asgi()),
]
