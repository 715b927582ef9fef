"""ASGI entry point: HTTP through Django, websockets through Channels.

Django is set up before anything imports models (the consumers do), as Channels requires.
"""

from __future__ import annotations

import os
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clienteling.settings")
django_asgi_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from clienteling.routing import websocket_urlpatterns  # noqa: E402
from frontline.sentiment.scoring import models_warm  # noqa: E402

# The sentiment models take a second or two to load: in the background from the start, so that
# the first note typed after a restart does not wait for them.
threading.Thread(target=models_warm, name="sentiment-warm", daemon=True).start()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
