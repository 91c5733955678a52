"""Every error code the server answers with, one enum per area (docs/protocol.md lists them all;
tests/test_protocol_doc.py keeps the two the same). A member is its wire string: `StrEnum`
compares, formats and JSON-encodes as the plain value. The media core's codes are in
media/exceptions.py (`MediaCode`): media imports nothing of the server."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeAlias, get_args


class GeneralCode(StrEnum):
    """Any door, any area: the body's shape and fields every area shares, and the HTTP edge."""

    INVALID = "invalid"
    BAD_PAYLOAD = "bad_payload"
    BAD_JSON = "bad_json"
    BAD_FIELD = "bad_field"
    BAD_ID = "bad_id"
    BAD_QUERY = "bad_query"
    BAD_LANGUAGE = "bad_language"
    BAD_TITLE = "bad_title"
    BAD_DESCRIPTION = "bad_description"
    BAD_TEXT = "bad_text"
    BAD_TIME = "bad_time"
    BAD_STATUS = "bad_status"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    IDEMPOTENCY_REUSED = "idempotency_reused"
    RATE_LIMITED = "rate_limited"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    HTTP_ERROR = "http_error"
    INTERNAL = "internal"


class AuthCode(StrEnum):
    """Who you are, what your role may do, and the accounts."""

    AUTH_REQUIRED = "auth_required"
    FORBIDDEN = "forbidden"
    BAD_TOKEN = "bad_token"
    TOKEN_REVOKED = "token_revoked"
    BAD_CREDENTIALS = "bad_credentials"
    CSRF_FAILED = "csrf_failed"
    ACCOUNT_REQUIRED = "account_required"
    ACCOUNT_DISABLED = "account_disabled"
    OWN_ACCOUNT = "own_account"
    BAD_ACCOUNT_CHANGE = "bad_account_change"
    BAD_ROLE = "bad_role"
    BAD_EMAIL = "bad_email"
    BAD_PASSWORD = "bad_password"
    BAD_DISPLAY_NAME = "bad_display_name"
    EMAIL_TAKEN = "email_taken"


class CatalogCode(StrEnum):
    """Shops, products, their options and variants."""

    BAD_PRICE = "bad_price"
    BAD_CURRENCY = "bad_currency"
    BAD_STOCK = "bad_stock"
    BAD_IMAGE_URL = "bad_image_url"
    BAD_COUNTRY = "bad_country"
    BAD_COMMISSION_RATE = "bad_commission_rate"
    BAD_OPTIONS = "bad_options"
    BAD_VARIANTS = "bad_variants"
    BAD_OPTION_VALUE = "bad_option_value"
    BAD_SKU = "bad_sku"
    DUPLICATE_SKU = "duplicate_sku"
    DUPLICATE_VARIANT = "duplicate_variant"
    STOCK_AND_VARIANTS = "stock_and_variants"
    HAS_VARIANTS = "has_variants"
    VARIANT_NOT_FOUND = "variant_not_found"
    VARIANT_REQUIRED = "variant_required"
    NO_SELLER = "no_seller"
    SELLER_NOT_FOUND = "seller_not_found"
    SELLER_EXISTS = "seller_exists"


class StreamCode(StrEnum):
    """Shows, their lineup and their recordings."""

    BAD_LINEUP = "bad_lineup"
    BAD_STREAM_KEY = "bad_stream_key"
    STREAM_NOT_FOUND = "stream_not_found"
    STREAM_ENDED = "stream_ended"
    NOT_LIVE = "not_live"
    NOT_IN_LINEUP = "not_in_lineup"
    RECORDING_NOT_FOUND = "recording_not_found"
    RECORDING_FILE_MISSING = "recording_file_missing"


class OrderCode(StrEnum):
    """Buying: orders, carts and their lines."""

    BAD_PRODUCT = "bad_product"
    BAD_QUANTITY = "bad_quantity"
    BAD_IDEMPOTENCY_KEY = "bad_idempotency_key"
    ORDER_STATE = "order_state"
    ORDER_NOT_FOUND = "order_not_found"
    MIXED_CURRENCIES = "mixed_currencies"
    CART_EMPTY = "cart_empty"
    CART_FULL = "cart_full"
    BAD_PAY = "bad_pay"


