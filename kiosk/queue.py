"""叫号 on 说事日: the kiosk's own queue of residents waiting to 说事 face to face.

Numbers (A001 …) are taken, called and served here, in the kiosk's store, so the queue works
with the network down; the central console only sees reports of it and asks for the next
number (sync.queue_link). No Kivy here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from device.speech.chime import write_chime
from device.speech.numbers import COUNT_DIGITS
from sync.contract.queue import MOST_NUMBERS, QUEUE_LETTER, QueueEntry, QueueReport, queue_label
from sync.models import QueueNumber, SyncState

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kiosk.config import QueueConfig
    from sync.contract.queue import QueueCall
    from sync.store import Store

HANDLED_KEY = "queue_handled_calls"
"""sync_state: the ids of the console's calls carried out here, newest last (JSON)."""
KEEP_HANDLED = 50
KEEP_DAYS = 30
"""Numbers of days longer ago than this are deleted when a number is taken."""


class QueueFull(RuntimeError):
    """Today's numbers are used up (A999 was taken)."""


@dataclass(frozen=True)
class Taken:
    """A number just taken: what the slip and the screen show."""

    number: int
    ahead: int
    """Numbers taken before it and not yet called."""
    taken_at: datetime

    @property
    def label(self) -> str:
        return queue_label(self.number)


@dataclass(frozen=True)
class QueueNow:
    """Today's queue at a glance: the number at the 说事桌 (None: nobody) and how many wait."""

    called: int | None
    waiting: int

    @property
    def busy(self) -> bool:
        return self.called is not None or self.waiting > 0


def _now() -> datetime:
    return datetime.now().astimezone()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class QueueBook:
    """Today's numbers in the store: take one, call the next, call again, served.

    Every change is one write transaction (the UI and the link's thread may both change the
    queue); ``clock`` gives the local time, whose date is "today"."""

    def __init__(self, store: Store, kiosk_code: str,
                 clock: Callable[[], datetime] = _now) -> None:
        self.store = store
        self.kiosk_code = kiosk_code
        self._clock = clock

    def today(self) -> date:
        return self._clock().date()

    def take(self) -> Taken:
        """Today's next number; QueueFull after A999."""
        now = self._clock()
        day = now.date().isoformat()
        with self.store.session() as s:
            last = s.scalar(select(func.max(QueueNumber.number)).where(QueueNumber.day == day))
            number = (last or 0) + 1
            if number > MOST_NUMBERS:
                raise QueueFull(f"{queue_label(MOST_NUMBERS)} was the last number today")
            old = (now.date() - timedelta(days=KEEP_DAYS)).isoformat()
            s.execute(delete(QueueNumber).where(QueueNumber.day < old))
            ahead = _waiting(s, day, below=number)
            s.add(QueueNumber(day=day, number=number, taken_at=_iso(now), called_at=None,
                              served_at=None))
        return Taken(number, ahead, now)

    def ahead_of(self, number: int) -> int:
        """How many of today's numbers before ``number`` still wait to be called."""
        with self.store.session() as s:
            return _waiting(s, self.today().isoformat(), below=number)

    def now(self) -> QueueNow:
        with self.store.session() as s:
            day = self.today().isoformat()
            called = _called(s, day)
            return QueueNow(called.number if called else None, _waiting(s, day))

    def call_next(self, call_id: int | None = None) -> int | None:
        """The number at the 说事桌 is served and the next waiting one is called; None when
        nobody waits. ``call_id``: the console's call this carries out, noted as handled in
        the same transaction."""
        now = self._clock()
        day = now.date().isoformat()
        with self.store.session() as s:
            if call_id is not None:
                handled = _handled(s)
                if call_id in handled:
                    return None  # carried out before; the server had not heard yet
                _note_handled(s, [*handled, call_id])
            current = _called(s, day)
            if current is not None:
                current.served_at = _iso(now)
            following = s.scalar(select(QueueNumber)
                                 .where(QueueNumber.day == day, QueueNumber.called_at.is_(None),
                                        QueueNumber.served_at.is_(None))
                                 .order_by(QueueNumber.number).limit(1))
            if following is None:
                return None
            following.called_at = _iso(now)
            return following.number

    def carry_out(self, call: QueueCall) -> int | None:
        """The console's 叫下一位: the next number, for a call about today; a call about
        another day is only noted as handled."""
        if call.day != self.today():
            with self.store.session() as s:
                handled = _handled(s)
                if call.id not in handled:
                    _note_handled(s, [*handled, call.id])
            return None
        return self.call_next(call.id)

    def call_again(self) -> int | None:
        """重呼: the number at the 说事桌, called again (None: nobody is called)."""
        with self.store.session() as s:
            current = _called(s, self.today().isoformat())
            if current is None:
                return None
            current.called_at = _iso(self._clock())
            return current.number

    def served(self) -> int | None:
        """接待完: the number at the 说事桌 is done with (None: nobody was called)."""
        with self.store.session() as s:
            current = _called(s, self.today().isoformat())
            if current is None:
                return None
            current.served_at = _iso(self._clock())
            return current.number

    def report(self) -> QueueReport:
        """Today's whole queue for the central console, with the calls carried out."""
        with self.store.session() as s:
            day = self.today()
            rows = s.scalars(select(QueueNumber).where(QueueNumber.day == day.isoformat())
                             .order_by(QueueNumber.number)).all()
            entries = [QueueEntry(number=r.number, taken_at=datetime.fromisoformat(r.taken_at),
                                  called_at=_when(r.called_at), served_at=_when(r.served_at))
                       for r in rows]
            handled = _handled(s)
        return QueueReport(kiosk_code=self.kiosk_code, day=day, entries=entries,
                           handled_calls=handled, reported_at=self._clock())

    def busy(self) -> bool:
        """Anyone waiting or at the 说事桌 today (the link reports while this holds)."""
        return self.now().busy


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _waiting(s: Session, day: str, below: int | None = None) -> int:
    query = select(func.count()).select_from(QueueNumber).where(
        QueueNumber.day == day, QueueNumber.called_at.is_(None), QueueNumber.served_at.is_(None))
    if below is not None:
        query = query.where(QueueNumber.number < below)
    return int(s.scalar(query) or 0)


