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
START_DEAL = "start_deal"  # {product_id, sku?, price_minor, duration_s, quantity, ...}
END_DEAL = "end_deal"  # {deal_id}
# client -> server: moderation (docs/moderation.md has who may do what)
DELETE_USER_MESSAGES = "delete_user_messages"
MUTE = "mute"
UNMUTE = "unmute"
BAN = "ban"
UNBAN = "unban"
SHADOW_BAN = "shadow_ban"
UNSHADOW_BAN = "unshadow_ban"
PLATFORM_BAN = "platform_ban"
PLATFORM_UNBAN = "platform_unban"
SET_MODES = "set_modes"
ADD_WORD = "add_word"
REMOVE_WORD = "remove_word"
WORD_LIST = "word_list"
HELD_MESSAGES = "held_messages"
APPROVE_HELD = "approve_held"
REJECT_HELD = "reject_held"
APPOINT_MODERATOR = "appoint_moderator"
DISMISS_MODERATOR = "dismiss_moderator"
AUDIT_LOG = "audit_log"

CLIENT_EVENTS = frozenset(
    {JOIN, LEAVE, SEND_MESSAGE, DELETE_MESSAGE, PIN_PRODUCT, UNPIN_PRODUCT, BUY}
    | {START_DEAL, END_DEAL}
    | {ANSWER_QUESTION, PIN_MESSAGE, UNPIN_MESSAGE, LIKE, DELETE_USER_MESSAGES, MUTE, UNMUTE}
    | {BAN, UNBAN, SHADOW_BAN, UNSHADOW_BAN, PLATFORM_BAN, PLATFORM_UNBAN, SET_MODES}
    | {ADD_WORD, REMOVE_WORD, WORD_LIST, HELD_MESSAGES, APPROVE_HELD, REJECT_HELD}
    | {APPOINT_MODERATOR, DISMISS_MODERATOR, AUDIT_LOG}
)

# server -> client
CHAT_MESSAGE = "chat_message"
MESSAGE_DELETED = "message_deleted"
PRODUCT_PINNED = "product_pinned"
PRODUCT_UNPINNED = "product_unpinned"
STOCK_CHANGED = "stock_changed"
VIEWER_COUNT = "viewer_count"
ORDER_CONFIRMED = "order_confirmed"  # to the buyer's sockets: {order}, once placed
ORDER_UPDATED = "order_updated"  # to the buyer's sockets: {order}, paid, cancelled, refunded...
DEAL_UPDATED = "deal_updated"  # {deal}: started, sold some, ended (with its countdown)
STREAM_STATUS = "stream_status"
QUESTION_ANSWERED = "question_answered"
MESSAGE_PINNED = "message_pinned"
MESSAGE_UNPINNED = "message_unpinned"
LIKES = "likes"  # {added}: likes since the last tick, a few times a second at most
BATCH = "batch"  # [[event, data], ...]: a busy room's events of one window, in order
USER_MESSAGES_DELETED = "user_messages_deleted"  # {author, message_ids}
MODES_CHANGED = "modes_changed"  # {modes}
# server -> one person's sockets
MUTED = "muted"  # {stream_id, until, reason}
BANNED = "banned"  # {stream_id (None: platform-wide), until, reason}; then disconnected
# server -> the stream's staff room
MESSAGE_HELD = "message_held"  # {held}
HELD_RESOLVED = "held_resolved"  # {held_id, verdict}
AUDIT_ENTRY = "audit_entry"  # {entry}
STANDING_CHANGED = "standing_changed"  # {stream_id, standing}: to the person appointed


def stream_room(stream_id: int) -> str:
    return f"stream:{stream_id}"


def staff_room(stream_id: int) -> str:
    """The sockets in a stream of its host, its moderators and platform staff."""
    return f"staff:{stream_id}"


PLATFORM_STAFF_ROOM = "staff:platform"  # every socket of platform moderators and admins


def person_room(subject: str) -> str:
    """Every socket of one person, so an order confirmation reaches all their tabs."""
    return f"person:{subject}"
