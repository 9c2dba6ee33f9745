"""Receipts the kiosk prints, 提交 through the print queue, and the receipt/printer commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from device.printer import (
    DecodedCut,
    DecodedQR,
    DecodedText,
    PrinterState,
    VirtualPrinter,
    decode_escpos,
    decoded_text,
    encode_receipt,
    get_profile,
    render_png,
)
from device.speech import make_speech_service
from kiosk.config import load_config
from kiosk.intake import Intake
from kiosk.receipt import (
    BookEntry,
    HallText,
    next_say_day,
    printer_test_page,
    queue_slip,
    record_book,
    submission_receipt,
    support_receipt,
)
from kiosk.wiring import build_glyphs, build_print_worker, hall_info
from sync.contract.protocol import Step
from sync.contract.ticket import group, make_ticket
from sync.privacy import mask_phone
from sync.store import Store, StoredSubmission, StoredSupport, SubmissionDraft
from tests.conftest import shuoshi

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="CJK font not installed")
HALL = HallText("幸福里社区", "幸福里社区说事厅", "0716-1234567")
WHEN = datetime(2025, 3, 15, 9, 30).astimezone()


def _sub(**changes: object) -> StoredSubmission:
    fields: dict[str, object] = dict(
        uuid="u", ticket=make_ticket("0042", 7), kiosk_code="0042", category="安全隐患",
        description="电动车充电线从五楼窗户垂下来，晚上有人在楼下充电，很危险，请尽快处理。",
        place="7栋3单元", contact_phone="13812345678", masked_phone="138****5678",
        created_at=WHEN, step=Step.SAY, step_note="", acknowledged=False)
    fields.update(changes)
    return StoredSubmission(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("profile_name", ["generic-58-gb18030", "generic-80-gb18030"])
def test_submission_receipt_carries_everything_and_no_phone(
    profile_name: str, tmp_path: Path
) -> None:
    profile = get_profile(profile_name)
    sub = _sub()
    data = encode_receipt(submission_receipt(sub, HALL, columns=profile.columns), profile,
                          build_glyphs(FONT))
    text = decoded_text(data)

    for expected in ("幸福里社区", "幸福里社区说事厅", "说事回执", group(sub.ticket),
                     "2025-03-15 09:30", "安全隐患", "电动车充电线", "7栋3单元", "138****5678",
                     "【说事】", "理事", "查事", "0716-1234567", "3月25日", "不会公开"):
        assert expected in text, expected
    assert "13812345678" not in text and "12345678" not in text.replace("0716-1234567", "")
    assert ("……" in text) is (profile.columns == 32)  # the first lines only, on 58 mm
    assert len(data) <= 1500
    items = decode_escpos(data)
    assert DecodedQR(sub.ticket, 6, "M", "center") in items
    ticket_line = next(i for i in items if getattr(i, "text", "") == group(sub.ticket))
    assert ticket_line.scale == (3 if profile.columns >= 36 else 2)  # type: ignore[union-attr]
    png = render_png(data, build_glyphs(FONT), tmp_path / "r.png", profile.paper_dots)
    with Image.open(png) as paper:
        assert [c.text for c in zxingcpp.read_barcodes(paper)] == [sub.ticket]


@pytest.mark.parametrize("profile_name", ["generic-58-gb18030", "generic-80-gb18030",
                                          "epson-tm-t82iii-cn", "epson-tm-t88-cn"])
def test_hotline_say_day_and_ticket_are_big_and_the_look_up_line_bold(profile_name: str) -> None:
    profile = get_profile(profile_name)
    support = StoredSupport(uuid="s", support_ticket=make_ticket("0042", 8),
                            ticket=make_ticket("0042", 7), kiosk_code="0042", category="安全隐患",
                            description="电动车充电线从五楼窗户垂下来", step=Step.SORT,
                            masked_phone="138****5678", created_at=WHEN, acknowledged=False)
    for layout, ticket in ((submission_receipt(_sub(), HALL, columns=profile.columns),
                            _sub().ticket),
                           (support_receipt(support, HALL, columns=profile.columns),
                            support.support_ticket)):
        data = encode_receipt(layout, profile, build_glyphs(FONT))
        lines = {line.text: line for line in decode_escpos(data) if isinstance(line, DecodedText)}

        for big in (group(ticket), "0716-1234567", "3月25日"):  # a whole line each, not wrapped
            assert lines[big].scale >= 2 and lines[big].bold, big
        look_up = [line for text, line in lines.items() if text.startswith("查进度")]
        assert look_up and all(line.bold for line in look_up)
        assert lines["或拨打说事热线"].bold and lines["下次说事日（逢五说事）"].bold
        assert len(data) <= 1500  # the real default receipt, with the bigger lines
        with_url = HallText(HALL.community, HALL.name, HALL.hotline,
                            "https://shuoshi.example.gov.cn/t/{ticket}")
        assert len(encode_receipt(submission_receipt(_sub(), with_url, columns=profile.columns),
                                  profile, build_glyphs(FONT))) <= 1500


def test_description_of_a_long_latin_run_starts_beside_its_label() -> None:
    sub = _sub(description="https://example.gov.cn/notice/2025/0315/charging-cables-hanging")
    data = encode_receipt(submission_receipt(sub, HALL, columns=32),
                          get_profile("generic-58-gb18030"), build_glyphs(FONT))
    lines = [item.text for item in decode_escpos(data) if isinstance(item, DecodedText)]

    first = next(line for line in lines if line.startswith("内容："))
    assert first != "内容：" and first.startswith("内容：https://")
    assert "　　　办事→评事→查事" in lines  # the steps' 全角 indent is kept


def test_no_hotline_line_without_a_hotline() -> None:
    layout = submission_receipt(_sub(), HallText("幸福里社区", "幸福里社区说事厅", ""))
    text = decoded_text(encode_receipt(layout, get_profile("generic-80-gb18030"),
                                       build_glyphs(FONT)))

    assert "说事热线" not in text and "3月25日" in text


def test_anonymous_voice_reprint_and_status_url() -> None:
    hall = HallText(HALL.community, HALL.name, HALL.hotline, "https://x.gov.cn/t/{ticket}")
    sub = _sub(description="", contact_phone=None, masked_phone="匿名")
    layout = submission_receipt(sub, hall, voice_seconds=42,
                                reprinted_at=datetime(2025, 3, 16, 10, 5).astimezone())
    data = encode_receipt(layout, get_profile("generic-80-gb18030"), build_glyphs(FONT))
    text = decoded_text(data)

    assert "语音留言 42 秒" in text and "匿名" in text and "补打 2025-03-16 10:05" in text
    qrs = [i.data for i in decode_escpos(data) if isinstance(i, DecodedQR)]
    assert qrs == [f"https://x.gov.cn/t/{sub.ticket}"]  # one QR: the kiosk's and a phone's


def test_mask_phone_and_next_say_day() -> None:
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone(None) == mask_phone("") == "匿名"
    assert next_say_day(date(2025, 3, 15)) == date(2025, 3, 25)
    assert next_say_day(date(2025, 3, 26)) == date(2025, 4, 5)


def test_queue_slip_record_book_and_test_page() -> None:
    glyphs = build_glyphs(FONT)
    profile = get_profile("generic-58-gb18030")
    slip = decoded_text(encode_receipt(queue_slip(7, HALL, waiting=2, now=WHEN, columns=32),
                                       profile, glyphs))
    assert "排队号" in slip and "007" in slip and "前面还有 2 位" in slip

    entries = [BookEntry(make_ticket("0042", n), WHEN, "环境卫生", Step.SORT) for n in (1, 2)]
    book = decoded_text(encode_receipt(
        record_book(entries, HALL, day=WHEN.date(), printed_at=WHEN, columns=32),
        profile, glyphs))
    assert "说事记录簿" in book and "共 2 件" in book
    assert all(group(e.ticket) in book for e in entries) and "理事" in book

    page = encode_receipt(printer_test_page(profile, now=WHEN, device="serial /dev/ttyS0"),
                          profile, glyphs)
    text = decoded_text(page)
    assert "generic-58-gb18030" in text and "GB18030" in text and "32 列" in text
    assert "\ufffc" in text  # the rare characters went out as bitmaps
    assert isinstance(decode_escpos(page)[-1], DecodedCut) is False  # no cutter: feed to tear


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"""
[hall]
kiosk_code = "0042"
[store]
path = "{tmp_path}/kiosk.db"
[printer]
out_dir = "{tmp_path}/receipts"
retry_seconds = 0.05
[speech]
backend = "silent"
out_dir = "{tmp_path}/speech"
""", encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "kiosk.db")
    yield opened
    opened.close()


def test_submit_queues_the_receipt_and_returns_at_once(
    tmp_path: Path, config: Path, store: Store
) -> None:
    cfg = load_config(config)
    speech = make_speech_service("silent", voice="cmn", rate=130, volume=1.0,
                                 work_dir=tmp_path / "w", out_dir=tmp_path / "speech")
    worker = build_print_worker(cfg, FONT)
    assert isinstance(worker.printer, VirtualPrinter)
    worker.printer.state = PrinterState.PAPER_OUT
    worker.start()
    intake = Intake(store, worker, speech, hall_info(cfg))
    try:
        first = intake.submit(SubmissionDraft(category="环境卫生", description="垃圾没有及时清运"))
        assert store.find_by_ticket(first.ticket) is not None  # stored before anything else
        assert intake.wait_printed(10)
        assert worker.spool.counts()["pending"] == 1  # out of paper: kept on disk
        assert intake.printer_report.state is PrinterState.PAPER_OUT

        worker.printer.state = PrinterState.ONLINE
        worker.kick()
        second = intake.submit(SubmissionDraft(category="停车出行", description="小区停车位不够"))
        assert intake.wait_printed(10)
    finally:
        worker.close()
        speech.close()
    for sub in (first, second):
        data = (tmp_path / "receipts" / f"receipt-{sub.ticket}.bin").read_bytes()
        assert group(sub.ticket) in decoded_text(data)
    assert worker.spool.counts() == {"pending": 0, "printing": 0, "held": 0}


def test_receipt_and_printer_commands(tmp_path: Path, config: Path) -> None:
    out, png = tmp_path / "s.bin", tmp_path / "s.png"
    sample = shuoshi("receipt", "sample", "--config", str(config), "--profile", "raster-58",
                     "--out", str(out), "--png", str(png))
    assert sample.returncode == 0, sample.stderr
    assert "profile raster-58" in sample.stdout
    with Image.open(png) as image:
        assert image.width == 384
        assert [c.text for c in zxingcpp.read_barcodes(image)] == ["0001000015"]

    made = shuoshi("submit", "--config", str(config), "--category", "环境卫生",
                   "--description", "楼道堆放杂物", "--phone", "13900001111")
    assert made.returncode == 0, made.stderr
    ticket = made.stdout.split()[1]
    assert f"printed receipt-{ticket}" in made.stdout
    assert "13900001111" not in made.stdout + made.stderr
    refused = shuoshi("submit", "--config", str(config), "--category", "环境卫生",
                      "--description", "楼道堆放杂物", "--phone", "1390000111", "--name", "王秀兰")
    assert refused.returncode == 2 and refused.stdout.startswith("not stored: contact_phone: ")
    assert "1390000111" not in refused.stdout + refused.stderr  # said what, never echoed

    again = shuoshi("receipt", "print", ticket, "--reprint", "--config", str(config))
    assert again.returncode == 0, again.stdout + again.stderr
    reprint = decoded_text((tmp_path / "receipts" / f"reprint-{ticket}.bin").read_bytes())
    assert "补打" in reprint and "139****1111" in reprint

    mistyped = ticket[:-1] + str((int(ticket[-1]) + 1) % 10)
    wrong = shuoshi("receipt", "print", mistyped, "--config", str(config))
    assert wrong.returncode == 2 and "not a ticket number" in wrong.stdout

    status = shuoshi("printer", "status", "--json", "--config", str(config))
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["state"] == "online" and report["pending"] == 0 and report["held_jobs"] == []

    test = shuoshi("printer", "test", "--config", str(config))
    assert test.returncode == 0 and "test-page" in test.stdout
