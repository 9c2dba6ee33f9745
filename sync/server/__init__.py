"""The reference central server (FastAPI on uvicorn)."""

from __future__ import annotations

import uvicorn

from sync.server.app import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def serve(db_url: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    uvicorn.run(create_app(db_url), host=host, port=port, log_level="warning")
