from django.urls import path

from agentdesk.desk.consumers import AgentConsumer

websocket_urlpatterns = [
    path("ws/desk/", AgentConsumer.as_asgi()),
]
