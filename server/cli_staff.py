"""``shuoshi server set-status`` and the other staff commands."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from typing import Any

import httpx

from sync.contract.protocol import API_PREFIX, STEP_LABELS, Step
from sync.contract.ticket import normalize

DEFAULT_URL = "http://127.0.0.1:8765"


def add_commands(sub: Any) -> None:
    st = sub.add_parser("set-status", help="staff: move a ticket to another step")
    st.add_argument("ticket")
    st.add_argument("step", help="say, sort, deliberate, act, evaluate, follow_up (or 说事…查事)")
    st.add_argument("--note", default="")
    st.add_argument("--url", default=DEFAULT_URL)
    st.set_defaults(handler=run_set_status)
    ad = sub.add_parser("add-staff", help="add a console account (password from stdin or asked)")
    ad.add_argument("username")
    ad.add_argument("--name", required=True, help="the name shown in the console, e.g. 王芳")
    ad.add_argument("--role", required=True, choices=("community", "admin"),
                    help="community: one community's issues; admin: the street's or district's")
    ad.add_argument("--community", help="the community code (required for --role community)")
    ad.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    ad.set_defaults(handler=run_add_staff)
    tk = sub.add_parser("staff-token", help="print a new staff API bearer token for an account")
    tk.add_argument("username")
    tk.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    tk.set_defaults(handler=run_staff_token)


def _read_password() -> str:
    """From a terminal, asked twice without echo; otherwise the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("密码: ")
        if getpass.getpass("再输一次: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run_add_staff(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import sessionmaker

    from server.console.auth import add_account
    from server.database import open_server_engine
    from server.db import Community, StaffAccount

    if args.role == "community" and not args.community:
        print("not added: community staff need --community CODE", file=sys.stderr)
        return 2
    try:
        password = _read_password()
    except ValueError as exc:
        print(f"not added: {exc}", file=sys.stderr)
        return 2
    if len(password) < 8:
        print("not added: the password must have at least 8 characters", file=sys.stderr)
        return 2
    engine = open_server_engine(args.db)
    try:
        with sessionmaker(engine).begin() as db:
            if db.get(StaffAccount, args.username) is not None:
                print(f"not added: {args.username} already exists", file=sys.stderr)
                return 1
            if args.community and db.get(Community, args.community) is None:
                print(f"not added: no community {args.community!r}", file=sys.stderr)
                return 1
            add_account(db, args.username, args.name, password, args.role,
                        args.community if args.role == "community" else None)
    finally:
        engine.dispose()
    print(f"staff account {args.username} ({args.role}) added")
    return 0


def run_staff_token(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import sessionmaker

    from server.console.auth import digest
    from server.database import open_server_engine
    from server.db import StaffAccount, StaffToken
    from server.deps import now_iso

    token = secrets.token_urlsafe(32)
    engine = open_server_engine(args.db)
    try:
        with sessionmaker(engine).begin() as db:
            account = db.get(StaffAccount, args.username)
            if account is None or account.disabled:
                print(f"no token: no active account {args.username!r}", file=sys.stderr)
                return 1
            db.add(StaffToken(token_sha256=digest(token), username=args.username,
                              created_at=now_iso()))
    finally:
        engine.dispose()
    print(token)
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
