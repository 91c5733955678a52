"""The core: domain rules, the durable record, use cases, stock, payments and their events.

Imports no web framework (no aiohttp, no python-socketio): every door sits above it.
"""
