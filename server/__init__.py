"""Shopcast HTTP edge, configuration, database and the composition root."""

__version__ = "0.1.0"
