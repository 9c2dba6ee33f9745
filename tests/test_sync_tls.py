"""TLS: certificates are verified by default; a private deployment names its own CA file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

import kiosk.lookup
import sync.client
from kiosk.cli_sync import server_link, sync_settings
from kiosk.config import load_config
from kiosk.lookup import LookupOutcome, StatusLookup
from server.provision import add_kiosk
from sync.client import SyncSettings, SyncWorker
from sync.http import ServerLink, make_client
from sync.outbox import Outbox
from sync.store import Store, SubmissionDraft
from tests.conftest import drain, shuoshi


def test_certificate_verified_by_default_and_with_a_private_ca(
    tmp_path: Path, https_server: tuple[str, Path, Path]
) -> None:
    url, ca_file, db = https_server
    code, key = add_kiosk(f"sqlite:///{db}", "tls kiosk", "0042")
    store = Store(tmp_path / "kiosk.db")
    store.record_submission(SubmissionDraft("其他", "测试"), code)

    untrusting = SyncWorker(store, SyncSettings(server_url=url, kiosk_code=code, signing_key=key,
                                                retry_cap_s=0.01))
    assert untrusting.run_once().error == "the server's TLS certificate is not trusted"
    untrusting.close()
    assert Outbox(store).depth() == 1

    trusting = SyncWorker(store, SyncSettings(server_url=url, kiosk_code=code, signing_key=key,
                                              ca_file=ca_file, retry_cap_s=0.01))
    drain(trusting, rounds=20, pause_s=0.05)
    trusting.close()
    assert Outbox(store).depth() == 0
    store.close()


def _kiosk_toml(path: Path, url: str, key: str, ca_file: Path | None) -> Path:
    ca_line = f'ca_file = "{ca_file}"' if ca_file else ""
    path.write_text(f"""
[hall]
kiosk_code = "0042"

[store]
path = "{path.parent}/kiosk.db"

[sync]
server_url = "{url}"
signing_key = "{key}"
{ca_line}
""", encoding="utf-8")
    return path


def test_lookup_trusts_the_private_ca_named_in_the_config(
    tmp_path: Path, https_server: tuple[str, Path, Path]
) -> None:
    url, ca_file, db = https_server
    code, key = add_kiosk(f"sqlite:///{db}", "tls kiosk", "0042")
    made_here = Store(tmp_path / "kiosk.db")
    ticket = made_here.record_submission(SubmissionDraft("其他", "测试"), code).ticket
    with_ca = load_config(_kiosk_toml(tmp_path / "with-ca.toml", url, key, ca_file))
    worker = SyncWorker(made_here, sync_settings(with_ca))
    drain(worker, rounds=20, pause_s=0.05)
    worker.close()
    assert Outbox(made_here).depth() == 0
    made_here.close()

    elsewhere = Store(tmp_path / "another-kiosk.db")  # a store that does not hold the ticket
    lookup = StatusLookup(elsewhere, server_link(with_ca))
    result = lookup.look_up(ticket)
    lookup.close()
    assert result.outcome is LookupOutcome.FOUND
    assert result.view is not None and result.view.ticket == ticket

    without_ca = load_config(_kiosk_toml(tmp_path / "without-ca.toml", url, key, None))
    lookup = StatusLookup(elsewhere, server_link(without_ca))
    assert lookup.look_up(ticket).outcome is LookupOutcome.UNREACHABLE  # not "not found"
    lookup.close()
    elsewhere.close()


def test_the_sync_worker_and_the_lookup_share_one_client_factory(
    tmp_path: Path, https_server: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca_file, db = https_server
    code, key = add_kiosk(f"sqlite:///{db}", "tls kiosk", "0042")
    cfg = load_config(_kiosk_toml(tmp_path / "kiosk.toml", url, key, ca_file))
    made: list[ServerLink] = []

    def counting_factory(link: ServerLink, **kw: Any) -> httpx.Client:
        made.append(link)
        return make_client(link, **kw)

    monkeypatch.setattr(sync.client, "make_client", counting_factory)
    monkeypatch.setattr(kiosk.lookup, "make_client", counting_factory)
    store = Store(tmp_path / "kiosk.db")
    ticket = store.record_submission(SubmissionDraft("其他", "测试"), code).ticket
    worker = SyncWorker(store, sync_settings(cfg))
    assert drain(worker, rounds=20, pause_s=0.05).error == ""
    worker.close()
    lookup = StatusLookup(Store(tmp_path / "other.db"), server_link(cfg))
    assert lookup.look_up(ticket).outcome is LookupOutcome.FOUND
    lookup.store.close()
    lookup.close()
    assert made == [server_link(cfg), server_link(cfg)]
    assert made[0].ca_file == ca_file
    store.close()


def test_a_ca_file_that_cannot_be_read_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    config = _kiosk_toml(tmp_path / "kiosk.toml", "https://127.0.0.1:9", "AAAA", missing)
    from sync.contract.signing import new_private_key

    config.write_text(config.read_text().replace('"AAAA"', f'"{new_private_key()}"'))
    run = shuoshi("sync", "--once", "--config", str(config))
    assert run.returncode == 2, run.stderr
    assert f"config error: [sync] ca_file {missing} cannot be used" in run.stderr
