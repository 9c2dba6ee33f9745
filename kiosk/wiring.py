"""Builds the kiosk's parts from the configuration, once, at start-up."""

from __future__ import annotations

from pathlib import Path

from device.printer import Printer, make_printer
from device.speech import SpeechService, make_speech_service
from kiosk.config import AppConfig
from kiosk.intake import HallInfo, Intake
from sync.store import Store


def hall_info(cfg: AppConfig) -> HallInfo:
    return HallInfo(community=cfg.hall.community, name=cfg.hall.name,
                    hotline=cfg.hall.hotline, kiosk_code=cfg.hall.kiosk_code)


def build_printer(cfg: AppConfig, font: Path) -> Printer:
    device = Path(cfg.printer.device) if cfg.printer.device else None
    return make_printer(cfg.printer.kind, out_dir=cfg.printer.out_dir, font_path=font,
                        device_path=device)


def build_speech(cfg: AppConfig) -> SpeechService:
    work_dir = cfg.speech.out_dir.parent / "speech-work"
    return make_speech_service(cfg.speech.backend, voice=cfg.speech.voice, rate=cfg.speech.rate,
                               volume=cfg.speech.volume, work_dir=work_dir,
                               out_dir=cfg.speech.out_dir)


def build_intake(cfg: AppConfig, font: Path, store: Store, speech: SpeechService) -> Intake:
    return Intake(store, build_printer(cfg, font), speech, hall_info(cfg))
