"""``shuoshi server add-kiosk`` and the other commands that manage the fleet of kiosks, and the
Open311 clients' API keys."""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8765"
DEFAULT_NAME = "说事厅"
"""With --count, each kiosk is named this (or NAME) followed by its code."""
CSV_COLUMNS = ("name", "community", "code")


def add_commands(sub: Any) -> None:
    ak = sub.add_parser(
        "add-kiosk", help="provision kiosks: one (config printed), --count N or --csv FILE "
        "(one config file each in --out DIR)")
    ak.add_argument("name", nargs="?", help="the kiosk's name (with --count: the names' start)")
    ak.add_argument("--code", help="4-digit kiosk code; the next free one if not given")
    ak.add_argument("--community", help="the code of the community the kiosk stands in")
    ak.add_argument("--count", type=int, help="provision this many kiosks at once")
    ak.add_argument("--csv", type=Path, help="provision the kiosks of a CSV file: name, "
                    "community, optional code per line (a header line is allowed)")
    ak.add_argument("--out", type=Path, help="folder for the config files, kiosk-<code>.toml "
                    "(required with --count and --csv)")
    _db_and_url(ak)
    ak.set_defaults(handler=run_add_kiosk)
    rv = sub.add_parser("revoke-kiosk", help="withdraw a kiosk's key: its requests are refused")
    rv.add_argument("code")
    rv.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    rv.set_defaults(handler=run_revoke_kiosk)
    rk = sub.add_parser("rotate-key", help="give a kiosk a new key; the old one is refused")
    rk.add_argument("code")
    rk.add_argument("--out", type=Path, help="write the new config to this file (else print it)")
    _db_and_url(rk)
    rk.set_defaults(handler=run_rotate_key)
    mv = sub.add_parser("move-kiosk", help="put a kiosk in another community (or none)")
    mv.add_argument("code")
    mv.add_argument("--community", help="the community's code; without it, no community")
    mv.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    mv.set_defaults(handler=run_move_kiosk)
    ac = sub.add_parser("add-community", help="register a community (社区) and its street")
    ac.add_argument("code", help="short code, letters, digits, - or _ (e.g. xingfuli)")
    ac.add_argument("name", help="e.g. 幸福里社区")
    ac.add_argument("--street", default="", help="the 街道 it belongs to")
    ac.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    ac.set_defaults(handler=run_add_community)
    ka = sub.add_parser("add-api-key", help="a key for an Open311 client to POST requests; "
                        "printed once, kept only hashed")
    ka.add_argument("name", help="who the key is for, e.g. city-app")
    ka.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    ka.set_defaults(handler=run_add_api_key)
    kr = sub.add_parser("revoke-api-key", help="withdraw an Open311 client's key(s)")
    kr.add_argument("name")
    kr.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    kr.set_defaults(handler=run_revoke_api_key)


def _db_and_url(parser: Any) -> None:
    parser.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    parser.add_argument("--server-url", default=DEFAULT_URL,
                        help="the URL the kiosk will use to reach this server")


