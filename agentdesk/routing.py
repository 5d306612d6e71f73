from django.urls import path

from agentdesk.desk.consumers import AgentConsumer
from agentdesk.dialler.consumers import ImportConsumer
from agentdesk.monitor.consumers import MonitorConsumer

websocket_urlpatterns = [
    path("ws/desk/", AgentConsumer.as_asgi()),
    path("ws/monitor/<int:team_id>/", MonitorConsumer.as_asgi()),
    path("ws/imports/<int:job_id>/", ImportConsumer.as_asgi()),
]