def _called(s: Session, day: str) -> QueueNumber | None:
    """The number at the 说事桌: the last called and not served."""
    return s.scalar(select(QueueNumber)
                    .where(QueueNumber.day == day, QueueNumber.called_at.is_not(None),
                           QueueNumber.served_at.is_(None))
                    .order_by(QueueNumber.number.desc()).limit(1))


def _handled(s: Session) -> list[int]:
    row = s.get(SyncState, HANDLED_KEY)
    try:
        ids = json.loads(row.value) if row else []
    except ValueError:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def _note_handled(s: Session, ids: list[int]) -> None:
    s.merge(SyncState(key=HANDLED_KEY, value=json.dumps(ids[-KEEP_HANDLED:])))


# ---- is the queue open today ----

def is_queue_day(settings: QueueConfig, schedule: list[dict[str, object]], today: date
                 ) -> bool:
    """Numbers are taken on 说事日 (from the last pulled schedule, else the hall's standing
    rule), or every day where the hall says so; never when switched off."""
    if not settings.enabled:
        return False
    if settings.every_day:
        return True
    from kiosk.board import next_say_day_from

    return next_say_day_from(schedule, today).day == today


# ---- what is said ----

def said_number(number: int) -> str:
    """A003 as called: "A 零零三" (一, not the 幺 of phone numbers, as halls call queues)."""
    return f"{QUEUE_LETTER} {''.join(COUNT_DIGITS[int(c)] for c in f'{number:03d}')}"


def call_text(number: int) -> str:
    """"请A003号到说事桌" as shown."""
    return f"请{queue_label(number)}号到说事桌"


def call_speech(number: int) -> str:
    """The call as said: the digits one by one, so the Mandarin voice says "A 零零三"
    (written "A003" it reads the number as 三)."""
    return f"请 {said_number(number)} 号到说事桌"


def taken_text(taken: Taken) -> str:
    """Shown under "您的号码" and the number itself."""
    return f"前面还有 {taken.ahead} 人，请留好号码条"


def taken_speech(taken: Taken) -> str:
    return (f"您的号码是 {said_number(taken.number)} 号，"
            f"前面还有{taken.ahead}人，请留好号码条")  # "2人" is read 两人


# ---- the call's chime ----

CALL_NOTES = ((784.0, 0.32), (523.25, 0.5))
"""G5 then C5, in Hz and seconds: a 叮咚 of 0.82 s, longer than the receipt's chime, so a
resident sitting down the hall knows it is a number being called."""


def write_call_chime(path: Path, volume: float = 1.0) -> Path:
    """The call's chime as a WAV at ``path``, written once (atomically)."""
    return write_chime(path, volume, CALL_NOTES)
