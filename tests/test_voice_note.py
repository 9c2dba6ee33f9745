"""The voice note (说给我听): recorded from the WAV microphone with a real espeak-ng voice, the
cap (at most 60 s), the level meter, durable files, discard, and end to end: attached to a
stored submission, synced by the real worker to the real server, played by staff in the
console, and gone from the kiosk after the acknowledgement."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import shutil
import stat
import subprocess
import sys
import threading
import time
import wave
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from device.microphone import (
    CHUNK_BYTES,
    RATE,
    AlsaMicrophone,
    MicrophoneUnavailable,
    SwitchedOffMicrophone,
    WavMicrophone,
    read_as_capture,
    rms_dbfs,
    seconds_of,
)
from device.microphone.wav import Pace
from kiosk.config import load_config
from kiosk.voice_note import (
    HEARD_DBFS,
    MAX_SECONDS,
    VoiceNote,
    VoiceRecorder,
    recorder_from_config,
    referenced_voice_notes,
    sweep_voice_dir,
    voice_dir_of,
)
from sync.models import Submission
from sync.outbox import Outbox
from sync.store import Store, SubmissionDraft
from tests import console_support
from tests.conftest import drain, sync_worker
from tests.console_support import XFL_STAFF, ConsoleSite, signed_in_client
from tests.test_microphone import fake_arecord

console_site = console_support.console_site

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="speech for the microphone comes from espeak-ng")

SAID = "楼道的灯坏了，晚上看不见，老人上下楼很危险"


def _wav_16k(path: Path, pcm: bytes) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return path


def _quiet_room(seconds: float, seed: int = 5) -> bytes:
    """A quiet room through a microphone: faint noise, not digital silence."""
    rng = random.Random(seed)
    noise = array("h", (rng.randint(-40, 40) for _ in range(int(seconds * RATE))))
    if sys.byteorder == "big":
        noise.byteswap()
    return noise.tobytes()


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A resident's sentence in a real Mandarin voice (espeak-ng writes 22,050 Hz)."""
    path = tmp_path_factory.mktemp("speech") / "said.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(path), SAID], check=True, timeout=60)
    return path