class StockCode(StrEnum):
    """Stock and the reservations that hold it until payment."""

    SOLD_OUT = "sold_out"
    BAD_HOLD = "bad_hold"
    BAD_RESERVATION = "bad_reservation"
    RESERVATION_UNKNOWN = "reservation_unknown"
    RESERVATION_CLOSED = "reservation_closed"
    RESERVATION_EXPIRED = "reservation_expired"
    RESERVATION_NOT_SOLD = "reservation_not_sold"


class PaymentCode(StrEnum):
    """The payment gateway, its authorizations, captures, refunds and webhooks."""

    PAYMENT_ERROR = "payment_error"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_METHOD_REQUIRED = "payment_method_required"
    PAYMENT_TIMEOUT = "payment_timeout"
    GATEWAY_ERROR = "gateway_error"
    GATEWAY_REFUSED = "gateway_refused"
    BAD_AMOUNT = "bad_amount"
    CAPTURE_FAILED = "capture_failed"
    AUTHORIZATION_UNKNOWN = "authorization_unknown"
    AUTHORIZATION_PENDING = "authorization_pending"
    AUTHORIZATION_VOIDED = "authorization_voided"
    AUTHORIZATION_CAPTURED = "authorization_captured"
    NO_ACTION_PENDING = "no_action_pending"
    NOT_CAPTURED = "not_captured"
    REFUND_EXCEEDS_CAPTURE = "refund_exceeds_capture"
    BAD_WEBHOOK = "bad_webhook"
    BAD_WEBHOOK_SIGNATURE = "bad_webhook_signature"
    WEBHOOK_AMOUNT_MISMATCH = "webhook_amount_mismatch"
    WEBHOOK_CURRENCY_MISMATCH = "webhook_currency_mismatch"


class LedgerCode(StrEnum):
    """The commission ledger."""

    BAD_LINE = "bad_line"
    REFUND_EXCEEDS_SALE = "refund_exceeds_sale"


class DealCode(StrEnum):
    """Flash deals: their fields, and why one cannot be bought."""

    BAD_PRICE_MINOR = "bad_price_minor"
    BAD_DURATION_S = "bad_duration_s"
    BAD_STARTS_IN_S = "bad_starts_in_s"
    BAD_PER_BUYER_LIMIT = "bad_per_buyer_limit"
    BAD_DEAL_PRICE = "bad_deal_price"
    BAD_DEAL_CURRENCY = "bad_deal_currency"
    BAD_DEAL_WINDOW = "bad_deal_window"
    BAD_DEAL_LIMIT = "bad_deal_limit"
    BAD_DEAL_QUANTITY = "bad_deal_quantity"
    DEAL_NOT_FOUND = "deal_not_found"
    DEAL_EXISTS = "deal_exists"
    DEAL_NOT_STARTED = "deal_not_started"
    DEAL_ENDED = "deal_ended"
    DEAL_SOLD_OUT = "deal_sold_out"
    DEAL_LIMIT_REACHED = "deal_limit_reached"


class CouponCode(StrEnum):
    """Coupons: their fields, and why one does not apply."""

    BAD_COUPON_CODE = "bad_coupon_code"
    BAD_COUPON_VALUE = "bad_coupon_value"
    BAD_COUPON_SCOPE = "bad_coupon_scope"
    BAD_COUPON_LIMIT = "bad_coupon_limit"
    BAD_COUPON_WINDOW = "bad_coupon_window"
    COUPON_UNKNOWN = "coupon_unknown"
    COUPON_EXISTS = "coupon_exists"
    COUPON_NOT_STARTED = "coupon_not_started"
    COUPON_EXPIRED = "coupon_expired"
    COUPON_EXHAUSTED = "coupon_exhausted"
    COUPON_LIMIT_REACHED = "coupon_limit_reached"
    COUPON_NOT_APPLICABLE = "coupon_not_applicable"
    COUPON_MIN_ORDER = "coupon_min_order"
    COUPON_CURRENCY = "coupon_currency"


