"""The websocket of live notifications, ``/ws/notifications/``.

Protocol (JSON text frames):

* client → server ``{"type": "catch_up", "after": <highest notification id processed>}``
  answered with ``{"type": "catch_up", "notifications": [...], "unread_count": n,
  "has_more": bool}`` — everything addressed to the staff member with a higher id, oldest
  first. Clients send it on every (re)connect, after which nothing that happened while they
  were away, or that the channel layer dropped, is missing.
* server → client ``{"type": "notification", "notification": {...}}`` when one is raised;
  ``{"type": "unread", "unread_count": n}`` when the staff member read some elsewhere;
  ``{"type": "stores_changed"}`` when the staff member's stores changed and the socket now
  hears a different set of them: the client sends a catch-up, for whatever a store it has just
  joined raised while the socket was switching.
* server → client live events of other domains, namespaced by their type (e.g.
  ``{"type": "sync.run_progress", "run": {...}}``). They are not stored and never caught up:
  they describe state a page can read again (see ``services.live_event_send``).
* The server closes the socket with code 4401 when the session it was opened with signs out,
  or the staff member's account is deactivated; with 4423 when that session's tablet locks
  (and refuses to open one while it is locked): a locked screen shows nothing personal. The
  client goes to the lock screen, and catches up once unlocked.

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
from frontline.tablet.locking import session_locked_for_socket

# Close codes in the 4000-4999 range are ours to define (RFC 6455 §7.4.2).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_LOCKED = 4423  # as HTTP's 423 Locked

# Channel-layer events that only forward a frame to the socket, without the database.
PUSHED_EVENTS = frozenset([groups.CREATED, groups.READ, groups.LIVE])


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: set[str]

    async def connect(self) -> None:
        self.groups_joined = set()
        user: User = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Refused before the handshake completes: an anonymous socket never opens.
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        session = self.scope.get("session")
        if await database_sync_to_async(session_locked_for_socket)(session, user_id=user.pk):
            await self.close(code=CLOSE_LOCKED)
            return
        session_key = getattr(session, "session_key", None) or ""
        self.session_name = groups.session_digest(session_key) if session_key else ""
        # The personal group first: from here on a change of stores reaches this socket as a
        # regroup, so one made between reading the stores and joining them is not missed.
        await self._follow([groups.staff_group(user.pk)], leave_others=False)
        await self._follow(await database_sync_to_async(selectors.live_groups_for)(user))
        await self.accept()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels (4.2+) hops to its one shared sync thread to close stale database connections
        # before handling every message. A pushed notification touches no database, and with a
        # whole store's sockets in one process those hops queue behind each other on that one
        # thread: profiled with py-spy at 1,000 sockets, they took about 60 % of the server's
        # time handling messages, more than sending the frames.
        # Everything here that does touch the ORM goes through ``database_sync_to_async``,
        # which closes stale connections around each call itself.
        if message["type"] in PUSHED_EVENTS:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        await self._follow([])

    async def _follow(self, wanted: list[str], *, leave_others: bool = True) -> bool:
        """Join the groups wanted and (unless told not to) leave the rest; True if any changed."""
        joining = [group for group in wanted if group not in self.groups_joined]
        leaving = sorted(self.groups_joined - set(wanted)) if leave_others else []
        for group in joining:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)
        for group in leaving:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups_joined.discard(group)
        return bool(joining or leaving)

    async def _end(self, code: int = CLOSE_UNAUTHENTICATED) -> None:
        # Out of every group first, so nothing more is pushed to a socket that is closing.
        await self._follow([])
        await self.close(code=code)

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

    async def live_event(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["frame"])

    async def notification_read(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "unread", "unread_count": event["unread_count"]})

    async def notification_regroup(self, event: dict[str, Any]) -> None:
        wanted = await database_sync_to_async(self._groups_now)()
        if not wanted:
            await self._end()
        elif await self._follow(wanted):
            await self.send_json({"type": "stores_changed"})

    def _groups_now(self) -> list[str]:
        # Fresh from the database: the user in the scope is as it was when the socket opened.
        user = User.objects.filter(pk=self.user.pk).first()
        return selectors.live_groups_for(user) if user is not None else []

    async def notification_signed_out(self, event: dict[str, Any]) -> None:
        if self.session_name and event["session"] == self.session_name:
            await self._end()

    async def notification_session_locked(self, event: dict[str, Any]) -> None:
        if self.session_name and event["session"] == self.session_name:
            await self._end(CLOSE_LOCKED)
