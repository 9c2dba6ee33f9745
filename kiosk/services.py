"""What the screens use, built once from the configuration (no Kivy here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import AppConfig, Category, InputConfig, MicrophoneConfig, PlacesConfig
from kiosk.idle import IdleLimits
from kiosk.intake import Intake
from kiosk.lookup import StatusLookup

if TYPE_CHECKING:
    from device.speech import SpeechService
    from kiosk.evaluation import Ratings
    from kiosk.voice_note import VoiceRecorder
    from sync.store import Store


@dataclass
class KioskServices:
    """The intake and the lookup need the store (and the printer worker, the server link),
    which the kiosk makes after its first frame: reading them waits until they are made."""

    made_intake: Callable[[], Intake]
    made_lookup: Callable[[], StatusLookup]
    speech: SpeechService
    categories: list[Category]
    hall_name: str
    hotline: str
    diagonal_inches: float
    idle: IdleLimits
    places: PlacesConfig
    writing: InputConfig
    microphone: MicrophoneConfig
    store_path: Path
    make_recorder: Callable[[], VoiceRecorder]
    """The voice note's recorder (说给我听), made when the voice screen first opens."""
    render_prompts_apart: Callable[[], None] | None = None
    """Starts rendering the prompt cache in a process of its own (the kiosk's memory stays
    small); None: the speech worker renders it."""
    staff_pin_hash: str = ""
    """The staff PIN's argon2 hash ([staff] pin_hash); empty: no staff mode."""
    staff_members: tuple[str, ...] = ()
    """[staff] members: who may be named as 录入人 of an issue entered for a resident."""
    _microphone_ok: bool | None = field(default=None, repr=False)
    _ratings: Ratings | None = field(default=None, repr=False)

    @property
    def intake(self) -> Intake:
        return self.made_intake()

    @property
    def lookup(self) -> StatusLookup:
        return self.made_lookup()

    @property
    def ratings(self) -> Ratings:
        """评事, on the intake's store and the lookup (made, or waited for, on first use)."""
        if self._ratings is None:
            from kiosk.evaluation import Ratings

            self._ratings = Ratings(self.intake.store, self.lookup)
        return self._ratings

    @classmethod
    def from_config(cls, cfg: AppConfig, store: Store, intake: Intake,
                    speech: SpeechService) -> KioskServices:
        from kiosk.cli_sync import server_link

        lookup = StatusLookup(store, server_link(cfg))
        return cls.made_later(cfg, speech, lambda: intake, lambda: lookup)

    @classmethod
    def made_later(cls, cfg: AppConfig, speech: SpeechService, intake: Callable[[], Intake],
                   lookup: Callable[[], StatusLookup]) -> KioskServices:
        """With the intake and the lookup made when ``intake()`` and ``lookup()`` are called
        (they may wait for the start-up thread)."""
        screen = cfg.screen
        return cls(made_intake=intake, made_lookup=lookup, speech=speech,
                   categories=list(cfg.categories), hall_name=cfg.hall.name,
                   hotline=cfg.hall.hotline, diagonal_inches=screen.diagonal_inches,
                   idle=IdleLimits(screen.idle_seconds, screen.idle_warning_seconds,
                                   screen.result_seconds),
                   places=cfg.places, writing=cfg.input, microphone=cfg.microphone,
                   store_path=cfg.store.path, make_recorder=lambda: _recorder(cfg),
                   staff_pin_hash=cfg.staff.pin_hash,
                   staff_members=tuple(cfg.staff.members))

    def voice_offered(self) -> bool:
        """说给我听 is offered only with a microphone that works (asked once)."""
        if self._microphone_ok is None:
            from device.microphone import microphone_from_config

            self._microphone_ok = microphone_from_config(self.microphone).unavailable_reason() \
                is None
        return self._microphone_ok


def _recorder(cfg: AppConfig) -> VoiceRecorder:
    from kiosk.voice_note import recorder_from_config

    return recorder_from_config(cfg)
