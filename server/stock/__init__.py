"""Stock reservation backends: one interface, in process (`memory`) or on Redis (`redis_lua`)."""

from server.stock.memory import MemoryStockReservations
from server.stock.redis_lua import RedisStockReservations
from server.stock.reservations import StockReservations

__all__ = ["MemoryStockReservations", "RedisStockReservations", "StockReservations"]
