"""Benchmarks, run as scripts (`.venv/bin/python bench/chat.py`); `bench.harness` is shared."""
