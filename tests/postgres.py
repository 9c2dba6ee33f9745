"""A real PostgreSQL for the tests: one throw-away cluster per test session, a fresh database
per test.

``postgres_url`` (function scope) is a ``postgresql+psycopg://`` URL of an empty database made
for the test and dropped after it; ``postgres_cluster`` (session scope) is the running server,
for tests that need several databases or the admin connection.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
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
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def postgres_bindir() -> Path:
    """Where initdb and pg_ctl are; a clear failure (not a skip) when PostgreSQL is missing."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                               check=False).stdout.strip()
        if found:
            candidates.append(Path(found))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found: install the "
                "`postgresql` package (scripts/setup.sh does) to run the PostgreSQL tests",
                pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` user."""
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser") is None:
        pytest.fail("running as root but `runuser` is missing, so PostgreSQL cannot be "
                    "started as the postgres user", pytrace=False)
    return ["runuser", "-u", "postgres", "--", *command]


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user="postgres", group="postgres")


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
    made = subprocess.run(
        _as_owner([str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"]),
        capture_output=True, text=True, check=False, timeout=START_TIMEOUT_S)
    if made.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed:\n{made.stdout}\n{made.stderr}", pytrace=False)
    port = _free_port()
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets}"
               " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
               " -c max_connections=300")
    started = subprocess.run(
        _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                   "-w", "-t", str(START_TIMEOUT_S), "start"]),
        capture_output=True, text=True, check=False, timeout=START_TIMEOUT_S + 10)
    if started.returncode != 0:
        details = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start:\n{started.stderr}\n{details}", pytrace=False)
    try:
        yield PostgresCluster(host="127.0.0.1", port=port, user=user)
    finally:
        subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                  "-w", "stop"]), capture_output=True, check=False, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """An empty database of its own for this test, as a SQLAlchemy psycopg 3 URL."""
    name = postgres_cluster.create_database()
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.drop_database(name)
