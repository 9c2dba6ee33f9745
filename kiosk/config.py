"""Configuration: one TOML file layered over the packaged defaults, checked by typed models.

Read once at start-up by the command line and passed in; nothing deeper reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from assets import DEFAULTS_TOML
from kiosk.config_file import ConfigError as ConfigError
from kiosk.config_file import describe, merge, read_toml
from sync.contract.ticket import is_valid_kiosk_code


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class HallConfig(_Section):
    community: str
    """Name of the residents' community, printed on every receipt."""
    name: str
    """Name of this hall, shown on the home screen and printed on receipts."""
    hotline: str
    """Phone number residents call to ask about progress (说事热线)."""
    kiosk_code: str
    """This kiosk's 4-digit code, unique in the city; the first digits of every ticket."""

    @field_validator("kiosk_code")
    @classmethod
    def _four_digits(cls, value: str) -> str:
        if not is_valid_kiosk_code(value):
            raise ValueError("exactly 4 digits, such as \"0001\"")
        return value


class StoreConfig(_Section):
    path: Path
    """SQLite file holding this kiosk's submissions and the outbox."""


class SyncConfig(_Section):
    server_url: str
    """Base URL of the central server, e.g. https://shuoshi.example.gov.cn."""
    interval_seconds: float = Field(gt=0)
    """Pause between sync rounds when there is nothing to send."""
    batch_size: int = Field(ge=1, le=500)
    """Most submissions sent in one request."""
    timeout_seconds: float = Field(gt=0)
    """Give up on one request after this long."""
    max_batch_bytes: int = Field(ge=10_000, le=5_000_000)
    """Largest request body the worker builds, in bytes."""
    signing_key: str
    """This kiosk's private key (base64), from `shuoshi server add-kiosk`; keep it secret."""
    ca_file: str
    """CA certificate file for a private deployment's TLS; empty means the system's CAs."""


class PrinterConfig(_Section):
    kind: Literal["virtual", "file", "serial", "network", "usb", "cups"]
    """"virtual" writes ESC/POS bytes and a PNG preview; the others talk to a real printer."""
    out_dir: Path
    """Where the virtual printer puts its .bin and .png files."""
    device: str
    """Where the printer is: /dev/usb/lp0 (file), /dev/ttyUSB0 (serial), 192.168.1.50:9100
    (network), 0416:5011 vendor:product in hex (usb), or a CUPS raw queue name (cups)."""
    profile: str
    """Printer model from device/printer/profiles.toml, e.g. generic-58-gb18030, raster-80."""
    baudrate: int = Field(ge=1200, le=921_600)
    """Serial speed in baud (kind = "serial"); must match the printer's DIP switches."""
    flow_control: Literal["none", "rtscts", "xonxoff", "dsrdtr"]
    """Serial flow control (kind = "serial"); most Chinese printers use rtscts or none."""
    timeout_seconds: float = Field(gt=0, le=60)
    """Longest wait for one write or read; a dead printer never hangs the kiosk."""
    retry_seconds: float = Field(gt=0)
    """How often queued receipts are retried while the printer cannot print."""
    spool_dir: str
    """The on-disk print queue; empty means a "print-spool" folder next to out_dir."""
    state_file: str
    """JSON file with the printer's last known state; empty means printer-state.json next
    to out_dir. The sync worker reads it."""
    status_url: str
    """If set, the receipt's QR holds this URL with "{ticket}" replaced by the ticket number,
    e.g. https://shuoshi.example.gov.cn/t/{ticket}: a phone opens it and the kiosk's scanner
    reads the ticket from it. Empty: the QR holds the bare ticket."""

    @field_validator("status_url")
    @classmethod
    def _url_with_the_ticket(cls, value: str) -> str:
        if value and (not value.startswith(("http://", "https://")) or "{ticket}" not in value):
            raise ValueError('an http(s) URL with "{ticket}" in it, or "" for none')
        return value

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        from device.printer import load_profiles

        if value not in load_profiles():
            raise ValueError(f"one of {', '.join(load_profiles())}")
        return value


