"""Handwriting (手写): one character at a time, recognised offline by zinnia over ctypes.

The Debian packages `libzinnia0` (the engine) and `tegaki-zinnia-simplified-chinese` (the
model) provide everything; when either is missing the kiosk offers only the pinyin keyboard.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

Point = tuple[float, float]
Stroke = Sequence[Point]

DEFAULT_MODEL = Path("/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model")
LIBRARY = "libzinnia.so.0"
# zinnia takes integer coordinates; the model was trained on characters in a square box.
_BOX = 1000
_FILL = 0.6  # of the box the ink fills: best over the test stroke set (0.4 to 1.0 tried)
_SMALLEST_MARK = 0.3  # of the pad's shorter side
_MIN_GAP = 8  # box units (Manhattan) between points passed on


class HandwritingUnavailable(RuntimeError):
    """The recognition library or its model is missing; the message says which."""


def _load_library() -> ctypes.CDLL:
    name = ctypes.util.find_library("zinnia") or LIBRARY
    try:
        lib = ctypes.CDLL(name)
    except OSError as error:
        raise HandwritingUnavailable(
            f"handwriting library {LIBRARY} not found ({error}); install the Debian package "
            "libzinnia0") from error
    p = ctypes.c_void_p
    signatures: dict[str, tuple[list[type], type | None]] = {
        "zinnia_recognizer_new": ([], p),
        "zinnia_recognizer_destroy": ([p], None),
        "zinnia_recognizer_open": ([p, ctypes.c_char_p], ctypes.c_int),
        "zinnia_recognizer_close": ([p], ctypes.c_int),
        "zinnia_recognizer_strerror": ([p], ctypes.c_char_p),
        "zinnia_recognizer_classify": ([p, p, ctypes.c_size_t], p),
        "zinnia_character_new": ([], p),
        "zinnia_character_destroy": ([p], None),
        "zinnia_character_set_width": ([p, ctypes.c_size_t], None),
        "zinnia_character_set_height": ([p, ctypes.c_size_t], None),
        "zinnia_character_clear": ([p], None),
        "zinnia_character_add": ([p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int],
                                 ctypes.c_int),
        "zinnia_result_value": ([p, ctypes.c_size_t], ctypes.c_char_p),
        "zinnia_result_size": ([p], ctypes.c_size_t),
        "zinnia_result_destroy": ([p], None),
    }
    for function, (argtypes, restype) in signatures.items():
        fn = getattr(lib, function)
        fn.argtypes = argtypes
        fn.restype = restype
    return lib


def to_box(strokes: Sequence[Stroke], width: float, height: float) -> list[list[tuple[int, int]]]:
    """Pad coordinates (y down) to zinnia's square box, the ink centred and scaled to fill it.

    The model knows characters that fill their box; residents write smaller, off centre, on
    a pad that need not be square. Scaling by the ink's longer side keeps the shape; a mark
    smaller than a third of the pad (a dot) is not blown up to the whole box.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"pad size must be positive, got {width} x {height}")
    points = [point for stroke in strokes for point in stroke]
    if not points:
        return []
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), _SMALLEST_MARK * min(width, height))
    scale = _BOX * _FILL / span
    cx = (max(xs) + min(xs)) / 2
    cy = (max(ys) + min(ys)) / 2
    middle = _BOX / 2
    boxed = [[(round(middle + (x - cx) * scale), round(middle + (y - cy) * scale))
              for x, y in stroke] for stroke in strokes if len(stroke) > 0]
    return [_thinned(stroke) for stroke in boxed]


def _thinned(stroke: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Points closer than _MIN_GAP to the last one kept dropped (the ends kept).

    A fast touch panel reports hundreds of points a stroke; zinnia's time grows with them
    while the corners it reads off each stroke do not change.
    """
    kept = [stroke[0]]
    for x, y in stroke[1:-1]:
        if abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= _MIN_GAP:
            kept.append((x, y))
    if len(stroke) > 1:
        kept.append(stroke[-1])
    return kept


class Recogniser:
    """A zinnia recogniser with its model open; one call at a time (a lock guards it)."""

    def __init__(self, model: Path = DEFAULT_MODEL) -> None:
        model = Path(model)
        if not model.is_file():
            raise HandwritingUnavailable(
                f"handwriting model not found at {model}; install the Debian package "
                "tegaki-zinnia-simplified-chinese or set [input] handwriting_model")
        self._lib = _load_library()
        self._lock = threading.Lock()
        self._recognizer: int | None = self._lib.zinnia_recognizer_new()
        if not self._lib.zinnia_recognizer_open(self._recognizer, str(model).encode()):
            reason = (self._lib.zinnia_recognizer_strerror(self._recognizer) or b"").decode(
                errors="replace")
            self._lib.zinnia_recognizer_destroy(self._recognizer)
            self._recognizer = None
            raise HandwritingUnavailable(f"handwriting model {model} cannot be opened: {reason}")
        self._character: int | None = self._lib.zinnia_character_new()

    def candidates(self, strokes: Sequence[Stroke], width: float, height: float,
                   limit: int = 10) -> list[str]:
        """The likely characters for these strokes, best first; none for an empty pad."""
        boxed = to_box(strokes, width, height)
        if not boxed or limit <= 0:
            return []
        lib = self._lib
        with self._lock:
            if self._recognizer is None or self._character is None:
                raise RuntimeError("recogniser is closed")
            character = self._character
            lib.zinnia_character_clear(character)
            lib.zinnia_character_set_width(character, _BOX)
            lib.zinnia_character_set_height(character, _BOX)
            for index, stroke in enumerate(boxed):
                for x, y in stroke:
                    lib.zinnia_character_add(character, index, x, y)
            result = lib.zinnia_recognizer_classify(self._recognizer, character, limit)
            if not result:
                return []
            try:
                size = lib.zinnia_result_size(result)
                return [lib.zinnia_result_value(result, i).decode() for i in range(size)]
            finally:
                lib.zinnia_result_destroy(result)

    def close(self) -> None:
        with self._lock:
            if self._character is not None:
                self._lib.zinnia_character_destroy(self._character)
                self._character = None
            if self._recognizer is not None:
                self._lib.zinnia_recognizer_close(self._recognizer)
                self._lib.zinnia_recognizer_destroy(self._recognizer)
                self._recognizer = None

    def __enter__(self) -> Recogniser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_recogniser(model_setting: str) -> Recogniser | None:
    """The recogniser for the configured model ("" = Debian's), or None with the reason logged."""
    model = Path(model_setting) if model_setting else DEFAULT_MODEL
    try:
        return Recogniser(model)
    except HandwritingUnavailable as error:
        log.warning("handwriting not offered: %s", error)
        return None
