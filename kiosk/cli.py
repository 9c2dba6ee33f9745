"""``shuoshi``: the kiosk, the sync worker, the central server and staff tools."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from kiosk import commands
from kiosk.config import ConfigError
from kiosk.fonts import MissingFontError

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="shuoshi", description="说事厅 kiosk and its central server")
    sub = p.add_subparsers(dest="command", required=True)

    def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--config", type=Path, help="TOML file layered over the defaults")
        return sp

    k = with_config(sub.add_parser("kiosk", help="the touchscreen app"))
    k.add_argument("--fullscreen", action="store_true")
    k.add_argument("--walkthrough", choices=["resident", "lookup"],
                   help="run a scripted resident instead of waiting for touches")
    k.add_argument("--shots", type=Path, default=Path("var/demo"),
                   help="where the walk-through saves screenshots")
    k.add_argument("--category", default="房屋设施与管网")
    k.add_argument("--phrase", default="下水道堵塞")
    k.add_argument("--ticket", default="", help="ticket typed in the lookup walk-through")

    s = with_config(sub.add_parser("sync", help="push queued submissions, pull status"))
    s.add_argument("--once", action="store_true", help="one round, then exit")

    sv = sub.add_parser("server", help="the reference central server")
    sv.add_argument("--db", default="sqlite:///var/server.db")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8765)
    sv_sub = sv.add_subparsers(dest="server_command")
    st = sv_sub.add_parser("set-status", help="staff: move a ticket to another step")
    st.add_argument("ticket")
    st.add_argument("step", help="say, sort, deliberate, act, evaluate, follow_up (or 说事…查事)")
    st.add_argument("--note", default="")
    st.add_argument("--url", default="http://127.0.0.1:8765")

    sm = with_config(sub.add_parser("submit", help="queue a submission without the screen"))
    sm.add_argument("--category", required=True)
    sm.add_argument("--description", required=True)
    sm.add_argument("--place", default="")
    sm.add_argument("--phone", default=None)
    sm.add_argument("--channel", default="staff_in_person",
                    choices=["kiosk", "staff_in_person", "staff_phone", "staff_written"])

    r = with_config(sub.add_parser("receipt", help="render or print a receipt"))
    r.add_argument("action", choices=["sample", "print"])
    r.add_argument("ticket", nargs="?", default="")
    r.add_argument("--out", type=Path, help="write the ESC/POS bytes here")
    r.add_argument("--png", type=Path, help="write a preview image here")

    sp = with_config(sub.add_parser("speak", help="say something with the configured voice"))
    sp.add_argument("text")
    sp.add_argument("--out", type=Path, help="write a WAV file instead of playing")

    with_config(sub.add_parser("doctor", help="check font, speech, store and server"))

    rn = with_config(sub.add_parser("run", help="server + sync + kiosk together (make run)"))
    rn.add_argument("--fullscreen", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return commands.dispatch(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except MissingFontError as exc:
        print(f"font error: {exc}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
