"""JSON shapes of the records, shared by the HTTP API and the Socket.IO events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from server.domain.recordings import CONTENT_TYPES, Marker
from server.models import ChatMessage, ModerationAudit, Order, Product, Recording, Stream, User

JSON = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def user_view(user: User) -> JSON:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
    }


def product_view(product: Product) -> JSON:
    return {
        "id": product.id,
        "seller_id": product.seller_id,
        "seller_name": product.seller.name,
        "title": product.title,
        "description": product.description,
        "image_url": product.image_url,
        "price_minor": product.price_minor,
        "currency": product.currency,
        "stock": product.stock,
    }


def stream_view(stream: Stream, lineup: list[Product]) -> JSON:
    return {
        "id": stream.id,
        "title": stream.title,
        "language": stream.language,
        "status": stream.status,
        "host": {"id": stream.host.id, "display_name": stream.host.display_name},
        "scheduled_at": iso(stream.scheduled_at),
        "started_at": iso(stream.started_at),
        "ended_at": iso(stream.ended_at),
        "pinned_product_id": stream.pinned_product_id,
        "lineup": [product_view(p) for p in lineup],
    }


def message_view(message: ChatMessage, stream_started_at: datetime | None = None) -> JSON:
    """`offset_ms`: when it was said, from the show's start (a replay places it by this)."""
    offset = None
    if stream_started_at is not None:
        elapsed = _utc(message.created_at) - _utc(stream_started_at)
        offset = int(elapsed.total_seconds() * 1000)
    return {
        "id": message.id,
        "stream_id": message.stream_id,
        "author": message.author,
        "display_name": message.display_name,
        "role": message.role,
        "text": message.text,
        "question": bool(message.question),
        "answered": message.answered_at is not None,
        "language": message.language,
        "created_at": iso(message.created_at),
        "offset_ms": offset,
    }


def audit_view(entry: ModerationAudit) -> JSON:
    return {
        "id": entry.id,
        "stream_id": entry.stream_id,
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "detail": json.loads(entry.detail),
        "at": iso(_utc(entry.at)),
    }


def order_view(order: Order) -> JSON:
    return {
        "id": order.id,
        "buyer_id": order.buyer_id,
        "stream_id": order.stream_id,
        "status": order.status,
        "idempotency_key": order.idempotency_key,
        "total_minor": order.total_minor,
        "currency": order.currency,
        "created_at": iso(order.created_at),
        "lines": [
            {
                "product_id": line.product_id,
                "seller_id": line.seller_id,
                "title": line.title,
                "unit_price_minor": line.unit_price_minor,
                "currency": line.currency,
                "quantity": line.quantity,
            }
            for line in order.lines
        ],
    }


def recording_view(recording: Recording, markers: list[Marker]) -> JSON:
    # The path on disk stays on the server: clients fetch the file by id.
    return {
        "id": recording.id,
        "stream_id": recording.stream_id,
        "status": recording.status,
        "container": recording.container,
        "content_type": CONTENT_TYPES[recording.container],
        "started_at": iso(recording.started_at),
        "ended_at": iso(recording.ended_at),
        "duration_ms": recording.duration_ms,
        "bytes": recording.bytes,
        "file_url": f"/api/recordings/{recording.id}/file",
        "markers": [
            {"kind": m.kind, "product_id": m.product_id, "offset_ms": m.offset_ms} for m in markers
        ],
    }
