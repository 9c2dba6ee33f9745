"""A virtual ESC/POS printer on a pseudo-terminal, a TCP port or a FIFO (the OctoPrint idea).

It behaves like the hardware: it answers DLE EOT real-time status requests with the state
a test sets, holds jobs while it cannot print, can read bytes no faster than a given baud
rate, and "prints" a job once the line has been quiet for a moment, decoding the bytes and
optionally saving them with a PNG of the paper. Used by tests and the benchmark.

Faults for tests: ``drop_after`` resets a TCP connection after that many bytes of it (the
job is half on paper); a job that cannot be decoded is kept as bytes, its PNG is not drawn,
and the printer goes on serving.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import struct
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path

from .decode import Decoded, decode_escpos
from .render import Fonts, render_image
from .status import DLE_EOT, PrinterState, replies_for

log = logging.getLogger(__name__)
JOB_IDLE_SECONDS = 0.15  # a job is complete when no byte came for this long
POLL_SECONDS = 0.02
BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


class VirtualEscPosPrinter:
    """The fake printer; ``state`` and ``baud`` may be changed while it runs."""

    def __init__(self, out_dir: Path | None = None, fonts: Fonts | None = None,
                 paper_dots: int = 576, baud: int | None = None) -> None:
        self.out_dir, self.fonts, self.paper_dots = out_dir, fonts, paper_dots
        self.state = PrinterState.ONLINE
        self.baud = baud
        self.jobs: list[bytes] = []
        self.job_times: list[float] = []  # monotonic time each job's last byte arrived
        self.first_byte_at: float | None = None
        self.status_requests = 0
        self.drop_after: int | None = None
        """Fault: reset each TCP connection after this many bytes."""
        self.drops = 0
        self.render_errors: list[str] = []
        self._tail_reply: Callable[[bytes], object] | None = None
        self._buffer = bytearray()
        self._partial = b""
        self._held: list[bytes] = []
        self._last_byte = 0.0
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._fds: list[int] = []
        self._sockets: list[socket.socket] = []
        self.pty_path = ""
        self.tcp_port = 0

    # ---- transports -------------------------------------------------------------------
    def serve_pty(self) -> str:
        """A pseudo-terminal whose other end is this printer; returns e.g. /dev/pts/7."""
        master, slave = os.openpty()
        tty.setraw(slave)
        self._fds += [master, slave]  # keeping the slave open: unplugging is not simulated
        self.pty_path = os.ttyname(slave)
        self._start(self._serve_fd, master, lambda reply: os.write(master, reply))
        return self.pty_path

    def serve_tcp(self) -> int:
        """Listen on 127.0.0.1 (one connection at a time, like a printer's port 9100)."""
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(POLL_SECONDS)
        self._sockets.append(listener)
        self.tcp_port = int(listener.getsockname()[1])
        self._start(self._serve_tcp, listener)
        return self.tcp_port

    def serve_fifo(self, path: Path) -> Path:
        """A named pipe standing in for a device node such as /dev/usb/lp0."""
        os.mkfifo(path)
        reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        keeper = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # no end-of-file between jobs
        self._fds += [reader, keeper]
        self._start(self._serve_fd, reader, None)
        return path

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name="virtual-printer", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _serve_fd(self, fd: int, reply: Callable[[bytes], object] | None) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], POLL_SECONDS)
            if ready:
                try:
                    data = os.read(fd, self._chunk_size())
                except OSError:
                    data = b""
                if data:
                    self._receive(data, reply)
                    continue
            self._maybe_finish_job()

    def _cut(self, received: int) -> bool:
        if self.drop_after is None or received < self.drop_after:
            return False
        self.drops += 1
        return True

    def _serve_tcp(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                self._maybe_finish_job()
                continue
            with conn:
                conn.settimeout(POLL_SECONDS)
                received = 0
                while not self._stop.is_set():
                    try:
                        data = conn.recv(self._chunk_size(received))
                    except TimeoutError:
                        self._maybe_finish_job()
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    received += len(data)
                    self._receive(data, conn.sendall)
                    if self._cut(received):  # reset, as a printer switched off mid-job
                        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                        break
            self._end_of_connection()

    # ---- the printer ------------------------------------------------------------------
    def _chunk_size(self, received: int = 0) -> int:
        size = 4096 if self.baud is None else max(1, self.baud // BITS_PER_BYTE // 100)
        if self.drop_after is not None:
            size = max(1, min(size, self.drop_after - received))
        return size

    def _receive(self, data: bytes, reply: Callable[[bytes], object] | None) -> None:
        if self.baud is not None:  # the wire cannot carry bytes faster than this
            time.sleep(len(data) * BITS_PER_BYTE / self.baud)
        now = time.monotonic()
        with self._changed:
            data, self._partial = self._partial + data, b""
            if not self._buffer and len(data) < 3 and DLE_EOT.startswith(data[:2]):
                self._partial = data  # a status request split across reads
                return
            if self.first_byte_at is None:
                self.first_byte_at = now
            self._last_byte = now
            # real-time requests are answered between jobs, as the kiosk sends them
            while not self._buffer and data[:2] == DLE_EOT and len(data) >= 3:
                self._answer(data[2], reply)
                data = data[3:]
            self._buffer += data
            # a request right after a job is answered once the line is quiet: a sender waits
            # for the reply, while inside a job (raster data) the bytes keep coming
            self._tail_reply = reply if self._ends_with_request() else None
            self._changed.notify_all()

    def _ends_with_request(self) -> bool:
        tail = self._buffer[-3:]
        return len(tail) == 3 and tail[:2] == DLE_EOT and tail[2] in (1, 2, 4)

    def _answer(self, n: int, reply: Callable[[bytes], object] | None) -> None:
        self.status_requests += 1
        answers = replies_for(self.state)
        if answers is not None and reply is not None:
            with contextlib.suppress(OSError):
                reply(bytes((answers.get(n, 0x12),)))

    def _end_of_connection(self) -> None:
        """A network printer's job is what came over one connection."""
        with self._changed:
            self._tail_reply = None
            if self._ends_with_request():  # asked, then gone: a request is never paper
                del self._buffer[-3:]
            if self._buffer:
                self._held.append(bytes(self._buffer))
                self._buffer.clear()
        self._maybe_finish_job()

    def _maybe_finish_job(self) -> None:
        with self._changed:
            quiet = time.monotonic() - self._last_byte
            if self._tail_reply is not None and quiet >= POLL_SECONDS and \
                    self._ends_with_request():
                n = self._buffer[-1]
                del self._buffer[-3:]
                self._answer(n, self._tail_reply)
                self._tail_reply = None
            if self._buffer and time.monotonic() - self._last_byte >= JOB_IDLE_SECONDS:
                self._held.append(bytes(self._buffer))
                self._buffer.clear()
            if self._held and self.state.can_print:  # UNKNOWN: silent, but it prints
                for job in self._held:
                    self._print(job)
                self._held.clear()

    def _print(self, job: bytes) -> None:
        self.jobs.append(job)
        self.job_times.append(self._last_byte)
        if self.out_dir is not None and self.fonts is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            name = f"job-{len(self.jobs):03d}"
            (self.out_dir / f"{name}.bin").write_bytes(job)
            try:
                render_image(job, self.fonts, self.paper_dots).save(self.out_dir / f"{name}.png")
            except Exception as error:  # a cut-off job is bytes on paper, not a dead printer
                self.render_errors.append(f"{name}: {error}")
                log.warning("virtual printer could not draw %s: %s", name, error)
        self._changed.notify_all()

    def decoded(self, index: int = -1) -> list[Decoded]:
        return decode_escpos(self.jobs[index])

    def wait_for_jobs(self, count: int, timeout: float = 30.0) -> bool:
        """True once ``count`` jobs have printed; False if that did not happen in time."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.jobs) >= count, timeout)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        for sock in self._sockets:
            sock.close()
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()
        self._sockets.clear()

    def __enter__(self) -> VirtualEscPosPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
