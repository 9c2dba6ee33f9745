"""Real parts for the tests: the central server on 127.0.0.1, Xvfb, kiosk config files."""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import NullPool, create_engine, text

from kiosk.xvfb import virtual_display
from server.provision import add_kiosk
from sync.client import RoundResult, SyncSettings, SyncWorker
from sync.contract.protocol import API_PREFIX
from sync.contract.signing import KioskSigner
from sync.store import Store, SubmissionDraft
from tests.postgres import postgres_cluster, postgres_url  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parent.parent
# The sync worker waits for an NTP-synchronised clock (sync.timesync); a test machine booted
# by systemd with its clock not yet synchronised would hold every sync test up. The clock
# tests set this themselves.
os.environ.setdefault("SHUOSHI_CLOCK", "trust")
STAFF_NOTE = "已登记，社区网格员张三明天上门"
"""The note staff leave on ``held_ticket``."""
STAFF_TOKEN = "test-staff-token-3f9a1c"
"""The test server's own staff bearer token (SHUOSHI_STAFF_TOKEN)."""
STAFF_HEADERS = {"authorization": f"Bearer {STAFF_TOKEN}"}
STAFF_ENV = {**os.environ, "SHUOSHI_STAFF_TOKEN": STAFF_TOKEN}
"""The environment for ``shuoshi server set-status`` and other staff commands."""


def shuoshi(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The ``shuoshi`` command, as staff and the README run it."""
    return subprocess.run([sys.executable, "-m", "shuoshi", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=cwd or REPO, check=False)


def kiosk_toml(folder: Path, *, speech_backend: str | None = "silent",
               **sections: str) -> Path:
    """``folder/kiosk.toml``: kiosk 0042 with every file under ``folder``, a server on a
    closed port, the silent voice (None: the default engine); ``sections`` add lines to a
    section, e.g. ``microphone='kind = "none"'``."""
    lines = {"hall": 'kiosk_code = "0042"', "store": f'path = "{folder}/kiosk.db"',
             "sync": f'server_url = "http://127.0.0.1:{free_port()}"',
             "printer": f'out_dir = "{folder}/receipts"',
             "speech": f'out_dir = "{folder}/speech"'}
    if speech_backend is not None:
        lines["speech"] += f'\nbackend = "{speech_backend}"'
    if "queue" not in sections:  # 取号 shows on 说事日 only: no test hangs on today's date
        lines["queue"] = "enabled = false"
    for name, extra in sections.items():
        lines[name] = f"{lines.get(name, '')}\n{extra}".strip()
    path = folder / "kiosk.toml"
    path.write_text("".join(f"[{name}]\n{text}\n" for name, text in lines.items()),
                    encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CentralServer:
    def __init__(self, db: Path, db_url: str | None = None) -> None:
        self.db = db
        """The SQLite file, when the server runs on SQLite (``db_url`` not given)."""
        self.db_url = db_url or f"sqlite:///{db}"
        self.attachments = db.parent / "attachments"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = STAFF_ENV
        self.output: Path | None = None
        """Where everything the server writes goes; None: the test's own output."""

    def provision(self, code: str = "0042") -> str:
        """Register a kiosk on this server; returns its private signing key."""
        _, key = add_kiosk(self.db_url, f"test kiosk {code}", code)
        return key

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """What ``sql`` finds in the server's database, SQLite or PostgreSQL alike."""
        engine = create_engine(self.db_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql))]
        finally:
            engine.dispose()

    def signed_client(self, code: str, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=KioskSigner(code, key), timeout=10)

    def start(self) -> None:
        command = [sys.executable, "-m", "server", "--port", str(self.port), "--db", self.db_url,
                   "--attachments", str(self.attachments)]
        if self.output is None:
            self.proc = subprocess.Popen(command, cwd=REPO, env=self.env)
        else:
            with self.output.open("wb") as out:
                self.proc = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=out,
                                             stderr=subprocess.STDOUT)
        self.wait_up()

    def wait_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        said = self.output.read_text()[-2000:] if self.output is not None else ""
        raise RuntimeError(f"central server did not start {said}".strip())

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)


SERVER_DATABASES = ("sqlite", "postgres")
ON_BOTH_DATABASES = pytest.mark.parametrize("server_db", SERVER_DATABASES, indirect=True)
"""``pytestmark = ON_BOTH_DATABASES`` runs a module's ``server`` tests on SQLite and on a real
PostgreSQL (tests/postgres.py)."""


