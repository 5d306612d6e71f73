"""ASGI entry point: HTTP through Django, websockets through Channels (auth + origin checks)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
from agentdesk.serving.bodylimit import install_daphne_guard
from agentdesk.serving.daphne import skip_unlogged_formatting
from agentdesk.serving.statichandler import StaticFiles

# Oversized bodies are refused inside Daphne, before they are buffered (see serving/bodylimit.py).
install_daphne_guard()
skip_unlogged_formatting()
# Static files are served asynchronously here (a sync-only static middleware would push
# every request through async_to_sync); a path out of the static directories is a 404.
django_asgi_app = StaticFiles(get_asgi_application())

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from agentdesk.desk.consumers import DESK_SOCKET_PATH, attach_agent_profile  # noqa: E402
from agentdesk.language.sockets import LanguageMiddleware  # noqa: E402
from agentdesk.routing import websocket_urlpatterns  # noqa: E402
from agentdesk.serving.origin import SameOriginValidator  # noqa: E402
from agentdesk.serving.socketlimits import SocketLimits  # noqa: E402
from agentdesk.serving.wsauth import ParallelAuthMiddlewareStack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(
            ParallelAuthMiddlewareStack(
                LanguageMiddleware(SocketLimits(URLRouter(websocket_urlpatterns))),
                also=[attach_agent_profile],
                cached_path=DESK_SOCKET_PATH,
            )
        ),
    }
)
