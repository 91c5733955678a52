"""The `shopcast` command: `migrate` then `serve` for production, `demo` for an embedded try-out."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from media.service import MediaConfig
from server.core.store.db import SchemaBehind, migrate_url
from server.edge.app import create_app
from server.edge.config import (
    DEFAULT_DATABASE_URL,
    DEMO_RECORDINGS_DIR,
    ConfigError,
    PaymentProvider,
    PaymentsConfig,
    check_database_url,
    demo_secret,
    from_env,
)
from server.edge.demo import DemoShow, banner, seeding


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="shopcast", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "migrate", help="upgrade the database schema (once, however many nodes run it at once)"
    )
    serve = commands.add_parser("serve", help="run the server (config from SHOPCAST_* variables)")
    demo = commands.add_parser("demo", help="run on SQLite with demo data; no Redis needed")
    for sub in (serve, demo):
        sub.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
        sub.add_argument("--port", type=int, default=None, help="TCP port (default 8080)")
    demo.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="default: %(default)s")
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "migrate":
        _migrate_command()
        return
    try:
        if args.command == "serve":
            config = from_env(os.environ, host=args.host, port=args.port)
        else:
            config = from_env(
                {},  # the demo is embedded on purpose: no Redis, its own SQLite file
                host=args.host,
                port=args.port,
                database_url=args.database_url,
                secret=os.environ.get("SHOPCAST_SECRET") or demo_secret(),
                payments=PaymentsConfig.test(),  # the demo takes no money, and says so
                media=MediaConfig(
                    recordings_dir=os.environ.get("SHOPCAST_RECORDINGS_DIR") or DEMO_RECORDINGS_DIR
                ),
            )
        app = create_app(config)
        if args.command == "demo":
            asyncio.run(migrate_url(config.database_url))  # the demo keeps its own schema current
    except ConfigError as exc:
        sys.exit(f"shopcast: configuration error: {exc}")
    show = DemoShow()
    if args.command == "demo":
        app.cleanup_ctx.append(seeding(show))  # type: ignore[arg-type]

    def announce(_: str) -> None:  # called once the port is open
        if args.command == "demo":
            print(banner(config.base_url, show.stream_id), flush=True)
        else:
            print(f"shopcast serving on {config.base_url}", flush=True)
            if config.payments.provider == PaymentProvider.TEST:
                print("shopcast: payments: the TEST gateway (no money moves)", flush=True)

    try:
        web.run_app(app, host=config.host, port=config.port, print=announce, access_log=None)
    except (OSError, SQLAlchemyError, SchemaBehind) as exc:
        sys.exit(f"shopcast: cannot start: {_one_line(exc)}")


def _migrate_command() -> None:
    try:
        url = check_database_url(from_env(os.environ).database_url)
        changed = asyncio.run(migrate_url(url))
    except ConfigError as exc:
        sys.exit(f"shopcast: configuration error: {exc}")
    except (OSError, SQLAlchemyError) as exc:
        sys.exit(f"shopcast: cannot migrate: {_one_line(exc)}")
    print("shopcast: schema migrated" if changed else "shopcast: schema already current")


def _one_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


if __name__ == "__main__":
    main()
