"""Console sign-in: sessions, CSRF, throttling, the staff commands, API docs behind login."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import sessionmaker

from server.cli import main as server_cli
from server.console.auth import SESSION_COOKIE, add_account
from server.database import open_server_engine
from tests import console_support
from tests.conftest import REPO
from tests.console_support import (
    ADMIN,
    XFL_STAFF,
    ConsoleSite,
    csrf_of,
    logged_in_page,
    signed_in_client,
)

console_site, chromium = console_support.console_site, console_support.chromium


def test_pages_without_a_session_go_to_login(console_site: ConsoleSite) -> None:
    for path in ("/console/", "/console/issues?q=x", "/console/api", "/console/openapi.json"):
        reply = httpx.get(console_site.url + path, timeout=10)
        assert reply.status_code == 303, path
        assert reply.headers["location"].startswith("/console/login?next=%2Fconsole%2F")


def test_session_cookie_is_httponly_strict_and_stored_hashed(console_site: ConsoleSite) -> None:
    reply = httpx.post(f"{console_site.url}/console/login",
                       data={"username": ADMIN.username, "password": ADMIN.password}, timeout=10)
    assert reply.status_code == 303
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    token = reply.cookies[SESSION_COOKIE]
    with sqlite3.connect(console_site.server.db) as db:
        stored = [r[0] for r in db.execute("SELECT token_sha256 FROM staff_sessions")]
    assert token not in stored and len(stored) >= 1


def test_session_cookie_is_secure_over_https(
        https_server: tuple[str, Path, Path]) -> None:
    url, ca_file, db = https_server
    engine = open_server_engine(f"sqlite:///{db}")
    try:
        with sessionmaker(engine).begin() as s:
            add_account(s, ADMIN.username, ADMIN.display_name, ADMIN.password, "admin", None)
    finally:
        engine.dispose()
    reply = httpx.post(f"{url}/console/login", timeout=10,
                       data={"username": ADMIN.username, "password": ADMIN.password},
                       verify=ssl.create_default_context(cafile=str(ca_file)))
    assert reply.status_code == 303
    assert "Secure" in reply.headers["set-cookie"]


def test_post_without_csrf_token_is_refused(console_site: ConsoleSite) -> None:
    with signed_in_client(console_site, ADMIN) as client:
        page = client.get("/console/")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert client.post("/console/logout", data={}).status_code == 403
        assert client.post("/console/logout", data={"csrf_token": "forged"}).status_code == 403
        assert client.get("/console/").status_code == 200  # still signed in
        reply = client.post("/console/logout", data={"csrf_token": csrf_of(page.text)})
        assert reply.status_code == 303
        assert client.get("/console/").status_code == 303


def test_repeated_wrong_passwords_are_throttled(console_site: ConsoleSite) -> None:
    url = f"{console_site.url}/console/login"
    codes = [httpx.post(url, data={"username": "nobody-here", "password": "guess"},
                        timeout=10).status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429


def test_add_staff_and_staff_token_commands(console_site: ConsoleSite,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    added = subprocess.run([sys.executable, "-m", "server", "--db", console_site.db_url,
                            "add-staff", "zhou", "--name", "周敏", "--role", "community",
                            "--community", "heping"], input="zhou-pass-2026\n",
                           capture_output=True, text=True, cwd=REPO, timeout=60, check=False)
    assert added.returncode == 0, added.stderr
    assert "zhou-pass-2026" not in added.stdout + added.stderr
    reply = httpx.post(f"{console_site.url}/console/login",
                       data={"username": "zhou", "password": "zhou-pass-2026"}, timeout=10)
    assert reply.status_code == 303
    assert server_cli(["--db", console_site.db_url, "add-staff", "nobody", "--name", "某",
                       "--role", "community"]) == 2  # community staff need a community
    capsys.readouterr()
    assert server_cli(["--db", console_site.db_url, "staff-token", "zhou"]) == 0
    token = capsys.readouterr().out.strip()
    with sqlite3.connect(console_site.server.db) as db:
        stored = [r[0] for r in db.execute(
            "SELECT token_sha256 FROM staff_tokens WHERE username = 'zhou'")]
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    kiosks = httpx.get(f"{console_site.url}/api/v1/staff/kiosks",
                       headers={"authorization": f"Bearer {token}"}, timeout=10)
    assert kiosks.status_code == 200
    assert [k["code"] for k in kiosks.json()] == ["0201"]  # heping's only


def test_browser_login_refuses_a_wrong_password(console_site: ConsoleSite,
                                                chromium: Browser) -> None:
    context = chromium.new_context(base_url=console_site.url)
    page = context.new_page()
    try:
        page.goto("/console/issues")
        expect(page).to_have_url(re.compile(r"/console/login\?next="))
        page.fill("#username", XFL_STAFF.username)
        page.fill("#password", "not-the-password")
        page.click("button[type=submit]")
        expect(page.get_by_role("alert")).to_contain_text("密码不对")
        page.fill("#password", XFL_STAFF.password)
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/console/issues$"))
        expect(page.locator("header .who")).to_contain_text("幸福里王芳")
    finally:
        context.close()
    page = logged_in_page(chromium, console_site, ADMIN)
    try:
        expect(page.locator("header .who")).to_contain_text("管理员")
    finally:
        page.context.close()


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_public_api_docs_are_gone(console_site: ConsoleSite, path: str) -> None:
    assert httpx.get(console_site.url + path, timeout=10).status_code == 404