@pytest.fixture(scope="module")
def pause_then_speech(speech: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One second of a quiet room, then the sentence."""
    folder = tmp_path_factory.mktemp("pause")
    return _wav_16k(folder / "pause_then_speech.wav", _quiet_room(1.0) + read_as_capture(speech))


def _at_once() -> Pace:
    """A pace that never waits: the file is heard as fast as it can be read."""
    return lambda _heard_s: None


def _finished_by_itself(recorder: VoiceRecorder) -> Callable[[], VoiceNote | None]:
    """Arm ``on_finished``; the returned call waits for it and gives the note it got."""
    done = threading.Event()
    got: list[VoiceNote | None] = []

    def finished(note: VoiceNote | None) -> None:
        got.append(note)
        done.set()

    recorder.on_finished = finished

    def wait() -> VoiceNote | None:
        assert done.wait(60), "the recording did not end by itself"
        assert len(got) == 1
        return got[0]
    return wait


def _frames(path: Path) -> tuple[int, int, int, bytes]:
    with wave.open(str(path), "rb") as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.readframes(w.getnframes())


# --- recording -----------------------------------------------------------------------------


def test_a_note_is_written_durably_and_whole(tmp_path: Path, speech: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    voice_dir = tmp_path / "voice"
    events: list[str] = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        temp, target = Path(src), Path(dst)
        # at the rename the temp file in voice_dir is already complete and synced
        assert temp.parent == voice_dir and temp.name.startswith(".")
        assert temp.name.endswith(".part") and not target.exists()
        assert _frames(temp)[3] == read_as_capture(speech)
        events.append("rename")
        real_replace(src, dst)

    def fsync(fd: int) -> None:
        events.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    recorder = VoiceRecorder(WavMicrophone(speech, pace=_at_once), voice_dir, MAX_SECONDS)
    wait = _finished_by_itself(recorder)  # the file ends: the recording ends by itself
    recorder.start()
    note = wait()
    monkeypatch.undo()

    assert note is not None and events == ["fsync file", "rename", "fsync dir"]
    assert sorted(voice_dir.iterdir()) == [note.path]  # no temp file left behind
    assert note.path.suffix == ".wav"
    channels, width, rate, audio = _frames(note.path)
    assert (channels, width, rate) == (1, 2, RATE)
    assert audio == read_as_capture(speech)  # every chunk heard, in order
    assert note.sha256 == hashlib.sha256(note.path.read_bytes()).hexdigest()
    assert note.seconds == seconds_of(len(audio)) > 2
    assert not recorder.recording and recorder.stop() == note


def test_the_cap_stops_a_note_by_itself(tmp_path: Path, speech: Path) -> None:
    recorder = VoiceRecorder(WavMicrophone(speech, pace=_at_once), tmp_path / "voice",
                             max_seconds=1.0)  # the same path as 60 s, sooner
    wait = _finished_by_itself(recorder)
    recorder.start()
    note = wait()
    assert note is not None and note.seconds == 1.0
    assert _frames(note.path)[3] == read_as_capture(speech)[: RATE * 2]
    assert not recorder.recording
    assert recorder.stop() == note  # the screen's 停止 after the cap: the same note
    assert recorder.failure is None


def test_the_cap_is_at_most_sixty_seconds(tmp_path: Path, speech: Path) -> None:
    with pytest.raises(ValueError, match="max_seconds"):
        VoiceRecorder(WavMicrophone(speech), tmp_path, max_seconds=61)
    cfg = load_config()
    assert cfg.microphone.max_seconds == MAX_SECONDS == 60


def test_the_level_meter_rises_on_speech_and_rests_near_zero_in_silence(
        tmp_path: Path, pause_then_speech: Path) -> None:
    seen: list[float] = []  # the meter as each chunk is about to be handed over

    def watching() -> Pace:
        return lambda _heard_s: seen.append(recorder.level)

    recorder = VoiceRecorder(WavMicrophone(pause_then_speech, pace=watching), tmp_path / "v")
    wait = _finished_by_itself(recorder)
    recorder.start()
    note = wait()

    after = seen[1:]  # seen[k + 1] is the meter after chunk k
    quiet, spoken = after[:10], after[10:]
    assert max(quiet) < 0.05, quiet
    assert max(spoken) > 0.5, spoken
    assert sum(level > 0.3 for level in spoken) > len(spoken) / 3  # not one lucky chunk
    assert recorder.level == 0.0  # the meter falls when the recording ends
    assert note is not None


def test_silence_or_a_slip_of_the_finger_is_no_note(tmp_path: Path, speech: Path) -> None:
    voice_dir = tmp_path / "voice"
    silence = _wav_16k(tmp_path / "silence.wav", _quiet_room(2.0))
    recorder = VoiceRecorder(WavMicrophone(silence, pace=_at_once), voice_dir)
    wait = _finished_by_itself(recorder)
    recorder.start()
    assert wait() is None and recorder.seconds == 2.0

    spoken = read_as_capture(speech)
    loudest = max(range(0, len(spoken) - 4 * CHUNK_BYTES, CHUNK_BYTES),
                  key=lambda i: rms_dbfs(spoken[i:i + CHUNK_BYTES]))
    said = spoken[loudest:loudest + 4 * CHUNK_BYTES]  # 0.4 s, loud: heard, but too short
    assert rms_dbfs(said[:CHUNK_BYTES]) > HEARD_DBFS
    slip = _wav_16k(tmp_path / "slip.wav", said)
    recorder = VoiceRecorder(WavMicrophone(slip, pace=_at_once), voice_dir)
    wait = _finished_by_itself(recorder)
    recorder.start()
    assert wait() is None and recorder.seconds == 0.4
    assert not voice_dir.exists() or not list(voice_dir.iterdir())


def test_stop_ends_the_note_with_what_was_said_so_far(tmp_path: Path, speech: Path) -> None:
    recorder = VoiceRecorder(WavMicrophone(speech), tmp_path / "voice")  # at real-time pace
    called: list[VoiceNote | None] = []
    recorder.on_finished = called.append
    recorder.start()
    assert recorder.recording
    with pytest.raises(RuntimeError, match="already"):
        recorder.start()
    deadline = time.monotonic() + 30
    while recorder.seconds < 0.8 and time.monotonic() < deadline:
        time.sleep(0.02)
    note = recorder.stop()

    whole = read_as_capture(speech)
    assert note is not None and 0.8 <= note.seconds < seconds_of(len(whole))
    audio = _frames(note.path)[3]
    assert audio == whole[: len(audio)]
    assert not recorder.recording and called == []  # stopped by the resident, not by itself
    assert recorder.level == 0.0


def test_discard_deletes_the_note(tmp_path: Path, speech: Path) -> None:
    recorder = VoiceRecorder(WavMicrophone(speech, pace=_at_once), tmp_path / "voice")
    wait = _finished_by_itself(recorder)
    recorder.start()
    note = wait()
    assert note is not None and note.path.exists()
    note.discard()  # 录错了，重录
    assert not note.path.exists() and not list((tmp_path / "voice").iterdir())
    note.discard()  # 删除 after 重录 already removed it: no error


def test_a_full_disk_keeps_no_half_note(tmp_path: Path, speech: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    recorder = VoiceRecorder(WavMicrophone(speech, pace=_at_once), tmp_path / "voice")
    wait = _finished_by_itself(recorder)
    recorder.start()
    assert wait() is None
    monkeypatch.undo()
    assert recorder.failure == "the voice note could not be saved: No space left on device"
    assert list((tmp_path / "voice").iterdir()) == []


def test_without_a_microphone_start_says_why(tmp_path: Path) -> None:
    recorder = VoiceRecorder(SwitchedOffMicrophone(), tmp_path / "voice")
    assert recorder.unavailable_reason() == 'switched off (kind = "none")'
    with pytest.raises(MicrophoneUnavailable, match="switched off"):
        recorder.start()
    assert not recorder.recording and recorder.stop() is None


def test_a_note_from_arecord(tmp_path: Path, speech: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "said.raw"
    raw.write_bytes(read_as_capture(speech))
    fake_arecord(tmp_path, monkeypatch, f"exec cat {raw}")
    recorder = VoiceRecorder(AlsaMicrophone("plughw:1,0"), tmp_path / "voice")
    wait = _finished_by_itself(recorder)  # arecord ended: the recording ends by itself
    recorder.start()
    note = wait()
    assert note is not None and _frames(note.path)[3] == raw.read_bytes()


def test_a_failing_microphone_ends_the_note_and_says_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_arecord(tmp_path, monkeypatch, "echo 'arecord: audio open error: No such device' >&2\n"
                                        "exit 1")
    recorder = VoiceRecorder(AlsaMicrophone(), tmp_path / "voice")
    wait = _finished_by_itself(recorder)
    recorder.start()
    assert wait() is None
    assert "No such device" in str(recorder.failure)


# --- where notes live ----------------------------------------------------------------------


def test_config_gives_the_recorder_and_its_folder(tmp_path: Path, speech: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[store]\npath = "{tmp_path}/kiosk.db"\n'
                      f'[microphone]\nkind = "wav"\ndevice = "{speech}"\nmax_seconds = 30\n',
                      encoding="utf-8")
    cfg = load_config(config)
    recorder = recorder_from_config(cfg)
    assert voice_dir_of(cfg) == recorder.voice_dir == tmp_path / "voice"
    assert isinstance(recorder.microphone, WavMicrophone) and recorder.max_seconds == 30
    assert recorder.unavailable_reason() is None


RIFF_SHA256 = hashlib.sha256(b"RIFF").hexdigest()


def test_start_up_sweeps_notes_nobody_will_send(tmp_path: Path) -> None:
    voice_dir = tmp_path / "voice"
    voice_dir.mkdir()
    store = Store(tmp_path / "kiosk.db")
    try:
        sent = voice_dir / "sent.wav"
        sent.write_bytes(b"RIFF")
        store.record_submission(SubmissionDraft("环境卫生", "垃圾没人清", voice_path=sent,
                                                voice_sha256=RIFF_SHA256), "0042")
        (voice_dir / "walked-away.wav").write_bytes(b"RIFF")  # recorded, never submitted
        (voice_dir / ".cut.wav.abc.part").write_bytes(b"RI")  # the power went mid-write
        assert sweep_voice_dir(voice_dir, referenced_voice_notes(store)) == 2
    finally:
        store.close()
    assert list(voice_dir.iterdir()) == [sent]


def test_the_purge_leaves_no_reference_to_the_voice(tmp_path: Path) -> None:
    store = Store(tmp_path / "kiosk.db")
    try:
        note = tmp_path / "note.wav"
        note.write_bytes(b"RIFF")
        stored = store.record_submission(SubmissionDraft("环境卫生", "垃圾没人清", voice_path=note,
                                                         voice_sha256=RIFF_SHA256), "0042")
        Outbox(store).acknowledge({stored.uuid: 7})
        with store.session() as s:
            row = s.scalars(select(Submission).where(Submission.uuid == stored.uuid)).one()
            assert row.purged_at is not None and row.voice_path is None
            assert not note.exists()
            assert row.voice_sha256 is None
    finally:
        store.close()


# --- end to end ----------------------------------------------------------------------------


def test_a_voice_note_goes_to_the_server_staff_hear_it_and_the_kiosk_forgets_it(
        console_site: ConsoleSite, speech: Path) -> None:
    kiosk = console_site.tmp / "kiosk-0101-voice"
    voice_dir = kiosk / "voice"
    # heard at real-time pace; the first 2 s are enough
    recorder = VoiceRecorder(WavMicrophone(speech), voice_dir, max_seconds=2.0)
    wait = _finished_by_itself(recorder)
    recorder.start()
    note = wait()
    assert note is not None
    recorded = note.path.read_bytes()

    store = Store(kiosk / "kiosk.db")
    try:
        stored = store.record_submission(
            SubmissionDraft("房屋设施与管网", "居民留了语音，请工作人员收听", place="3号楼2单元",
                            contact_name="王秀兰", contact_phone="13912345678", public=True,
                            voice_path=note.path, voice_sha256=note.sha256), "0101")
        worker = sync_worker(store, console_site.url, console_site.kiosk_keys["0101"],
                             code="0101")
        try:
            assert drain(worker, rounds=5, pause_s=0.1).waiting == 0
        finally:
            worker.close()
        with store.session() as s:
            row = s.scalars(select(Submission).where(Submission.uuid == stored.uuid)).one()
            kept = (row.voice_path, row.contact_name, row.contact_phone, row.purged_at)
    finally:
        store.close()

    # the server holds the very bytes recorded
    assert (console_site.server.attachments / note.sha256).read_bytes() == recorded
    assert console_site.rows(f"SELECT voice_sha256 FROM central_submissions "
                             f"WHERE ticket = '{stored.ticket}'") == [(note.sha256,)]
    assert console_site.rows(f"SELECT size, complete FROM attachments "
                             f"WHERE sha256 = '{note.sha256}'") == [(len(recorded), True)]

    # the kiosk has forgotten it: no file, no path, and the contact purged with it
    assert not note.path.exists() and list(voice_dir.iterdir()) == []
    voice_path, name, phone, purged_at = kept
    assert (voice_path, name, phone) == (None, None, None) and purged_at is not None

    # staff hear it in the console, and who listened is recorded
    with signed_in_client(console_site, XFL_STAFF) as client:
        page = client.get(f"/console/issues/{stored.ticket}")
        assert f'src="/console/issues/{stored.ticket}/voice"' in page.text
        assert '<dd class="public">公开（居民同意邻居看到、附议）</dd>' in page.text
        played = client.get(f"/console/issues/{stored.ticket}/voice")
        assert played.status_code == 200 and played.content == recorded
        assert played.headers["content-type"] == "audio/wav"
    assert console_site.rows(f"SELECT staff, action FROM audit_events "
                             f"WHERE ticket = '{stored.ticket}'") == [(XFL_STAFF.username,
                                                                       "play_voice")]
