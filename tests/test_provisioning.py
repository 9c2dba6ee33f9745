"""Provisioning a fleet through ``shuoshi server``: thousands of kiosks in one call, kiosks from
a CSV file, revoking a kiosk and rotating its key. Real CLI subprocesses, the real server on
127.0.0.1; real SQLite files, and a real PostgreSQL for the CSV, revoke and rotate commands
(5,000 kiosks are provisioned on SQLite only).
"""

from __future__ import annotations

import random
import stat
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from server import cli
from server.provision import add_community, add_kiosk
from sync.contract.protocol import API_PREFIX
from sync.contract.signing import KioskSigner
from tests.conftest import ON_BOTH_DATABASES, SERVER_DATABASES, CentralServer, shuoshi

FLEET = 5000
SAMPLE = 20
REFUSAL_WAIT_S = 15.0
"""How long a revoked or replaced key may still be accepted (an in-process key cache)."""


def _db(server: CentralServer) -> str:
    return server.db_url


def _answer(server: CentralServer, code: str, key: str) -> int:
    with httpx.Client(base_url=server.url, auth=KioskSigner(code, key), timeout=10) as client:
        return client.get(f"{API_PREFIX}/changes").status_code


def _refused_within(server: CentralServer, code: str, key: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _answer(server, code, key) == 401:
            return True
        time.sleep(0.5)
    return False


def _config(path: Path) -> tuple[str, str, str]:
    """(kiosk code, signing key, server URL) of a kiosk config file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return data["hall"]["kiosk_code"], data["sync"]["signing_key"], data["sync"]["server_url"]


def _kiosk_rows(server: CentralServer) -> dict[str, tuple[str, str | None]]:
    return {code: (name, community) for code, name, community
            in server.rows("SELECT code, name, community_code FROM kiosks")}


def test_five_thousand_kiosks_in_one_call(server: CentralServer, tmp_path: Path) -> None:
    add_community(_db(server), "xingfuli", "幸福里社区")
    out = tmp_path / "fleet"
    made = shuoshi("server", "add-kiosk", "--count", str(FLEET), "--community", "xingfuli",
                   "--out", str(out), "--db", _db(server), "--server-url", server.url)
    assert made.returncode == 0, made.stderr
    assert f"{FLEET} kiosks provisioned (0001-5000)" in made.stdout
    files = sorted(out.glob("kiosk-*.toml"))
    assert len(files) == FLEET
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    rows = _kiosk_rows(server)
    assert len(rows) == FLEET and rows["0001"] == ("说事厅 0001", "xingfuli")
    for path in random.Random(7).sample(files, SAMPLE):
        code, key, url = _config(path)
        assert path.name == f"kiosk-{code}.toml" and url == server.url
        assert _answer(server, code, key) == 200, path.name
    # the rest of the code space is 4,999 codes: asking for more adds nothing
    more = shuoshi("server", "add-kiosk", "--count", str(FLEET), "--out", str(tmp_path / "more"),
                   "--db", _db(server))
    assert more.returncode == 1
    assert "code space is full" in more.stderr and "only 4999" in more.stderr
    assert len(_kiosk_rows(server)) == FLEET
    assert not list((tmp_path / "more").glob("*.toml"))


@pytest.mark.parametrize("database", SERVER_DATABASES)
def test_csv_rows_that_cannot_be_met_are_named_by_file_and_line(
        tmp_path: Path, database: str, request: pytest.FixtureRequest) -> None:
    """Every line is checked before any is written: a refused sheet adds no kiosk."""
    db = (str(request.getfixturevalue("postgres_url")) if database == "postgres"
          else f"sqlite:///{tmp_path / 'server.db'}")
    database_of = CentralServer(tmp_path / "server.db", db)  # read, never started
    add_community(db, "xingfuli", "幸福里社区")
    sheet = tmp_path / "kiosks.csv"
    sheet.write_text("name,community,code\n"
                     "幸福里东门,xingfuli,0101\n"
                     "只有名字\n"
                     "幸福里西门,xingfuli,12a\n"
                     "和平里,hepingli,\n"
                     "幸福里北门,xingfuli,0101\n", encoding="utf-8")
    out = tmp_path / "configs"
    bad = shuoshi("server", "add-kiosk", "--csv", str(sheet), "--out", str(out), "--db", db)
    assert bad.returncode == 1
    assert f"{sheet}:3: expected name,community[,code]" in bad.stderr
    assert "got 1 column" in bad.stderr
    # the shape of every line is checked first; then what each line asks for
    sheet.write_text("name,community,code\n"
                     "幸福里东门,xingfuli,0101\n"
                     "幸福里西门,xingfuli,12a\n"
                     "和平里,hepingli,\n"
                     "幸福里北门,xingfuli,0101\n", encoding="utf-8")
    bad = shuoshi("server", "add-kiosk", "--csv", str(sheet), "--out", str(out), "--db", db)
    assert bad.returncode == 1
    assert f"{sheet}:3: kiosk code must be 4 digits" in bad.stderr
    assert f"{sheet}:4: no community 'hepingli'" in bad.stderr
    assert f"{sheet}:5: kiosk code 0101 is asked for twice (also {sheet}:2)" in bad.stderr
    assert not list(out.glob("*.toml"))
    assert database_of.rows("SELECT code FROM kiosks") == []
    sheet.write_text("幸福里东门,xingfuli,0101\n幸福里西门,xingfuli\n社区办公室,,\n",
                     encoding="utf-8")
    good = shuoshi("server", "add-kiosk", "--csv", str(sheet), "--out", str(out), "--db", db)
    assert good.returncode == 0, good.stderr
    assert sorted(p.name for p in out.glob("*.toml")) == [
        "kiosk-0001.toml", "kiosk-0002.toml", "kiosk-0101.toml"]
    rows = set(database_of.rows("SELECT code, name, community_code FROM kiosks"))
    assert rows == {("0101", "幸福里东门", "xingfuli"), ("0001", "幸福里西门", "xingfuli"),
                    ("0002", "社区办公室", None)}
    taken = tmp_path / "again.csv"
    taken.write_text("又一台,xingfuli,0101\n", encoding="utf-8")
    again = shuoshi("server", "add-kiosk", "--csv", str(taken), "--out", str(out), "--db", db)
    assert again.returncode == 1
    assert f"{taken}:1: kiosk code 0101 is already given to another kiosk" in again.stderr
    assert set(database_of.rows("SELECT code, name, community_code FROM kiosks")) == rows


def _provision_one(server: CentralServer, name: str) -> tuple[str, str]:
    made = shuoshi("server", "add-kiosk", name, "--db", _db(server), "--server-url", server.url)
    assert made.returncode == 0, made.stderr
    data = tomllib.loads(made.stdout)
    return data["hall"]["kiosk_code"], data["sync"]["signing_key"]


@ON_BOTH_DATABASES
def test_revoked_and_rotated_keys_are_refused(server: CentralServer, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """One kiosk revoked, one given a new key, a third untouched (both waits run together)."""
    revoked, revoked_key = _provision_one(server, "幸福里东门")  # the config printed
    rotated, old_key = add_kiosk(_db(server), "幸福里西门")
    other, other_key = add_kiosk(_db(server), "幸福里南门")
    assert {_answer(server, c, k) for c, k in ((revoked, revoked_key), (rotated, old_key))} == {
        200}
    done = shuoshi("server", "revoke-kiosk", revoked, "--db", _db(server))
    assert done.returncode == 0 and "revoked" in done.stdout
    target = tmp_path / "kiosk.toml"
    target.write_text("the old config\n", encoding="utf-8")
    done = shuoshi("server", "rotate-key", rotated, "--out", str(target), "--db", _db(server),
                   "--server-url", server.url)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    new_code, new_key, _ = _config(target)
    assert new_code == rotated and new_key != old_key
    assert _answer(server, rotated, new_key) == 200
    assert _refused_within(server, revoked, revoked_key, REFUSAL_WAIT_S)
    assert _refused_within(server, rotated, old_key, REFUSAL_WAIT_S)
    assert _answer(server, rotated, new_key) == 200
    assert _answer(server, other, other_key) == 200
    assert cli.main(["revoke-kiosk", revoked, "--db", _db(server)]) == 0
    assert "already revoked" in capsys.readouterr().out
    assert cli.main(["rotate-key", revoked, "--db", _db(server)]) == 1
    assert "was revoked" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "says"), [
    (("add-kiosk", "--count", "3"), "give --out DIR"),
    (("add-kiosk", "--count", "3", "--csv", "x.csv", "--out", "o"), "not both"),
    (("add-kiosk",), "give the kiosk's NAME"),
    (("add-kiosk", "--csv", "missing.csv", "--out", "o"), "missing.csv: cannot read it"),
    (("revoke-kiosk", "0001"), "no kiosk with code '0001'"),
    (("rotate-key", "12"), "no kiosk with code '12'"),
    (("move-kiosk", "0001", "--community", "xingfuli"), "no kiosk with code '0001'"),
    (("revoke-api-key", "city-app"), "no Open311 key in use named 'city-app'"),
])
def test_fleet_commands_say_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          args: tuple[str, ...], says: str) -> None:
    """The same command line in this process (the ones above run it as a subprocess)."""
    monkeypatch.chdir(tmp_path)
    code = cli.main([*args, "--db", f"sqlite:///{tmp_path / 's.db'}"])
    assert code in (1, 2) and says in capsys.readouterr().err
