"""``make run``: the central server, the sync worker and the kiosk, started together.

It starts each through its own command line (``python -m server``, ``python -m kiosk.cli``) and
provisions the kiosk with ``add-kiosk`` as staff would, so it imports nothing of the server.
With a display the kiosk opens for real. Without one it runs under Xvfb through a scripted
resident, and the screenshots, receipt previews and spoken WAVs are left in ``var/demo/``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import tomli_w

from kiosk.config import AppConfig, load_config
from kiosk.xvfb import virtual_display
from sync.contract.protocol import API_PREFIX
from sync.store import Store

DEMO_DIR = Path("var/demo")
RUN_CONFIG = Path("var/run.toml")
LOCAL_SERVER_DB = "sqlite:///var/server.db"
SERVER_START_TIMEOUT_S = 20.0
STAFF_TOKEN_FILE = Path("var/staff-token")
"""The local server's staff bearer token, made once, readable only by its owner."""


def _staff_token() -> str:
    if STAFF_TOKEN_FILE.exists():
        return STAFF_TOKEN_FILE.read_text(encoding="utf-8").strip()
    STAFF_TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    STAFF_TOKEN_FILE.touch(mode=0o600)
    STAFF_TOKEN_FILE.write_text(token, encoding="utf-8")
    return token


def _shuoshi(*args: str, config: Path | None) -> list[str]:
    cmd = [sys.executable, "-m", "kiosk.cli", *args]
    return [*cmd, "--config", str(config)] if config else cmd


def _server_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _start_server(cfg: AppConfig) -> subprocess.Popen[bytes] | None:
    url = cfg.sync.server_url
    if _server_up(url):
        print(f"central server already running at {url}")
        return None
    parsed = urlparse(url)
    proc = subprocess.Popen([sys.executable, "-m", "server", "--host",
                             parsed.hostname or "127.0.0.1", "--port", str(parsed.port or 80),
                             "--db", LOCAL_SERVER_DB],
                            env={**os.environ, "SHUOSHI_STAFF_TOKEN": _staff_token()})
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not _server_up(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the central server did not start at {url}")
        time.sleep(0.2)
    print(f"central server at {url} (data in var/server.db)")
    return proc


def _provisioned(config: Path | None, cfg: AppConfig) -> Path | None:
    """A config with a signing key: the given one, or one provisioned on the local server."""
    if cfg.sync.signing_key:
        return config
    if RUN_CONFIG.exists():
        earlier = load_config(RUN_CONFIG)
        if earlier.sync.signing_key and earlier.sync.server_url == cfg.sync.server_url:
            return RUN_CONFIG
    made = _add_kiosk(cfg.hall.kiosk_code)
    if isinstance(made, str):  # that code is given to another kiosk: take the next free one
        made = _add_kiosk(None)
    if isinstance(made, str):
        raise RuntimeError(f"the local server provisioned no kiosk: {made}")
    code, key = made
    data: dict[str, Any] = {}
    if config is not None:
        with config.open("rb") as f:
            data = tomllib.load(f)
    data.setdefault("hall", {})["kiosk_code"] = code
    data.setdefault("sync", {})["signing_key"] = key
    RUN_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    RUN_CONFIG.write_text(tomli_w.dumps(data), encoding="utf-8")
    RUN_CONFIG.chmod(0o600)  # it holds the kiosk's private key
    print(f"provisioned kiosk {code} on the local server; its config is {RUN_CONFIG}")
    return RUN_CONFIG


def _add_kiosk(code: str | None) -> tuple[str, str] | str:
    """(code, private key) of a kiosk provisioned on the local server, or why it refused."""
    cmd = [sys.executable, "-m", "server", "add-kiosk", "make run", "--db", LOCAL_SERVER_DB]
    out = subprocess.run([*cmd, "--code", code] if code else cmd, capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        return out.stderr.strip() or f"add-kiosk exited with {out.returncode}"
    lines = tomllib.loads(out.stdout)  # the kiosk's config lines that add-kiosk prints
    return str(lines["hall"]["kiosk_code"]), str(lines["sync"]["signing_key"])


def launch(config: Path | None, *, fullscreen: bool) -> int:
    cfg = load_config(config)
    config = _provisioned(config, cfg)
    cfg = load_config(config)
    children: list[subprocess.Popen[bytes]] = []
    try:
        server = _start_server(cfg)
        if server:
            children.append(server)
        children.append(subprocess.Popen(_shuoshi("sync", config=config)))
        if os.environ.get("DISPLAY"):
            kiosk = _shuoshi("kiosk", config=config) + (["--fullscreen"] if fullscreen else [])
            return subprocess.call(kiosk)
        return _headless_demo(cfg, config)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(10)


def _headless_demo(cfg: AppConfig, config: Path | None) -> int:
    print("no display: running the scripted walk-through under Xvfb")
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    with virtual_display(cfg.screen.width, cfg.screen.height) as display:
        env = {**os.environ, "DISPLAY": display}
        walk = _shuoshi("kiosk", "--walkthrough", "resident", "--shots", str(DEMO_DIR),
                        config=config)
        out = subprocess.run(walk, env=env, capture_output=True, text=True, check=False)
        sys.stdout.write(out.stdout)
        tickets = [ln.split()[1] for ln in out.stdout.splitlines() if ln.startswith("SUBMITTED")]
        if out.returncode != 0 or not tickets:
            sys.stderr.write(out.stderr)
            return out.returncode or 1
        ticket = tickets[0]
        for suffix in (".bin", ".png"):
            receipt = cfg.printer.out_dir / f"receipt-{ticket}{suffix}"
            if receipt.exists():
                shutil.copy(receipt, DEMO_DIR / receipt.name)
        _staff_moves_to_sort(cfg, ticket)
        lookup = _shuoshi("kiosk", "--walkthrough", "lookup", "--ticket", ticket, "--shots",
                          str(DEMO_DIR), config=config)
        code = subprocess.call(lookup, env=env)
    print("\ndemo files:")
    for path in sorted(DEMO_DIR.iterdir()):
        print(f"  {path}")
    return code


def _staff_moves_to_sort(cfg: AppConfig, ticket: str) -> None:
    """Staff set the ticket to 理事 on the server; wait until the sync worker brings it back."""
    url = cfg.sync.server_url
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        reply = httpx.post(f"{url}{API_PREFIX}/staff/tickets/{ticket}/status",
                           json={"step": "sort", "note": "已登记，转居委会协调处理"},
                           headers={"authorization": f"Bearer {_staff_token()}"}, timeout=5)
        if reply.status_code == 200:
            break
        time.sleep(0.5)  # not pushed yet
    store = Store(cfg.store.path)
    try:
        while time.monotonic() < deadline:
            found = store.find_by_ticket(ticket)
            if found and found.step.value == "sort":
                print(f"status of {ticket} came back from the server: 理事")
                return
            time.sleep(0.3)
    finally:
        store.close()