class RoomCode(StrEnum):
    """The live room: chat lines, the host's questions, and moderation."""

    UNKNOWN_EVENT = "unknown_event"
    NOT_JOINED = "not_joined"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    MESSAGE_NOT_FOUND = "message_not_found"
    NOT_A_QUESTION = "not_a_question"
    BANNED = "banned"
    MUTED = "muted"
    SLOW_MODE = "slow_mode"
    REGISTERED_ONLY = "registered_only"
    ACCOUNT_TOO_NEW = "account_too_new"
    BLOCKED_WORD = "blocked_word"
    REVIEW_FULL = "review_full"
    BAD_TARGET = "bad_target"
    BAD_DURATION = "bad_duration"
    BAD_REASON = "bad_reason"
    BAD_MODE = "bad_mode"
    BAD_TERM = "bad_term"
    BAD_ACTION = "bad_action"
    TOO_MANY_TERMS = "too_many_terms"
    TERM_NOT_FOUND = "term_not_found"
    NOT_SANCTIONED = "not_sanctioned"
    NOT_MODERATOR = "not_moderator"
    HELD_NOT_FOUND = "held_not_found"
    SENDER_SANCTIONED = "sender_sanctioned"
    UNAVAILABLE = "unavailable"
    FOLLOWERS_ONLY = "followers_only"


class ReportCode(StrEnum):
    """Show reports: who may read a show's figures."""

    REPORT_FORBIDDEN = "report_forbidden"
    REPORT_NOT_STARTED = "report_not_started"


class ReplayCode(StrEnum):
    """Replays of ended shows: who may watch them, their media links, chat windows, buying."""

    REPLAY_NOT_ENDED = "replay_not_ended"
    REPLAY_NO_RECORDING = "replay_no_recording"
    REPLAY_UNAVAILABLE = "replay_unavailable"
    BAD_REPLAY_SETTING = "bad_replay_setting"
    BAD_REPLAY_WINDOW = "bad_replay_window"
    REPLAY_LINK_EXPIRED = "replay_link_expired"
    REPLAY_BAD_SIGNATURE = "replay_bad_signature"


class ReviewCode(StrEnum):
    """Clip review: reviews of a show's recording, their clips, timed comments and replies."""

    NO_RECORDING = "no_recording"
    BAD_RECORDING = "bad_recording"
    BAD_OFFSET = "bad_offset"
    OFFSET_OUTSIDE_RECORDING = "offset_outside_recording"
    CLIP_INVERTED = "clip_inverted"
    CLIP_OVERLAPS = "clip_overlaps"
    BAD_CLIP_TITLE = "bad_clip_title"
    BAD_CATEGORY = "bad_category"
    BAD_RATING = "bad_rating"
    BAD_COMMENT = "bad_comment"
    COMMENT_TOO_LONG = "comment_too_long"
    REVIEW_NOT_FOUND = "review_not_found"
    CLIP_NOT_FOUND = "clip_not_found"
    COMMENT_NOT_FOUND = "comment_not_found"
    NOT_THE_HOST = "not_the_host"


class OfferCode(StrEnum):
    """The seller-influencer marketplace: offers, hosts joining them, line-ups through them,
    and commission statements."""

    BAD_OFFER = "bad_offer"
    BAD_OFFER_CATEGORY = "bad_offer_category"
    BAD_JOIN_POLICY = "bad_join_policy"
    BAD_DECISION = "bad_decision"
    BAD_MONTH = "bad_month"
    OFFER_NOT_FOUND = "offer_not_found"
    OFFER_CLOSED = "offer_closed"
    OFFER_ALREADY_JOINED = "offer_already_joined"
    OFFER_NOT_IN_COUNTRY = "offer_not_in_country"
    OFFER_NOT_IN_LANGUAGE = "offer_not_in_language"
    MEMBERSHIP_NOT_FOUND = "membership_not_found"
    MEMBERSHIP_DECIDED = "membership_decided"
    PRODUCT_NOT_JOINED = "product_not_joined"


class AddressCode(StrEnum):
    """Buyers' shipping addresses and profiles (server/core/domain/addresses.py)."""

    BAD_ADDRESS = "bad_address"
    UNSUPPORTED_COUNTRY = "unsupported_country"
    BAD_POSTAL_CODE = "bad_postal_code"
    BAD_REGION = "bad_region"
    BAD_PHONE = "bad_phone"
    ADDRESS_NOT_FOUND = "address_not_found"
    TOO_MANY_ADDRESSES = "too_many_addresses"


