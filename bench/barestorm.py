"""The floor a reconnect is measured against: the same Django settings, session store, origin
check, session authentication and channel layer as agentdesk, and a consumer that only
authenticates the page from its session cookie, joins the agent's group and sends one fixed
fragment. No agentdesk consumer code runs.

    python -m daphne bench.barestorm:application
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")

from django.core.asgi import get_asgi_application

http = get_asgi_application()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from agentdesk.serving.wsauth import ParallelAuthMiddlewareStack  # noqa: E402

FRAGMENT = '<div id="agent-status" hx-swap-oob="true">bare-resync</div>'


class BareConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4403)
            return
        self.group = f"agent.{user.pk}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send(text_data=FRAGMENT)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)


application = ProtocolTypeRouter(
    {
        "http": http,
        "websocket": AllowedHostsOriginValidator(
            ParallelAuthMiddlewareStack(
                URLRouter(
                    [
                        path("ws/desk/", BareConsumer.as_asgi()),
                    ]
                )
            )
        ),
    }
)