@pytest.fixture
def server_db(request: pytest.FixtureRequest) -> str:
    """The database the ``server`` fixture runs on: "sqlite" unless parametrized."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def server(tmp_path: Path, server_db: str, request: pytest.FixtureRequest
           ) -> Iterator[CentralServer]:
    url = request.getfixturevalue("postgres_url") if server_db == "postgres" else None
    central = CentralServer(tmp_path / "server.db", url)
    central.start()
    yield central
    central.stop()


@pytest.fixture
def kiosk_key(server: CentralServer) -> str:
    """Kiosk 0042, provisioned on the test server."""
    return server.provision("0042")


@pytest.fixture
def kiosk_config(tmp_path: Path, server: CentralServer, kiosk_key: str) -> Path:
    """A kiosk's own config file, with every file under the test's own folder."""
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f"""
[hall]
kiosk_code = "0042"

[store]
path = "{tmp_path}/kiosk.db"

[sync]
server_url = "{server.url}"
interval_seconds = 0.5
signing_key = "{kiosk_key}"

[printer]
out_dir = "{tmp_path}/receipts"

[speech]
out_dir = "{tmp_path}/speech"

[queue]
enabled = false
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    with virtual_display(800, 480) as value:
        yield value


@pytest.fixture
def display_env(display: str) -> dict[str, str]:
    return {**os.environ, "DISPLAY": display}


@pytest.fixture
def kiosk_key_only() -> str:
    """A signing key for tests whose server never checks it (a deliberately bad server)."""
    from sync.contract.signing import new_private_key

    return new_private_key()


def sync_worker(store: Store, url: str, key: str, *, code: str = "0042",
                transport: httpx.BaseTransport | None = None,
                printer_state: Callable[[], str] = lambda: "unknown",
                **settings: Any) -> SyncWorker:
    """The real sync worker for kiosk ``code``, with any SyncSettings field overridden."""
    return SyncWorker(store, SyncSettings(server_url=url, kiosk_code=code, signing_key=key,
                                          **settings),
                      transport=transport, printer_state=printer_state)


def drain(worker: SyncWorker, rounds: int, pause_s: float) -> RoundResult:
    """Sync rounds until nothing waits or ``rounds`` run out; returns the last round's result."""
    result = worker.run_once()
    for _ in range(rounds - 1):
        if result.waiting == 0:
            break
        time.sleep(pause_s)
        result = worker.run_once()
    return result


@pytest.fixture
def held_ticket(tmp_path: Path, server: CentralServer, kiosk_key: str) -> str:
    """A ticket made on kiosk 0042, pushed to the server and moved to 理事 by staff."""
    store = Store(tmp_path / "kiosk-0042.db")
    stored = store.record_submission(
        SubmissionDraft("房屋设施与管网", "下水道堵塞", place="幸福里3栋",
                        contact_name="张三", contact_phone="13800138000"), "0042")
    worker = sync_worker(store, server.url, kiosk_key)
    assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
    worker.close()
    store.close()
    reply = httpx.post(f"{server.url}{API_PREFIX}/staff/tickets/{stored.ticket}/status",
                       json={"step": "sort", "note": STAFF_NOTE}, headers=STAFF_HEADERS,
                       timeout=10)
    assert reply.status_code == 200
    return stored.ticket


def _cert_name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def write_pki(folder: Path) -> tuple[Path, Path, Path]:
    """A private CA and a certificate it issued for 127.0.0.1."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_cert_name("说事厅 test CA"))
          .issuer_name(_cert_name("说事厅 test CA")).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - timedelta(hours=1))
          .not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_cert_name("127.0.0.1"))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_file, cert_file, key_file


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    ca_file, cert_file, key_file = write_pki(tmp_path)
    db = tmp_path / "server.db"
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port),
                             "--db", f"sqlite:///{db}", "--certfile", str(cert_file),
                             "--keyfile", str(key_file)], cwd=REPO)
    url = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz", verify=ssl.create_default_context(cafile=str(ca_file)),
                      timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield url, ca_file, db
    finally:
        proc.terminate()
        proc.wait(10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The UI modules, the longest, first: the workers of ``make test`` (which take whole
    modules) then end together instead of one waiting on a long UI module alone."""
    items.sort(key=lambda item: not item.nodeid.startswith("tests/test_ui_"))
