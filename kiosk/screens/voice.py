"""说给我听: a voice note for residents who cannot write. One big button starts and stops;
a level meter shows they are heard; 听一遍, 重录 and 删除 before 好了."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.screens import load_kv
from kiosk.session import MESSAGES
from kiosk.widgets import KEY, TEXT

if TYPE_CHECKING:
    from kiosk.voice_note import VoiceNote, VoiceRecorder

load_kv("voice")

METER_HZ = 10
READY = "请点开始说话"


class LevelMeter(Widget):
    """How loud the resident is, as a thick bar across the screen."""

    level = NumericProperty(0.0)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        with self.canvas:
            Color(*KEY)
            self._track = Rectangle()
            Color(*TEXT)
            self._bar = Rectangle()
        for name in ("pos", "size", "level"):
            self.fbind(name, self._draw)

    def _draw(self, *_args: object) -> None:
        self._track.pos, self._track.size = self.pos, self.size
        self._bar.pos = self.pos
        self._bar.size = (self.width * max(0.0, min(1.0, self.level)), self.height)


class VoiceScreen(Screen):
    message = StringProperty(READY)
    level = NumericProperty(0.0)
    recording = BooleanProperty(False)
    has_note = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._recorder: VoiceRecorder | None = None
        self._note: VoiceNote | None = None
        self._meter = Clock.create_trigger(self._tick, 1 / METER_HZ, interval=True)

    @property
    def recorder(self) -> VoiceRecorder:
        if self._recorder is None:
            self._recorder = App.get_running_app().services.make_recorder()
            self._recorder.on_finished = lambda note: Clock.schedule_once(
                lambda _dt: self._finished(note))
        return self._recorder

    def begin(self, note: VoiceNote | None) -> None:
        """Open with the note recorded before (kept when the resident comes back)."""
        self._note = note
        self.has_note = note is not None
        self.message = self._said_note() if note else READY
        self.level = 0.0

    def toggle(self) -> None:
        from device.microphone import MicrophoneUnavailable

        app = App.get_running_app()
        if self.recording:
            self._finished(self.recorder.stop())
            return
        app.services.speech.stop()  # the kiosk's own voice must not be recorded
        try:
            self.recorder.start()
        except MicrophoneUnavailable:
            self.message = "话筒暂时不能用，请改用手写或拼音"
            app.speak_screen(MESSAGES["no_microphone"])
            return
        self._drop_note()
        self.recording = True
        self.message = "正在听，请说……"
        self._meter()

    def _tick(self, _dt: float) -> None:
        recorder = self.recorder
        self.level = recorder.level
        if recorder.recording:
            self.message = f"正在听，已录{int(recorder.seconds)}秒"

    def _finished(self, note: VoiceNote | None) -> None:
        if not self.recording:
            return
        self.recording = False
        self._meter.cancel()
        self.level = 0.0
        self._note = note
        self.has_note = note is not None
        app = App.get_running_app()
        if note is None:
            self.message = "没有听到声音，请再点开始说话"
            app.speak_screen(MESSAGES["voice_not_heard"])
        else:
            self.message = self._said_note()
            app.speak_screen(MESSAGES["voice_recorded"])

    def _said_note(self) -> str:
        seconds = round(self._note.seconds) if self._note else 0
        return f"录好了，{seconds}秒"

    def play_back(self) -> None:
        if self._note is not None:
            speech = App.get_running_app().services.speech
            speech.stop()
            speech.play_recording(self._note.path)

    def delete(self) -> None:
        self._drop_note()
        self.message = "已删除。" + READY
        App.get_running_app().session.set_voice(None)

    def _drop_note(self) -> None:
        session_note = App.get_running_app().session.voice
        if self._note is not None and self._note is not session_note:
            self._note.discard()  # a take never handed to the session
        self._note, self.has_note = None, False

    def leave(self) -> None:
        """返回 or an idle reset: a recording under way stops, and a take not handed over with
        好了 is deleted (what 好了 kept before stays with the session)."""
        if self.recording:
            self.recording = False
            self._meter.cancel()
            note = self.recorder.stop()
            if note is not None:
                note.discard()
        self._drop_note()
        self.level = 0.0

    def finish(self) -> None:
        App.get_running_app().voice_done(self._note)
