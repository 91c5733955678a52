"""The browser tests' Chromium (tests/web/conftest.py) for the XSS test here."""

from tests.web.conftest import browser

__all__ = ["browser"]
