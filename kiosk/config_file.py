"""Reading a config file, and saying what is wrong with it in the terms of the file: the
dotted key, what was expected, a close known key for a misspelt one."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names file, keys and expectations."""


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config error: {path}: file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"config error: {path}: is a directory, expected a TOML file") from None
    except PermissionError:
        raise ConfigError(f"config error: {path}: not readable (permission denied)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config error in {path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config error in {path}: not UTF-8 text") from None


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def describe(source: Path, exc: ValidationError, root: type[BaseModel]) -> str:
    """What is wrong in ``source``, a line per key: its dotted name and what was expected."""
    lines = [f"config error in {source}:"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"  - {where}: unknown key{_suggest(root, err['loc'])}")
        elif err["type"] == "missing":
            lines.append(f"  - {where}: missing; {_field_doc(root, err['loc'])}")
        else:
            got = err.get("input")
            lines.append(f"  - {where}: expected {_expected(err)}, got {got!r}")
    return "\n".join(lines)


def _expected(err: Any) -> str:
    msg = str(err["msg"])
    kind = str(err["type"])
    plain = {
        "int_type": "an integer",
        "int_parsing": "an integer",
        "float_type": "a number",
        "float_parsing": "a number",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
        "string_type": "a quoted string",
        "list_type": "a list",
        "model_type": "a table",
        "dict_type": "a table",
    }
    if kind in plain:
        return plain[kind]
    return msg.removeprefix("Value error, ").removeprefix("Input should be ")


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return model
        inner = field.annotation
        args = getattr(inner, "__args__", None)
        if args:
            inner = args[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            model = inner
        else:
            return model
    return model


def _suggest(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    model = _model_at(root, loc[:-1])
    if model is None:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    if close:
        return f' (did you mean "{close[0]}"?)'
    return f"; known keys: {', '.join(model.model_fields)}"


def _field_doc(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    model = _model_at(root, loc[:-1])
    field = model.model_fields.get(str(loc[-1])) if model else None
    return (field.description or "required") if field else "required"
