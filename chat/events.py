"""Event names on the wire (the same list is in docs/protocol.md; tests/test_protocol_doc.py
keeps the two the same) and room names. Each name is a member of `ClientEvent` (client ->
server, each acked) or `RoomEvent` (server -> client); a `StrEnum` member is its wire string."""

from __future__ import annotations

from enum import StrEnum


class ClientEvent(StrEnum):
    """What a client sends; the room's namespace has one `on_<name>` handler for each."""

    JOIN = "join"
    LEAVE = "leave"
    SEND_MESSAGE = "send_message"
    DELETE_MESSAGE = "delete_message"
    PIN_PRODUCT = "pin_product"
    UNPIN_PRODUCT = "unpin_product"
    BUY = "buy"
    CHECKOUT = "checkout"  # {idempotency_key, coupon?, pay?}: the buyer's cart in this show
    ANSWER_QUESTION = "answer_question"
    PIN_MESSAGE = "pin_message"
    UNPIN_MESSAGE = "unpin_message"
    LIKE = "like"
    START_DEAL = "start_deal"  # {product_id, sku?, price_minor, duration_s, quantity, ...}
    END_DEAL = "end_deal"  # {deal_id}
    PRODUCT_SEEN = "product_seen"  # {product_id}: the page shows its card (the show report)
    # moderation (docs/moderation.md has who may do what)
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
    # auctions (docs/protocol.md "Auctions")
    START_AUCTION = "start_auction"  # {product_id, sku?, start_minor, increment_minor | ladder…}
    BID = "bid"  # {auction_id, amount_minor | buy_now, idempotency_key}
    SET_MAX_BID = "set_max_bid"  # {auction_id, max_minor, idempotency_key}
    STOP_AUCTION = "stop_auction"  # {auction_id}
    AUCTION_STATE = "auction_state"  # {}: the show's running (or last) auction
    AUCTION_BIDS = "auction_bids"  # {auction_id}: the bid history, staff only
    REMOVE_BIDDER = "remove_bidder"  # {auction_id, bidder_id}
    # giveaways and polls (docs/protocol.md "Giveaways", "Polls")
    START_GIVEAWAY = "start_giveaway"  # {prize_product_id | prize_text, window_s, winners, ...}
    ENTER_GIVEAWAY = "enter_giveaway"  # {giveaway_id?}
    END_GIVEAWAY = "end_giveaway"  # {giveaway_id}: close the window now and draw
    START_POLL = "start_poll"  # {question, options, duration_s?}
    VOTE = "vote"  # {poll_id, choice}
    CLOSE_POLL = "close_poll"  # {poll_id}
    GIVEAWAY_STATE = "giveaway_state"  # {}: the show's running (or last) giveaway
    POLL_STATE = "poll_state"  # {}: the show's open (or last) poll


class RoomEvent(StrEnum):
    """What the server sends: to the room, to one person's sockets, or to the staff room."""

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
    AUCTION_UPDATED = "auction_updated"  # {auction}: started, a bid, a new end (per window)
    AUCTION_ENDED = "auction_ended"  # {auction}: its result (sold, reserve_not_met, no_bids...)
    GIVEAWAY_UPDATED = "giveaway_updated"  # {giveaway}: started, entrants (per window), drawn
    POLL_UPDATED = "poll_updated"  # {poll}: opened, live counts (per window), closed
    HOST_LIVE = "host_live"  # {stream_id, host_id, host, title, watch_url}: to followers


CLIENT_EVENTS = frozenset(ClientEvent)

