"""The reference central server (FastAPI on uvicorn): its own deployable.

It takes from the rest of this repository only ``sync.contract`` (wire models, signing,
ticket numbers, the migration helper); the kiosk never imports it.
"""

from __future__ import annotations

from pathlib import Path

import uvicorn

from server.app import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def serve(db_url: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
          staff_token: str | None = None, attachments_dir: Path = Path("var/attachments"),
          certfile: Path | None = None, keyfile: Path | None = None) -> None:
    app = create_app(db_url, staff_token=staff_token, attachments_dir=attachments_dir)
    uvicorn.run(app, host=host, port=port, log_level="warning",
                ssl_certfile=str(certfile) if certfile else None,
                ssl_keyfile=str(keyfile) if keyfile else None)
