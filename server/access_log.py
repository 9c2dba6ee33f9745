"""The access log: one line per request on the logger ``shuoshi.access``.

A line names the method, the route template (``/api/v1/tickets/{ticket}``, never the raw path
or its query string), the status, the time taken, the kiosk whose key the request claims to be
signed with and the client's address. Bodies, headers other than the key id, tickets and
contact data are never logged.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.types import Scope

from sync.contract import logs

ACCESS = logging.getLogger("shuoshi.access")
ENABLED_ENV = "SHUOSHI_ACCESS_LOG"
"""``0`` turns the access log off (``shuoshi server --no-access-log``)."""
LINE_FORMAT = "%(asctime)s [%(process)d] %(name)s %(levelname)s %(message)s"
JOURNAL_LINE_FORMAT = "[%(process)d] %(name)s %(levelname)s %(message)s"
_KEY_ID = re.compile(rb'keyid="([0-9A-Za-z_-]{1,16})"')


def kiosk_of(scope: Scope) -> str:
    """The key id in ``Signature-Input`` (the kiosk code), ``-`` when unsigned or malformed.
    Only checked to be a short code: the log must not carry whatever a caller puts there."""
    for name, value in scope["headers"]:
        if name == b"signature-input":
            found = _KEY_ID.search(value)
            return found.group(1).decode() if found else "-"
    return "-"


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


def record(scope: Scope, route: str, status: int, duration_s: float) -> None:
    ACCESS.info("%s %s %d %.1fms kiosk=%s ip=%s", scope["method"], route, status,
                duration_s * 1000, kiosk_of(scope), client_of(scope))


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The logging set-up of every server process (uvicorn applies it in each worker): our
    loggers at ``level`` on stderr, with the worker's pid, uvicorn's own at warnings; under
    systemd without a time of their own (sync.contract.logs)."""
    line: dict[str, Any] = ({"()": logs.JournalFormatter, "fmt": JOURNAL_LINE_FORMAT}
                            if logs.under_journal() else {"format": LINE_FORMAT})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": line},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"level": "WARNING"},
            "uvicorn.access": {"level": "WARNING"},
            "alembic": {"level": "WARNING"},
        },
    }
