"""``shuoshi rate``: staff record a rating (评事) a resident gave in a 回访 call.

The same path and rules as the screen's: the ticket is looked up first (here, else on the
central server), refused before 办事; the rating goes up through the store's outbox.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.config import load_config
from sync.contract.protocol import RatingScore

EXIT_REFUSED = 1
SCORES: dict[str, RatingScore] = {"满意": "satisfied", "基本满意": "fair", "不满意": "unsatisfied"}
"""What staff type, to the wire's scores (the contract's SCORE_LABELS the other way)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    r = sub.add_parser("rate", help="record a rating given by phone in a 回访 call (评事)")
    r.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    r.add_argument("ticket", help="the ticket on the resident's receipt")
    r.add_argument("score", choices=list(SCORES), help="what the resident said")
    r.add_argument("--reason", action="append", default=[], metavar="R",
                   help="a reason phrase the resident gave (repeat for more)")
    r.set_defaults(handler=run_rate)


def run_rate(args: argparse.Namespace) -> int:
    from kiosk.cli_sync import server_link
    from kiosk.evaluation import RatingRefused, Ratings
    from kiosk.lookup import StatusLookup
    from sync.contract.ticket import group, normalize
    from sync.store import Store

    cfg = load_config(args.config)
    store = Store(cfg.store.path)
    lookup = StatusLookup(store, server_link(cfg), timeout=cfg.sync.timeout_seconds)
    try:
        recorded = Ratings(store, lookup).rate_ticket(normalize(args.ticket), SCORES[args.score],
                                                      args.reason, channel="phone")
    except RatingRefused as refused:
        print(f"not recorded: {refused.message}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        lookup.close()
        store.close()
    replaced = " (replaced the earlier rating)" if recorded.replaced else ""
    print(f"recorded {args.score} for {group(recorded.ticket)}{replaced}; "
          "it is sent with the next sync round")
    return 0
