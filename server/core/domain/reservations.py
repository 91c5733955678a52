"""Stock reservations: the reference model of holding, selling and returning stock.

Per SKU there are three counters: `available` (on the shelf), `reserved` (held for a buyer who
is paying) and `sold`. A reservation moves units between them:

    reserve  available -> reserved   (held until `expires_at`)
    confirm  reserved  -> sold       (paid)
    release  reserved  -> available  (expired, cancelled, payment failed)
    refund   sold      -> available  (returned after payment)

Their sum only grows, by restocks. Every transition is idempotent by reservation id, so a
retried request or a webhook delivered twice changes nothing. The Redis script and the SQL path
implement the same rules; tests check them against this model. Time is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from server.core.domain.error_codes import GeneralCode, OrderCode, StockCode
from server.core.domain.errors import Conflict, NotFound, SoldOut, ValidationError

DEFAULT_HOLD = timedelta(minutes=10)
MAX_RESERVATION_ID = 128


class ReservationState(StrEnum):
    HELD = "held"
    SOLD = "sold"
    RELEASED = "released"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class Reservation:
    id: str
    sku: str
    quantity: int
    expires_at: datetime
    state: ReservationState = ReservationState.HELD

    def expired(self, now: datetime) -> bool:
        return self.state == ReservationState.HELD and now >= self.expires_at


@dataclass(frozen=True)
class StockLevel:
    available: int = 0
    reserved: int = 0
    sold: int = 0

    @property
    def received(self) -> int:
        """Everything ever put on the shelf: initial stock plus restocks."""
        return self.available + self.reserved + self.sold


# Where a reservation may move: its state before, the counter its units leave and join.
_MOVES = {
    ReservationState.SOLD: (ReservationState.HELD, "reserved", "sold"),
    ReservationState.RELEASED: (ReservationState.HELD, "reserved", "available"),
    ReservationState.REFUNDED: (ReservationState.SOLD, "sold", "available"),
}


class StockBook:
    """Stock and reservations of any number of SKUs, in memory."""

    def __init__(self, hold: timedelta = DEFAULT_HOLD) -> None:
        if hold <= timedelta(0):
            raise ValidationError("the hold must be positive", code=StockCode.BAD_HOLD)
        self.hold = hold
        self._levels: dict[str, StockLevel] = {}
        self._reservations: dict[str, Reservation] = {}
        self._held: dict[str, set[str]] = {}  # ids of held reservations by SKU, for expiry

    def level(self, sku: str) -> StockLevel:
        return self._levels.get(sku, StockLevel())

    def get(self, reservation_id: str) -> Reservation:
        found = self._reservations.get(reservation_id)
        if found is None:
            raise NotFound("no such reservation", code=StockCode.RESERVATION_UNKNOWN)
        return found

    def reservations(self) -> list[Reservation]:
        return list(self._reservations.values())

    def restock(self, sku: str, quantity: int) -> StockLevel:
        check_quantity(quantity, allow_zero=True)
        level = self.level(sku)
        return self._set(sku, replace(level, available=level.available + quantity))

    def reserve(self, reservation_id: str, sku: str, quantity: int, now: datetime) -> Reservation:
        """Hold `quantity` units until now + hold. A retry returns the first reservation."""
        check_reservation_id(reservation_id)
        check_quantity(quantity)
        earlier = self._reservations.get(reservation_id)
        if earlier is not None:
            if (earlier.sku, earlier.quantity) != (sku, quantity):
                raise Conflict(
                    "this reservation id was used for other goods",
                    code=GeneralCode.IDEMPOTENCY_REUSED,
                )
            return earlier
        self.expire(now, sku=sku)  # lapsed holds count as stock again before we decide
        level = self.level(sku)
        if level.available < quantity:
            raise SoldOut("sold out" if not level.available else f"only {level.available} left")
        self._move(sku, quantity, "available", "reserved")
        return self._store(Reservation(reservation_id, sku, quantity, now + self.hold))

    def confirm(self, reservation_id: str, now: datetime) -> Reservation:
        """Paid: the held units are sold. A hold past its expiry is released instead."""
        found = self.get(reservation_id)
        if found.expired(now):
            self.release(reservation_id)
            raise Conflict(
                "the reservation expired before payment", code=StockCode.RESERVATION_EXPIRED
            )
        refusal = Conflict(f"the reservation is {found.state}", code=StockCode.RESERVATION_CLOSED)
        return self._advance(found, ReservationState.SOLD, refusal)

    def release(self, reservation_id: str) -> Reservation:
        """Unpaid: the held units go back on the shelf."""
        found = self.get(reservation_id)
        refusal = Conflict(
            f"the reservation is {found.state}: refund it instead",
            code=StockCode.RESERVATION_CLOSED,
        )
        return self._advance(found, ReservationState.RELEASED, refusal)

    def refund(self, reservation_id: str) -> Reservation:
        """Returned after payment: the sold units go back on the shelf."""
        found = self.get(reservation_id)
        refusal = Conflict(
            f"the reservation is {found.state}: only a sale is refunded",
            code=StockCode.RESERVATION_NOT_SOLD,
        )
        return self._advance(found, ReservationState.REFUNDED, refusal)

    def expire(self, now: datetime, sku: str | None = None) -> list[Reservation]:
        """Release every hold past its expiry (of one SKU, or all); returns those released."""
        skus = list(self._held) if sku is None else [sku]
        lapsed = [
            self._reservations[reservation_id]
            for each in skus
            for reservation_id in self._held.get(each, ())
            if self._reservations[reservation_id].expired(now)
        ]
        lapsed.sort(key=lambda r: (r.expires_at, r.id))
        return [self.release(r.id) for r in lapsed]

    def _set(self, sku: str, level: StockLevel) -> StockLevel:
        self._levels[sku] = level
        return level

    def _advance(
        self, found: Reservation, target: ReservationState, refusal: Conflict
    ) -> Reservation:
        if found.state == target:
            return found  # a retry, or a webhook delivered twice
        source, leaving, joining = _MOVES[target]
        if found.state != source:
            raise refusal
        self._move(found.sku, found.quantity, leaving, joining)
        return self._store(replace(found, state=target))

    def _move(self, sku: str, quantity: int, source: str, target: str) -> None:
        level = self.level(sku)
        moved = {
            source: getattr(level, source) - quantity,
            target: getattr(level, target) + quantity,
        }
        self._set(sku, replace(level, **moved))

    def _store(self, reservation: Reservation) -> Reservation:
        self._reservations[reservation.id] = reservation
        held = self._held.setdefault(reservation.sku, set())
        if reservation.state == ReservationState.HELD:
            held.add(reservation.id)
        else:
            held.discard(reservation.id)
        return reservation


def check_reservation_id(reservation_id: object) -> None:
    if not isinstance(reservation_id, str) or not 1 <= len(reservation_id) <= MAX_RESERVATION_ID:
        raise ValidationError(
            f"reservation id must be 1-{MAX_RESERVATION_ID} characters",
            code=StockCode.BAD_RESERVATION,
        )


def check_quantity(quantity: object, *, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < low:
        raise ValidationError(
            f"quantity must be an integer of at least {low}", code=OrderCode.BAD_QUANTITY
        )
