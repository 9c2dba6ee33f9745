"""What operators need around every request: load shedding, metrics, the access log."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Wrap ``app`` in the operational middleware."""
