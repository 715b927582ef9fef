"""Channel-layer group names, built in one place so sender and consumer always agree."""

from __future__ import annotations

from typing import Literal

# Event types sent over the channel layer; the consumer has one handler per type.
CREATED = "notification.created"
READ = "notification.read"
# A live event that is not a notification (nothing is stored; see services.live_event_send).
LIVE = "live.event"


def group_name(scope: Literal["staff", "store"], pk: int) -> str:
    return f"{scope}-{int(pk)}"


def staff_group(user_id: int) -> str:
    return group_name("staff", user_id)


def store_group(store_id: int) -> str:
    return group_name("store", store_id)
