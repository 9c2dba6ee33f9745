"""Builds the kiosk's parts from the configuration, once, at start-up.

What the first frame does not need is made after it, by ``LaterParts``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from kiosk.config import AppConfig, PrinterConfig, SpeechConfig
from kiosk.intake import HallInfo, Intake

if TYPE_CHECKING:  # imported where used: the printer package (Pillow, qrcode) loads late
    from device.printer import (
        DeviceLock,
        GlyphSource,
        Printer,
        PrinterReport,
        PrintWorker,
        ReceiptLayout,
    )
    from device.speech import MuteSwitch, SpeechService
    from kiosk.lookup import StatusLookup
    from sync.store import Store

T = TypeVar("T")
log = logging.getLogger(__name__)

def hall_info(cfg: AppConfig) -> HallInfo:
    return HallInfo(community=cfg.hall.community, name=cfg.hall.name,
                    hotline=cfg.hall.hotline, kiosk_code=cfg.hall.kiosk_code,
                    status_url=cfg.printer.status_url)


def spool_dir(printer: PrinterConfig) -> Path:
    """The print queue folder: configured, or "print-spool" next to out_dir."""
    return Path(printer.spool_dir) if printer.spool_dir else printer.out_dir.parent / "print-spool"


SHARED_LOCK_DIR = Path("/run/lock")
"""Where device locks live (the systemd units may write there), so that every process that
reaches a printer, whatever config and spool it was started with, takes the same lock."""


def printer_lock_path(config: PrinterConfig, shared: Path = SHARED_LOCK_DIR) -> Path:
    """The lock file of the printer's device: one per device node (a symlink such as
    /dev/shuoshi-printer and its /dev/ttyUSB0 are one), network address or CUPS queue; the
    virtual printer's device is its out_dir. In the spool folder where ``shared`` cannot be
    written."""
    if config.kind in ("virtual", "file", "serial"):
        key = os.path.realpath(config.out_dir if config.kind == "virtual" else config.device)
    else:
        key = f"{config.kind}:{config.device}"
    folder = shared if os.access(shared, os.W_OK) else spool_dir(config)
    readable = re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")[-40:]
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return folder / f"shuoshi-printer-{readable}-{digest}.lock"


def printer_lock(printer: Printer, config: PrinterConfig) -> DeviceLock:
    """The printer's one-owner lock, the printer's own object when it has one: the kiosk's
    worker and every command take it before using the device."""
    from device.printer import DeviceLock

    lock = getattr(printer, "lock", None)
    return lock if isinstance(lock, DeviceLock) else DeviceLock(printer_lock_path(config))


def state_file(printer: PrinterConfig) -> Path:
    """The printer state file the worker writes and the sync worker reads."""
    if printer.state_file:
        return Path(printer.state_file)
    return printer.out_dir.parent / "printer-state.json"


def build_glyphs(font: Path) -> GlyphSource:
    from device.printer import GlyphSource
    from kiosk.fonts import find_fallback_fonts, font_with

    return GlyphSource([font, *find_fallback_fonts(font)], font_with)


def build_printer(cfg: AppConfig, font: Path | GlyphSource) -> Printer:
    from device.printer import DeviceLock, GlyphSource, get_profile, make_printer

    glyphs = font if isinstance(font, GlyphSource) else build_glyphs(font)
    pc = cfg.printer
    return make_printer(pc.kind, profile=get_profile(pc.profile), out_dir=pc.out_dir,
                        fonts=glyphs, device=pc.device, baudrate=pc.baudrate,
                        flow=pc.flow_control, timeout=pc.timeout_seconds,
                        lock=DeviceLock(printer_lock_path(pc)))


def encoder_for(printer: Printer, glyphs: GlyphSource) -> Callable[[ReceiptLayout], bytes]:
    from device.printer import encode_receipt

    return lambda layout: encode_receipt(layout, printer.profile, glyphs)


def build_print_worker(
    cfg: AppConfig, font: Path, on_report: Callable[[PrinterReport], None] | None = None,
    feed: Callable[[], object] | None = None,
) -> PrintWorker:
    """The spool and its worker (not started); ``feed`` moves the store's print outbox
    into the spool before each drain."""
    from device.printer import PrintWorker, Spool

    glyphs = build_glyphs(font)
    printer = build_printer(cfg, glyphs)
    return PrintWorker(Spool(spool_dir(cfg.printer)), printer, encoder_for(printer, glyphs),
                       state_file=state_file(cfg.printer), on_report=on_report,
                       retry_seconds=cfg.printer.retry_seconds,
                       lock=printer_lock(printer, cfg.printer), feed=feed)


def speech_paths(speech: SpeechConfig) -> tuple[Path, Path, Path]:
    """The speech work folder, prompt cache folder and mute flag file."""
    base = speech.out_dir.parent
    cache = Path(speech.cache_dir) if speech.cache_dir else base / "speech-cache"
    mute = Path(speech.mute_file) if speech.mute_file else base / "speech-muted"
    return base / "speech-work", cache, mute


def mute_switch(speech: SpeechConfig) -> MuteSwitch:
    from device.speech import MuteSwitch

    return MuteSwitch(speech_paths(speech)[2], always=speech.muted)


def build_speech(cfg: AppConfig) -> SpeechService:
    from device.speech import make_speech_service

    sc = cfg.speech
    work_dir, cache_dir, _ = speech_paths(sc)
    return make_speech_service(sc.backend, voice=sc.voice, rate=sc.rate, volume=sc.volume,
                               work_dir=work_dir, out_dir=sc.out_dir, cache_dir=cache_dir,
                               mute=mute_switch(sc), chime=sc.chime,
                               hang_seconds=sc.hang_seconds)


def build_intake(cfg: AppConfig, font: Path, store: Store, speech: SpeechService) -> Intake:
    worker = build_print_worker(cfg, font)
    worker.start()
    return Intake(store, worker, speech, hall_info(cfg))


def open_store(cfg: AppConfig) -> Store:
    from sync.store import Store, migrate_apart

    migrate_apart(cfg.store.path)  # Alembic's memory stays in a child process
    return Store(cfg.store.path)


def prompt_renderer(config: Path | None) -> Callable[[], None]:
    """Starts ``shuoshi speak --prepare`` for ``config`` in the background: the engine and
    its memory (libespeak-ng, pinyin) stay out of the kiosk while 90-odd prompts are made."""

    def start() -> None:
        command = [sys.executable, "-m", "shuoshi", "speak", "--prepare"]
        if config is not None:
            command += ["--config", str(config)]
        try:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL)
        except OSError as exc:
            log.warning("could not start rendering the prompt cache: %s", exc.strerror)
            return
        threading.Thread(target=child.wait, name="prompt-renderer", daemon=True).start()

    return start


def build_lookup(cfg: AppConfig, store: Store) -> StatusLookup:
    from kiosk.cli_sync import server_link
    from kiosk.lookup import StatusLookup

    return StatusLookup(store, server_link(cfg))


class Later(Generic[T]):
    """A part made once, when first asked for: ``get()`` makes it, or waits while another
    thread is making it."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: T | None = None

    def get(self) -> T:
        with self._lock:
            if self._made is None:
                self._made = self._make()
            return self._made

    def made(self) -> T | None:
        """The part if it has been made; never waits and never makes it."""
        return self._made


