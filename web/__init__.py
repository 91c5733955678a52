"""Browser pages and their static assets, served as they are (no build step)."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
