"""``shuoshi run [--config F] [--fullscreen]``: what ``make run`` starts."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from demo.launcher import launch
from kiosk.config import ConfigError, load_config
from kiosk.fonts import MissingFontError

EXIT_CONFIG = 2


def parser(prog: str = "shuoshi run") -> argparse.ArgumentParser:
    rn = argparse.ArgumentParser(prog=prog,
                                 description="server + sync + kiosk together (make run)")
    rn.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    rn.add_argument("--fullscreen", action="store_true")
    return rn


def main(argv: list[str] | None = None, prog: str = "shuoshi run") -> int:
    args = parser(prog).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        load_config(args.config)  # refuse a bad file before anything starts
        return launch(args.config, fullscreen=args.fullscreen)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except MissingFontError as exc:
        print(f"font error: {exc}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