class LaterParts:
    """The kiosk's parts that its first frame does not need: the store (SQLAlchemy, the
    migrations), the intake with its printer worker, and the status lookup (httpx).

    ``start()``, called once the first frame is on the screen, makes the store and the
    intake on a thread of its own and starts the printer worker; the lookup is made on the
    first 查进度. Whatever needs a part sooner makes it, or waits for it, on the spot: a
    提交 before the thread got there waits for the store, then commits as ever.
    """

    def __init__(self, cfg: AppConfig, font: Path, speech: SpeechService) -> None:
        self.store = Later(lambda: open_store(cfg))
        self.intake = Later(lambda: Intake(self.store.get(), build_print_worker(cfg, font),
                                           speech, hall_info(cfg)))
        self.lookup = Later(lambda: build_lookup(cfg, self.store.get()))
        self._cfg = cfg
        self._thread: threading.Thread | None = None
        self._stop_scanner: Callable[[], None] = lambda: None

    def start(self, on_error: Callable[[BaseException], None]) -> None:
        """Make the store and the intake in the background and start the printer worker
        (receipts queued before then wait in the spool), and start the receipt scanner;
        ``on_error`` gets what failed."""
        def make() -> None:
            try:
                self.intake.get().printer.start()
                _sweep_voice_notes(self._cfg, self.store.get())
            except BaseException as exc:
                on_error(exc)

        self._thread = threading.Thread(target=make, name="start-up", daemon=True)
        self._thread.start()
        self._stop_scanner = start_scanner(self._cfg)

    def close(self, print_timeout: float) -> None:
        """Let the start-up thread finish, give the receipts queued here ``print_timeout``
        seconds to be sent, close the lookup's client and the store."""
        self._stop_scanner()
        if self._thread is not None:
            self._thread.join()
        intake, lookup, store = self.intake.made(), self.lookup.made(), self.store.made()
        if intake is not None:
            intake.wait_printed(print_timeout)
        if lookup is not None:
            lookup.close()
        if store is not None:
            store.close()


def start_scanner(cfg: AppConfig) -> Callable[[], None]:
    """The receipt scanner, started on the UI thread after the first frame: a HID or serial
    scanner read on a thread of its own, a keyboard scanner's keys watched in the window
    (also a HID scanner's, should it not be grabbed); every code goes to
    ``KioskApp.scanned`` on the UI thread. Returns what stops it."""
    kind = cfg.scanner.kind
    stops: list[Callable[[], None]] = []
    if kind in ("hid", "keyboard"):
        from kiosk.scan_wedge import WindowWedge

        wedge = WindowWedge(_to_app)
        wedge.attach()
        stops.append(wedge.detach)
    if kind in ("hid", "serial"):
        from kivy.clock import Clock

        from device.scanner import ScannerListener, scanner_from_config

        def handed_over(code: str) -> None:  # on the scanner's thread
            Clock.schedule_once(lambda _dt: _to_app(code))

        listener = ScannerListener(scanner_from_config(cfg.scanner), handed_over)
        listener.start()
        stops.append(listener.stop)

    def stop() -> None:
        for each in stops:
            each()

    return stop


def _to_app(code: str) -> None:
    from kivy.app import App

    app = App.get_running_app()
    if app is not None:  # None once the app has stopped
        app.scanned(code)


def _sweep_voice_notes(cfg: AppConfig, store: Store) -> None:
    """Recordings nobody will send (the resident walked away, the power went) are deleted
    at start-up, before anyone can record."""
    from kiosk.voice_note import referenced_voice_notes, sweep_voice_dir, voice_dir_of

    removed = sweep_voice_dir(voice_dir_of(cfg), referenced_voice_notes(store))
    if removed:
        log.info("deleted %d voice notes nobody will send", removed)
