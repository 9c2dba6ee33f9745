"""Every request is signed by its kiosk; each kind of bad signature is refused."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from http_message_signatures import HTTPMessageSigner, algorithms

from sync.contract.protocol import API_PREFIX
from sync.contract.signing import (
    COVERED,
    KioskSigner,
    _Message,
    _OneKey,
    load_private_key,
    new_private_key,
)
from tests.conftest import CentralServer, shuoshi

CHANGES = f"{API_PREFIX}/changes?since=0"


def _signed(key: str, code: str = "0042", method: str = "GET", path: str = CHANGES,
            body: bytes = b"") -> httpx.Request:
    request = httpx.Request(method, f"http://127.0.0.1{path}", content=body,
                            headers={"content-type": "application/json"} if body else {})
    return next(KioskSigner(code, key).auth_flow(request))


def _send(server: CentralServer, request: httpx.Request) -> httpx.Response:
    url = httpx.URL(server.url).join(request.url.raw_path.decode())
    with httpx.Client() as client:
        return client.send(httpx.Request(request.method, url, headers=request.headers,
                                         content=request.content))


def test_a_signed_request_is_served(server: CentralServer, kiosk_key: str) -> None:
    reply = _send(server, _signed(kiosk_key))
    assert reply.status_code == 200, reply.text


def _unsigned(key: str) -> httpx.Request:
    return httpx.Request("GET", f"http://127.0.0.1{CHANGES}")


def _wrong_key(key: str) -> httpx.Request:
    return _signed(new_private_key())


def _unknown_kiosk(key: str) -> httpx.Request:
    return _signed(key, code="0999")


def _altered_body(key: str) -> httpx.Request:
    request = _signed(key, method="POST", path=f"{API_PREFIX}/heartbeat", body=b'{"a": 1}')
    return httpx.Request("POST", request.url, headers=request.headers, content=b'{"a": 2}')


def _altered_path(key: str) -> httpx.Request:
    request = _signed(key)
    return httpx.Request("GET", f"http://127.0.0.1{API_PREFIX}/changes?since=5",
                         headers=request.headers)


def _stale(key: str) -> httpx.Request:
    """Honestly signed, but six minutes ago."""
    request = httpx.Request("GET", f"http://127.0.0.1{CHANGES}")
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519,
                               key_resolver=_OneKey(load_private_key(key)))
    signer.sign(_Message("GET", str(request.url), request.headers), key_id="0042",
                created=datetime.now(UTC) - timedelta(minutes=6), nonce="stale",
                covered_component_ids=COVERED, body=b"")
    return request


@pytest.mark.parametrize(
    "forge, reason",
    [
        (_unsigned, "not signed"),
        (_wrong_key, "bad signature"),
        (_unknown_kiosk, "bad signature"),
        (_altered_body, "Content-Digest"),
        (_altered_path, "bad signature"),
        (_stale, "stale"),
    ],
)
def test_bad_signatures_are_refused(server: CentralServer, kiosk_key: str,
                                    forge: Callable[[str], httpx.Request], reason: str) -> None:
    reply = _send(server, forge(kiosk_key))
    assert reply.status_code == 401
    assert reason in reply.json()["detail"]


def _kiosk_clock_off_by(key: str, minutes: float) -> httpx.Request:
    """A request signed by a kiosk whose clock is ``minutes`` ahead (negative: behind)."""
    request = httpx.Request("GET", f"http://127.0.0.1{CHANGES}")
    signer = KioskSigner("0042", key,
                         clock=lambda: datetime.now(UTC) + timedelta(minutes=minutes))
    return next(signer.auth_flow(request))


@pytest.mark.parametrize("minutes", [4, -4])
def test_a_kiosk_clock_up_to_five_minutes_off_is_accepted(
    server: CentralServer, kiosk_key: str, minutes: float
) -> None:
    reply = _send(server, _kiosk_clock_off_by(kiosk_key, minutes))
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize("minutes", [6, -6])
def test_a_kiosk_clock_more_than_five_minutes_off_is_refused(
    server: CentralServer, kiosk_key: str, minutes: float
) -> None:
    reply = _send(server, _kiosk_clock_off_by(kiosk_key, minutes))
    assert reply.status_code == 401
    assert reply.json()["detail"] == "signature is stale (created more than 5 minutes from now)"


def test_a_replayed_request_is_refused(server: CentralServer, kiosk_key: str) -> None:
    request = _signed(kiosk_key)
    assert _send(server, request).status_code == 200
    again = _send(server, request)
    assert again.status_code == 401
    assert "replayed" in again.json()["detail"]


def test_a_kiosk_cannot_push_for_another(server: CentralServer, kiosk_key: str) -> None:
    body = b'{"kiosk_code": "0007", "items": []}'
    reply = _send(server, _signed(kiosk_key, method="POST", path=f"{API_PREFIX}/submissions",
                                  body=body))
    assert reply.status_code == 403


def test_add_kiosk_prints_a_config_that_works(tmp_path: Path, server: CentralServer) -> None:
    made = shuoshi("server", "add-kiosk", "幸福里社区说事厅", "--db", f"sqlite:///{server.db}",
                   "--server-url", server.url)
    assert made.returncode == 0, made.stderr
    lines = tomllib.loads(made.stdout)
    code, key = lines["hall"]["kiosk_code"], lines["sync"]["signing_key"]
    assert code == "0001" and lines["sync"]["server_url"] == server.url
    assert _send(server, _signed(key, code=code)).status_code == 200
    again = shuoshi("server", "add-kiosk", "另一台", "--code", code, "--db",
                    f"sqlite:///{server.db}")
    assert again.returncode == 1 and "already given" in again.stderr
