"""The steps after the phrase at the real screen, tapped with real X pointer events: a voice
note from the (WAV) microphone, the place from the hall's 楼栋 and 单元, a phone on the big
keypad read back digit by digit with its consent said and shown, 公开; then it reaches the
real centre, the recording byte for byte, and leaves the kiosk."""

from __future__ import annotations

import resource
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import CentralServer, shuoshi
from tests.kiosk_driver import Kiosk
from tests.test_ui_elderly import check_screen, said, write_config

pytestmark = [pytest.mark.ui,
              pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                 reason="the microphone hears an espeak-ng voice")]

PHONE = "13912345678"


def _resident_voice(folder: Path) -> Path:
    """What the WAV microphone hears: a resident's sentence in a real Mandarin voice."""
    path = folder / "resident.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(path),
                    "三号楼二单元门口的下水道堵了，味道很大，请派人来看看。"],
                   check=True, timeout=60)
    return path


def _stored(db: Path) -> tuple[object, ...]:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT ticket, place, contact_phone, masked_phone, public, "
                           "voice_path, voice_sha256 FROM submissions").fetchone()
    return tuple(row)


def test_voice_place_phone_and_public_reach_the_centre_then_leave_the_kiosk(
        tmp_path: Path, server: CentralServer, kiosk_key: str, display: str) -> None:
    config = write_config(tmp_path, server_url=server.url, key=kiosk_key)
    with config.open("a", encoding="utf-8") as f:
        f.write(f'\n[microphone]\nkind = "wav"\ndevice = "{_resident_voice(tmp_path)}"\n')
    shots = tmp_path / "shots"
    stray = tmp_path / "voice" / "left-by-a-power-cut.wav"  # recorded, never submitted
    stray.parent.mkdir()
    stray.write_bytes(b"RIFF")
    kiosk = Kiosk(config, display, tmp_path)
    try:
        for _ in range(100):  # deleted at start-up: nobody will ever send it
            if not stray.exists():
                break
            time.sleep(0.1)
        assert not stray.exists()
        kiosk.tap("我要说事")
        kiosk.wait_screen("category")
        kiosk.choose("环境卫生")
        kiosk.wait_screen("phrase")
        kiosk.tap("楼道堆放杂物")
        more = kiosk.wait_screen("more")
        assert "还想自己说几句吗？" in more["spoken"]
        assert "有：手写，拼音打字，说给我听，不用了。" in more["spoken"]  # every choice named
        check_screen(kiosk, 7, shots)

        kiosk.choose("说给我听")
        voice = kiosk.wait_screen("voice")
        assert "请点开始说话" in said(voice)
        check_screen(kiosk, 7, shots)
        kiosk.tap("开始说话")
        time.sleep(2.5)
        listening = kiosk.report()
        assert any(i["text"].startswith("正在听") for i in listening["items"])
        kiosk.tap("停止")
        time.sleep(1)
        recorded = kiosk.settled()
        assert any(i["text"].startswith("录好了") for i in recorded["items"])
        assert any(t.startswith("录好了。") for t in recorded["spoken"])
        check_screen(kiosk, 7, shots)
        kiosk.tap("好了")

        kiosk.wait_screen("place")
        check_screen(kiosk, 7, shots)
        kiosk.choose("3号楼")
        unit = kiosk.wait_screen("unit")
        assert any(i["text"] == "3号楼的哪个单元？" for i in unit["items"])
        kiosk.tap("2单元")

        contact = kiosk.wait_screen("contact")
        consent = "电话只用于工作人员回访，回执上会隐去中间四位，送到街道以后本机马上删除。"
        assert consent in contact["spoken"]  # consent said …
        assert any(i["text"].startswith("电话只用于回访") for i in contact["items"])  # … and shown
        assert any(i["text"] == "匿名" for i in contact["items"])  # one tap away
        check_screen(kiosk, 7, shots)
        kiosk.tap("留电话")
        kiosk.wait_screen("phone")
        for digit in PHONE[:10]:
            kiosk.tap(digit)
            time.sleep(0.45)
        kiosk.tap("确定")  # ten digits: not a number yet
        time.sleep(1)
        assert "手机号码是1开头的11位数字，请输完整。" in kiosk.settled()["spoken"]
        kiosk.tap(PHONE[-1])
        time.sleep(0.45)
        kiosk.tap("确定")
        time.sleep(1)
        read_back = kiosk.settled()
        assert "您输入的号码是：" in read_back["spoken"]
        assert "幺三九，幺二三四，五六七八。" in read_back["spoken"]  # digit by digit
        assert any(i["text"] == "139 1234 5678" for i in read_back["items"])
        check_screen(kiosk, 7, shots)
        kiosk.tap("确定")  # heard it: taken

        name = kiosk.wait_screen("name")
        assert "姓名只给工作人员回访时用。" in name["spoken"]
        kiosk.tap("写姓名")
        kiosk.wait_screen("write")
        kiosk.tap("拼音")  # the name in pinyin this time
        time.sleep(1)
        for letter in "WANG":
            kiosk.tap(letter)
            time.sleep(0.3)
        kiosk.settled()
        kiosk.tap("王")
        time.sleep(0.5)
        assert "王" in kiosk.settled()["spoken"]  # a chosen word is said
        kiosk.tap("好了")
        public = kiosk.wait_screen("public")
        assert any(i["text"] == "不公开" for i in public["items"])
        kiosk.tap("公开")

        confirm = kiosk.wait_screen("confirm")
        check_screen(kiosk, 7, shots)
        details = next(i["text"] for i in confirm["items"] if i["text"].startswith("地点："))
        assert "3号楼2单元" in details and "139****5678" in details and "公开" in details
        assert "录音" in details and PHONE not in details and "王 139****5678" in details
        spoken = said(confirm)
        assert "地点：3号楼2单元。已留姓名。联系电话：139****5678。" in spoken
        read_back = next(t for t in reversed(confirm["spoken"]) if t.startswith("类别："))
        assert "王" not in read_back  # a name is shown, never read back aloud
        assert PHONE not in spoken and "公开，邻居可以看到和附议。" in spoken
        kiosk.tap("提交")
        kiosk.wait_screen("done")
    finally:
        kiosk.stop()

    ticket, place, phone, masked, public_flag, voice_path, sha = _stored(tmp_path / "kiosk.db")
    assert (place, phone, masked, public_flag) == ("3号楼2单元", PHONE, "139****5678", 1)
    recording = Path(str(voice_path)).read_bytes()
    assert recording[:4] == b"RIFF" and len(recording) > 16_000  # more than half a second

    assert shuoshi("sync", "--once", "--config", str(config)).returncode == 0
    assert (server.attachments / str(sha)).read_bytes() == recording  # byte for byte
    assert server.rows(f"SELECT place, contact_name, contact_phone, public, voice_sha256 FROM "
                       f"central_submissions WHERE ticket = '{ticket}'") == [
        ("3号楼2单元", "王", PHONE, 1, sha)]
    _, _, phone, masked, _, kept_path, _ = _stored(tmp_path / "kiosk.db")
    assert (phone, kept_path, masked) == (None, None, "139****5678")  # purged, mask kept
    assert not Path(str(voice_path)).exists()  # the recording is gone from the kiosk
    assert list(Path(str(voice_path)).parent.iterdir()) == []


