"""``shuoshi run [--config F] [--fullscreen]``: what ``make run`` starts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from demo.launcher import launch
from kiosk.cli import run_command
from kiosk.config import load_config


def parser(prog: str = "shuoshi run") -> argparse.ArgumentParser:
    rn = argparse.ArgumentParser(prog=prog,
                                 description="server + sync + kiosk together (make run)")
    rn.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    rn.add_argument("--fullscreen", action="store_true")
    return rn


def main(argv: list[str] | None = None, prog: str = "shuoshi run") -> int:
    args = parser(prog).parse_args(argv)

    def run() -> int:
        load_config(args.config)  # refuse a bad file before anything starts
        return launch(args.config, fullscreen=args.fullscreen)

    return run_command(run)


if __name__ == "__main__":
    sys.exit(main())
