"""Request bodies are limited while they are read, declared or chunked, before any parsing."""

from __future__ import annotations

import hashlib
import json
import select
import socket
import time
from pathlib import Path

import httpx

from server.app import DEFAULT_MAX_ATTACHMENT_BYTES, MAX_REQUEST_BYTES
from sync.contract.protocol import API_PREFIX
from sync.contract.signing import KioskSigner
from sync.upload import upload
from tests.conftest import CentralServer

PUSH = f"{API_PREFIX}/submissions"
HUNDRED_MB = 100 * 2**20


def _rss_kib(server: CentralServer) -> int:
    assert server.proc is not None
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1])


def _head(server: CentralServer, path: str, *headers: str) -> bytes:
    method = "PUT" if path.startswith(f"{API_PREFIX}/attachments/") else "POST"
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}",
             "Content-Type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _reply(sock: socket.socket, timeout_s: float) -> tuple[int, dict[str, str], bytes]:
    sock.settimeout(timeout_s)
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        assert piece, f"connection closed before a reply: {data!r}"
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    while len(body) < int(headers.get("content-length", "0")):
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return int(status_line.split()[1]), headers, body


def _send_chunked(server: CentralServer, path: str, total: int, chunk: int = 64 * 1024
                  ) -> tuple[tuple[int, dict[str, str], bytes], int]:
    """Send a chunked body of ``total`` bytes, stopping as soon as the server answers."""
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(_head(server, path, "Transfer-Encoding: chunked"))
        frame = f"{chunk:x}\r\n".encode() + b"x" * chunk + b"\r\n"
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break  # the server answered before the body was complete
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += chunk
        else:
            sock.sendall(b"0\r\n\r\n")
        return _reply(sock, timeout_s=10), sent


def test_declared_oversized_body_is_refused_before_it_is_sent(server: CentralServer) -> None:
    for path, limit in [(PUSH, MAX_REQUEST_BYTES),
                        (f"{API_PREFIX}/attachments/{'0' * 64}?size=1&offset=0",
                         DEFAULT_MAX_ATTACHMENT_BYTES)]:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(_head(server, path, f"Content-Length: {limit + 1}"))  # and no body
            status, headers, body = _reply(sock, timeout_s=2)
            elapsed = time.monotonic() - started
            assert status == 413
            assert json.loads(body) == {"detail": "request body too large"}
            assert headers["connection"] == "close"
            assert elapsed < 1.0
            sock.settimeout(2)
            assert sock.recv(1) == b""  # the server closed the connection


def test_chunked_100mb_body_is_refused_without_growing_the_server(server: CentralServer) -> None:
    before = _rss_kib(server)
    (status, headers, body), sent = _send_chunked(server, PUSH, HUNDRED_MB)
    after = _rss_kib(server)
    assert status == 413
    assert json.loads(body) == {"detail": "request body too large"}
    assert headers["connection"] == "close"
    assert sent < 20 * 2**20  # refused soon after the limit, not at the end of the body
    assert after - before < 20 * 1024, f"VmRSS {before} KiB -> {after} KiB"
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_chunked_body_within_the_limit_reaches_authentication(server: CentralServer) -> None:
    (status, _, _), _ = _send_chunked(server, PUSH, MAX_REQUEST_BYTES // 2)
    assert status == 422  # read whole and parsed (it is not JSON), not refused for its size
    attachment = f"{API_PREFIX}/attachments/{'0' * 64}?size={2 * MAX_REQUEST_BYTES}&offset=0"
    (status, _, _), _ = _send_chunked(server, attachment, 2 * MAX_REQUEST_BYTES)
    assert status == 401  # attachment pieces may be larger than other bodies


def test_attachment_pieces_larger_than_a_batch_are_taken(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    voice = tmp_path / "voice.wav"
    data = bytes(range(256)) * (3 * MAX_REQUEST_BYTES // 256)
    voice.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    with httpx.Client(base_url=server.url, auth=KioskSigner("0042", kiosk_key),
                      timeout=30) as client:
        state = upload(client, voice, digest, deadline_s=30, piece_bytes=2 * MAX_REQUEST_BYTES)
    assert state.complete
    assert (server.attachments / digest).read_bytes() == data
