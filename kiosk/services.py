"""What the screens use, built once from the configuration (no Kivy here)."""

from __future__ import annotations

from dataclasses import dataclass

from device.speech import SpeechService
from kiosk.cli_sync import server_link
from kiosk.config import AppConfig, Category
from kiosk.idle import IdleLimits
from kiosk.intake import Intake
from kiosk.lookup import StatusLookup
from sync.store import Store


@dataclass
class KioskServices:
    intake: Intake
    lookup: StatusLookup
    speech: SpeechService
    categories: list[Category]
    hall_name: str
    hotline: str
    diagonal_inches: float
    idle: IdleLimits

    @classmethod
    def from_config(cls, cfg: AppConfig, store: Store, intake: Intake,
                    speech: SpeechService) -> KioskServices:
        screen = cfg.screen
        return cls(intake=intake, lookup=StatusLookup(store, server_link(cfg)), speech=speech,
                   categories=list(cfg.categories), hall_name=cfg.hall.name,
                   hotline=cfg.hall.hotline, diagonal_inches=screen.diagonal_inches,
                   idle=IdleLimits(screen.idle_seconds, screen.idle_warning_seconds,
                                   screen.result_seconds))
