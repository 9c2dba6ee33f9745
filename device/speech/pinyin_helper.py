"""Pinyin readings from a helper process, so pypinyin's tables (about 55 MB) stay out of the
kiosk's own memory; the helper exits after a minute with nothing to read and is started
again on the next need.

The kiosk side is ``PinyinHelper.convert``; ``python -m device.speech.pinyin_helper`` is the
helper: one JSON string per line in, one JSON list of syllables per line out.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import threading

IDLE_EXIT_S = 60.0
"""The helper ends after this long without a text, giving its memory back."""
ANSWER_TIMEOUT_S = 30.0


class PinyinHelper:
    """Converts Han text to tone-numbered syllables in the helper process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None

    def convert(self, text: str) -> list[str]:
        with self._lock:
            for attempt in range(2):  # a helper that has just exited for idleness is restarted
                proc = self._running()
                try:
                    assert proc.stdin is not None and proc.stdout is not None
                    proc.stdin.write(json.dumps(text, ensure_ascii=False) + "\n")
                    proc.stdin.flush()
                    ready, _, _ = select.select([proc.stdout], [], [], ANSWER_TIMEOUT_S)
                    line = proc.stdout.readline() if ready else ""
                except OSError:
                    line = ""
                if line:
                    syllables: list[str] = json.loads(line)
                    return syllables
                self._stop()
                if attempt:
                    raise RuntimeError("the pinyin helper gave no answer")
            raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _running(self) -> subprocess.Popen[str]:
        if self._proc is not None and self._proc.poll() is not None:
            self._stop()  # it ended on its own: idle for a minute
        if self._proc is None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "device.speech.pinyin_helper"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        return self._proc

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(5)
            for pipe in (self._proc.stdin, self._proc.stdout):
                if pipe is not None:
                    pipe.close()
            self._proc = None


def _serve() -> None:
    from pypinyin import Style, lazy_pinyin

    while select.select([sys.stdin], [], [], IDLE_EXIT_S)[0]:
        line = sys.stdin.readline()
        if not line:
            return
        text = json.loads(line)
        syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)
        sys.stdout.write(json.dumps(syllables, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
