"""The kiosk's command line: the touchscreen app, the sync worker, receipts, printer, speech.

``shuoshi`` (the ``shuoshi`` package) hands every command but ``server`` here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from kiosk import commands
from kiosk.config import ConfigError
from kiosk.fonts import MissingFontError
from sync.contract import logs

EXIT_CONFIG = 2


def _parser(command: str = "") -> argparse.ArgumentParser:
    """The subcommands; when ``command`` is one of kiosk.commands', those alone: the other
    modules load the store, printer and sync packages, which the kiosk's first frame does
    not wait for."""
    parser = argparse.ArgumentParser(
        prog="shuoshi", description="说事厅 kiosk",
        epilog="shuoshi server … runs the central server where it is installed "
               "(the same as shuoshi-server …)")
    sub = parser.add_subparsers(dest="command", required=True)
    commands.register(sub)
    if command not in sub.choices:
        from kiosk import cli_backup, cli_printer, cli_rate, cli_receipt, cli_staff, cli_sync

        cli_receipt.register(sub)
        cli_printer.register(sub)
        cli_sync.register(sub)
        cli_rate.register(sub)
        cli_backup.register(sub)
        cli_staff.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(argv[0] if argv else "").parse_args(argv)
    return run_command(lambda: int(args.handler(args)))


def run_command(command: Callable[[], int]) -> int:
    """Run a command with the program's logging; a bad config or a missing font is one clear
    message and exit status 2, not a traceback."""
    logs.configure()
    try:
        return command()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except MissingFontError as exc:
        print(f"font error: {exc}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
