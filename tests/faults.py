"""Network faults on loopback: a proxy that drops, delays, resets and truncates, and a server
that answers badly. Both are real TCP peers; the code under test cannot tell them from a
bad network or a broken server."""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Self

PROXY_MODES = ("pass", "drop", "delay", "reset", "swallow", "truncate")


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def stop(self, server: asyncio.Server) -> None:
        async def shutdown() -> None:
            server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await server.wait_closed()

        self.run(shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class _Loopback:
    """A TCP server on 127.0.0.1 with its own event loop thread, used as a context manager."""

    port: int

    def __enter__(self) -> Self:
        self._loop = _LoopThread()
        self._server = self._loop.run(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.stop(self._server)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


@dataclass
class FaultProxy(_Loopback):
    """TCP proxy to ``target_port``; each new connection gets a mode from ``choose``."""

    target_port: int
    choose: Callable[[], str] = lambda: "pass"
    delay_s: float = 0.3
    counts: dict[str, int] = field(default_factory=dict)
    port: int = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self.choose()
        self.counts[mode] = self.counts.get(mode, 0) + 1
        up_writer: asyncio.StreamWriter | None = None
        try:
            if mode == "drop":
                return
            if mode == "reset":
                await reader.read(1)
                _reset(writer)
                return
            if mode.startswith("status:"):  # a proxy or gateway answering for the server
                await reader.read(65536)
                status = int(mode.split(":")[1])
                writer.write(f"HTTP/1.1 {status} X\r\nretry-after: 1\r\ncontent-length: 0\r\n"
                             "connection: close\r\n\r\n".encode())
                await writer.drain()
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            if mode == "delay":
                await asyncio.sleep(self.delay_s)
            down = self._down(up_reader, writer, mode)
            await asyncio.gather(self._pipe(reader, up_writer), down, return_exceptions=True)
        except OSError:
            pass
        finally:
            writer.close()
            if up_writer is not None:
                up_writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def _down(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    mode: str) -> None:
        if mode == "swallow":  # the server commits, the reply never reaches the kiosk
            await reader.read(1)
            _reset(writer)
            return
        if mode == "truncate":
            data = await reader.read(65536)
            writer.write(data[: max(1, len(data) // 2)])
            await writer.drain()
            _reset(writer)
            return
        await self._pipe(reader, writer)


def random_faults(rng: random.Random, fault_rate: float) -> Callable[[], str]:
    def choose() -> str:
        if rng.random() >= fault_rate:
            return "pass"
        return rng.choice([m for m in PROXY_MODES if m != "pass"])

    return choose


@dataclass
class BadServer(_Loopback):
    """An HTTP server that answers every request with ``reply`` (status, headers, body chunks)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drip_s: float = 0.0
    requests: int = 0
    paths: list[str] = field(default_factory=list)
    port: int = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":")[1])
            if length:
                await reader.readexactly(length)
            self.requests += 1
            self.paths.append(" ".join(head.decode("latin-1").split(" ", 2)[:2]))
            extra = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
            writer.write(f"HTTP/1.1 {self.status} X\r\ncontent-length: {len(self.body)}\r\n"
                         f"content-type: application/json\r\n{extra}connection: close\r\n\r\n"
                         .encode())
            if self.drip_s:
                for i in range(len(self.body)):
                    writer.write(self.body[i:i + 1])
                    await writer.drain()
                    await asyncio.sleep(self.drip_s)
            else:
                view = memoryview(self.body)
                for start in range(0, len(view), 1 << 20):
                    writer.write(view[start:start + (1 << 20)])
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
