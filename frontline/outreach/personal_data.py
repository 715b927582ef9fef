"""Outreach's part of a data export and erasure: the conversations and every message.

Erasure empties what was written and the addresses, keeping that a message was sent, when and
on which channel (the frequency caps and the team's figures count them)."""

from __future__ import annotations

from typing import Any

from frontline.outreach.models import Conversation, Message, MessageEvent
from frontline.privacy.registry import rows


def outreach_personal_data_export(customer_id: int) -> dict[str, Any]:
    return {
        "conversations": rows(Conversation.objects.filter(customer_id=customer_id)),
        "messages": rows(Message.objects.filter(customer_id=customer_id)),
        "message_events": rows(MessageEvent.objects.filter(message__customer_id=customer_id)),
    }


def outreach_personal_data_erase(customer_id: int) -> None:
    Message.objects.filter(customer_id=customer_id).update(
        subject="",
        body="",
        html="",
        to_address="",
        from_address="",
        content_variables={},
    )
