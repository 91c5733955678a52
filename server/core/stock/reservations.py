"""The interface every stock reservation backend implements.

It mirrors the reference model `server.core.domain.reservations.StockBook` call for call: the same
transitions, the same results, the same domain errors and codes. Two implementations:

- `MemoryStockReservations` (server/core/stock/memory.py): the embedded default, one process.
- `RedisStockReservations` (server/core/stock/redis_lua.py): shared by every server process, each
  transition one Lua script run atomically by Redis.

Times are timezone-aware datetimes passed in by the caller, as in the model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from server.core.domain.reservations import Reservation, StockLevel


class StockReservations(ABC):
    @abstractmethod
    async def restock(self, sku: str, quantity: int) -> StockLevel:
        """Put `quantity` more units of `sku` on the shelf."""

    @abstractmethod
    async def reserve(
        self, reservation_id: str, sku: str, quantity: int, now: datetime
    ) -> Reservation:
        """Hold units for a buyer until now + hold; a retry returns the first reservation.
        Raises SoldOut, or Conflict `idempotency_reused` for an id used for other goods."""

    @abstractmethod
    async def confirm(self, reservation_id: str, now: datetime) -> Reservation:
        """Paid: the held units are sold (Conflict `reservation_expired` past the hold)."""

    @abstractmethod
    async def release(self, reservation_id: str) -> Reservation:
        """Unpaid or cancelled: the held units go back on the shelf."""

    @abstractmethod
    async def refund(self, reservation_id: str) -> Reservation:
        """Returned after payment: the sold units go back on the shelf."""

    @abstractmethod
    async def expire(self, now: datetime, sku: str | None = None) -> list[Reservation]:
        """Release every hold past its expiry (of one SKU, or all), in expiry order."""

    @abstractmethod
    async def level(self, sku: str) -> StockLevel:
        """The SKU's counters now."""

    @abstractmethod
    async def get(self, reservation_id: str) -> Reservation:
        """One reservation (NotFound `reservation_unknown` if there is none)."""

    async def close(self) -> None:
        return None
