"""叫号 with the central console: the kiosk reports its queue and carries out the console's
叫下一位.

The kiosk owns its queue; this thread only tells the server what it is (after each change,
and every ``poll_seconds`` while anyone waits or is at the 说事桌) and takes back the calls
asked at the console. A dead network, a refusal or a reply not understood is logged (no
personal data: the queue holds none, and server replies are not logged) and tried again
next round; nothing here stops the kiosk.

The HTTP client and the kiosk's signing key are loaded only once there is something to report
(someone took a number): a kiosk on a day without 叫号 does not carry them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError

from sync.contract.protocol import API_PREFIX
from sync.contract.queue import QUEUE_PATH, QueueCall, QueueCalls, QueueReport

if TYPE_CHECKING:
    import httpx

    from sync.http import ServerLink

log = logging.getLogger(__name__)

JSON = {"content-type": "application/json"}
MAX_REPLY_BYTES = 256 * 1024


class QueueKeeper(Protocol):
    """The kiosk's queue (kiosk.queue.QueueBook) as the link uses it."""

    def report(self) -> QueueReport: ...
    def busy(self) -> bool: ...
    def carry_out(self, call: QueueCall) -> int | None: ...


class QueueLink:
    """Reports the queue and carries out the console's calls, on a thread of its own.

    ``on_called(number)`` is told each number a console call brought to the 说事桌 (on the
    link's thread); ``on_round()`` after each round, whatever came of it."""

    def __init__(self, keeper: QueueKeeper, link: ServerLink | Callable[[], ServerLink], *,
                 poll_seconds: float = 5.0,
                 on_called: Callable[[int], None] = lambda _n: None,
                 on_round: Callable[[], None] = lambda: None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.keeper = keeper
        self._link = link
        self.poll_seconds = poll_seconds
        self.on_called = on_called
        self.on_round = on_round
        self._transport = transport
        self._client: httpx.Client | None = None
        self._unusable = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_problem = ""

    # ---- one exchange ----

    def report_once(self) -> list[int]:
        """POST the queue, carry out the calls in the reply; returns the numbers called.
        Raises ExchangeError (the network, a refusal, a reply not understood)."""
        from sync.http import ExchangeError, exchange

        client = self._client_now()
        if client is None:
            return []
        report = self.keeper.report()
        reply = exchange(client, "POST", f"{API_PREFIX}{QUEUE_PATH}",
                         deadline_s=self.link().timeout * 3, max_bytes=MAX_REPLY_BYTES,
                         content=report.model_dump_json().encode(), headers=JSON)
        if reply.status != 200:
            raise ExchangeError(f"the server answered {reply.status} to the queue report")
        try:
            calls = QueueCalls.model_validate_json(reply.body).calls
        except ValidationError:
            raise ExchangeError("the server's queue calls were not understood") from None
        called: list[int] = []
        for call in calls:
            number = self.keeper.carry_out(call)
            if number is not None:
                called.append(number)
                self.on_called(number)
        return called

    def link(self) -> ServerLink:
        if callable(self._link):
            self._link = self._link()
        return self._link

    def _client_now(self) -> httpx.Client | None:
        from sync.http import ClientSetupError, make_client

        if self._client is None and not self._unusable:
            try:
                self._client = make_client(self.link(), transport=self._transport)
            except ClientSetupError as exc:
                self._unusable = True
                log.warning("queue reports are off: %s", exc)
        return self._client

    # ---- the thread ----

    def changed(self) -> None:
        """The queue changed here: report it now."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="queue-link", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._client is not None:
            self._client.close()

    def _run(self) -> None:
        due = False  # a restart with people waiting reports at once (busy), else on a change
        while not self._stop.is_set():
            try:
                if due or self.keeper.busy():
                    # a call carried out is reported at once: the console sees it handled
                    due = bool(self.report_once())
                    self._problem("")
            except Exception as exc:  # a broken store or reply must not end the thread
                due = False
                self._problem(_why(exc))
            try:
                self.on_round()
            except Exception as exc:
                log.error("after a queue round: %s", type(exc).__name__)
            if not due:
                self._wake.wait(self.poll_seconds)
                due = self._wake.is_set()
                self._wake.clear()

    def _problem(self, text: str) -> None:
        """Logged when it changes, not every few seconds while the network is down."""
        if text != self._last_problem:
            if text:
                log.warning("queue report: %s", text)
            elif self._last_problem:
                log.info("queue report: the server has it again")
            self._last_problem = text


def _why(exc: Exception) -> str:
    from sync.http import ExchangeError

    if isinstance(exc, ExchangeError):  # the network, a refusal, a reply not understood
        return str(exc)
    return f"queue round failed ({type(exc).__name__})"
