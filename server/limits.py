"""Request body limits, enforced while the body is read and before anything parses it.

A pure ASGI middleware: a declared ``Content-Length`` over the route's limit is refused at
once; a body without one (chunked) is counted as it arrives and refused as soon as it passes
the limit. Either way the answer is 413 ``{"detail": "request body too large"}`` (the kiosk
splits a refused batch on 413) and the connection is closed, so the rest is never read.
At most the limit is held in memory; the application then reads the body it was given.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = json.dumps({"detail": "request body too large"}).encode()
BAD_LENGTH = json.dumps({"detail": "invalid Content-Length"}).encode()


class BodyLimit:
    """Refuse any HTTP request whose body is longer than ``limit_for(path)`` bytes."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = [v for k, v in scope["headers"] if k == b"content-length"]
        if declared:
            if len(declared) > 1 or not declared[0].isdigit():
                await _refuse(send, 400, BAD_LENGTH)
                return
            if int(declared[0]) > limit:
                await _refuse(send, 413, TOO_LARGE)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away before its body was complete
            piece = message.get("body", b"")
            size += len(piece)
            if size > limit:
                chunks.clear()
                await _refuse(send, 413, TOO_LARGE)
                return
            if piece:
                chunks.append(piece)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        del chunks
        replayed = False

        async def replay() -> Message:
            nonlocal replayed, body
            if replayed:
                return await receive()  # after the body: wait for the client to disconnect
            replayed = True
            message: Message = {"type": "http.request", "body": body, "more_body": False}
            body = b""
            return message

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, content: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(content)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": content})