class SpeechConfig(_Section):
    backend: Literal["pyttsx3", "espeak", "silent"]
    """Speech engine: pyttsx3 over espeak-ng, espeak-ng called directly, or silent."""
    voice: str
    """espeak-ng voice; "cmn-latn-pinyin" (Mandarin read from tone-numbered pinyin) is right."""
    rate: int = Field(ge=60, le=300)
    """Speaking rate in espeak-ng's words per minute (its own default is 175). The default
    165 gives about 3.3 syllables a second with the Mandarin voice, what older listeners
    follow comfortably (120 gave 2.3, which drags); 慢一点 slows it to about 2.5."""
    volume: float = Field(ge=0.0, le=1.0)
    """Loudness from 0.0 to 1.0 (also of the chime)."""
    out_dir: Path
    """Where spoken WAV files are kept when there is no sound card."""
    cache_dir: str
    """Fixed prompts rendered once to WAV; empty means "speech-cache" next to out_dir."""
    chime: bool
    """Play a soft chime before announcements (ticket number, progress)."""
    muted: bool
    """Speech off for good at this kiosk (staff switch it for a while with
    `shuoshi speak --mute` / `--unmute` instead)."""
    mute_file: str
    """While this file exists the kiosk is silent; empty means "speech-muted" next to
    out_dir. `shuoshi speak --mute` creates it, `--unmute` removes it."""
    hang_seconds: float = Field(gt=0, le=300)
    """An engine that takes longer than this over one utterance is abandoned and restarted."""


class ScreenConfig(_Section):
    width: int = Field(ge=320)
    """Window width in pixels when not fullscreen (fullscreen takes the screen's own size)."""
    height: int = Field(ge=240)
    """Window height in pixels when not fullscreen."""
    fullscreen: bool
    """Fill the whole screen (the appliance) instead of a window."""
    diagonal_inches: float = Field(ge=3, le=100)
    """The panel's diagonal in inches (7 for the usual 800×480 or 1024×600 touchscreen):
    every size on screen is worked out in millimetres from it."""
    idle_seconds: float = Field(ge=5, le=3600)
    """With no touch for this long, a warning with a countdown shows before the kiosk
    clears what the resident entered and goes back to the home screen."""
    idle_warning_seconds: float = Field(ge=3, le=120)
    """How long the idle warning counts down; a touch anywhere keeps the resident's work."""
    result_seconds: float = Field(ge=30, le=600)
    """The done and status screens (a ticket number, a status) warn after this long, so
    the next resident never sees them; at least 30 s, time enough to read them."""
    font: str
    """Path to a CJK font with Simplified Chinese glyphs; empty means search the system."""


class Category(_Section):
    name: str
    """Category shown as a big button, e.g. 环境卫生."""
    phrases: list[str]
    """Quick phrases a resident can tap instead of typing."""


class InputConfig(_Section):
    handwriting_model: str
    """The zinnia model for handwriting (手写); empty: the Debian package's Simplified Chinese
    model. A missing model or library leaves only the pinyin keyboard."""
    word_index: Path
    """The word index built at install time by ``python -m kiosk.writing.build_index FILE``
    (pinyin candidates, likely next characters); the set-up builds var/input/words.sqlite."""
    hall_words: list[str]
    """Words of this hall offered first (物业, 楼道 …); categories and phrases are added."""


class MicrophoneConfig(_Section):
    kind: Literal["alsa", "wav", "none"]
    """alsa: capture with arecord; wav: a recorded WAV file played as if spoken (tests,
    demos); none: no microphone, so the voice note (说给我听) is not offered."""
    device: str
    """ALSA capture device (e.g. "default", "plughw:1,0"), or the WAV file for kind = "wav"."""
    max_seconds: float = Field(gt=0, le=60)
    """A voice note stops by itself after this long (at most 60 s)."""
    voice_dir: str
    """Where voice notes wait for upload; empty: voice/ next to the store."""


class PlacesConfig(_Section):
    buildings: list[str]
    """楼栋 of the hall's neighbourhood, e.g. ["1号楼", "2号楼"]; empty: no building choice."""
    units: list[str]
    """单元 offered after a building, e.g. ["1单元", "2单元"]; empty: the building alone."""
    public_areas: list[str]
    """公共区域, e.g. ["小区大门", "车棚", "广场"]."""

    @property
    def names(self) -> list[str]:
        """Every place name shown as a button (said aloud when pressed)."""
        return [*self.buildings, *self.units, *self.public_areas]


