"""A stateful model of the whole sync life: submissions, rounds, faults, crashes, pulls.

Invariants after every step: each receipted submission is still queued locally or on the
server, which holds it as entered (公开 or not); the server holds no duplicate; the cursor
never goes back. At the end the phone has left the kiosk's files.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

import httpx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from server.provision import add_kiosk
from sync.client import SyncSettings, SyncWorker
from sync.contract.protocol import API_PREFIX
from sync.inbox import Inbox
from sync.outbox import Outbox
from sync.store import Store, SubmissionDraft
from tests.conftest import STAFF_HEADERS, CentralServer, drain
from tests.faults import FaultProxy

EXAMPLES = 300 if os.environ.get("SHUOSHI_SOAK") else 30
NETWORK = ["pass", "drop", "reset", "swallow", "truncate", "status:503", "status:429",
           "status:500"]


def test_soak_sync_state_machine(server: CentralServer) -> None:
    mode = ["pass"]
    one_per_request = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    with FaultProxy(server.port, lambda: mode[0]) as proxy:

        class SyncLife(RuleBasedStateMachine):
            def __init__(self) -> None:
                super().__init__()
                self.dir = Path(tempfile.mkdtemp())
                self.code, self.key = add_kiosk(f"sqlite:///{server.db}", "model kiosk")
                self.receipted: set[str] = set()
                self.public: dict[str, bool] = {}
                self.tickets: list[str] = []
                self.cursor = 0
                self._open()

            def _open(self) -> None:
                self.store = Store(self.dir / "kiosk.db")
                self.worker = SyncWorker(self.store, SyncSettings(
                    server_url=proxy.url, kiosk_code=self.code, signing_key=self.key,
                    timeout=2, retry_base_s=0.001, retry_cap_s=0.002), transport=one_per_request)

            def _close(self) -> None:
                self.worker.close()
                self.store.close()

            @rule(n=st.integers(1, 4), public=st.booleans())
            def submit(self, n: int, public: bool) -> None:
                for _ in range(n):
                    draft = SubmissionDraft("环境卫生", "垃圾没有及时清运",
                                            contact_phone="13800001111", public=public)
                    stored = self.store.record_submission(draft, self.code)
                    self.receipted.add(stored.uuid)
                    self.public[stored.uuid] = public
                    self.tickets.append(stored.ticket)

            @rule()
            def sync_round(self) -> None:
                self.worker.run_once()

            @rule(network=st.sampled_from(NETWORK))
            def network_changes(self, network: str) -> None:
                mode[0] = network

            @rule()
            def crash_and_restart(self) -> None:
                self._close()
                self._open()

            @rule(data=st.data())
            def staff_move_a_ticket(self, data: st.DataObject) -> None:
                held = self._server_rows()
                if held:
                    ticket = data.draw(st.sampled_from(sorted(t for _, t in held)))
                    step = data.draw(st.sampled_from(["sort", "deliberate", "act"]))
                    httpx.post(f"{server.url}{API_PREFIX}/staff/tickets/{ticket}/status",
                               json={"step": step}, headers=STAFF_HEADERS,
                               timeout=10).raise_for_status()

            def _server_rows(self) -> list[tuple[str, str]]:
                with sqlite3.connect(server.db) as db:
                    return db.execute("SELECT uuid, ticket FROM central_submissions "
                                      "WHERE kiosk_code = ?", (self.code,)).fetchall()

            @invariant()
            def held_as_entered(self) -> None:
                with sqlite3.connect(server.db) as db:
                    public = dict(db.execute("SELECT uuid, public FROM central_submissions "
                                             "WHERE kiosk_code = ?", (self.code,)).fetchall())
                assert {u: bool(p) for u, p in public.items()} == {
                    u: self.public[u] for u in public}

            @invariant()
            def nothing_lost(self) -> None:
                queued = Outbox(self.store).queued_uuids()
                on_server = {u for u, _ in self._server_rows()}
                assert self.receipted <= queued | on_server

            @invariant()
            def no_duplicates(self) -> None:
                rows = self._server_rows()
                assert len(rows) == len({u for u, _ in rows}) == len({t for _, t in rows})

            @invariant()
            def cursor_never_goes_back(self) -> None:
                cursor = Inbox(self.store).cursor()
                assert cursor >= self.cursor
                self.cursor = cursor

            def teardown(self) -> None:
                mode[0] = "pass"
                # with a good network everything arrives, exactly once
                result = drain(self.worker, rounds=50, pause_s=0.05)
                assert Outbox(self.store).depth() == 0, (result, Outbox(self.store).quarantined())
                assert {u for u, _ in self._server_rows()} == self.receipted
                # all acknowledged: the phone is in none of the store's files, still open
                kept = b"".join(p.read_bytes() for p in self.dir.glob("kiosk.db*")
                                if not p.name.endswith("-shm"))
                assert b"13800001111" not in kept
                assert (b"138****1111" in kept) is bool(self.receipted)
                self._close()

        run_state_machine_as_test(
            SyncLife, settings=settings(max_examples=EXAMPLES, stateful_step_count=30,
                                        deadline=None))
