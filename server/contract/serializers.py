"""JSON shapes of the records, shared by the HTTP API and the Socket.IO events."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from server.core.domain.catalog import read_options, read_texts
from server.core.domain.commissions import rate_for
from server.core.domain.recordings import CONTENT_TYPES, Marker
from server.core.domain.variants import Option
from server.core.services.deals import as_deal
from server.core.store.rows import (
    CartItem,
    ChatMessage,
    Coupon,
    FlashDeal,
    ModerationAudit,
    Order,
    Product,
    ProductVariant,
    Recording,
    Stream,
    User,
    as_utc,
)

JSON = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def user_view(user: User) -> JSON:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
    }


def product_view(product: Product, language: str | None = None) -> JSON:
    """`title` and `description` in `language` ("pt-BR" reads as "pt"), else in the product's
    own; `titles` and `descriptions` hold every language it has."""
    titles = read_texts(product.language, product.title, product.title_i18n)
    descriptions = read_texts(product.language, product.description, product.description_i18n)
    options = read_options(product.options)
    return {
        "id": product.id,
        "seller_id": product.seller_id,
        "seller_name": product.seller.name,
        "title": titles.pick(language) if titles else product.title,
        "description": descriptions.pick(language) if descriptions else "",
        "image_url": product.image_url,
        "price_minor": product.price_minor,
        "currency": product.currency,
        "stock": product.stock,
        "language": product.language,
        "titles": dict(titles.texts) if titles else {},
        "descriptions": dict(descriptions.texts) if descriptions else {},
        "options": [{"name": o.name, "values": list(o.values)} for o in options],
        "variants": [_variant_view(product, v, options) for v in product.variants],
        "commission_bp": product.commission_bp,
        "effective_commission_bp": rate_for(product.commission_bp, product.seller.commission_bp),
    }


def _variant_view(product: Product, variant: ProductVariant, options: tuple[Option, ...]) -> JSON:
    values = json.loads(variant.option_values)
    return {
        "id": variant.id,
        "sku": variant.sku,
        "options": {o.name: value for o, value in zip(options, values, strict=False)},
        "stock": variant.stock,
        "price_minor": product.price_minor if variant.price_minor is None else variant.price_minor,
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
        "replay": stream.replay,  # on, off or unlisted (server/core/domain/replays.py)
        "lineup": [product_view(p) for p in lineup],
    }


def message_view(message: ChatMessage, stream_started_at: datetime | None = None) -> JSON:
    """`offset_ms`: when it was said, from the show's start (a replay places it by this)."""
    offset = None
    if stream_started_at is not None:
        elapsed = as_utc(message.created_at) - as_utc(stream_started_at)
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
        "at": iso(as_utc(entry.at)),
    }


def order_view(order: Order) -> JSON:
    """`status` is what buyer and seller act on; `payment_state` says how far payment got
    (an `authorized` order is still `reserved`). `expires_at`: unpaid by then, it is cancelled."""
    return {
        "id": order.id,
        "buyer_id": order.buyer_id,
        "stream_id": order.stream_id,
        "host_id": order.host_id,
        "status": order.status,
        "payment_state": order.payment_state,
        "idempotency_key": order.idempotency_key,
        "subtotal_minor": order.subtotal_minor,
        "discount_minor": order.discount_minor,
        "total_minor": order.total_minor,
        "currency": order.currency,
        "coupon_id": order.coupon_id,
        "source": order.source,  # "live" or "replay" (bought from the show's replay)
        "created_at": iso(as_utc(order.created_at)),
        "expires_at": iso(as_utc(order.expires_at)) if order.expires_at else None,
        "paid_at": iso(as_utc(order.paid_at)) if order.paid_at else None,
        "lines": [
            {
                "product_id": line.product_id,
                "sku": line.sku,
                "seller_id": line.seller_id,
                "title": line.title,
                "unit_price_minor": line.unit_price_minor,
                "currency": line.currency,
                "quantity": line.quantity,
                "discount_minor": line.discount_minor,
                "deal_id": line.deal_id,
                "commission_bp": line.commission_bp,
            }
            for line in order.lines
        ],
    }


def deal_view(deal: FlashDeal, now: datetime) -> JSON:
    """A flash deal with its countdown: `server_time` travels with the bounds, so every
    viewer's clock shows the same second (server/core/domain/deals.py Countdown)."""
    countdown = as_deal(deal).countdown(now)
    return {
        "id": deal.id,
        "stream_id": deal.stream_id,
        "product_id": deal.product_id,
        "variant_id": deal.variant_id,
        "price_minor": deal.price_minor,
        "currency": deal.currency,
        "quantity": deal.quantity,
        "per_buyer_limit": deal.per_buyer_limit,
        "sold": deal.sold,
        "left": deal.quantity - deal.sold,
        **countdown.to_payload(),
    }


def cart_view(items: list[CartItem]) -> JSON:
    return {
        "items": [
            {
                "product_id": item.product_id,
                "variant_id": item.variant_id,
                "quantity": item.quantity,
            }
            for item in items
        ]
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


def coupon_view(coupon: Coupon) -> JSON:
    """`currency` is that of `fixed_minor` and `min_order_minor`; unset limits are null."""
    return {
        "id": coupon.id,
        "code": coupon.code,
        "scope": coupon.scope,
        "scope_id": coupon.scope_id,
        "percent_bp": coupon.percent_bp,
        "fixed_minor": coupon.fixed_minor,
        "currency": coupon.currency,
        "min_order_minor": coupon.min_order_minor,
        "starts_at": iso(as_utc(coupon.starts_at)) if coupon.starts_at else None,
        "ends_at": iso(as_utc(coupon.ends_at)) if coupon.ends_at else None,
        "max_uses": coupon.max_uses,
        "per_buyer_limit": coupon.per_buyer_limit,
        "used": coupon.used,
        "created_by": coupon.created_by,
        "created_at": iso(as_utc(coupon.created_at)),
    }
