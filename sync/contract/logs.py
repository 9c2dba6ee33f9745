"""The program's log lines, for the kiosk, the sync worker and the server alike.

In a terminal a line carries its own time. Under systemd (``$JOURNAL_STREAM`` or
``$INVOCATION_ID`` set) stdout and stderr go to the journal, which stamps every line itself:
there a line has no time of its own but a ``<N>`` syslog priority prefix, which journald
reads (``SyslogLevelPrefix=``, on by default) so that ``journalctl -p warning`` works.

No line may carry personal data (names, phones, what a resident said): log tickets, counts
and states, never a submission's fields.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

TERMINAL_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
JOURNAL_FORMAT = "%(name)s %(levelname)s %(message)s"
QUIET_LOGGERS = ("alembic", "kivy", "httpx", "httpcore", "multipart")
"""Libraries whose INFO lines say nothing staff need: only their warnings are kept."""

_SYSLOG_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4,
                    logging.INFO: 6, logging.DEBUG: 7}


def under_journal(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process was started by systemd, its output going to the journal."""
    env = os.environ if environ is None else environ
    return bool(env.get("JOURNAL_STREAM") or env.get("INVOCATION_ID"))


class JournalFormatter(logging.Formatter):
    """No time of its own; the syslog priority in front, for journald to read."""

    def __init__(self, fmt: str = JOURNAL_FORMAT) -> None:
        super().__init__(fmt)

    def format(self, record: logging.LogRecord) -> str:
        priority = _SYSLOG_PRIORITY.get(record.levelno, 6)
        # a multi-line message (a traceback) keeps its priority on every line
        return "\n".join(f"<{priority}>{line}" for line in super().format(record).splitlines())


def configure(level: int = logging.INFO, environ: Mapping[str, str] | None = None) -> None:
    """Set up the root logger once per program: the journal's format or the terminal's.
    Like ``logging.basicConfig``, a root logger that already has a handler is left as it is."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()  # stderr: stdout is for what a command prints
        handler.setFormatter(JournalFormatter() if under_journal(environ)
                             else logging.Formatter(TERMINAL_FORMAT))
        root.addHandler(handler)
        root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
