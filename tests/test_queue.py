"""叫号 on the kiosk: the queue book over the real store, its config, the printed slip (real
ESC/POS decoded), the call's chime and speech (real WAVs, real espeak-ng), and the link with
the real central server (report stored, a console call carried out and reported handled, a
dead network or a bad reply survived)."""

from __future__ import annotations

import array
import subprocess
import threading
import time
import wave
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from device.printer import GlyphSource, decoded_text, encode_receipt, get_profile
from device.printer.decode import DecodedText, decode_escpos
from device.speech import MuteSwitch, WavFileSpeaker, make_speech_service
from device.speech.text import espeak_text
from kiosk.config import ConfigError, QueueConfig, load_config
from kiosk.fonts import find_cjk_font
from kiosk.queue import (
    QueueBook,
    QueueFull,
    Taken,
    call_speech,
    call_text,
    is_queue_day,
    taken_speech,
    write_call_chime,
)
from kiosk.receipt import HallText
from kiosk.slips import queue_slip
from sync.contract.protocol import API_PREFIX
from sync.contract.queue import QueueCall
from sync.http import ExchangeError, ServerLink
from sync.models import QueueNumber
from sync.queue_link import QueueLink
from sync.store import Store
from tests.conftest import STAFF_HEADERS, CentralServer, free_port, kiosk_toml

DAY = date(2026, 12, 5)
HALL = HallText("幸福里社区", "幸福里说事厅", "0716-8123456")


