"""The kiosk's command line: the touchscreen app, the sync worker, receipts, printer, speech.

``shuoshi`` (the ``shuoshi`` package) hands every command but ``server`` here.
"""

from __future__ import annotations

import argparse
import logging
import sys

from kiosk import cli_printer, cli_receipt, cli_sync, commands
from kiosk.config import ConfigError
from kiosk.fonts import MissingFontError

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shuoshi", description="说事厅 kiosk",
        epilog="shuoshi server … runs the central server where it is installed "
               "(the same as shuoshi-server …)")
    sub = parser.add_subparsers(dest="command", required=True)
    commands.register(sub)
    cli_receipt.register(sub)
    cli_printer.register(sub)
    cli_sync.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except MissingFontError as exc:
        print(f"font error: {exc}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
