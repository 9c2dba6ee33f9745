"""What comes back from the centre, voice notes going up, and the heartbeat."""

from __future__ import annotations

import hashlib
import json
import math
import struct
import threading
import wave
from pathlib import Path

import httpx
import pytest

from sync.client import SyncWorker
from sync.contract.protocol import API_PREFIX, ChangePage
from sync.contract.signing import KioskSigner
from sync.files import sha256_of, write_durably
from sync.http import ExchangeError
from sync.inbox import Inbox
from sync.outbox import Outbox
from sync.store import Store, SubmissionDraft
from sync.upload import AttachmentRefused, upload
from tests.conftest import ON_BOTH_DATABASES, STAFF_HEADERS, CentralServer, sync_worker
from tests.faults import FaultProxy

pytestmark = ON_BOTH_DATABASES


def _worker(store: Store, server: CentralServer, key: str) -> SyncWorker:
    return sync_worker(store, server.url, key, printer_state=lambda: "paper_out")


def _staff(server: CentralServer, method: str, path: str, body: object) -> None:
    reply = httpx.request(method, f"{server.url}{API_PREFIX}/staff{path}", json=body,
                          headers=STAFF_HEADERS, timeout=10)
    assert reply.status_code == 200, reply.text


def test_cursor_skips_nothing_while_staff_write_concurrently(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "k.db")
    tickets = [store.record_submission(SubmissionDraft("物业服务", f"{i}"), "0042").ticket
               for i in range(8)]
    worker = _worker(store, server, kiosk_key)
    assert worker.run_once().pushed == 8
    steps = ["sort", "deliberate", "act", "evaluate", "follow_up"] * 6

    def staff_moves(ticket: str) -> None:
        for n, step in enumerate(steps):
            _staff(server, "POST", f"/tickets/{ticket}/status", {"step": step, "note": str(n)})

    writers = [threading.Thread(target=staff_moves, args=(t,)) for t in tickets]
    for w in writers:
        w.start()
    seen: list[int] = []
    since = 0
    with httpx.Client(base_url=server.url, auth=KioskSigner("0042", kiosk_key)) as client:
        while any(w.is_alive() for w in writers) or since < 8 * len(steps):
            page = ChangePage.model_validate_json(
                client.get(f"{API_PREFIX}/changes", params={"since": since, "limit": 7}).content)
            assert page.cursor >= since
            seen += [c.seq for c in page.changes]
            since = page.cursor
    for w in writers:
        w.join()
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 8 * len(steps)
    # The kiosk's own pull ends with each ticket at its last step.
    worker.run_once()
    assert {store.find_by_ticket(t).step.value for t in tickets} == {"follow_up"}  # type: ignore[union-attr]
    worker.close()
    store.close()


def test_notices_and_directory_come_down_and_can_be_withdrawn(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "k.db")
    worker = _worker(store, server, kiosk_key)
    notice = {"title": "充电桩设置结果公示", "text": "同意设置充电桩60个"}
    _staff(server, "PUT", "/content/notice/2026-11-01", notice)
    _staff(server, "PUT", "/content/directory/plumber", {"name": "管道维修", "phone": "12345"})
    worker.run_once()
    inbox = Inbox(store)
    assert inbox.catalog("notice") == [notice]
    cursor = inbox.cursor()
    httpx.delete(f"{server.url}{API_PREFIX}/staff/content/notice/2026-11-01",
                 headers=STAFF_HEADERS, timeout=10)
    worker.run_once()
    assert inbox.catalog("notice") == [] and inbox.catalog("directory")
    assert inbox.cursor() > cursor
    worker.close()
    store.close()


def test_heartbeat_keeps_the_latest_state_per_kiosk(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "k.db")
    store.record_submission(SubmissionDraft("其他", "x"), "0042")
    worker = _worker(store, server, kiosk_key)
    worker.run_once()
    worker.close()
    kiosks = httpx.get(f"{server.url}{API_PREFIX}/staff/kiosks", headers=STAFF_HEADERS,
                       timeout=10).json()
    beat = kiosks[0]["heartbeat"]
    assert kiosks[0]["code"] == "0042"
    assert beat["queue_depth"] == 0 and beat["printer_state"] == "paper_out"
    assert beat["free_disk_bytes"] > 0 and beat["software_version"]
    store.close()


def _wav(path: Path, seconds: float) -> bytes:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 8)))
                               for i in range(int(16000 * seconds))))
    return path.read_bytes()


def test_voice_note_upload_resumes_after_a_cut(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    data = _wav(tmp_path / "raw.wav", 3.0)
    store = Store(tmp_path / "k.db")
    voice = write_durably(tmp_path / "voice", "note.wav", data)
    digest = sha256_of(voice)
    store.record_submission(SubmissionDraft("噪音扰民", "语音留言", voice_path=voice,
                                            voice_sha256=digest), "0042")

    connections = iter(["pass"] * 4 + ["reset"] * 100)  # the network dies mid-upload
    one_per_request = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
    with FaultProxy(server.port, lambda: next(connections)) as proxy, httpx.Client(
        base_url=proxy.url, auth=KioskSigner("0042", kiosk_key), transport=one_per_request
    ) as client, pytest.raises(ExchangeError):
        upload(client, voice, digest, deadline_s=5, piece_bytes=16 * 1024)
    with httpx.Client(base_url=server.url, auth=KioskSigner("0042", kiosk_key)) as client:
        state = client.get(f"{API_PREFIX}/attachments/{digest}").json()
        assert 0 < state["received"] < len(data) and not state["complete"]

    worker = _worker(store, server, kiosk_key)  # the next round finishes it from there
    assert worker.run_once().pushed == 1
    worker.close()
    stored_on_server = server.attachments / digest
    assert hashlib.sha256(stored_on_server.read_bytes()).hexdigest() == digest
    row = server.rows("SELECT received, size, complete FROM attachments")[0]
    assert row == (len(data), len(data), 1)
    assert not voice.exists()  # acknowledged: the voice is dropped on the kiosk
    assert Outbox(store).depth() == 0
    store.close()


def test_attachment_size_is_limited_on_both_sides(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    big = tmp_path / "big.wav"
    big.write_bytes(b"\0" * 2048)
    with httpx.Client(base_url=server.url, auth=KioskSigner("0042", kiosk_key)) as client:
        with pytest.raises(AttachmentRefused):
            upload(client, big, sha256_of(big), deadline_s=5, max_bytes=1024)
        reply = client.put(f"{API_PREFIX}/attachments/{'0' * 64}",
                           params={"size": 11 * 2**20, "offset": 0}, content=b"x")
    assert reply.status_code == 413
    assert json.loads(reply.content)["detail"] == "attachment too large"
