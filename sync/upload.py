"""Uploading an attachment (a voice note) by its SHA-256, resuming where the server stopped."""

from __future__ import annotations

from pathlib import Path

import httpx
from pydantic import ValidationError

from sync.contract.protocol import API_PREFIX, AttachmentState
from sync.http import ExchangeError, exchange

DEFAULT_PIECE_BYTES = 64 * 1024
DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 2**20


class AttachmentRefused(Exception):
    """The server will never take this file (too large, content does not match its name)."""


def upload(client: httpx.Client, path: Path, sha256: str, *, deadline_s: float,
           piece_bytes: int = DEFAULT_PIECE_BYTES,
           max_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES) -> AttachmentState:
    """Send what the server does not have yet; raises ExchangeError to be retried later."""
    size = path.stat().st_size
    if size > max_bytes:
        raise AttachmentRefused(f"attachment is {size} bytes, the limit is {max_bytes}")
    url = f"{API_PREFIX}/attachments/{sha256}"
    reply = exchange(client, "GET", url, deadline_s=deadline_s)
    received = 0
    if reply.status == 200:
        state = _state(reply.body)
        if state.complete:
            return state
        received = state.received
    elif reply.status != 404:
        raise ExchangeError(f"the server answered {reply.status} about an attachment")
    with path.open("rb") as f:
        while True:
            f.seek(received)
            piece = f.read(piece_bytes)
            reply = exchange(client, "PUT", url, deadline_s=deadline_s, content=piece,
                             params={"size": size, "offset": received},
                             headers={"content-type": "application/octet-stream"})
            if reply.status == 413:
                raise AttachmentRefused("the server says the attachment is too large")
            if reply.status == 422:
                raise AttachmentRefused(f"the server refused the attachment: {reply.detail()}")
            if reply.status == 409:  # we and the server disagree on the offset: ask again
                reply = exchange(client, "GET", url, deadline_s=deadline_s)
            if reply.status != 200:
                raise ExchangeError(f"the server answered {reply.status} to an upload")
            state = _state(reply.body)
            if state.complete:
                return state
            received = state.received


def _state(body: bytes) -> AttachmentState:
    try:
        return AttachmentState.model_validate_json(body)
    except ValidationError:
        raise ExchangeError("the server's attachment state was not understood") from None