def test_an_idle_reset_deletes_a_recording_and_no_microphone_offers_no_voice(
        tmp_path: Path, display: str) -> None:
    config = write_config(tmp_path, screen="idle_seconds = 6\nidle_warning_seconds = 3")
    with config.open("a", encoding="utf-8") as f:
        f.write(f'\n[microphone]\nkind = "wav"\ndevice = "{_resident_voice(tmp_path)}"\n')
    kiosk = Kiosk(config, display, tmp_path)
    try:
        kiosk.tap("我要说事")
        kiosk.wait_screen("category")
        kiosk.choose("其他")
        kiosk.wait_screen("more")
        kiosk.tap("不用了")
        kiosk.wait_screen("place")
        kiosk.choose("车棚")
        kiosk.wait_screen("contact")
        kiosk.tap("返回")
        kiosk.wait_screen("place")
        kiosk.tap("返回")
        kiosk.wait_screen("more")
        kiosk.tap("不用了")  # forward again: the place chosen is kept, shown and said
        again = kiosk.wait_screen("place")
        assert any(i["text"] == "已选：车棚" for i in again["items"])
        assert "已选：车棚" in again["spoken"]
        kiosk.tap("返回")
        kiosk.wait_screen("more")
        kiosk.choose("说给我听")
        kiosk.wait_screen("voice")
        kiosk.tap("开始说话")
        time.sleep(1.5)
        kiosk.tap("停止")
        time.sleep(1)
        assert len(list((tmp_path / "voice").glob("*.wav"))) == 1
        kiosk.wait_screen("idle-warning", timeout=20)
        kiosk.wait_screen("home", timeout=20)  # the resident walked away
        assert list((tmp_path / "voice").glob("*")) == []  # and their voice went with them
    finally:
        kiosk.stop()

    text = config.read_text(encoding="utf-8")  # the same kiosk without a microphone
    config.write_text(text.replace('kind = "wav"', 'kind = "none"'), encoding="utf-8")
    (tmp_path / "again").mkdir()  # a fresh report file: not the last kiosk's home screen
    kiosk = Kiosk(config, display, tmp_path / "again")
    try:
        kiosk.tap("我要说事")
        kiosk.wait_screen("category")
        kiosk.choose("其他")
        more = kiosk.wait_screen("more")
        offered = [i["text"] for i in more["items"] if i["kind"] == "button"]
        assert "手写" in offered and "说给我听" not in offered
    finally:
        kiosk.stop()


