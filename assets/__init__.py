"""Packaged defaults: configuration, categories and quick phrases, prompts."""

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent
DEFAULTS_TOML = ASSETS_DIR / "defaults.toml"
