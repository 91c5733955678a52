"""Stock reservations in this process: the reference model behind the backend interface.

Each method calls `StockBook` without awaiting anything, so no other task can run in the middle
of a change: every transition is atomic within the event loop. Only one process sees the stock,
which is what the embedded default (`shopcast demo`, SQLite) is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from server.core.domain.reservations import DEFAULT_HOLD, Reservation, StockBook, StockLevel
from server.core.stock.reservations import StockReservations


class MemoryStockReservations(StockReservations):
    def __init__(self, hold: timedelta = DEFAULT_HOLD) -> None:
        self._book = StockBook(hold)

    async def restock(self, sku: str, quantity: int) -> StockLevel:
        return self._book.restock(sku, quantity)

    async def reserve(
        self, reservation_id: str, sku: str, quantity: int, now: datetime
    ) -> Reservation:
        return self._book.reserve(reservation_id, sku, quantity, now)

    async def confirm(self, reservation_id: str, now: datetime) -> Reservation:
        return self._book.confirm(reservation_id, now)

    async def release(self, reservation_id: str) -> Reservation:
        return self._book.release(reservation_id)

    async def refund(self, reservation_id: str) -> Reservation:
        return self._book.refund(reservation_id)

    async def expire(self, now: datetime, sku: str | None = None) -> list[Reservation]:
        return self._book.expire(now, sku)

    async def level(self, sku: str) -> StockLevel:
        return self._book.level(sku)

    async def get(self, reservation_id: str) -> Reservation:
        return self._book.get(reservation_id)
