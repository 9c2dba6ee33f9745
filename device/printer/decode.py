"""Decode ESC/POS bytes back into what a printer would put on paper.

Decodes what ``escpos.encode_escpos`` writes (text with align, bold, size and Chinese
mode; inline bit images; raster images; QR codes; feeds; cuts) and skips other known
commands by length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

from .commands import parameter_length
from .escpos import DLE, ESC, FS, GS, LF, QR_CODE_TYPE, QR_ERROR_LEVELS
from .layout import Align

IGNORED_CONTROLS = frozenset((0x00, 0x09, 0x0C, 0x0D, 0x18))  # NUL HT FF CR CAN
PARTIAL_CUTS = frozenset((1, 49, 66, 98, 104))
ALIGN_BY_CODE: dict[int, Align] = {0: "left", 1: "center", 2: "right"}


class EscPosDecodeError(ValueError):
    """Malformed, truncated or unknown ESC/POS data; ``offset`` is where it starts."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at byte offset {offset}")
        self.offset = offset


@dataclass(frozen=True)
class TextRun:
    """Characters printed with the same size and weight."""

    text: str
    width: int = 1
    height: int = 1
    bold: bool = False


@dataclass(frozen=True)
class InlineImage:
    """An ESC * bit image inside a text line: ``columns`` of 24 dots, 3 bytes each."""

    width: int
    columns: bytes
    text = "\ufffc"  # stands for the image in ``DecodedText.text``
    height = 1
    bold = False


Run: TypeAlias = TextRun | InlineImage


@dataclass(frozen=True)
class DecodedText:
    """One printed line (ended by LF); alignment is the one in force at its start."""

    runs: tuple[Run, ...]
    align: Align = "left"

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)

    @property
    def scale(self) -> int:
        """The largest width or height multiplier of the line's characters."""
        return max([1] + [max(r.width, r.height) for r in self.runs if isinstance(r, TextRun)])

    @property
    def bold(self) -> bool:
        return all(run.bold for run in self.runs if isinstance(run, TextRun))

    @property
    def images(self) -> tuple[InlineImage, ...]:
        return tuple(run for run in self.runs if isinstance(run, InlineImage))


@dataclass(frozen=True)
class DecodedQR:
    data: str
    module_size: int
    error_level: str = "L"
    align: Align = "left"


@dataclass(frozen=True)
class DecodedImage:
    """A GS v 0 raster image: ``width_bytes`` * 8 dots wide, rows packed MSB first."""

    width_bytes: int
    height: int
    data: bytes
    align: Align = "left"


@dataclass(frozen=True)
class DecodedFeed:
    """Blank paper: ``lines`` text lines (ESC d, LF) plus ``dots`` (ESC J)."""

    lines: int
    dots: int = 0


@dataclass(frozen=True)
class DecodedCut:
    partial: bool
    feed_dots: int = 0


Decoded: TypeAlias = DecodedText | DecodedQR | DecodedImage | DecodedFeed | DecodedCut


