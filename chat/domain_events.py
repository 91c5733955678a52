"""The room's side of the core's domain events (server/core/events.py): each change a service
committed becomes the wire events of docs/protocol.md.

This is the only place that sends the commerce and show events (stock, deals, orders, pins,
stream status): the room's handlers call services and answer their acks; the services tell
everyone, the room included, through the port it subscribes to in the composition root.
"""

from __future__ import annotations

from collections.abc import Mapping

from chat import events
from chat.room_base import RoomBase
from server.contract.auctions import auction_view
from server.contract.serializers import deal_view, order_view, product_view
from server.core.events import (
    AuctionChange,
    AuctionChanged,
    DealChanged,
    DomainEvent,
    DomainEvents,
    OrderChanged,
    ProductPinned,
    ProductUnpinned,
    PurchasePlaced,
    StreamStatusChanged,
)
from server.core.store.rows import FlashDeal, utcnow


class DomainEventsRoom(RoomBase):
    """Subscribes to the port and sends each event to the rooms it concerns."""

    def listen_to(self, port: DomainEvents) -> None:
        port.subscribe(self._hear)

    async def _hear(self, event: DomainEvent) -> None:
        match event:
            case PurchasePlaced():
                await self._purchase_placed(event)
            case OrderChanged():
                await self._order_changed(event)
            case DealChanged():
                await self._deal_updated(event.deal, deal_view(event.deal, event.at))
            case StreamStatusChanged():
                status = {"status": event.status, "publisher": str(event.publisher)}
                await self._to_room(event.stream_id, events.STREAM_STATUS, status)
            case ProductPinned():
                product = product_view(await self._services.catalog.get(event.product_id))
                pinned = {"product": product, "pins": list(event.pins)}
                await self._to_room(event.stream_id, events.PRODUCT_PINNED, pinned)
            case ProductUnpinned():
                unpinned = {"product_id": event.product_id}
                await self._to_room(event.stream_id, events.PRODUCT_UNPINNED, unpinned)
            case AuctionChanged():
                await self._auction_changed(event)

    async def _purchase_placed(self, event: PurchasePlaced) -> None:
        """Everyone sees the stock move (and the deal's units left); the buyer, the order."""
        stream_id = event.order.stream_id
        if stream_id is not None:
            await self._stock_changed(stream_id, event.stock)
        now = utcnow()
        for deal in event.deals:
            await self._deal_updated(deal, deal_view(deal, now))
        order = {"order": order_view(event.order)}
        await self.emit(events.ORDER_CONFIRMED, order, room=events.person_room(event.buyer))

    async def _order_changed(self, event: OrderChanged) -> None:
        """An order changed state: its buyer's tabs hear it, and if stock went back on the
        shelf, the show's viewers see the new count."""
        order = event.order
        buyer = events.person_room(f"u:{order.buyer_id}")
        await self.emit(events.ORDER_UPDATED, {"order": order_view(order)}, room=buyer)
        if order.stream_id is not None:
            await self._stock_changed(order.stream_id, event.stock)

    async def _stock_changed(self, stream_id: int, stock: Mapping[int, int]) -> None:
        for product_id, left in stock.items():
            payload = {"product_id": product_id, "stock": left}
            key = f"stock:{product_id}"
            await self._to_room(stream_id, events.STOCK_CHANGED, payload, key)

    async def _deal_updated(self, deal: FlashDeal, view: dict) -> None:
        key = f"deal:{deal.id}"
        await self._to_room(deal.stream_id, events.DEAL_UPDATED, {"deal": view}, key)

    async def _auction_changed(self, event: AuctionChanged) -> None:
        """The auction as it stands: one line per auction per window (a newer state takes a
        waiting one's place); its end and offers as events of their own."""
        row = event.auction
        view = auction_view(row, event.state, event.leader_name, utcnow())
        if event.change in (AuctionChange.ENDED, AuctionChange.OFFERED):
            await self._to_room(row.stream_id, events.AUCTION_ENDED, {"auction": view})
            return
        key = f"auction:{row.id}"
        await self._to_room(row.stream_id, events.AUCTION_UPDATED, {"auction": view}, key)
