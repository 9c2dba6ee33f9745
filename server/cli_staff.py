"""``shuoshi server set-status`` and the other staff commands."""

from __future__ import annotations

import argparse
import os
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
