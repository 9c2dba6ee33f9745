"""The print queue on disk: a receipt job is never lost and never printed twice by itself.

A job is written to a temporary file, fsynced and renamed into ``pending/``. Before it is
sent it is renamed into ``printing/`` (the rename is the lock: two processes cannot both
claim it), marked "sending" just before its first byte, and after it went out moved into
``done/``. Whoever holds the printer's DeviceLock owns printing/: a job found there by the
lock's holder was left by a process that died; unmarked it never reached the printer and
goes back to pending/, marked it may or may not be on paper and moves to ``held/`` for staff
to reprint. A reprint replaces its original while that is still pending.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .layout import ReceiptLayout, layout_from_dict, layout_to_dict
from .virtual import check_job_name, fsync_dir, write_atomic

STATES = ("pending", "printing", "done", "held")
SUFFIX = ".job.json"
SENDING = ".sending"
KEEP_DONE = 500
INTERRUPTED = "the kiosk stopped while this receipt was printing; reprint it if it is missing"
REPLACED = "replaced by a reprint before it was printed"


@dataclass(frozen=True)
class PrintJob:
    """One queued receipt. ``label`` (a ticket number) lets staff find it; no personal data."""

    job_id: str
    name: str
    label: str
    created: float
    layout: ReceiptLayout
    note: str = ""


class Spool:
    """Job files under ``root``: pending/, printing/, done/, held/."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for state in STATES:
            (root / state).mkdir(parents=True, exist_ok=True)

    def _path(self, state: str, job_id: str) -> Path:
        return self.root / state / f"{job_id}{SUFFIX}"

    def enqueue(self, name: str, layout: ReceiptLayout, label: str = "",
                job_id: str = "") -> PrintJob:
        """Durably queue a job; when this returns, a power cut does not lose it.

        ``job_id`` (a print outbox row's) makes queueing it again a no-op: see ``exists``."""
        check_job_name(name)
        created = time.time()
        job_id = job_id or f"{time.time_ns():020d}-{name}"
        check_job_name(job_id)
        job = PrintJob(job_id, name, label, created, layout)
        body = json.dumps({"name": name, "label": label, "created": created,
                           "layout": layout_to_dict(layout)}, ensure_ascii=False)
        write_atomic(self._path("pending", job_id), lambda h: h.write(body.encode("utf-8")))
        return job

    def enqueue_json(self, job_id: str, name: str, label: str, layout: str) -> PrintJob:
        """Queue a job committed in the store's print outbox (its layout as JSON)."""
        return self.enqueue(name, layout_from_dict(json.loads(layout)), label, job_id)

    def exists(self, job_id: str) -> bool:
        """The job is in any state (done/ keeps the last KEEP_DONE)."""
        return any(self._path(state, job_id).exists() for state in STATES)

    def job_ids(self, state: str) -> list[str]:
        """Oldest first."""
        folder = self.root / state
        return sorted(p.name.removesuffix(SUFFIX) for p in folder.glob(f"*{SUFFIX}"))

    def load(self, state: str, job_id: str) -> PrintJob:
        path = self._path(state, job_id)
        raw = json.loads(path.read_text(encoding="utf-8"))
        note_path = path.with_suffix(".note")
        note = note_path.read_text(encoding="utf-8") if note_path.exists() else ""
        return PrintJob(job_id, raw["name"], raw["label"], float(raw["created"]),
                        layout_from_dict(raw["layout"]), note)

    def _move(self, job_id: str, source: str, target: str) -> bool:
        try:
            os.rename(self._path(source, job_id), self._path(target, job_id))
        except FileNotFoundError:
            return False
        fsync_dir(self.root / target)
        return True

    def claim(self, job_id: str) -> PrintJob | None:
        """Move a pending job to printing/; None if another process took it first."""
        if not self._move(job_id, "pending", "printing"):
            return None
        try:
            return self.load("printing", job_id)
        except (OSError, ValueError) as error:  # unreadable: keep it for staff to see
            self.hold(job_id, f"job file unreadable: {error}")
            return None

    def _marker(self, job_id: str) -> Path:
        return self._path("printing", job_id).with_suffix(SENDING)

    def mark_sending(self, job_id: str) -> None:
        """Durably note that the job's bytes are about to go out (before the first one)."""
        write_atomic(self._marker(job_id), lambda h: h.write(b"sending"))

    def finish(self, job_id: str) -> None:
        self._move(job_id, "printing", "done")
        self._marker(job_id).unlink(missing_ok=True)
        self._prune_done()

    def release(self, job_id: str) -> None:
        """Nothing reached the printer: the job goes back to the queue."""
        self._marker(job_id).unlink(missing_ok=True)
        self._move(job_id, "printing", "pending")

    def hold(self, job_id: str, reason: str, source: str = "printing") -> None:
        """The job may be half on paper: keep it for a staff reprint, never resend it."""
        if self._move(job_id, source, "held"):
            note = self._path("held", job_id).with_suffix(".note")
            write_atomic(note, lambda h: h.write(reason.encode("utf-8")))
        self._marker(job_id).unlink(missing_ok=True)

    def recover(self) -> list[str]:
        """Jobs left in printing/ by a process that died. Call it only holding the printer's
        DeviceLock (then nobody else is printing): a job whose bytes may have gone out is
        held, not printed again; one that never got so far goes back to the queue.
        Returns the held ones."""
        held = []
        for job_id in self.job_ids("printing"):
            if self._marker(job_id).exists():
                self.hold(job_id, INTERRUPTED)
                held.append(job_id)
            else:
                self.release(job_id)
        return held

    def replace_pending(self, label: str) -> int:
        """A reprint of ``label`` is about to be queued: the jobs for it not yet claimed are
        dropped (to done/ with a note). A job already printing is not touched."""
        count = 0
        for job_id in self.job_ids("pending"):
            try:
                job = self.load("pending", job_id)
            except (OSError, ValueError):
                continue
            if job.label == label and self._move(job_id, "pending", "done"):
                write_atomic(self._path("done", job_id).with_suffix(".note"),
                             lambda h: h.write(REPLACED.encode("utf-8")))
                count += 1
        return count

    def held(self) -> list[PrintJob]:
        return [self.load("held", job_id) for job_id in self.job_ids("held")]

    def resolve_held(self, label: str) -> int:
        """Staff reprinted ``label``: its held jobs are settled (moved to done/)."""
        count = 0
        for job in self.held():
            if job.label == label and self._move(job.job_id, "held", "done"):
                self._path("held", job.job_id).with_suffix(".note").unlink(missing_ok=True)
                count += 1
        return count

    def counts(self) -> dict[str, int]:
        return {state: len(self.job_ids(state)) for state in ("pending", "printing", "held")}

    def _prune_done(self) -> None:
        done = self.job_ids("done")
        for job_id in done[: max(0, len(done) - KEEP_DONE)]:
            self._path("done", job_id).unlink(missing_ok=True)
            self._path("done", job_id).with_suffix(".note").unlink(missing_ok=True)

