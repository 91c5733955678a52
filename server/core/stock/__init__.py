"""Stock reservation backends: one interface, in process (`memory`) or on Redis (`redis_lua`)."""

from server.core.stock.memory import MemoryStockReservations
from server.core.stock.redis_lua import RedisStockReservations
from server.core.stock.reservations import StockReservations

__all__ = ["MemoryStockReservations", "RedisStockReservations", "StockReservations"]
