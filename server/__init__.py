"""The reference central server (FastAPI on uvicorn): its own deployable.

It takes from the rest of this repository only ``sync.contract`` (wire models, signing,
ticket numbers, the migration helper); the kiosk never imports it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_WORKERS = 1
"""One worker process: right for a Pi-sized box (one or two slow cores, little memory).
On a server with C cores, ``--workers C`` (each worker is one Python process with its own
database pool; measured figures in docs/PERFORMANCE.md, "Central server")."""
DB_ENV = "SHUOSHI_DB_URL"
ATTACHMENTS_ENV = "SHUOSHI_ATTACHMENTS_DIR"
STAFF_TOKEN_ENV = "SHUOSHI_STAFF_TOKEN"


def app_from_env() -> FastAPI:
    """The application as ``serve`` configures it through the environment: the factory each
    uvicorn worker calls (``server:app_from_env``)."""
    from server.app import create_app

    return create_app(os.environ[DB_ENV], staff_token=os.environ.get(STAFF_TOKEN_ENV) or None,
                      attachments_dir=Path(os.environ.get(ATTACHMENTS_ENV, "var/attachments")))


def serve(db_url: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
          staff_token: str | None = None, attachments_dir: Path = Path("var/attachments"),
          certfile: Path | None = None, keyfile: Path | None = None,
          workers: int = DEFAULT_WORKERS, max_concurrency: int | None = None,
          access_log: bool = True) -> None:
    """Run the server in ``workers`` processes until stopped.

    The schema is migrated here, once, before any worker starts (each worker then finds it
    current; the migration helper's file lock covers servers started side by side).
    """
    import uvicorn

    from server import access_log as access
    from server import operations
    from server.database import open_server_engine

    open_server_engine(db_url).dispose()
    os.environ[DB_ENV] = db_url
    os.environ[ATTACHMENTS_ENV] = str(attachments_dir)
    if staff_token:
        os.environ[STAFF_TOKEN_ENV] = staff_token
    if max_concurrency is not None:
        os.environ[operations.MAX_CONCURRENCY_ENV] = str(max_concurrency)
    os.environ[access.ENABLED_ENV] = "1" if access_log else "0"
    multiproc_dir = None
    if workers > 1:
        # Read by prometheus_client when each worker imports it; must be empty at start.
        multiproc_dir = tempfile.mkdtemp(prefix="shuoshi-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir
    try:
        uvicorn.run("server:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_config=access.logging_config(), log_level="warning",
                    ssl_certfile=str(certfile) if certfile else None,
                    ssl_keyfile=str(keyfile) if keyfile else None)
    finally:
        if multiproc_dir:
            shutil.rmtree(multiproc_dir, ignore_errors=True)
