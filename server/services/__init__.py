"""Use cases over the database: the rules in server/domain applied to the durable record."""

from __future__ import annotations

from dataclasses import dataclass

from server.auth import Passwords, Tokens
from server.db import Database
from server.services.accounts import AccountService
from server.services.catalog import CatalogService
from server.services.chat_log import ChatLog
from server.services.moderation_audit import ModerationAuditLog
from server.services.orders import OrderService
from server.services.recordings import RecordingService
from server.services.streams import StreamService


@dataclass(frozen=True)
class Services:
    accounts: AccountService
    catalog: CatalogService
    streams: StreamService
    orders: OrderService
    chat_log: ChatLog
    moderation_audit: ModerationAuditLog
    recordings: RecordingService
    tokens: Tokens

    @classmethod
    def build(cls, db: Database, tokens: Tokens) -> Services:
        return cls(
            accounts=AccountService(db, Passwords(), tokens),
            catalog=CatalogService(db),
            streams=StreamService(db),
            orders=OrderService(db),
            chat_log=ChatLog(db),
            moderation_audit=ModerationAuditLog(db),
            recordings=RecordingService(db),
            tokens=tokens,
        )