# The names the modules use: `events.JOIN` is `ClientEvent.JOIN`.
JOIN = ClientEvent.JOIN
LEAVE = ClientEvent.LEAVE
SEND_MESSAGE = ClientEvent.SEND_MESSAGE
DELETE_MESSAGE = ClientEvent.DELETE_MESSAGE
PIN_PRODUCT = ClientEvent.PIN_PRODUCT
UNPIN_PRODUCT = ClientEvent.UNPIN_PRODUCT
BUY = ClientEvent.BUY
CHECKOUT = ClientEvent.CHECKOUT
ANSWER_QUESTION = ClientEvent.ANSWER_QUESTION
PIN_MESSAGE = ClientEvent.PIN_MESSAGE
UNPIN_MESSAGE = ClientEvent.UNPIN_MESSAGE
LIKE = ClientEvent.LIKE
START_DEAL = ClientEvent.START_DEAL
END_DEAL = ClientEvent.END_DEAL
PRODUCT_SEEN = ClientEvent.PRODUCT_SEEN
DELETE_USER_MESSAGES = ClientEvent.DELETE_USER_MESSAGES
MUTE = ClientEvent.MUTE
UNMUTE = ClientEvent.UNMUTE
BAN = ClientEvent.BAN
UNBAN = ClientEvent.UNBAN
SHADOW_BAN = ClientEvent.SHADOW_BAN
UNSHADOW_BAN = ClientEvent.UNSHADOW_BAN
PLATFORM_BAN = ClientEvent.PLATFORM_BAN
PLATFORM_UNBAN = ClientEvent.PLATFORM_UNBAN
SET_MODES = ClientEvent.SET_MODES
ADD_WORD = ClientEvent.ADD_WORD
REMOVE_WORD = ClientEvent.REMOVE_WORD
WORD_LIST = ClientEvent.WORD_LIST
HELD_MESSAGES = ClientEvent.HELD_MESSAGES
APPROVE_HELD = ClientEvent.APPROVE_HELD
REJECT_HELD = ClientEvent.REJECT_HELD
APPOINT_MODERATOR = ClientEvent.APPOINT_MODERATOR
DISMISS_MODERATOR = ClientEvent.DISMISS_MODERATOR
AUDIT_LOG = ClientEvent.AUDIT_LOG
START_AUCTION = ClientEvent.START_AUCTION
BID = ClientEvent.BID
SET_MAX_BID = ClientEvent.SET_MAX_BID
STOP_AUCTION = ClientEvent.STOP_AUCTION
AUCTION_STATE = ClientEvent.AUCTION_STATE
AUCTION_BIDS = ClientEvent.AUCTION_BIDS
REMOVE_BIDDER = ClientEvent.REMOVE_BIDDER
START_GIVEAWAY = ClientEvent.START_GIVEAWAY
ENTER_GIVEAWAY = ClientEvent.ENTER_GIVEAWAY
END_GIVEAWAY = ClientEvent.END_GIVEAWAY
START_POLL = ClientEvent.START_POLL
VOTE = ClientEvent.VOTE
CLOSE_POLL = ClientEvent.CLOSE_POLL
GIVEAWAY_STATE = ClientEvent.GIVEAWAY_STATE
POLL_STATE = ClientEvent.POLL_STATE
CHAT_MESSAGE = RoomEvent.CHAT_MESSAGE
MESSAGE_DELETED = RoomEvent.MESSAGE_DELETED
PRODUCT_PINNED = RoomEvent.PRODUCT_PINNED
PRODUCT_UNPINNED = RoomEvent.PRODUCT_UNPINNED
STOCK_CHANGED = RoomEvent.STOCK_CHANGED
VIEWER_COUNT = RoomEvent.VIEWER_COUNT
ORDER_CONFIRMED = RoomEvent.ORDER_CONFIRMED
ORDER_UPDATED = RoomEvent.ORDER_UPDATED
DEAL_UPDATED = RoomEvent.DEAL_UPDATED
STREAM_STATUS = RoomEvent.STREAM_STATUS
QUESTION_ANSWERED = RoomEvent.QUESTION_ANSWERED
MESSAGE_PINNED = RoomEvent.MESSAGE_PINNED
MESSAGE_UNPINNED = RoomEvent.MESSAGE_UNPINNED
LIKES = RoomEvent.LIKES
BATCH = RoomEvent.BATCH
USER_MESSAGES_DELETED = RoomEvent.USER_MESSAGES_DELETED
MODES_CHANGED = RoomEvent.MODES_CHANGED
MUTED = RoomEvent.MUTED
BANNED = RoomEvent.BANNED
MESSAGE_HELD = RoomEvent.MESSAGE_HELD
HELD_RESOLVED = RoomEvent.HELD_RESOLVED
AUDIT_ENTRY = RoomEvent.AUDIT_ENTRY
STANDING_CHANGED = RoomEvent.STANDING_CHANGED
AUCTION_UPDATED = RoomEvent.AUCTION_UPDATED
AUCTION_ENDED = RoomEvent.AUCTION_ENDED
GIVEAWAY_UPDATED = RoomEvent.GIVEAWAY_UPDATED
POLL_UPDATED = RoomEvent.POLL_UPDATED
HOST_LIVE = RoomEvent.HOST_LIVE


def stream_room(stream_id: int) -> str:
    return f"stream:{stream_id}"


def staff_room(stream_id: int) -> str:
    """The sockets in a stream of its host, its moderators and platform staff."""
    return f"staff:{stream_id}"


PLATFORM_STAFF_ROOM = "staff:platform"  # every socket of platform moderators and admins


def person_room(subject: str) -> str:
    """Every socket of one person, so an order confirmation reaches all their tabs."""
    return f"person:{subject}"
