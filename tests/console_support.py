"""Test support for the staff console: a real server with two communities, and a browser.

API (bind the fixtures you use in your test module:
``console_site, chromium = console_support.console_site, console_support.chromium``):

- ``console_site`` (module-scoped fixture) -> ``ConsoleSite``: a real ``python -m server``
  subprocess on 127.0.0.1 (``tests.conftest.CentralServer``) on SQLite whose database has
    communities ``xingfuli`` 幸福里社区 (kiosks 0101, 0102) and ``heping`` 和平社区 (kiosk 0201),
    accounts ADMIN (role admin) and XFL_STAFF (community staff of xingfuli) and HP_STAFF
    (community staff of heping).
  ``site.url``, ``site.db_url``, ``site.server``, ``site.kiosk_keys[code]`` (signing keys),
  ``site.tmp`` (a folder of its own for kiosk stores), ``site.rows(sql)`` and
  ``site.execute(sql, **params)`` (SQL on its database, SQLite or PostgreSQL alike).
- ``console_site_on_both`` (module-scoped fixture): the same site, once on SQLite and once on
  a real PostgreSQL (the module's tests run twice).
- ``module_db_url`` (module-scoped fixture, parametrized "sqlite"/"postgres"): None for SQLite
  or the URL of a PostgreSQL database made for the module (bind it in a module whose own
  module-scoped server fixture takes it).
- ``Account(username, password, display_name, role, community)``: ADMIN, XFL_STAFF, HP_STAFF.
- ``with signed_in_client(site, account) as client``: an httpx.Client with the session cookie.
- ``csrf_of(html) -> str``: the ``csrf_token`` hidden field of a page.
- ``push_issue(site, kiosk_code, draft) -> ticket``: a real kiosk store and sync round push it.
- ``chromium`` (module-scoped fixture) -> ``playwright.sync_api.Browser`` (Debian's Chromium,
  headless).
- ``logged_in_page(browser, site, account) -> Page``: a fresh browser context signed in;
  close it with ``page.context.close()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.orm import sessionmaker

from server.console.auth import add_account
from server.database import open_server_engine
from server.provision import add_community, add_kiosk
from sync.store import Store, SubmissionDraft
from tests.conftest import SERVER_DATABASES, CentralServer, sync_worker

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    display_name: str
    role: str
    community: str | None


ADMIN = Account("jiedao", "jiedao-pass-2026", "街道管理员", "admin", None)
XFL_STAFF = Account("xfl", "xfl-pass-2026", "幸福里王芳", "community", "xingfuli")
HP_STAFF = Account("hp", "hp-pass-2026", "和平李强", "community", "heping")
COMMUNITIES = {"xingfuli": ("幸福里社区", ("0101", "0102")), "heping": ("和平社区", ("0201",))}


@dataclass
class ConsoleSite:
    server: CentralServer
    tmp: Path
    kiosk_keys: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def db_url(self) -> str:
        return self.server.db_url

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.server.rows(sql)

    def execute(self, sql: str, **params: object) -> None:
        """Run one writing statement (``:name`` parameters) in a transaction of its own."""
        run_sql(self.db_url, sql, **params)


def run_sql(db_url: str, sql: str, **params: object) -> None:
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=SERVER_DATABASES)
def module_db_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None on SQLite (the site makes its own file); on PostgreSQL, a database for the module,
    dropped after it."""
    if request.param == "sqlite":
        yield None
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


def build_site(folder: Path, db_url: str | None = None) -> ConsoleSite:
    """Provision the database (before the server starts), then start the server; on SQLite
    unless ``db_url`` is given."""
    site = ConsoleSite(CentralServer(folder / "server.db", db_url), folder)
    for code, (name, kiosks) in COMMUNITIES.items():
        add_community(site.db_url, code, name, street="幸福街道")
        for kiosk in kiosks:
            site.kiosk_keys[kiosk] = add_kiosk(site.db_url, f"{name}说事厅 {kiosk}", kiosk,
                                               community=code)[1]
    engine = open_server_engine(site.db_url)
    try:
        with sessionmaker(engine).begin() as db:
            for a in (ADMIN, XFL_STAFF, HP_STAFF):
                add_account(db, a.username, a.display_name, a.password, a.role, a.community)
    finally:
        engine.dispose()
    site.server.start()
    return site


@pytest.fixture(scope="module")
def console_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleSite]:
    site = build_site(tmp_path_factory.mktemp("console"))
    try:
        yield site
    finally:
        site.server.stop()


@pytest.fixture(scope="module")
def console_site_on_both(tmp_path_factory: pytest.TempPathFactory,
                         module_db_url: str | None) -> Iterator[ConsoleSite]:
    site = build_site(tmp_path_factory.mktemp("console"), module_db_url)
    try:
        yield site
    finally:
        site.server.stop()


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no csrf_token field"
    return found.group(1)


@contextmanager
def signed_in_client(site: ConsoleSite, account: Account) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=10) as client:
        reply = client.post("/console/login", data={"username": account.username,
                                                    "password": account.password})
        assert reply.status_code == 303, reply.text
        yield client


def push_issue(site: ConsoleSite, kiosk_code: str, draft: SubmissionDraft) -> str:
    """Record ``draft`` on kiosk ``kiosk_code``'s own store and push it with a real sync round;
    returns its ticket. The store stays at ``site.tmp / f"kiosk-{code}.db"``."""
    store = Store(site.tmp / f"kiosk-{kiosk_code}.db")
    try:
        stored = store.record_submission(draft, kiosk_code)
        worker = sync_worker(store, site.url, site.kiosk_keys[kiosk_code], code=kiosk_code)
        try:
            assert worker.run_once().waiting == 0
        finally:
            worker.close()
    finally:
        store.close()
    return stored.ticket


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def logged_in_page(browser: Browser, site: ConsoleSite, account: Account) -> Page:
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 800},
                                  locale="zh-CN")
    page = context.new_page()
    page.goto("/console/login")
    page.fill("#username", account.username)
    page.fill("#password", account.password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/(queue)?$"))
    return page
