"""The server's life under systemd: READY=1 once it serves, WATCHDOG=1 from its event loop.

With ``--workers N`` every worker process tells systemd (the unit has ``NotifyAccess=all``);
a worker whose event loop is blocked stops pinging. Outside systemd nothing is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sync.contract import sd_notify


@asynccontextmanager
async def under_systemd(_app: FastAPI) -> AsyncIterator[None]:
    sd_notify.ready("serving")
    every = sd_notify.ping_interval(any_process=True)
    pinging = asyncio.create_task(_ping(every)) if every is not None else None
    try:
        yield
    finally:
        if pinging is not None:
            pinging.cancel()


async def _ping(every: float) -> None:
    while True:
        sd_notify.watchdog()
        await asyncio.sleep(every)
