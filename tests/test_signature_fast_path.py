"""The server's own signature verifier agrees with the signing library: what a kiosk signs
verifies, every tampered part is refused, and it never accepts what the library refuses."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.contract.protocol import API_PREFIX
from sync.contract.signing import (
    KioskSigner,
    SignatureRefused,
    VerifiedRequest,
    new_private_key,
    parse_kiosk_signature,
    public_key_object,
    public_key_of,
    verify_kiosk_signature,
    verify_request,
)
from tests.conftest import CentralServer

KEY = new_private_key()
PUBLIC = public_key_of(KEY)
CODE = "0042"
Raw = list[tuple[bytes, bytes]]


def _sign(method: str = "GET", url: str = f"http://127.0.0.1{API_PREFIX}/changes?since=3",
          body: bytes = b"", created: datetime | None = None) -> httpx.Request:
    signer = KioskSigner(CODE, KEY, clock=lambda: created or datetime.now(UTC))
    return next(signer.auth_flow(httpx.Request(method, url, content=body)))


def _fast(method: str, url: str, headers: Raw, body: bytes) -> VerifiedRequest:
    """The server's verifier, on the request line as it arrives (path and query raw)."""
    target = httpx.URL(url)
    parts = parse_kiosk_signature(headers)
    return verify_kiosk_signature(parts, method=method, path=target.raw_path.split(b"?")[0]
                                  .decode(), query=target.query.decode(), body=body,
                                  public_key=public_key_object(PUBLIC))


def _library(method: str, url: str, headers: Raw, body: bytes) -> VerifiedRequest:
    return verify_request(method=method, url=url, body=body, public_keys={CODE: PUBLIC},
                          headers=[(k.decode(), v.decode()) for k, v in headers])


def _outcome(check: Callable[[str, str, Raw, bytes], VerifiedRequest], method: str, url: str,
             headers: Raw, body: bytes) -> str:
    try:
        verified = check(method, url, headers, body)
    except SignatureRefused as exc:
        return f"refused: {exc}"
    return f"{verified.key_id} {verified.nonce}"


def _raw(request: httpx.Request) -> Raw:
    return [(k.lower(), v) for k, v in request.headers.raw]


def _replaced(headers: Raw, name: bytes, change: Callable[[bytes], bytes]) -> Raw:
    return [(k, change(v) if k == name else v) for k, v in headers]


@pytest.mark.parametrize("method, url, body", [
    ("GET", f"http://127.0.0.1{API_PREFIX}/changes?since=3&limit=200", b""),
    ("GET", f"http://127.0.0.1{API_PREFIX}/changes", b""),
    ("POST", f"http://127.0.0.1:8000{API_PREFIX}/heartbeat", b'{"queue_depth": 0}'),
    ("PUT", f"http://h{API_PREFIX}/attachments/ab%20cd?offset=5", bytes(range(256))),
])
def test_what_a_kiosk_signs_verifies_as_with_the_library(method: str, url: str,
                                                          body: bytes) -> None:
    request = _sign(method, url, body)
    fast = _outcome(_fast, method, url, _raw(request), body)
    assert not fast.startswith("refused"), fast
    assert fast == _outcome(_library, method, url, _raw(request), body)
    assert fast.startswith(f"{CODE} ")


def _tampered() -> dict[str, Callable[[httpx.Request], tuple[str, str, Raw, bytes]]]:
    url = f"http://127.0.0.1{API_PREFIX}/heartbeat?x=1"

    def parts(r: httpx.Request) -> tuple[str, str, Raw, bytes]:
        return r.method, url, _raw(r), r.content

    def header(name: bytes, old: bytes, new: bytes
               ) -> Callable[[httpx.Request], tuple[str, str, Raw, bytes]]:
        def tamper(r: httpx.Request) -> tuple[str, str, Raw, bytes]:
            m, u, h, b = parts(r)
            assert any(old in v for k, v in h if k == name), (name, old)
            return m, u, _replaced(h, name, lambda v: v.replace(old, new, 1)), b
        return tamper

    def duplicated(name: bytes) -> Callable[[httpx.Request], tuple[str, str, Raw, bytes]]:
        def tamper(r: httpx.Request) -> tuple[str, str, Raw, bytes]:
            m, u, h, b = parts(r)
            return m, u, h + [(k, v) for k, v in h if k == name], b
        return tamper

    def other_digest(r: httpx.Request) -> tuple[str, str, Raw, bytes]:
        m, u, h, _ = parts(_sign("POST", url, b"another body"))
        return m, u, _replaced(_raw(r), b"content-digest",
                               lambda _: dict(h)[b"content-digest"]), r.content

    return {
        "method": lambda r: ("PUT", *parts(r)[1:]),
        "path": lambda r: (r.method, url.replace("heartbeat", "quarantine"), *parts(r)[2:]),
        "query": lambda r: (r.method, url.replace("x=1", "x=2"), *parts(r)[2:]),
        "query dropped": lambda r: (r.method, url.split("?")[0], *parts(r)[2:]),
        "body": lambda r: (*parts(r)[:3], r.content + b" "),
        "digest": other_digest,
        "created": header(b"signature-input", b";created=1", b";created=2"),
        "keyid": header(b"signature-input", b'keyid="0042"', b'keyid="0043"'),
        "nonce": header(b"signature-input", b';nonce="', b';nonce="0'),
        "label in Signature-Input only": header(b"signature-input", b"pyhms=", b"other="),
        "label in Signature only": header(b"signature", b"pyhms=", b"other="),
        "alg": header(b"signature-input", b'alg="ed25519"', b'alg="rsa-pss-sha512"'),
        "extra parameter": header(b"signature-input", b";alg=", b';tag="x";alg='),
        "expires added": header(b"signature-input", b";alg=", b";expires=9999999999;alg="),
        "component dropped": header(b"signature-input", b' "content-digest"', b""),
        "components reordered": header(b"signature-input", b'"@path" "@query"',
                                       b'"@query" "@path"'),
        "extra space": header(b"signature-input", b'"@path" ', b'"@path"  '),
        "signature bytes": header(b"signature", b"=:", b"=:AA"),
        "Signature twice": duplicated(b"signature"),
        "Signature-Input twice": duplicated(b"signature-input"),
        "Content-Digest twice": duplicated(b"content-digest"),
        "not signed": lambda r: (r.method, url, [(k, v) for k, v in _raw(r)
                                                 if k != b"signature"], r.content),
    }


