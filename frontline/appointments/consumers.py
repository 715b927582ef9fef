"""Signalling for the 1:1 video session: ``/ws/sessions/<booking id>/`` for the stylist (signed
in) and ``/ws/sessions/c/<token>/`` for the customer (the booking's unguessable token).

The media flows browser to browser (WebRTC); this socket only relays what the two browsers must
tell each other to connect. Protocol (JSON text frames):

* server → client ``{"type": "joined", "role": "stylist"|"customer"}`` once admitted;
* client → server ``hello``, ``welcome``, ``offer``, ``answer``, ``ice`` and ``bye`` frames,
  relayed unchanged to the other participant's sockets with ``"from": <sender's role>``;
* server → client ``{"type": "left", "from": role}`` when the other participant's socket closes;
* server → client ``{"type": "lookbook"}`` when the stylist changed the shared lookbook.

Anyone else is refused before the handshake completes (close code 4403): a signed-in staff
member who is not the booking's stylist, a wrong token, a cancelled or in-store session, or a
room outside its window (15 minutes before to an hour after).
"""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.utils import timezone

from frontline.appointments import selectors

CLOSE_FORBIDDEN = 4403
CLOSE_BAD_FRAME = 4400
RELAYED = frozenset(["hello", "welcome", "offer", "answer", "ice", "bye"])
# An SDP offer with many candidates is a few kilobytes; anything far bigger is not signalling.
MAX_FRAME_CHARACTERS = 64_000
SIGNAL = "session.signal"


def session_group(booking_id: int) -> str:
    return f"session-{int(booking_id)}"


def session_frame_send(*, booking_id: int, frame: dict[str, Any]) -> None:
    """Send a frame from the server to both participants of a booking's room (for instance
    ``{"type": "lookbook"}``: the lookbook changed, show it again)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            session_group(booking_id), {"type": SIGNAL, "frame": frame, "sender": ""}
        )


class SessionSignallingConsumer(AsyncJsonWebsocketConsumer):
    group: str = ""
    role: str = ""

    async def connect(self) -> None:
        route = self.scope["url_route"]["kwargs"]
        admission = await database_sync_to_async(selectors.session_admission)(
            user=self.scope.get("user"),
            booking_id=route.get("booking_id"),
            token=route.get("token"),
            now=timezone.now(),
        )
        if admission is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.role, self.group = admission.role, session_group(admission.booking_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "joined", "role": self.role})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME_CHARACTERS:
            await self.close(code=CLOSE_BAD_FRAME)
            return
        await super().receive(text_data=text_data)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return json.loads(text_data)
        except ValueError:
            return None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") not in RELAYED:
            await self.close(code=CLOSE_BAD_FRAME)
            return
        await self._relay({**content, "from": self.role})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self._relay({"type": "left", "from": self.role})
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _relay(self, frame: dict[str, Any]) -> None:
        await self.channel_layer.group_send(
            self.group, {"type": SIGNAL, "frame": frame, "sender": self.channel_name}
        )

    async def session_signal(self, event: dict[str, Any]) -> None:
        # The group holds both participants; a frame goes to the other one only.
        if event["sender"] != self.channel_name:
            await self.send_json(event["frame"])
