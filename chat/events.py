"""Event names on the wire (the same list is in docs/protocol.md) and room names."""

from __future__ import annotations

# client -> server
JOIN = "join"
LEAVE = "leave"
SEND_MESSAGE = "send_message"
DELETE_MESSAGE = "delete_message"
PIN_PRODUCT = "pin_product"
UNPIN_PRODUCT = "unpin_product"
BUY = "buy"
ANSWER_QUESTION = "answer_question"
PIN_MESSAGE = "pin_message"
UNPIN_MESSAGE = "unpin_message"
LIKE = "like"

# server -> client
CHAT_MESSAGE = "chat_message"
MESSAGE_DELETED = "message_deleted"
PRODUCT_PINNED = "product_pinned"
PRODUCT_UNPINNED = "product_unpinned"
STOCK_CHANGED = "stock_changed"
VIEWER_COUNT = "viewer_count"
ORDER_CONFIRMED = "order_confirmed"
STREAM_STATUS = "stream_status"
QUESTION_ANSWERED = "question_answered"
MESSAGE_PINNED = "message_pinned"
MESSAGE_UNPINNED = "message_unpinned"
LIKES = "likes"  # {added}: likes since the last tick, a few times a second at most
BATCH = "batch"  # [[event, data], ...]: a busy room's events of one window, in order


def stream_room(stream_id: int) -> str:
    return f"stream:{stream_id}"


def person_room(subject: str) -> str:
    """Every socket of one person, so an order confirmation reaches all their tabs."""
    return f"person:{subject}"
