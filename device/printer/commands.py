"""Lengths of ESC/POS commands the decoder skips without rendering them.

Keys are the command bytes after the prefix (ESC, GS, FS or DLE); values are the
number of fixed parameter bytes that follow. Variable-length commands are sized by
``variable_length``. Source: Epson ESC/POS Application Programming Guide.
"""

from __future__ import annotations

from collections.abc import Callable

ESC_FIXED: dict[int, int] = {
    **dict.fromkeys(b"\x0c2<@LSimv", 0),
    **dict.fromkeys(b" %-3=?GJMRTVUeKrtu{", 1),
    **dict.fromkeys(b"$\\c", 2),
    ord("p"): 3,
    ord("W"): 8,
}
GS_FIXED: dict[int, int] = {
    **dict.fromkeys(b":", 0),
    **dict.fromkeys(b"/BEHIabfhrwTj", 1),
    **dict.fromkeys(b"$LPW\\", 2),
    ord("^"): 3,
}
FS_FIXED: dict[int, int] = {
    **dict.fromkeys(b"&.", 0),
    **dict.fromkeys(b"!-CW", 1),
    **dict.fromkeys(b"Sp?", 2),
    ord("2"): 2 + 72,  # FS 2 c1 c2 + a 24x24 user-defined glyph
}
DLE_FIXED: dict[int, int] = {0x04: 1, 0x05: 1, 0x14: 3}

LengthFn = Callable[[bytes, int], int]


def _nul_terminated(data: bytes, start: int) -> int:
    end = data.find(b"\0", start)
    return -1 if end < 0 else end + 1 - start


def _esc_bit_image(data: bytes, start: int) -> int:
    # ESC * m nL nH d1..dk: k = n for 8-dot modes, 3n for 24-dot modes
    if start + 3 > len(data):
        return -1
    m, n = data[start], data[start + 1] | data[start + 2] << 8
    return 3 + (n * 3 if m in (32, 33) else n)


def _paren_length(data: bytes, start: int) -> int:
    # ESC/FS/GS ( fn pL pH ...: these commands carry their own length
    if start + 3 > len(data):
        return -1
    return 3 + (data[start + 1] | data[start + 2] << 8)


def _gs_raster(data: bytes, start: int) -> int:
    # GS v 0 m xL xH yL yH d1..dk: k = x bytes * y rows
    if start + 6 > len(data):
        return -1
    x = data[start + 2] | data[start + 3] << 8
    y = data[start + 4] | data[start + 5] << 8
    return 6 + x * y


def _gs_8l(data: bytes, start: int) -> int:
    # GS 8 L p1 p2 p3 p4 ...: 32-bit little-endian length
    if start + 5 > len(data):
        return -1
    return 5 + int.from_bytes(data[start + 1 : start + 5], "little")


def _gs_define_image(data: bytes, start: int) -> int:
    # GS * x y d1..dk: k = x * y * 8
    if start + 2 > len(data):
        return -1
    return 2 + data[start] * data[start + 1] * 8


def _gs_barcode(data: bytes, start: int) -> int:
    # GS k m: m 0..6 is NUL-terminated; m 65..79 is followed by n and n bytes
    if start + 1 > len(data):
        return -1
    if data[start] <= 6:
        rest = _nul_terminated(data, start + 1)
        return -1 if rest < 0 else 1 + rest
    if start + 2 > len(data):
        return -1
    return 2 + data[start + 1]


ESC_VARIABLE: dict[int, LengthFn] = {
    ord("*"): _esc_bit_image,
    ord("D"): _nul_terminated,
    ord("("): _paren_length,
}
GS_VARIABLE: dict[int, LengthFn] = {
    ord("("): _paren_length,
    ord("v"): _gs_raster,
    ord("8"): _gs_8l,
    ord("*"): _gs_define_image,
    ord("k"): _gs_barcode,
}

FS_VARIABLE: dict[int, LengthFn] = {ord("("): _paren_length}


def parameter_length(prefix: int, command: int, data: bytes, start: int) -> int | None:
    """Bytes of parameters after ``prefix command`` at ``start``.

    Returns None for an unknown command and -1 when the length cannot be read.
    """
    fixed = {0x1B: ESC_FIXED, 0x1D: GS_FIXED, 0x1C: FS_FIXED, 0x10: DLE_FIXED}[prefix]
    if command in fixed:
        return fixed[command]
    variable = {0x1B: ESC_VARIABLE, 0x1D: GS_VARIABLE, 0x1C: FS_VARIABLE}.get(prefix, {})
    if command in variable:
        return variable[command](data, start)
    return None
