"""One module and one .kv file per screen."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

KV_DIR = Path(__file__).resolve().parent


def load_kv(name: str) -> None:
    Builder.load_file(str(KV_DIR / f"{name}.kv"))
