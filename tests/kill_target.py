"""A process that keeps taking submissions through the real store, for the kill loop.

It prints ``ACK <uuid>`` after each commit, the moment the kiosk would show the ticket.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sync.store import Store, SubmissionDraft


def main(db: str, kiosk_code: str) -> None:
    store = Store(Path(db))
    n = 0
    while True:
        n += 1
        stored = store.record_submission(
            SubmissionDraft("安全隐患", f"电动车充电线从窗户垂下 {n}", contact_phone="13912345678"),
            kiosk_code)
        print(f"ACK {stored.uuid}", flush=True)
        time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
