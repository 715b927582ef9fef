"""Channel-layer group names, built in one place so sender and consumer always agree."""

from __future__ import annotations

import hashlib
from typing import Literal

# Event types sent over the channel layer; the consumer has one handler per type.
CREATED = "notification.created"
READ = "notification.read"
# A live event that is not a notification (nothing is stored; see services.live_event_send).
LIVE = "live.event"
# The staff member's store assignments changed (or their account did): re-read the groups.
REGROUP = "notification.regroup"
# A session signed out: its sockets close.
SIGNED_OUT = "notification.signed_out"
# A session's tablet locked: its sockets close until it is unlocked.
SESSION_LOCKED = "notification.session_locked"


def group_name(scope: Literal["staff", "store"], pk: int) -> str:
    return f"{scope}-{int(pk)}"


def staff_group(user_id: int) -> str:
    return group_name("staff", user_id)


def store_group(store_id: int) -> str:
    return group_name("store", store_id)


def session_digest(session_key: str) -> str:
    """What names a session on the channel layer: a digest, never the key that signs in."""
    return hashlib.sha256(session_key.encode()).hexdigest()
