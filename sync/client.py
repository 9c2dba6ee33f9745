"""The sync worker: pushes the outbox to the central server and pulls changes back.

It runs in its own process (``shuoshi sync``) beside the kiosk UI; both share the store.
Nothing here drops a submission: every failure leaves it in the outbox for a later round,
except a submission the server refuses as malformed, which is quarantined for staff.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import ValidationError

from sync.contract import sd_notify
from sync.contract.protocol import (
    API_PREFIX,
    ChangePage,
    Heartbeat,
    PushRequest,
    PushResponse,
    QuarantineReport,
    SubmissionIn,
)
from sync.contract.signing import MAX_AGE
from sync.feedback import FeedbackOutbox, Kind, Waiting
from sync.http import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_CAP,
    DEFAULT_TIMEOUT_S,
    ExchangeError,
    Reply,
    ServerLink,
    backoff_delay,
    exchange,
    make_client,
)
from sync.inbox import Inbox
from sync.outbox import Outbox
from sync.store import Store
from sync.timesync import ClockWatch
from sync.upload import AttachmentRefused, upload

log = logging.getLogger(__name__)

SOFTWARE_VERSION = "0.1.0"
# A Pi without a real-time clock boots with a date long past; nothing is signed before this.
CLOCK_FLOOR = datetime(2026, 1, 1, tzinfo=UTC)
AUTH_PAUSE_S = 300.0
RETRY_STATUSES = {408, 409, 425, 429} | set(range(500, 600))
MALFORMED_STATUSES = {400, 413, 422}
FEEDBACK_REFUSALS = {400, 403, 404, 409, 413, 422}
"""A rating or 附议 the server will never take (unknown ticket, another community, not yet at
办事, malformed): quarantined for staff, not retried. 401 still pauses sending."""
FEEDBACK_PATHS: dict[Kind, str] = {"rating": f"{API_PREFIX}/ratings",
                                   "support": f"{API_PREFIX}/supports"}
PULL_PAGE = 200
JSON = {"content-type": "application/json"}
CLOCK_POLL_S = 1.0
CLOCK_WAIT = "waiting for the clock to be synchronised (NTP)"


@dataclass
class RoundResult:
    """What one sync round achieved."""

    pushed: int = 0
    ratings_sent: int = 0
    supports_sent: int = 0
    waiting: int = 0
    """Submissions, ratings and 附议 not yet held by the server (quarantined included)."""
    pulled: int = 0
    quarantined: int = 0
    error: str = ""


class _Paused(Exception):
    """Sending must stop for now (refused credentials, wrong clock)."""


@dataclass(frozen=True)
class SyncSettings:
    server_url: str
    kiosk_code: str
    signing_key: str
    batch_size: int = 50
    max_batch_bytes: int = 256_000
    timeout: float = DEFAULT_TIMEOUT_S
    ca_file: Path | None = None
    retry_base_s: float = DEFAULT_BACKOFF_BASE
    retry_cap_s: float = DEFAULT_BACKOFF_CAP
    heartbeat_s: float = 60.0
    """At most one heartbeat this often: thousands of kiosks must not each write every round."""

    @property
    def link(self) -> ServerLink:
        """The server part of these settings, as the client factory takes it."""
        return ServerLink(server_url=self.server_url, kiosk_code=self.kiosk_code,
                          signing_key=self.signing_key, timeout=self.timeout,
                          ca_file=self.ca_file)


class SyncWorker:
    def __init__(self, store: Store, settings: SyncSettings, *,
                 transport: httpx.BaseTransport | None = None,
                 printer_state: Callable[[], str] = lambda: "unknown",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 clock_watch: ClockWatch | None = None) -> None:
        self.store = store
        self.settings = settings
        self.outbox = Outbox(store)
        self.inbox = Inbox(store)
        self.feedback = FeedbackOutbox(store)
        self.printer_state = printer_state
        self.clock = clock
        self.clock_watch = clock_watch or ClockWatch.from_env()
        self._clock_synced = self._clock_waited = False
        self._failures = 0
        self._last_heartbeat: float | None = None
        self._client = make_client(settings.link, transport=transport)

    def close(self) -> None:
        self._client.close()

    def run_once(self) -> RoundResult:
        """Push what is due, report quarantine, pull changes, send a heartbeat."""
        result = RoundResult()
        self.outbox.finish_purge()  # one a reader held up last round; needs no network
        if not self._clock_synchronised():  # nothing is signed with a clock not yet set
            result.error = CLOCK_WAIT
            result.waiting = self.outbox.depth() + self.feedback.depth()
            self.store.set_state(last_error=result.error)
            return result
        try:
            self._check_clock()
            result.pushed, result.quarantined = self._push_all()
            sent, refused = self._send_feedback()
            result.ratings_sent, result.supports_sent = sent["rating"], sent["support"]
            result.quarantined += refused
            self._report_quarantine()
            result.pulled = self._pull_all()
            self._failures = 0
            self.store.set_state(last_success=_now(), last_error="", paused="")
        except _Paused as exc:
            result.error = str(exc)
            self.store.set_state(last_error=result.error, paused=result.error)
        except ExchangeError as exc:
            result.error = str(exc)
            self._failures += 1
            self.store.set_state(last_error=result.error)
        result.waiting = self.outbox.depth() + self.feedback.depth()
        self._heartbeat(result)
        return result

    def run_forever(self, interval: float, stop: threading.Event) -> None:
        """Rounds until ``stop``; under systemd, READY=1 once the store is open and a watchdog
        ping after every round and through every wait (a hung round gets it restarted)."""
        sd_notify.ready("store open")
        while not stop.is_set() and not self._clock_synchronised():
            sd_notify.wait_alive(stop, CLOCK_POLL_S)  # the UI takes submissions meanwhile
        while not stop.is_set():
            result = self.run_once()
            sd_notify.watchdog()
            if not result.error:
                sd_notify.wait_alive(stop, interval)
            elif self.store.get_state("paused"):
                log.warning("sync paused: %s (%d waiting)", result.error, result.waiting)
                sd_notify.wait_alive(stop, AUTH_PAUSE_S)
            else:
                log.warning("sync round failed: %s (%d waiting)", result.error, result.waiting)
                sd_notify.wait_alive(stop, max(interval, self._backoff(self._failures)))

    # -- push ---------------------------------------------------------------------------

    def _push_all(self) -> tuple[int, int]:
        pushed = quarantined = 0
        s = self.settings
        # Every pass takes its batch out of what is due (acknowledged, quarantined or
        # postponed), so this ends; a failed request raises and ends the round.
        while batch := self.outbox.due(time.time(), s.batch_size, s.max_batch_bytes):
            acked, bad = self._push(batch)
            pushed, quarantined = pushed + acked, quarantined + bad
            sd_notify.watchdog()  # a long backlog is work, not a hang
        return pushed, quarantined

    def _upload_voices(self, batch: list[SubmissionIn]) -> list[SubmissionIn]:
        """Upload the batch's voice notes; items whose note is not up yet wait for later."""
        ready = []
        for item in batch:
            voice = self.outbox.voice_of(str(item.uuid)) if item.voice_sha256 else None
            if voice is None:
                ready.append(item)
                continue
            try:
                upload(self._client, Path(voice[0]), voice[1], deadline_s=self.settings.timeout * 6)
            except AttachmentRefused as exc:
                self.outbox.quarantine(str(item.uuid), str(exc))
                continue
            except (ExchangeError, OSError) as exc:
                retry_at = time.time() + self._backoff(self._failures + 1)
                self.outbox.postpone([str(item.uuid)], f"voice note: {exc}", retry_at)
                continue
            ready.append(item)
        return ready

    def _push(self, batch: list[SubmissionIn]) -> tuple[int, int]:
        """Send one batch; returns (acknowledged, quarantined). Raises to end the round."""
        batch = self._upload_voices(batch)
        if not batch:
            return 0, 0
        body = PushRequest(kiosk_code=self.settings.kiosk_code, items=batch).model_dump_json()
        uuids = [str(item.uuid) for item in batch]
        try:
            key = hashlib.sha256(body.encode()).hexdigest()  # same batch again -> same key
            reply = self._call("POST", f"{API_PREFIX}/submissions", content=body.encode(),
                               headers={**JSON, "idempotency-key": key})
        except ExchangeError as exc:
            self.outbox.postpone(uuids, str(exc), time.time() + self._backoff(self._failures + 1))
            raise
        if reply.status in MALFORMED_STATUSES:
            if len(batch) > 1:  # find the poison item without holding back the rest
                half = len(batch) // 2
                a, qa = self._push(batch[:half])
                b, qb = self._push(batch[half:])
                return a + b, qa + qb
            self.outbox.quarantine(uuids[0], f"refused by the server: {reply.detail()}")
            return 0, 1
        if reply.status in (401, 403):
            raise _Paused(f"the server refused this kiosk ({reply.detail()}); sending paused")
        if reply.status != 200:
            retry_at = time.time() + max(reply.retry_after or 0.0,
                                         self._backoff(self._failures + 1))
            self.outbox.postpone(uuids, f"server answered {reply.detail()}", retry_at)
            raise ExchangeError(f"the server answered {reply.status}")
        try:
            results = PushResponse.model_validate_json(reply.body).results
        except ValidationError:
            self.outbox.postpone(uuids, "reply not understood", time.time() + 5)
            raise ExchangeError("the server's reply was not understood") from None
        sent = set(uuids)
        acks = {str(r.uuid): r.server_id for r in results
                if r.outcome != "rejected" and str(r.uuid) in sent}
        self.outbox.acknowledge(acks)
        rejected = [r for r in results if r.outcome == "rejected" and str(r.uuid) in sent]
        for r in rejected:
            self.outbox.quarantine(str(r.uuid), f"refused by the server: {r.reason}")
        missing = sent - set(acks) - {str(r.uuid) for r in rejected}
        if missing:  # the server said nothing about these: try again later
            self.outbox.postpone(sorted(missing), "no answer for this item", time.time() + 5)
        return len(acks), len(rejected)

    def _send_feedback(self) -> tuple[dict[Kind, int], int]:
        """Send the due ratings, then the due 附议, one request each; returns how many of
        each the server now holds, and how many it refused. Raises to end the round."""
        sent: dict[Kind, int] = {"rating": 0, "support": 0}
        refused = 0
        for kind in ("rating", "support"):
            # each pass sends, quarantines or postpones what it took, so this ends
            while batch := self.feedback.due(kind, time.time(), self.settings.batch_size):
                for waiting in batch:
                    if self._send_one(waiting):
                        sent[kind] += 1
                    else:
                        refused += 1
        return sent, refused

    def _send_one(self, waiting: Waiting) -> bool:
        """True when the server holds it, False when it refused it for good."""
        kind, item_uuid = waiting.kind, waiting.uuid
        try:
            reply = self._call("POST", FEEDBACK_PATHS[kind],
                               content=waiting.item.model_dump_json().encode(), headers=JSON)
        except ExchangeError as exc:
            self.feedback.postpone(kind, item_uuid, str(exc),
                                   time.time() + self._backoff(self._failures + 1))
            raise
        if reply.status == 200:
            self.feedback.sent(kind, item_uuid)
            return True
        if reply.status in FEEDBACK_REFUSALS:
            self.feedback.quarantine(kind, item_uuid, f"refused by the server: {reply.detail()}")
            return False
        if reply.status == 401:
            raise _Paused(f"the server refused this kiosk ({reply.detail()}); sending paused")
        retry_at = time.time() + max(reply.retry_after or 0.0, self._backoff(self._failures + 1))
        self.feedback.postpone(kind, item_uuid, f"server answered {reply.detail()}", retry_at)
        raise ExchangeError(f"the server answered {reply.status}")

    def _report_quarantine(self) -> None:
        for sub_uuid, ticket, reason in self.outbox.unreported_quarantine():
            report = QuarantineReport.model_validate(
                {"uuid": sub_uuid, "ticket": ticket, "reason": reason})
            reply = self._call("POST", f"{API_PREFIX}/quarantine",
                               content=report.model_dump_json().encode(), headers=JSON)
            if reply.status == 200:
                self.outbox.mark_reported(sub_uuid)

    # -- pull ---------------------------------------------------------------------------

    def _pull_all(self) -> int:
        pulled = 0
        while True:
            since = self.inbox.cursor()
            reply = self._call("GET", f"{API_PREFIX}/changes",
                               params={"since": since, "limit": PULL_PAGE})
            if reply.status in (401, 403):
                raise _Paused(f"the server refused this kiosk ({reply.detail()})")
            if reply.status != 200:
                raise ExchangeError(f"the server answered {reply.status} to a pull")
            try:
                page = ChangePage.model_validate_json(reply.body)
            except ValidationError:
                raise ExchangeError("the server's changes were not understood") from None
            if page.cursor < since or any(c.seq <= since for c in page.changes):
                raise ExchangeError(f"the server's cursor went back from {since}")
            pulled += self.inbox.apply(page.changes, page.cursor)
            if not page.changes:
                return pulled

    # -- housekeeping ------------------------------------------------------------------

    def _heartbeat(self, result: RoundResult) -> None:
        now = time.monotonic()
        last = self._last_heartbeat
        if last is not None and now - last < self.settings.heartbeat_s:
            return
        if self.store.get_state("paused") or self._clock_wrong():
            return
        beat = Heartbeat(
            queue_depth=result.waiting,
            oldest_unsent_seconds=max(self.outbox.oldest_unsent_seconds(),
                                      self.feedback.oldest_unsent_seconds()),
            quarantined=len(self.outbox.quarantined()) + len(self.feedback.quarantined()),
            printer_state=self.printer_state()[:40],
            software_version=SOFTWARE_VERSION,
            free_disk_bytes=shutil.disk_usage(self.store.path.parent).free,
            last_error=result.error[:500],
        )
        self._last_heartbeat = now
        with contextlib.suppress(ExchangeError):  # the next due round sends a fresh one
            self._call("POST", f"{API_PREFIX}/heartbeat", content=beat.model_dump_json().encode(),
                       headers=JSON)

    def _backoff(self, attempts: int) -> float:
        return backoff_delay(attempts, self.settings.retry_base_s, self.settings.retry_cap_s)

    def _clock_synchronised(self) -> bool:
        """Once synchronised, for good: later NTP trouble is the skew check's business."""
        if not self._clock_synced:
            self._clock_synced = self.clock_watch.synchronised()
            if self._clock_synced and self._clock_waited:
                log.info("the clock is synchronised: sending")
            elif not self._clock_synced and not self._clock_waited:
                self._clock_waited = True
                log.info("%s before sending", CLOCK_WAIT)
        return self._clock_synced

    def _clock_wrong(self) -> bool:
        return self.clock() < CLOCK_FLOOR

    def _check_clock(self) -> None:
        if self._clock_wrong():
            raise _Paused("the clock is wrong (it shows a date before 2026); set the time")
        limit = MAX_AGE.total_seconds()
        if abs(float(self.store.get_state("clock_skew_s") or 0)) > limit:
            self._call("GET", "/healthz")  # unsigned; its Date header measures the skew again
            skew = float(self.store.get_state("clock_skew_s") or 0)
            if abs(skew) > limit:
                raise _Paused(f"the clock is off by {skew / 60:.0f} minutes from the server's")

    def _call(self, method: str, path: str, **kwargs: object) -> Reply:
        reply = exchange(self._client, method, path, deadline_s=self.settings.timeout * 3,
                         **kwargs)  # type: ignore[arg-type]
        if reply.server_time is not None:
            skew = self.clock().timestamp() - reply.server_time.timestamp()
            self.store.set_state(clock_skew_s=f"{skew:.0f}")
        return reply


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