class Clock:
    """The kiosk's local time, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "kiosk.db")
    yield opened
    opened.close()


def _book(store: Store, day: date = DAY) -> tuple[QueueBook, Clock]:
    clock = Clock(datetime(day.year, day.month, day.day, 9, 0).astimezone())
    return QueueBook(store, "0042", clock), clock


# ---- the book ----

def test_numbers_are_taken_called_again_and_served_in_order(store: Store) -> None:
    book, _ = _book(store)
    taken = [book.take() for _ in range(3)]
    assert [(t.label, t.ahead) for t in taken] == [("A001", 0), ("A002", 1), ("A003", 2)]
    assert (book.now().called, book.now().waiting) == (None, 3)

    assert book.call_next() == 1
    assert (book.now().called, book.now().waiting, book.ahead_of(3)) == (1, 2, 1)
    assert book.call_again() == 1
    assert book.served() == 1
    assert book.now().called is None and book.served() is None and book.call_again() is None

    assert book.call_next() == 2
    assert book.call_next() == 3  # calling the next one serves the one at the 说事桌
    assert book.ahead_of(4) == 0
    assert book.call_next() is None  # nobody waits; 3 is served
    assert not book.busy()

    report = book.report()
    assert report.day == DAY and report.kiosk_code == "0042"
    assert [e.number for e in report.entries] == [1, 2, 3]
    assert all(e.called_at is not None and e.served_at is not None for e in report.entries)
    first = report.entries[0]
    assert first.taken_at < first.called_at < first.served_at  # type: ignore[operator]


def test_a_new_day_starts_at_a001_and_a_restart_keeps_the_queue(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    first = Store(path)
    book, _ = _book(first)
    book.take(), book.take()
    assert book.call_next() == 1
    first.close()

    again = Store(path)  # the kiosk restarted
    try:
        book, _ = _book(again)
        assert (book.now().called, book.now().waiting) == (1, 1)
        assert book.take().label == "A003"
        tomorrow, _ = _book(again, DAY + timedelta(days=1))
        assert (tomorrow.now().called, tomorrow.now().waiting) == (None, 0)
        assert tomorrow.take().label == "A001" and tomorrow.take().ahead == 1
        assert book.now().waiting == 2  # the day before still has its own numbers
    finally:
        again.close()


def test_a999_is_the_last_number_of_a_day(store: Store) -> None:
    book, clock = _book(store)
    with store.session() as s:
        s.add_all(QueueNumber(day=DAY.isoformat(), number=n, taken_at=clock().isoformat(),
                              called_at=None, served_at=None) for n in range(1, 999))
    last = book.take()
    assert (last.label, last.ahead) == ("A999", 998)
    with pytest.raises(QueueFull):
        book.take()


def test_a_console_call_is_carried_out_once(store: Store) -> None:
    book, clock = _book(store)
    book.take(), book.take()
    call = QueueCall(id=7, day=DAY, requested_by="王主任", requested_at=clock())
    assert book.carry_out(call) == 1
    assert book.carry_out(call) is None  # the reply came again before the server heard
    assert book.now().called == 1
    old = QueueCall(id=8, day=DAY - timedelta(days=1), requested_by="王主任",
                    requested_at=clock())
    assert book.carry_out(old) is None and book.now().called == 1
    assert book.report().handled_calls == [7, 8]


# ---- when numbers are taken; the config ----

def _queue(**changed: bool) -> QueueConfig:
    """[queue] as the defaults have it, with ``changed``."""
    return load_config(None).queue.model_copy(update=changed)


def test_numbers_on_say_days_every_day_or_never() -> None:
    on = _queue()
    dated = [{"type": "say_day", "date": DAY.isoformat(), "text": "临时说事日"}]
    assert is_queue_day(on, dated, DAY)
    assert not is_queue_day(on, dated, DAY - timedelta(days=1))
    assert is_queue_day(on, [], date(2026, 12, 15))  # the standing 逢五 rule
    assert not is_queue_day(on, [], date(2026, 12, 16))
    assert is_queue_day(_queue(every_day=True), [], date(2026, 12, 16))
    assert not is_queue_day(_queue(enabled=False, every_day=True), dated, DAY)


def test_queue_config_and_its_errors(tmp_path: Path) -> None:
    cfg = load_config(kiosk_toml(tmp_path, queue=""))  # the defaults
    assert (cfg.queue.enabled, cfg.queue.every_day, cfg.queue.poll_seconds) == (True, False, 5)
    cfg = load_config(kiosk_toml(tmp_path, queue="every_day = true\npoll_seconds = 2"))
    assert cfg.queue.every_day and cfg.queue.poll_seconds == 2
    path = kiosk_toml(tmp_path, queue='enabled = "maybe"\npoll_seconds = 0\nevery_dya = true')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert f"config error in {path}" in message
    assert "queue.enabled: expected true or false" in message
    assert "queue.poll_seconds: expected greater than or equal to 1" in message
    assert 'queue.every_dya: unknown key (did you mean "every_day"?)' in message


# ---- the slip ----

def test_the_slip_prints_the_number_as_big_as_the_printer_can() -> None:
    profile = get_profile("generic-58-gb18030")
    layout = queue_slip("A003", 2, HALL, taken_at=datetime(2026, 12, 5, 9, 30),
                        columns=profile.columns)
    data = encode_receipt(layout, profile, GlyphSource([find_cjk_font()]))
    assert len(data) <= 1500
    lines = [d for d in decode_escpos(data) if isinstance(d, DecodedText)]
    number = next(line for line in lines if line.text == "A003")
    assert number.scale == 4 and number.bold and number.align == "center"
    ahead = next(line for line in lines if line.text == "前面还有 2 人")
    assert ahead.scale == 2
    text = decoded_text(data)
    assert "幸福里说事厅" in text and "取号时间 2026-12-05 09:30" in text
    assert "说事桌" in text and "说事热线 0716-8123456" in text


# ---- the call: chime and speech ----

def _crossings(samples: array.array[int]) -> int:
    return sum(1 for a, b in pairwise(samples) if (a < 0) != (b < 0))


def test_the_chime_is_a_two_tone_wav(tmp_path: Path) -> None:
    path = write_call_chime(tmp_path / "cache" / "chime-queue-100.wav")
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    assert 0.7 <= len(samples) / rate <= 0.9
    ding, dong = samples[:int(0.3 * rate)], samples[int(0.34 * rate):int(0.64 * rate)]
    # a sine crosses zero twice a period: the first note is higher than the second
    assert 700 < _crossings(ding) / 2 / 0.3 < 860
    assert 470 < _crossings(dong) / 2 / 0.3 < 580
    assert max(abs(s) for s in samples) > 5000
    before = path.stat().st_mtime_ns
    assert write_call_chime(path) == path and path.stat().st_mtime_ns == before  # once


def test_the_call_is_said_digit_by_digit_by_the_real_engine(tmp_path: Path) -> None:
    said = call_speech(3)
    assert call_text(3) == "请A003号到说事桌"
    pinyin = espeak_text(said, "cmn-latn-pinyin")
    assert "ei1 ling2 ling2 san1 hao4" in pinyin
    phonemes = subprocess.run(["espeak-ng", "-q", "-x", "-v", "cmn-latn-pinyin", pinyin],
                              capture_output=True, text=True, check=True, timeout=30).stdout
    assert phonemes.count("l'i35N") == 2 and "s'a55n" in phonemes
    assert "liang3 ren2" in espeak_text(taken_speech(Taken(3, 2, datetime.now())),
                                        "cmn-latn-pinyin")

    chime = write_call_chime(tmp_path / "chime-queue-100.wav")
    out, mute = tmp_path / "played", MuteSwitch(tmp_path / "muted")
    speech = make_speech_service("espeak", voice="cmn-latn-pinyin", rate=165, volume=1.0,
                                 work_dir=tmp_path / "work", out_dir=out, mute=mute,
                                 speaker=WavFileSpeaker(out))
    try:
        speech.play_recording(chime)
        speech.say(said)
        assert speech.wait_idle(60)
        played = sorted(out.glob("*.wav"))
        assert len(played) == 2 and played[0].read_bytes() == chime.read_bytes()
        with wave.open(str(played[1]), "rb") as wav:
            assert wav.getnframes() / wav.getframerate() > 1.5  # the whole sentence
        mute.set(True)
        speech.play_recording(chime)
        speech.say(said)
        assert speech.wait_idle(60)
        assert len(list(out.glob("*.wav"))) == 2  # muted: neither chime nor speech
    finally:
        speech.close()


# ---- the link with the central server ----

@pytest.fixture
def central(tmp_path: Path) -> Iterator[tuple[CentralServer, str]]:
    server = CentralServer(tmp_path / "server.db")
    server.start()
    try:
        yield server, server.provision("0042")
    finally:
        server.stop()


def _wait(condition: threading.Event, what: str, timeout: float = 20) -> None:
    assert condition.wait(timeout), f"{what} never happened"


def test_the_link_reports_and_carries_out_console_calls(
        store: Store, central: tuple[CentralServer, str]) -> None:
    server, key = central
    book = QueueBook(store, "0042")
    for _ in range(3):
        book.take()
    called: list[int] = []
    link = QueueLink(book, ServerLink(server.url, "0042", key), poll_seconds=0.2,
                     on_called=called.append)
    try:
        assert link.report_once() == []
        today = date.today().isoformat()
        assert server.rows("SELECT number FROM queue_entries WHERE kiosk_code = '0042' "
                           f"AND day = '{today}' ORDER BY number") == [(1,), (2,), (3,)]

        asked = httpx.post(f"{server.url}{API_PREFIX}/staff/queue/0042/call",
                           headers=STAFF_HEADERS, timeout=10)
        assert asked.status_code == 201, asked.text
        assert link.report_once() == [1] and called == [1]
        assert book.now().called == 1
        link.report_once()  # tells the server the call was handled
        assert server.rows("SELECT COUNT(*) FROM queue_calls WHERE handled_at IS NULL") == [(0,)]

        second = threading.Event()
        link.on_called = lambda n: (called.append(n), second.set())
        link.start()  # the thread: polls while people wait
        asked = httpx.post(f"{server.url}{API_PREFIX}/staff/queue/0042/call",
                           headers=STAFF_HEADERS, timeout=10)
        assert asked.status_code == 201, asked.text
        _wait(second, "the second console call")
        assert called == [1, 2] and book.now().called == 2
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and server.rows(
                "SELECT called_at IS NOT NULL FROM queue_entries WHERE number = 2") != [(1,)]:
            time.sleep(0.1)
        assert server.rows("SELECT served_at IS NOT NULL, called_at IS NOT NULL "
                           "FROM queue_entries ORDER BY number") == [(1, 1), (0, 1), (0, 0)]
    finally:
        link.stop()
    assert link._thread is not None and not link._thread.is_alive()


def test_a_dead_network_or_a_bad_reply_never_stops_the_link(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    from sync.contract.signing import new_private_key

    book = QueueBook(store, "0042")
    book.take()
    rounds = threading.Event()
    count = [0]

    def round_done() -> None:
        count[0] += 1
        if count[0] >= 3:
            rounds.set()

    dead = QueueLink(book, ServerLink(f"http://127.0.0.1:{free_port()}", "0042",
                                      new_private_key(), timeout=1),
                     poll_seconds=0.05, on_round=round_done)
    dead.start()
    _wait(rounds, "three rounds without a network")
    dead.stop()
    assert dead._thread is not None and not dead._thread.is_alive()
    assert "cannot reach the server" in caplog.text

    garbage = httpx.MockTransport(lambda _r: httpx.Response(200, content=b'{"calls": [1]}'))
    bad = QueueLink(book, ServerLink("http://server.invalid", "0042", new_private_key()),
                    transport=garbage)
    with pytest.raises(ExchangeError, match="not understood"):
        bad.report_once()
    bad.stop()
    assert book.now().waiting == 1  # nothing carried out

    unprovisioned = QueueLink(book, ServerLink("http://127.0.0.1:9", "0042", ""))
    assert unprovisioned.report_once() == []  # no key: reports are off, nothing raised
