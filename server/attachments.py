"""Voice notes and other attachments: addressed by SHA-256, uploaded in resumable pieces."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from server.auth import KioskCode
from server.db import Attachment, insert_or_nothing
from server.deps import reading, transaction
from sync.contract.protocol import API_PREFIX, AttachmentState

router = APIRouter(prefix=f"{API_PREFIX}/attachments")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _state(row: Attachment) -> AttachmentState:
    return AttachmentState(sha256=row.sha256, size=row.size, received=row.received,
                           complete=row.complete)


def _path(request: Request, sha256: str) -> Path:
    folder: Path = request.app.state.attachments_dir
    folder.mkdir(parents=True, exist_ok=True)
    return folder / sha256


@router.get("/{sha256}", response_model=AttachmentState)
def attachment_state(sha256: str, request: Request, kiosk: KioskCode) -> AttachmentState:
    with reading(request) as db:
        row = db.get(Attachment, sha256)
        if row is None:
            raise HTTPException(status_code=404, detail="no such attachment")
        return _state(row)


@router.put("/{sha256}", response_model=None)
async def upload_piece(sha256: str, request: Request, kiosk: KioskCode,
                       size: Annotated[int, Query(ge=1)],
                       offset: Annotated[int, Query(ge=0)]) -> AttachmentState | JSONResponse:
    """Append one piece at ``offset``; the server tells where it stands if offsets disagree."""
    if not SHA256.match(sha256):
        raise HTTPException(status_code=422, detail="attachment name must be a SHA-256 in hex")
    if size > request.app.state.max_attachment_bytes:
        raise HTTPException(status_code=413, detail="attachment too large")
    piece = await request.body()
    return await run_in_threadpool(_store_piece, request, sha256, kiosk, size, offset, piece)


def _store_piece(request: Request, sha256: str, kiosk: str, size: int, offset: int,
                 piece: bytes) -> AttachmentState | JSONResponse:
    with transaction(request) as db:
        # Made if new, then locked: pieces of one attachment sent at once take turns.
        made = db.scalar(insert_or_nothing(db, Attachment).values(
            sha256=sha256, kiosk_code=kiosk, size=size, received=0, complete=False
        ).returning(Attachment.sha256))
        if made is not None:
            _path(request, sha256).write_bytes(b"")
        row = db.get_one(Attachment, sha256, with_for_update=True)
        if row.complete:
            return _state(row)
        if offset != row.received or row.size != size or offset + len(piece) > size:
            raise HTTPException(status_code=409, detail=_state(row).model_dump())
        path = _path(request, sha256)
        with path.open("r+b") as f:
            f.seek(offset)
            f.write(piece)
            f.truncate()
        row.received = offset + len(piece)
        if row.received == size:
            if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
                row.received = 0  # committed: the kiosk starts again from the beginning
                path.write_bytes(b"")
                return JSONResponse(status_code=422,
                                    content={"detail": "content does not match its SHA-256"})
            row.complete = True
        return _state(row)
