"""The `shopcast` command: `migrate` then `serve` for production, `demo` for an embedded try-out."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace

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
from server.edge.workers import Supervisor, worker_command


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
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes behind the one port (default SHOPCAST_WORKERS, else the number of "
        "cores when SHOPCAST_REDIS_URL is set, else 1); more than 1 needs Redis",
    )
    serve.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)  # set by the pool
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "migrate":
        _migrate_command()
        return
    in_pool = getattr(args, "worker", 0) > 0
    try:
        if args.command == "serve":
            config = from_env(os.environ, host=args.host, port=args.port)
            workers = _workers(args.workers, config.workers, bool(config.redis_url))
            if workers > 1 and not in_pool:
                sys.exit(Supervisor(worker_command(_serve_argv(argv)), workers).run())
            if in_pool:  # a session's polling requests could reach another worker
                chat = replace(config.chat, transports=("websocket",))
                config = replace(config, chat=chat, worker=args.worker)
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
        web.run_app(
            app,
            host=config.host,
            port=config.port,
            print=announce,
            access_log=None,
            reuse_port=in_pool or None,
        )
    except (OSError, SQLAlchemyError, SchemaBehind) as exc:
        sys.exit(f"shopcast: cannot start: {_one_line(exc)}")


def _workers(flag: int | None, configured: int | None, with_redis: bool) -> int:
    workers = flag or configured or ((os.cpu_count() or 1) if with_redis else 1)
    if workers < 1:
        raise ConfigError(f"--workers: expected 1 or more (got {workers})")
    if workers > 1 and not with_redis:
        raise ConfigError(
            f"--workers {workers}: workers share shows through Redis; set SHOPCAST_REDIS_URL "
            "(or run one worker)"
        )
    return workers


def _serve_argv(argv: Sequence[str] | None) -> list[str]:
    """`serve`'s own flags as given, without --workers (each worker runs as one)."""
    given = list(sys.argv[1:] if argv is None else argv)
    given = given[given.index("serve") + 1 :]
    kept: list[str] = []
    skip = False
    for item in given:
        if skip:
            skip = False
        elif item in ("--workers", "--worker"):
            skip = True
        elif not item.startswith(("--workers=", "--worker=")):
            kept.append(item)
    return kept


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