def _count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM submissions").fetchone()[0])


def test_a_full_disk_at_submit_is_said_and_shown_and_loses_nothing(
        tmp_path: Path, display: str) -> None:
    kiosk = Kiosk(write_config(tmp_path), display, tmp_path)
    try:
        kiosk.tap("我要说事")  # one issue stored as ever
        kiosk.wait_screen("category")
        kiosk.choose("其他")
        kiosk.skip_details()
        kiosk.tap("提交")
        kiosk.wait_screen("done")
        kiosk.tap("完成")
        kiosk.wait_screen("home")
        kiosk.tap("我要说事")
        kiosk.wait_screen("category")
        kiosk.choose("环境卫生")
        kiosk.wait_screen("phrase")
        kiosk.tap("楼道堆放杂物")
        kiosk.skip_details()

        # No file of the kiosk may grow past what the store's log holds now: its next write
        # fails in the kernel (EFBIG), as on a disk with no room left.
        wal = tmp_path / "kiosk.db-wal"
        room = wal.stat().st_size
        resource.prlimit(kiosk.proc.pid, resource.RLIMIT_FSIZE, (room, resource.RLIM_INFINITY))
        kiosk.tap("提交")
        time.sleep(1.5)
        refused = kiosk.settled()
        assert refused["screen"] == "confirm"
        message = "暂时存不下，请稍后再试或找工作人员。您填写的内容还在。"
        assert any(i["text"] == message for i in refused["items"])  # shown …
        assert message in refused["spoken"]  # … and said
        assert any("楼道堆放杂物" in i["text"] for i in refused["items"])  # nothing lost
        assert "NOT SAVED" in kiosk.output() and _count(tmp_path / "kiosk.db") == 1

        resource.prlimit(kiosk.proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        kiosk.tap("提交")  # room again: the same submission goes in
        kiosk.wait_screen("done")
    finally:
        kiosk.stop()
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        rows = conn.execute("SELECT category, description FROM submissions "
                            "ORDER BY ticket").fetchall()
    assert rows[1:] == [("环境卫生", "楼道堆放杂物")] and len(rows) == 2
