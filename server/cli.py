"""``shuoshi-server`` (also ``shuoshi server``): the central server, provisioning, staff tools."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import httpx

from sync.contract.protocol import API_PREFIX, STEP_LABELS, Step
from sync.contract.ticket import normalize

DEFAULT_DB = "sqlite:///var/server.db"
DEFAULT_URL = "http://127.0.0.1:8765"


def parser(prog: str = "shuoshi-server") -> argparse.ArgumentParser:
    sv = argparse.ArgumentParser(prog=prog, description="the reference central server")
    sv.add_argument("--db", default=DEFAULT_DB)
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8765)
    sv.add_argument("--attachments", type=Path, default=Path("var/attachments"))
    sv.add_argument("--certfile", type=Path, help="serve HTTPS with this certificate (PEM)")
    sv.add_argument("--keyfile", type=Path, help="the certificate's private key (PEM)")
    sv.set_defaults(handler=run_server)
    sv_sub = sv.add_subparsers(dest="server_command")
    st = sv_sub.add_parser("set-status", help="staff: move a ticket to another step")
    st.add_argument("ticket")
    st.add_argument("step", help="say, sort, deliberate, act, evaluate, follow_up (or 说事…查事)")
    st.add_argument("--note", default="")
    st.add_argument("--url", default=DEFAULT_URL)
    st.set_defaults(handler=run_set_status)
    ak = sv_sub.add_parser("add-kiosk", help="provision a kiosk and print its config")
    ak.add_argument("name")
    ak.add_argument("--code", help="4-digit kiosk code; the next free one if not given")
    ak.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    ak.add_argument("--server-url", default=DEFAULT_URL,
                    help="the URL the kiosk will use to reach this server")
    ak.set_defaults(handler=run_add_kiosk)
    return sv


def main(argv: list[str] | None = None, prog: str = "shuoshi-server") -> int:
    args = parser(prog).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return int(args.handler(args))


def run_server(args: argparse.Namespace) -> int:
    from server import serve

    if args.db.startswith("sqlite:///"):
        Path(args.db.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    serve(args.db, args.host, args.port, staff_token=os.environ.get("SHUOSHI_STAFF_TOKEN"),
          attachments_dir=args.attachments, certfile=args.certfile, keyfile=args.keyfile)
    return 0


def run_add_kiosk(args: argparse.Namespace) -> int:
    from server.provision import ProvisionError, add_kiosk, kiosk_config

    try:
        code, key = add_kiosk(args.db, args.name, args.code)
    except ProvisionError as exc:
        print(f"not provisioned: {exc}", file=sys.stderr)
        return 1
    print(f"# config for kiosk {code} ({args.name}); the server keeps only its public key")
    print(kiosk_config(code, key, args.server_url))
    return 0


def run_set_status(args: argparse.Namespace) -> int:
    by_label = {label: step for step, label in STEP_LABELS.items()}
    try:
        step = by_label.get(args.step) or Step(args.step)
    except ValueError:
        print(f"unknown step {args.step!r}; one of: "
              + ", ".join(f"{s.value} ({s.label})" for s in Step))
        return 2
    token = os.environ.get("SHUOSHI_STAFF_TOKEN")
    headers = {"authorization": f"Bearer {token}"} if token else {}
    reply = httpx.post(f"{args.url}{API_PREFIX}/staff/tickets/{normalize(args.ticket)}/status",
                       json={"step": step.value, "note": args.note}, headers=headers, timeout=10)
    if reply.status_code != 200:
        print(f"not changed: the server answered {reply.status_code}: {reply.text}")
        return 1
    print(f"{args.ticket}: now {step.label} ({step.value})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
