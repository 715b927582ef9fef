"""The websocket of live notifications, ``/ws/notifications/``.

Protocol (JSON text frames):

* client → server ``{"type": "catch_up", "after": <highest notification id processed>}``
  answered with ``{"type": "catch_up", "notifications": [...], "unread_count": n,
  "has_more": bool}`` — everything addressed to the staff member with a higher id, oldest
  first. Clients send it on every (re)connect, after which nothing that happened while they
  were away, or that the channel layer dropped, is missing.
* server → client ``{"type": "notification", "notification": {...}}`` when one is raised;
  ``{"type": "unread", "unread_count": n}`` when the staff member read some elsewhere.

The socket joins its groups before it answers a catch-up, so an event is either in the
catch-up, or pushed, or both (the client ignores ids it has already processed): never neither.
"""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from frontline.notifications import groups, selectors
from frontline.notifications.payloads import received_payload
from frontline.staff.models import User

# Close codes in the 4000-4999 range are ours to define (RFC 6455 §7.4.2).
CLOSE_UNAUTHENTICATED = 4401

# Channel-layer events that only forward a frame to the socket, without the database.
PUSHED_EVENTS = frozenset([groups.CREATED, groups.READ])


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user: User = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Refused before the handshake completes: an anonymous socket never opens.
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        groups = await database_sync_to_async(selectors.live_groups_for)(user)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels (4.2+) hops to its one shared sync thread to close stale database connections
        # before handling every message. A pushed notification touches no database, and with a
        # whole store's sockets in one process those hops queue behind each other on that one
        # thread: profiled at 1,000 sockets, they were most of the server's time per delivery.
        # Everything here that does touch the ORM goes through ``database_sync_to_async``,
        # which closes stale connections around each call itself.
        if message["type"] in PUSHED_EVENTS:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "catch_up":
            await self.send_json({"type": "error", "error": 'Send {"type": "catch_up"}.'})
            return
        after = content.get("after", 0)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            await self.send_json(
                {"type": "error", "error": "'after' must be a notification id (0 or more)."}
            )
            return
        await self.send_json(await self._catch_up(after))

    @database_sync_to_async
    def _catch_up(self, after: int) -> dict[str, Any]:
        limit = selectors.CATCH_UP_LIMIT
        entries = selectors.notifications_after(self.user, after_id=after, limit=limit + 1)
        return {
            "type": "catch_up",
            "notifications": [received_payload(entry) for entry in entries[:limit]],
            "has_more": len(entries) > limit,
            "unread_count": selectors.unread_count(self.user),
        }

    # --- channel-layer events (see frontline.notifications.groups) ---------------------

    async def notification_created(self, event: dict[str, Any]) -> None:
        # The frame is the JSON text described above, encoded once by the sender.
        await self.send(text_data=event["frame"])

    async def notification_read(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "unread", "unread_count": event["unread_count"]})
