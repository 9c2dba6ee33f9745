"""A real PostgreSQL for the tests: one throw-away cluster per test session, a fresh database
per test.

``postgres_url`` (function scope) is a ``postgresql+psycopg://`` URL of an empty database made
for the test and dropped after it; ``postgres_cluster`` (session scope) is the running server,
for tests that need several databases or the admin connection.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

START_TIMEOUT_S = 60


@dataclass(frozen=True)
class PostgresCluster:
    host: str
    port: int
    user: str

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.user}@{self.host}:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit connection to the ``postgres`` database (CREATE/DROP DATABASE)."""
        return psycopg.connect(host=self.host, port=self.port, user=self.user,
                               dbname="postgres", autocommit=True)

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_bindir() -> Path:
    """Where initdb and postgres are; a clear failure (not a skip) when PostgreSQL is missing."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                               check=False).stdout.strip()
        if found:
            candidates.append(Path(found))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder
    pytest.fail("PostgreSQL server binaries (initdb, postgres) not found: install the "
                "`postgresql` package (scripts/setup.sh does) to run the PostgreSQL tests",
                pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _owner() -> dict[str, object]:
    """PostgreSQL refuses to run as root: as root, its programs run as the ``postgres`` user."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root but there is no `postgres` user to run PostgreSQL as "
                    "(the `postgresql` package makes it)", pytrace=False)
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user="postgres", group="postgres")


def _wait_until_ready(server: subprocess.Popen[bytes], cluster: PostgresCluster,
                      log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            cluster.admin().close()
            return
        except psycopg.OperationalError:
            time.sleep(0.05)
    server.kill()
    server.wait()
    pytest.fail(f"PostgreSQL did not start:\n{log.read_text(errors='replace')}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    bindir = postgres_bindir()
    # Not under pytest's tmp_path: its folders are private to root, out of postgres's reach.
    root = Path(tempfile.mkdtemp(prefix="shuoshi-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    sockets.mkdir()
    for path in (root, sockets):
        _chown_to_postgres(path)
    user = "postgres"
    made = subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust",
                           "-E", "UTF8", "--locale=C", "--no-sync"], capture_output=True,
                          text=True, check=False, timeout=START_TIMEOUT_S, **_owner())  # type: ignore[call-overload]
    if made.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed:\n{made.stdout}\n{made.stderr}", pytrace=False)
    cluster = PostgresCluster(host="127.0.0.1", port=_free_port(), user=user)
    settings = {"listen_addresses": cluster.host, "port": cluster.port,
                "unix_socket_directories": sockets, "fsync": "off", "synchronous_commit": "off",
                "full_page_writes": "off", "max_connections": 300}
    # A child of this process (not daemonised by pg_ctl), so it ends with the test run even
    # when the run is killed.
    with log.open("wb") as log_file:
        server = subprocess.Popen(  # type: ignore[call-overload]
            [str(bindir / "postgres"), "-D", str(data),
             *(arg for name, value in settings.items() for arg in ("-c", f"{name}={value}"))],
            stdout=log_file, stderr=subprocess.STDOUT, **_owner())
    try:
        _wait_until_ready(server, cluster, log)
        yield cluster
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)  # fast shutdown: clients are disconnected
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """An empty database of its own for this test, as a SQLAlchemy psycopg 3 URL."""
    name = postgres_cluster.create_database()
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.drop_database(name)