@dataclass
class _State:
    align: Align = "left"
    bold: bool = False
    width: int = 1
    height: int = 1
    chinese: bool = False
    qr_size: int = 3
    qr_level: str = "L"
    qr_data: bytes | None = None
    line_align: Align = "left"
    runs: list[Run] = field(default_factory=list)


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.state = _State()
        self.out: list[Decoded] = []

    def run(self) -> list[Decoded]:
        while self.pos < len(self.data):
            byte = self.data[self.pos]
            if byte in (ESC, GS, FS, DLE):
                self._command(byte)
            elif byte == LF:
                self._end_line(feed_if_empty=1)
                self.pos += 1
            elif byte in IGNORED_CONTROLS:
                self.pos += 1
            elif byte < 0x20 or byte == 0x7F:
                raise EscPosDecodeError(f"unknown control byte 0x{byte:02X}", self.pos)
            else:
                self._character()
        self._end_line(feed_if_empty=0)
        return self.out

    def _take(self, start: int, count: int, what: str) -> bytes:
        if start + count > len(self.data):
            raise EscPosDecodeError(f"truncated {what}", self.pos)
        return self.data[start : start + count]

    def _end_line(self, feed_if_empty: int) -> None:
        state = self.state
        if state.runs:
            self.out.append(DecodedText(tuple(state.runs), state.line_align))
            state.runs = []
        elif feed_if_empty:
            self.out.append(DecodedFeed(feed_if_empty))

    def _character(self) -> None:
        start, lead = self.pos, self.data[self.pos]
        if not self.state.chinese or lead < 0x80:
            # outside Chinese mode: code table 0 (PC437), the power-on default
            self._append(bytes((lead,)).decode("cp437"))
            self.pos += 1
            return
        second = self._take(start, 2, "GB18030 character")[1]
        raw = self._take(start, 4 if 0x30 <= second <= 0x39 else 2, "GB18030 character")
        try:
            self._append(raw.decode("gb18030"))
        except UnicodeDecodeError:
            raise EscPosDecodeError(f"invalid GB18030 bytes {raw.hex()}", start) from None
        self.pos += len(raw)

    def _append(self, char: str) -> None:
        state = self.state
        if not state.runs:
            state.line_align = state.align
        last = state.runs[-1] if state.runs else None
        if isinstance(last, TextRun) and (last.width, last.height, last.bold) == (
            state.width, state.height, state.bold
        ):
            state.runs[-1] = TextRun(last.text + char, last.width, last.height, last.bold)
        else:
            state.runs.append(TextRun(char, state.width, state.height, state.bold))

    def _command(self, prefix: int) -> None:
        command = self._take(self.pos + 1, 1, "command")[0]
        params_at = self.pos + 2
        handler = _HANDLERS.get((prefix, command))
        if handler is not None:
            length = handler(self, params_at)
        else:
            found = parameter_length(prefix, command, self.data, params_at)
            if found is None:
                raise EscPosDecodeError(f"unknown command 0x{prefix:02X} 0x{command:02X}", self.pos)
            length = found
        if length < 0 or params_at + length > len(self.data):
            raise EscPosDecodeError(f"truncated command 0x{prefix:02X} 0x{command:02X}", self.pos)
        self.pos = params_at + length

    def _param(self, at: int) -> int:
        return self._take(at, 1, "command parameter")[0]

    def _init(self, at: int) -> int:
        self.state = _State()
        return 0

    def _align(self, at: int) -> int:
        code = self._param(at)
        code = code - 48 if code >= 48 else code
        if code not in ALIGN_BY_CODE:
            raise EscPosDecodeError(f"invalid ESC a value {code}", self.pos)
        self.state.align = ALIGN_BY_CODE[code]
        return 1

    def _bold(self, at: int) -> int:
        self.state.bold = bool(self._param(at) & 1)
        return 1

    def _print_mode(self, at: int) -> int:
        mode = self._param(at)
        self.state.bold = bool(mode & 0x08)
        self.state.height = 2 if mode & 0x10 else 1
        self.state.width = 2 if mode & 0x20 else 1
        return 1

    def _char_size(self, at: int) -> int:
        size = self._param(at)
        self.state.width = (size >> 4 & 0x07) + 1
        self.state.height = (size & 0x07) + 1
        return 1

    def _feed(self, at: int) -> int:
        lines = self._param(at)
        had_text = bool(self.state.runs)
        self._end_line(feed_if_empty=0)
        # a printed line already advances the paper by one line
        remaining = lines - 1 if had_text else lines
        if remaining > 0:
            self.out.append(DecodedFeed(remaining))
        return 1

    def _feed_dots(self, at: int) -> int:
        self._end_line(feed_if_empty=0)
        self.out.append(DecodedFeed(0, self._param(at)))
        return 1

    def _bit_image(self, at: int) -> int:
        head = self._take(at, 3, "ESC * command")
        mode, width = head[0], head[1] | head[2] << 8
        if mode not in (32, 33):
            raise EscPosDecodeError(f"unsupported ESC * mode {mode} (only 24-dot)", self.pos)
        columns = self._take(at + 3, 3 * width, "ESC * image")
        if mode == 32:  # single density: every column is two dots wide
            columns = b"".join(columns[i : i + 3] * 2 for i in range(0, len(columns), 3))
        if not self.state.runs:
            self.state.line_align = self.state.align
        self.state.runs.append(InlineImage(len(columns) // 3, columns))
        return 3 + 3 * width

    def _raster(self, at: int) -> int:
        head = self._take(at, 6, "GS v 0 command")
        if head[0] != ord("0") or head[1] not in (0, 48):
            raise EscPosDecodeError("unsupported GS v mode (only normal size)", self.pos)
        width_bytes, height = head[2] | head[3] << 8, head[4] | head[5] << 8
        data = self._take(at + 6, width_bytes * height, "GS v 0 image")
        self._end_line(feed_if_empty=0)
        self.out.append(DecodedImage(width_bytes, height, data, self.state.align))
        return 6 + len(data)

    def _chinese(self, on: bool) -> int:
        self.state.chinese = on
        return 0

    def _cut(self, at: int) -> int:
        mode = self._param(at)
        if mode in (0, 1, 48, 49):
            feed, length = 0, 1
        elif mode in (65, 66, 97, 98, 103, 104):
            feed, length = self._param(at + 1), 2
        else:
            raise EscPosDecodeError(f"invalid GS V mode {mode}", self.pos)
        self._end_line(feed_if_empty=0)
        self.out.append(DecodedCut(partial=mode in PARTIAL_CUTS, feed_dots=feed))
        return length

    def _gs_paren(self, at: int) -> int:
        head = self._take(at, 3, "GS ( command")
        size = head[1] | head[2] << 8
        body = self._take(at + 3, size, "GS ( command")
        if head[0] == ord("k") and size >= 2 and body[0] == QR_CODE_TYPE:
            self._qr_function(body[1], body[2:])
        return 3 + size

    def _qr_function(self, fn: int, args: bytes) -> None:
        state = self.state
        if fn == 67 and args:
            state.qr_size = args[0]
        elif fn == 69 and args:
            state.qr_level = QR_ERROR_LEVELS.get(args[0], state.qr_level)
        elif fn == 80 and args:
            state.qr_data = args[1:]
        elif fn == 81 and state.qr_data:
            self._end_line(feed_if_empty=0)
            data = state.qr_data.decode("utf-8", errors="replace")
            self.out.append(DecodedQR(data, state.qr_size, state.qr_level, state.align))


_HANDLERS: dict[tuple[int, int], Callable[[_Decoder, int], int]] = {
    (ESC, ord("@")): _Decoder._init,
    (ESC, ord("a")): _Decoder._align,
    (ESC, ord("E")): _Decoder._bold,
    (ESC, ord("!")): _Decoder._print_mode,
    (ESC, ord("d")): _Decoder._feed,
    (ESC, ord("J")): _Decoder._feed_dots,
    (ESC, ord("*")): _Decoder._bit_image,
    (GS, ord("v")): _Decoder._raster,
    (GS, ord("!")): _Decoder._char_size,
    (GS, ord("V")): _Decoder._cut,
    (GS, ord("(")): _Decoder._gs_paren,
    (FS, ord("&")): lambda self, at: self._chinese(True),
    (FS, ord(".")): lambda self, at: self._chinese(False),
}


def decode_escpos(data: bytes) -> list[Decoded]:
    """Decode ESC/POS bytes; raises EscPosDecodeError on truncated or unknown data."""
    return _Decoder(data).run()


def decoded_text(data: bytes) -> str:
    """All printed text lines, joined by newlines."""
    return "\n".join(item.text for item in decode_escpos(data) if isinstance(item, DecodedText))