@pytest.mark.parametrize("tamper", list(_tampered()))
def test_each_tampered_part_is_refused(tamper: str) -> None:
    request = _sign("POST", f"http://127.0.0.1{API_PREFIX}/heartbeat?x=1", b'{"a": 1}')
    method, url, headers, body = _tampered()[tamper](request)
    assert _outcome(_fast, method, url, headers, body).startswith("refused"), tamper
    assert _outcome(_library, method, url, headers, body).startswith("refused") or tamper in (
        "extra space", "label in Signature-Input only", "label in Signature only",
        "components reordered", "expires added", "Content-Digest twice"), tamper


@pytest.mark.parametrize("seconds, accepted", [(-299, True), (299, True), (-301, False),
                                               (301, False)])
def test_the_clock_window_is_five_minutes_both_ways(seconds: int, accepted: bool) -> None:
    created = datetime.fromtimestamp(time.time() + seconds, UTC)
    request = _sign(created=created)
    outcome = _outcome(_fast, "GET", str(request.url), _raw(request), b"")
    assert outcome.startswith("refused: signature is stale") is not accepted, outcome


_URL_CHAR = st.sampled_from([*"abcXYZ019-._~!$&'()*+,;=:@/", "%20", "%2F"])
_MUTATIONS = st.sampled_from(["none", "method", "path", "query", "body", "header byte"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
       path=st.lists(_URL_CHAR, max_size=20).map("".join),
       query=st.none() | st.lists(_URL_CHAR | st.just("?"), max_size=20).map("".join),
       body=st.binary(max_size=64), mutation=_MUTATIONS, where=st.integers(0, 10**6))
def test_it_never_accepts_what_the_library_refuses(method: str, path: str, query: str | None,
                                                   body: bytes, mutation: str,
                                                   where: int) -> None:
    url = f"http://127.0.0.1/{path}" + ("" if query is None else f"?{query}")
    request = _sign(method, url, body)
    url, headers = str(request.url), _raw(request)  # as sent (httpx normalises dot segments)
    if mutation == "method":
        method = "PATCH"
    elif mutation == "path":
        url = url.replace("://127.0.0.1/", "://127.0.0.1/x", 1)
    elif mutation == "query":
        url += "&z" if "?" in url else "?z"
    elif mutation == "body":
        body += b"!"
    elif mutation == "header byte":
        index = where % len(headers)
        name, value = headers[index]
        at = where % len(value)
        flipped = bytes([value[at] ^ 0x01]) if chr(value[at] ^ 0x01).isprintable() else b"~"
        headers[index] = (name, value[:at] + flipped + value[at + 1:])
    fast = _outcome(_fast, method, url, headers, body)
    library = _outcome(_library, method, url, headers, body)
    if mutation == "none":
        assert fast == library and not fast.startswith("refused"), (fast, library)
    elif not fast.startswith("refused"):
        assert fast == library, (fast, library)


def test_a_replayed_heartbeat_is_refused_and_not_stored_twice(server: CentralServer,
                                                            kiosk_key: str) -> None:
    url = httpx.URL(server.url).join(f"{API_PREFIX}/heartbeat")
    beat = (b'{"queue_depth": 3, "oldest_unsent_seconds": 0.0, "quarantined": 0, '
            b'"printer_state": "ok", "software_version": "t", "free_disk_bytes": 1}')
    request = next(KioskSigner("0042", kiosk_key).auth_flow(httpx.Request(
        "POST", url, content=beat, headers={"content-type": "application/json"})))
    with httpx.Client() as client:
        first = client.send(request)
        again = client.send(request)
    assert first.status_code == 200 and first.json() == {"status": "ok"}, first.text
    assert again.status_code == 401 and "replayed" in again.json()["detail"]


def test_an_empty_page_of_changes_keeps_the_cursor(server: CentralServer,
                                                   kiosk_key: str) -> None:
    with server.signed_client("0042", kiosk_key) as client:
        reply = client.get(f"{API_PREFIX}/changes", params={"since": 10**9})
    with httpx.Client() as plain:  # the very same signed request again
        replayed = plain.send(reply.request)
    assert reply.status_code == 200
    assert reply.json() == {"changes": [], "cursor": 10**9}
    assert replayed.status_code == 401 and "replayed" in replayed.json()["detail"]