def run_add_kiosk(args: argparse.Namespace) -> int:
    from server.provision import ProvisionError

    many = args.count is not None or args.csv is not None
    usage = _add_kiosk_usage_problem(args, many)
    if usage:
        print(f"not provisioned: {usage}", file=sys.stderr)
        return 2
    try:
        return _add_many(args) if many else _add_one(args)
    except ProvisionError as exc:
        print(f"not provisioned (nothing was added):\n{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"not provisioned (nothing was added): {exc}", file=sys.stderr)
        return 1


def _add_kiosk_usage_problem(args: argparse.Namespace, many: bool) -> str:
    if args.count is not None and args.csv is not None:
        return "give --count or --csv, not both"
    if many and args.out is None:
        return "--count and --csv write one config file per kiosk: give --out DIR"
    if many and args.code:
        return "--code is for one kiosk; in a CSV file give the code in the third column"
    if args.csv is not None and (args.community or args.name):
        return "with --csv the name and community come from the file"
    if args.count is not None and args.count < 1:
        return "--count must be at least 1"
    if not many and not args.name:
        return "give the kiosk's NAME (or --count N / --csv FILE with --out DIR)"
    return ""


def _add_one(args: argparse.Namespace) -> int:
    from server.provision import add_kiosk, kiosk_config

    code, key = add_kiosk(args.db, args.name, args.code, community=args.community)
    print(f"# config for kiosk {code} ({args.name}); the server keeps only its public key")
    print(kiosk_config(code, key, args.server_url))
    return 0


def _add_many(args: argparse.Namespace) -> int:
    from server.provision import KioskOrder, add_kiosks

    if args.csv is not None:
        orders = read_csv_orders(args.csv)
    else:
        prefix = args.name or DEFAULT_NAME
        orders = [KioskOrder(prefix, args.community, numbered=True) for _ in range(args.count)]
    started = time.monotonic()
    done = add_kiosks(args.db, orders, args.out, args.server_url)
    took = time.monotonic() - started
    codes = f"{done[0].code}-{done[-1].code}" if len(done) > 1 else done[0].code
    print(f"{len(done)} kiosks provisioned ({codes}) in {took:.1f} s; config files in "
          f"{args.out}/kiosk-<code>.toml (mode 0600, each holds that kiosk's signing key)")
    return 0


def read_csv_orders(path: Path) -> list[Any]:
    """The kiosks of a CSV file (UTF-8, a spreadsheet's BOM allowed): name, community, optional
    code. An empty community means none. Raises ProvisionError naming each bad line."""
    from server.provision import KioskOrder, ProvisionError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvisionError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    orders: list[KioskOrder] = []
    problems: list[str] = []
    expected = "expected name,community[,code] (community may be empty, code 4 digits)"
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        where = f"{path}:{number}"
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and [c.lower() for c in cells] == list(CSV_COLUMNS[:len(cells)]):
            continue  # the header line
        if len(cells) not in (2, 3):
            problems.append(f"{where}: {expected}; got {len(cells)} column(s)")
            continue
        name, community = cells[0], cells[1]
        code = cells[2] if len(cells) == 3 and cells[2] else None
        if not name:
            problems.append(f"{where}: {expected}; the name is empty")
            continue
        orders.append(KioskOrder(name, community or None, code, where))
    if problems:
        raise ProvisionError("\n".join(problems))
    if not orders:
        raise ProvisionError(f"{path}: no kiosks in it; {expected}")
    return orders


def run_revoke_kiosk(args: argparse.Namespace) -> int:
    from server.provision import ProvisionError, revoke_kiosk

    try:
        before = revoke_kiosk(args.db, args.code)
    except ProvisionError as exc:
        print(f"not revoked: {exc}", file=sys.stderr)
        return 1
    if before is not None:
        print(f"kiosk {args.code} was already revoked at {before}")
    else:
        print(f"kiosk {args.code} revoked: requests signed with its key are refused")
    return 0


def run_rotate_key(args: argparse.Namespace) -> int:
    from server.provision import ProvisionError, rotate_key

    try:
        config = rotate_key(args.db, args.code, args.server_url, args.out)
    except ProvisionError as exc:
        print(f"not rotated: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"not rotated (the old key still works): {exc}", file=sys.stderr)
        return 1
    if args.out is not None:
        print(f"kiosk {args.code} has a new key; its config is in {args.out} (mode 0600). "
              "The old key is refused from now on.")
    else:
        print(f"# new config for kiosk {args.code}; the old key is refused from now on")
        print(config)
    return 0


def run_move_kiosk(args: argparse.Namespace) -> int:
    from server.provision import ProvisionError, move_kiosk

    try:
        move_kiosk(args.db, args.code, args.community)
    except ProvisionError as exc:
        print(f"not moved: {exc}", file=sys.stderr)
        return 1
    print(f"kiosk {args.code} now in " + (args.community or "no community"))
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


def run_add_api_key(args: argparse.Namespace) -> int:
    from server.open311_keys import ApiKeyError, add_api_key

    try:
        key = add_api_key(args.db, args.name)
    except ApiKeyError as exc:
        print(f"no key: {exc}", file=sys.stderr)
        return 1
    print(key)
    print(f"# the Open311 key for {args.name}: shown only now, the server keeps its hash",
          file=sys.stderr)
    return 0


def run_revoke_api_key(args: argparse.Namespace) -> int:
    from server.open311_keys import ApiKeyError, revoke_api_key

    try:
        count = revoke_api_key(args.db, args.name)
    except ApiKeyError as exc:
        print(f"not revoked: {exc}", file=sys.stderr)
        return 1
    print(f"{count} Open311 key(s) of {args.name} revoked")
    return 0
