"""Builds the kiosk's parts from the configuration, once, at start-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from device.printer import (
    GlyphSource,
    Printer,
    PrinterReport,
    PrintWorker,
    ReceiptLayout,
    Spool,
    encode_receipt,
    get_profile,
    make_printer,
)
from device.speech import MuteSwitch, SpeechService, make_speech_service
from kiosk.config import AppConfig, PrinterConfig, SpeechConfig
from kiosk.intake import HallInfo, Intake
from sync.store import Store

# drawn from when the CJK font lacks a symbol (☎, ①, emoji outlines) on bitmap fallback
FALLBACK_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf"),
)


def hall_info(cfg: AppConfig) -> HallInfo:
    return HallInfo(community=cfg.hall.community, name=cfg.hall.name,
                    hotline=cfg.hall.hotline, kiosk_code=cfg.hall.kiosk_code,
                    status_url=cfg.printer.status_url)


def spool_dir(printer: PrinterConfig) -> Path:
    """The print queue folder: configured, or "print-spool" next to out_dir."""
    return Path(printer.spool_dir) if printer.spool_dir else printer.out_dir.parent / "print-spool"


def state_file(printer: PrinterConfig) -> Path:
    """The printer state file the worker writes and the sync worker reads."""
    if printer.state_file:
        return Path(printer.state_file)
    return printer.out_dir.parent / "printer-state.json"


def build_glyphs(font: Path) -> GlyphSource:
    return GlyphSource([font, *(path for path in FALLBACK_FONTS if path.is_file())])


def build_printer(cfg: AppConfig, font: Path | GlyphSource) -> Printer:
    glyphs = font if isinstance(font, GlyphSource) else build_glyphs(font)
    pc = cfg.printer
    return make_printer(pc.kind, profile=get_profile(pc.profile), out_dir=pc.out_dir,
                        fonts=glyphs, device=pc.device, baudrate=pc.baudrate,
                        flow=pc.flow_control, timeout=pc.timeout_seconds)


def encoder_for(printer: Printer, glyphs: GlyphSource) -> Callable[[ReceiptLayout], bytes]:
    return lambda layout: encode_receipt(layout, printer.profile, glyphs)


def build_print_worker(
    cfg: AppConfig, font: Path, on_report: Callable[[PrinterReport], None] | None = None,
) -> PrintWorker:
    """The spool and its worker (not started: ``start()`` also holds interrupted jobs)."""
    glyphs = build_glyphs(font)
    printer = build_printer(cfg, glyphs)
    return PrintWorker(Spool(spool_dir(cfg.printer)), printer, encoder_for(printer, glyphs),
                       state_file=state_file(cfg.printer), on_report=on_report,
                       retry_seconds=cfg.printer.retry_seconds)


def speech_paths(speech: SpeechConfig) -> tuple[Path, Path, Path]:
    """The speech work folder, prompt cache folder and mute flag file."""
    base = speech.out_dir.parent
    cache = Path(speech.cache_dir) if speech.cache_dir else base / "speech-cache"
    mute = Path(speech.mute_file) if speech.mute_file else base / "speech-muted"
    return base / "speech-work", cache, mute


def mute_switch(speech: SpeechConfig) -> MuteSwitch:
    return MuteSwitch(speech_paths(speech)[2], always=speech.muted)


def build_speech(cfg: AppConfig) -> SpeechService:
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