class ScannerConfig(_Section):
    kind: Literal["none", "hid", "serial", "keyboard"]
    """The 2D barcode scanner that reads a receipt's QR: "hid" a USB keyboard scanner read
    from its event node and grabbed (its keys never reach the screen); "serial" a USB serial
    (CDC-ACM) scanner; "keyboard" a keyboard scanner read from the window, for one that
    cannot be grabbed; "none" only the keypad."""
    device: str
    """hid: the event node (/dev/shuoshi-scanner from the udev rule, /dev/input/event3) or
    part of the device's name (e.g. "Honeywell"); serial: the port, empty for /dev/ttyACM0."""
    baudrate: int = Field(ge=1200, le=921_600)
    """Serial speed in baud (kind = "serial"); CDC-ACM scanners ignore it."""
    gap_seconds: float = Field(gt=0, le=2)
    """A code that comes without Enter or CR/LF ends after this long without another
    character (a scanner types one in a few milliseconds)."""

    @field_validator("device")
    @classmethod
    def _device_for_hid(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "hid" and not value.strip():
            raise ValueError('the event node or device name of the scanner (kind = "hid")')
        return value


MOST_MEMBER_CHARS = 20


class StaffConfig(_Section):
    pin_hash: str
    """The staff PIN's argon2 hash, from `shuoshi staff-pin`; empty: no staff mode on this
    kiosk (the long press in the home screen's corner does nothing)."""
    members: list[str] = Field(default_factory=list, max_length=8)
    """The hall's staff, one of whom is named as 录入人 on an issue entered for a resident
    (代录); none: such issues are recorded as entered by 工作人员."""

    @field_validator("pin_hash")
    @classmethod
    def _argon2_hash(cls, value: str) -> str:
        if value:
            from argon2 import extract_parameters
            from argon2.exceptions import InvalidHashError

            try:
                extract_parameters(value)
            except (InvalidHashError, ValueError):
                raise ValueError('an argon2 hash such as "$argon2id$v=19$m=…" from '
                                 '`shuoshi staff-pin`, or "" for no staff mode') from None
        return value

    @field_validator("members")
    @classmethod
    def _member_names(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value]
        if any(not 1 <= len(name) <= MOST_MEMBER_CHARS for name in names):
            raise ValueError(f"names of 1 to {MOST_MEMBER_CHARS} characters, "
                             'such as ["王丽", "李强"]')
        if len(set(names)) != len(names):
            raise ValueError("each staff member's name once")
        return names


class QueueConfig(_Section):
    enabled: bool
    """叫号: residents take a number (A001 …) on the home screen on 说事日 and staff call
    them to the 说事桌; false: no numbers at this kiosk."""
    every_day: bool
    """Numbers every day, not only on 说事日 (for halls that receive residents daily)."""
    poll_seconds: float = Field(ge=1, le=300)
    """While anyone waits, the queue is reported to the central console this often, and
    its 叫下一位 carried out."""


class AppConfig(_Section):
    hall: HallConfig
    """The hall and this kiosk."""
    store: StoreConfig
    """The local store."""
    sync: SyncConfig
    """Talking to the central server."""
    printer: PrinterConfig
    """The receipt printer."""
    speech: SpeechConfig
    """The voice."""
    screen: ScreenConfig
    """The touchscreen."""
    input: InputConfig
    """Writing in one's own words: handwriting and pinyin."""
    microphone: MicrophoneConfig
    """The voice note (说给我听)."""
    places: PlacesConfig
    """Where the problem is: the place picker."""
    scanner: ScannerConfig
    """The receipt scanner."""
    staff: StaffConfig
    """Staff mode on the kiosk (long press in the corner, then the PIN)."""
    queue: QueueConfig
    """叫号 for face-to-face 说事."""
    categories: list[Category] = Field(min_length=1)
    """Issue categories with their quick phrases, in screen order."""


def load_config(path: Path | None = None) -> AppConfig:
    """The packaged defaults, with ``path`` (if given) layered over them."""
    merged = read_toml(DEFAULTS_TOML)
    if path is not None:
        merged = merge(merged, read_toml(path))
    source = path if path is not None else DEFAULTS_TOML
    try:
        return AppConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(describe(source, exc, AppConfig)) from None
