"""``shuoshi server add-kiosk`` and the other commands that manage the fleet of kiosks."""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8765"


def add_commands(sub: Any) -> None:
    ak = sub.add_parser("add-kiosk", help="provision a kiosk and print its config")
    ak.add_argument("name")
    ak.add_argument("--code", help="4-digit kiosk code; the next free one if not given")
    ak.add_argument("--community", help="the code of the community the kiosk stands in")
    ak.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    ak.add_argument("--server-url", default=DEFAULT_URL,
                    help="the URL the kiosk will use to reach this server")
    ak.set_defaults(handler=run_add_kiosk)
    ac = sub.add_parser("add-community", help="register a community (社区) and its street")
    ac.add_argument("code", help="short code, letters, digits, - or _ (e.g. xingfuli)")
    ac.add_argument("name", help="e.g. 幸福里社区")
    ac.add_argument("--street", default="", help="the 街道 it belongs to")
    ac.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    ac.set_defaults(handler=run_add_community)


def run_add_kiosk(args: argparse.Namespace) -> int:
    from server.provision import ProvisionError, add_kiosk, kiosk_config

    try:
        code, key = add_kiosk(args.db, args.name, args.code, community=args.community)
    except ProvisionError as exc:
        print(f"not provisioned: {exc}", file=sys.stderr)
        return 1
    print(f"# config for kiosk {code} ({args.name}); the server keeps only its public key")
    print(kiosk_config(code, key, args.server_url))
    return 0


def run_add_community(args: argparse.Namespace) -> int:
    from server.provision import ProvisionError, add_community

    try:
        add_community(args.db, args.code, args.name, street=args.street)
    except ProvisionError as exc:
        print(f"not added: {exc}", file=sys.stderr)
        return 1
    print(f"community {args.code} ({args.name}) added")
    return 0