class ShippingCode(StrEnum):
    """Where shops ship and for how much (server/core/domain/shipping.py)."""

    BAD_RATES = "bad_rates"
    BAD_FEE = "bad_fee"
    DUPLICATE_COUNTRY = "duplicate_country"
    MIXED_CURRENCIES = "shipping_currency_mismatch"
    NOT_SHIPPED_TO_COUNTRY = "not_shipped_to_country"
    ADDRESS_REQUIRED = "address_required"


class GiveawayCode(StrEnum):
    """Giveaways: their terms, who may enter, the draw."""

    BAD_PRIZE = "bad_prize"
    BAD_ENTRY_WINDOW = "bad_entry_window"
    BAD_ELIGIBILITY = "bad_eligibility"
    BAD_KEYWORD = "bad_keyword"
    BAD_WINNERS = "bad_winners"
    FOLLOWERS_UNAVAILABLE = "followers_unavailable"
    GIVEAWAY_NOT_FOUND = "giveaway_not_found"
    GIVEAWAY_RUNNING = "giveaway_running"
    GIVEAWAY_CLOSED = "giveaway_closed"
    NOT_ELIGIBLE = "not_eligible"
    KEYWORD_ENTRY = "keyword_entry"


class PollCode(StrEnum):
    """Polls: their question and options, votes."""

    BAD_QUESTION = "bad_question"
    BAD_POLL_OPTIONS = "bad_poll_options"
    BAD_POLL_DURATION = "bad_poll_duration"
    BAD_CHOICE = "bad_choice"
    POLL_NOT_FOUND = "poll_not_found"
    POLL_RUNNING = "poll_running"
    POLL_CLOSED = "poll_closed"
    ALREADY_VOTED = "already_voted"


class AuctionCode(StrEnum):
    """Auctions of a show: their terms, bids and results (docs/protocol.md "Auctions")."""

    AUCTION_NOT_FOUND = "auction_not_found"
    AUCTION_RUNNING = "auction_running"
    AUCTION_ENDED = "auction_ended"
    BID_TOO_LOW = "bid_too_low"
    ALREADY_LEADING = "already_leading"
    OWN_AUCTION = "own_auction"
    BIDDER_BANNED = "bidder_banned"
    BIDDER_MUTED = "bidder_muted"
    BIDDER_REMOVED = "bidder_removed"
    BUY_NOW_UNAVAILABLE = "buy_now_unavailable"
    BAD_BID_AMOUNT = "bad_bid_amount"
    BAD_AUCTION_TERMS = "bad_auction_terms"
    BAD_INCREMENT = "bad_increment"
    BAD_AUCTION_DURATION = "bad_auction_duration"
    BAD_RESERVE = "bad_reserve"
    BAD_BUY_NOW = "bad_buy_now"


class FollowCode(StrEnum):
    """Following hosts, "remind me", unsubscribing and password resets (issue 18)."""

    NOT_A_HOST = "not_a_host"
    OWN_FOLLOW = "own_follow"
    NOT_REMINDABLE = "not_remindable"
    BAD_UNSUBSCRIBE_LINK = "bad_unsubscribe_link"
    RESET_LINK_INVALID = "reset_link_invalid"
    RESET_LINK_USED = "reset_link_used"
    RESET_LINK_EXPIRED = "reset_link_expired"


class StaffCode(StrEnum):
    """The staff console (docs/protocol.md "Staff console")."""

    ADMINS_ONLY = "admins_only"
    BAD_USER_QUERY = "bad_user_query"


ErrorCode: TypeAlias = (
    GeneralCode
    | AuthCode
    | CatalogCode
    | StreamCode
    | OrderCode
    | StockCode
    | PaymentCode
    | LedgerCode
    | DealCode
    | CouponCode
    | RoomCode
    | ReplayCode
    | ReportCode
    | ReviewCode
    | AuctionCode
    | OfferCode
    | AddressCode
    | ShippingCode
    | GiveawayCode
    | PollCode
    | FollowCode
    | StaffCode
)
ERROR_CODE_ENUMS: tuple[type[StrEnum], ...] = get_args(ErrorCode)
