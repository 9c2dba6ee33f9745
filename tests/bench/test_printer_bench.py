"""Receipt benchmark: bytes on the wire and time to print through the virtual serial printer.

Run with ``make bench`` (or ``pytest -q tests/bench/test_printer_bench.py -s``). Times are
measured through pyserial on a pseudo-terminal to the virtual printer pacing bytes at the
baud rate, and reported with ratios to the native receipt measured in the same run.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from pathlib import Path

import pytest
from escpos.printer import Dummy

from device.printer import (
    LinkPrinter,
    PrinterProfile,
    PrintWorker,
    QRCode,
    ReceiptLayout,
    Spool,
    Text,
    VirtualEscPosPrinter,
    decode_escpos,
    encode_as_image,
    encode_receipt,
    get_profile,
    make_link,
)
from kiosk.cli_receipt import sample_submission
from kiosk.receipt import HallText, submission_receipt
from kiosk.wiring import build_glyphs
from sync.store import Store, SubmissionDraft

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
HALL = HallText("幸福里社区", "幸福里社区说事厅", "0716-1234567")
PROFILES = ("generic-58-gb18030", "generic-80-gb18030", "raster-80")
BAUDS = (9600, 115200)
FIRST_BYTE_RUNS = 20
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="CJK font not installed")


def _layout(profile: PrinterProfile) -> ReceiptLayout:
    now = datetime(2025, 3, 15, 9, 30).astimezone()
    return submission_receipt(sample_submission(now), HALL, columns=profile.columns)


def _python_escpos(layout: ReceiptLayout, profile: PrinterProfile) -> bytes:
    """The same receipt with python-escpos's plain text() and qr() calls."""
    from device.printer import encode_escpos
    from device.printer.decode import DecodedText

    printer = Dummy()
    native = encode_escpos(layout, profile)
    for item in decode_escpos(native):
        if isinstance(item, DecodedText):
            printer.text(item.text + "\n")
    qr = next(item for item in layout.elements if isinstance(item, QRCode))
    printer.qr(qr.data, size=qr.module_size)  # python-escpos default: an image QR
    printer.cut()
    return bytes(printer.output)


def _time_to_print(data: bytes, baud: int, profile: PrinterProfile) -> float:
    with VirtualEscPosPrinter(baud=baud) as virtual:
        link = make_link("serial", virtual.serve_pty(), baudrate=baud, timeout=120)
        printer = LinkPrinter(link, profile, status_timeout=1.0)
        start = time.monotonic()
        outcome = printer.send(data, "bench")
        assert outcome.ok, outcome.detail
        assert virtual.wait_for_jobs(1, timeout=600)
        assert virtual.jobs[0] == data
        return virtual.job_times[0] - start


def _row(name: str, size: int, base: int, times: dict[int, float],
         base_times: dict[int, float]) -> str:
    cells = [f"{name:<34}", f"{size:>8,}", f"{size / base:>7.2f}x"]
    for baud in BAUDS:
        cells.append(f"{times[baud]:>8.2f} s ({times[baud] / base_times[baud]:>6.2f}x)")
    return " | ".join(cells)


def test_receipt_bytes_and_print_times() -> None:
    glyphs = build_glyphs(FONT)
    lines = [f"{'receipt':<34} | {'bytes':>8} | {'vs ours':>8} | "
             + " | ".join(f"{baud:>6} baud (vs ours)" for baud in BAUDS)]
    for name in PROFILES:
        profile = get_profile(name)
        layout = _layout(profile)
        variants = {
            "ours": encode_receipt(layout, profile, glyphs),
            "all-image": encode_as_image(layout, profile, glyphs),
            "python-escpos text()+qr()": _python_escpos(layout, profile),
        }
        sizes: dict[str, int] = {}
        times: dict[str, dict[int, float]] = {}
        for variant, data in variants.items():
            sizes[variant] = len(data)
            if variant != "ours" and data == variants["ours"]:
                times[variant] = times["ours"]  # same bytes (the raster profile): not re-timed
                continue
            times[variant] = {baud: _time_to_print(data, baud, profile) for baud in BAUDS}
        lines.append(f"-- {name}")
        for variant in variants:
            lines.append(_row(f"   {variant}", sizes[variant], sizes["ours"], times[variant],
                              times["ours"]))
        if profile.has_chinese_font:
            assert sizes["ours"] <= 1500
            assert sizes["all-image"] >= 10 * sizes["ours"]
            assert sizes["ours"] <= sizes["python-escpos text()+qr()"]
    print("\n" + "\n".join(lines))


def test_first_byte_on_the_wire_after_commit(tmp_path: Path) -> None:
    profile = get_profile("generic-80-gb18030")
    glyphs = build_glyphs(FONT)
    store = Store(tmp_path / "kiosk.db")
    delays: list[float] = []
    with VirtualEscPosPrinter(baud=115200) as virtual:
        link = make_link("serial", virtual.serve_pty(), baudrate=115200, timeout=5)
        printer = LinkPrinter(link, profile, status_timeout=0.5)
        worker = PrintWorker(Spool(tmp_path / "spool"), printer,
                             lambda layout: encode_receipt(layout, profile, glyphs))
        worker.start()
        try:
            for n in range(FIRST_BYTE_RUNS):
                virtual.first_byte_at = None
                stored = store.record_submission(
                    SubmissionDraft(category="环境卫生", description=f"第{n}件"), "0042")
                committed = time.monotonic()
                worker.submit(f"receipt-{stored.ticket}",
                              submission_receipt(stored, HALL, columns=profile.columns),
                              stored.ticket)
                assert virtual.wait_for_jobs(n + 1)
                assert virtual.first_byte_at is not None
                delays.append(virtual.first_byte_at - committed)
        finally:
            worker.close()
            store.close()
    median, worst = statistics.median(delays), max(delays)
    print(f"\nfirst byte on the wire after the commit ({FIRST_BYTE_RUNS} receipts, 115200 baud "
          f"pty): median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms (target 50 ms)")


def test_text_only_sanity() -> None:
    # the bench's own check that encode_receipt is what the kiosk sends
    profile = get_profile("generic-58-gb18030")
    data = encode_receipt(ReceiptLayout((Text("说事"),)), profile, build_glyphs(FONT))
    assert data.startswith(b"\x1b@\x1c&")
