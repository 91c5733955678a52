"""Use cases over the database: the rules in server/domain applied to the durable record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from server.core.auth import Passwords, Tokens
from server.core.config import AuthConfig, CommerceConfig, PaymentsConfig
from server.core.domain.notifications import NotificationsConfig
from server.core.domain.payments import PaymentGateway
from server.core.events import DomainEvents
from server.core.mailer import mailer_for
from server.core.payments.providers import gateway_for
from server.core.services.account_standing import AccountStanding
from server.core.services.accounts import AccountService
from server.core.services.auctions import AuctionService
from server.core.services.cart import CartService
from server.core.services.catalog import CatalogService
from server.core.services.chat_log import ChatLog
from server.core.services.coupons import CouponService
from server.core.services.deals import DealService
from server.core.services.following import FollowingService
from server.core.services.giveaways import GiveawayService
from server.core.services.ledger import Ledger
from server.core.services.moderation_audit import ModerationAuditLog
from server.core.services.notifications import Links, NotificationService, WebhookSender
from server.core.services.offers import OfferService
from server.core.services.order_lifecycle import OrderLifecycle
from server.core.services.orders import OrderService
from server.core.services.password_resets import PasswordResets
from server.core.services.polls import PollService
from server.core.services.rate_limits import RateLimits
from server.core.services.recordings import RecordingService
from server.core.services.replays import ReplayService
from server.core.services.reviews import ReviewService
from server.core.services.show_reports import ShowReports
from server.core.services.statements import StatementService
from server.core.services.streams import StreamService
from server.core.stock.auction_book import AuctionBook, MemoryAuctionBook
from server.core.stock.auction_book_redis import RedisAuctionBook
from server.core.stock.gate import StockGate
from server.core.stock.redis_lua import RedisStockReservations
from server.core.store.db import Database
from server.core.store.rows import FlashDeal, ProductVariant

# Redis lets a hold outlive the database's by this much: the database's expiry decides, and
# Redis's own only frees units of a purchase whose transaction never happened (a crash).
GATE_HOLD_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class Services:
    accounts: AccountService
    catalog: CatalogService
    streams: StreamService
    orders: OrderService
    chat_log: ChatLog
    moderation_audit: ModerationAuditLog
    recordings: RecordingService
    reviews: ReviewService
    tokens: Tokens
    coupons: CouponService
    ledger: Ledger
    deals: DealService
    carts: CartService
    lifecycle: OrderLifecycle
    rate_limits: RateLimits
    events: DomainEvents  # what they change, told after each commit (server/core/events.py)
    show_reports: ShowReports
    replays: ReplayService
    giveaways: GiveawayService  # issue 16 (services/giveaways.py)
    polls: PollService
    auctions: AuctionService  # bids decided by the auction book (services/auctions.py)
    offers: OfferService  # the marketplace (services/offers.py)
    statements: StatementService
    following: FollowingService  # issue 18: follows, reminders (services/following.py)
    notifications: NotificationService  # the durable queue: emails, webhooks
    password_resets: PasswordResets

    @classmethod
    def build(
        cls,
        db: Database,
        tokens: Tokens,
        commerce: CommerceConfig | None = None,
        redis_url: str | None = None,
        gateway: PaymentGateway | None = None,
        redis_prefix: str = "shopcast",
        auth: AuthConfig | None = None,
        payments: PaymentsConfig | None = None,
        notifications: NotificationsConfig | None = None,
        public_url: str = "http://127.0.0.1:8080",
        webhooks: WebhookSender | None = None,
    ) -> Services:
        """`gateway`: the payment provider, else the one `payments` configures (no default);
        `redis_prefix` the deployment's Redis key prefix (its channel name)."""
        commerce = commerce or CommerceConfig()
        auth = auth or AuthConfig()
        standing = AccountStanding(db, auth.recheck_s)
        rate_limits = RateLimits.build(auth, redis_url, redis_prefix)
        hold = timedelta(seconds=commerce.reservation_hold_s)
        gate = _gate(db, redis_url, f"{redis_prefix}:stock", hold) if redis_url else None
        coupons = CouponService(db)
        ledger = Ledger(db)
        events = DomainEvents()
        recordings = RecordingService(db)
        show_reports = ShowReports(db)
        events.subscribe(show_reports.on_event)  # a show that ends gets its report stored
        orders = OrderService(db, coupons, hold=hold, gate=gate, events=events)
        lifecycle = OrderLifecycle(
            db,
            orders,
            coupons,
            ledger,
            gateway or gateway_for(payments or PaymentsConfig()),
            gateway_timeout_s=commerce.gateway_timeout_s,
            events=events,
        )
        book: AuctionBook = (
            RedisAuctionBook.from_url(redis_url, redis_prefix) if redis_url else MemoryAuctionBook()
        )
        auctions = AuctionService(db, book, orders, events)
        events.subscribe(auctions.on_event)  # an auction's unpaid order: the second chance
        notify = notifications or NotificationsConfig()
        queue = NotificationService(
            db,
            notify,
            mailer_for(notify.smtp_url, notify.mail_from),
            tokens.signing_secret,
            Links(public_url),
            webhooks,
        )
        events.subscribe(queue.on_event)  # a host going live wakes the announcer, at once
        return cls(
            accounts=AccountService(db, Passwords(), tokens, standing, rate_limits),
            catalog=CatalogService(db, stock_changed=gate.variant_changed if gate else None),
            streams=StreamService(db, events=events),
            orders=orders,
            chat_log=ChatLog(db),
            moderation_audit=ModerationAuditLog(db),
            recordings=recordings,
            reviews=ReviewService(db, recordings),
            tokens=tokens,
            coupons=coupons,
            ledger=ledger,
            deals=DealService(db, events, show_changed=orders.forget),
            carts=CartService(db),
            lifecycle=lifecycle,
            rate_limits=rate_limits,
            events=events,
            show_reports=show_reports,
            replays=ReplayService(db, events=events, recordings=recordings),
            giveaways=GiveawayService(db, events, orders),
            polls=PollService(db, events),
            auctions=auctions,
            offers=OfferService(db),
            statements=StatementService(db, commerce.refund_window_days),
            following=FollowingService(db),
            notifications=queue,
            password_resets=PasswordResets(db, Passwords(), queue, rate_limits, notify),
        )

    async def close(self) -> None:
        await self.rate_limits.close()
        await self.lifecycle.gateway.close()
        await self.auctions.book.aclose()
        if self.orders.gate is not None:
            await self.orders.gate.close()


def _gate(db: Database, redis_url: str, prefix: str, hold: timedelta) -> StockGate:
    async def seed(key: str) -> int:
        """A gate key's units on the shelf as the database has them."""
        kind, number = key[0], int(key[1:])
        async with db.reading() as session:
            if kind == "v":
                stock = await session.scalar(
                    select(ProductVariant.stock).where(ProductVariant.id == number)
                )
                return stock or 0
            deal = await session.get(FlashDeal, number)
            return deal.quantity - deal.sold if deal is not None else 0

    reservations = RedisStockReservations.from_url(redis_url, prefix, hold + GATE_HOLD_MARGIN)
    return StockGate(reservations, seed, listen=True)
