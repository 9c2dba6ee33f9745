"""A bad config file: one message naming file, keys and expectations; non-zero exit; no data."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import AppConfig, ConfigError, load_config
from tests.conftest import shuoshi


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[store]\npath = "{tmp_path}/kiosk.db"\n{body}', encoding="utf-8")
    return path


def test_defaults_alone_are_valid() -> None:
    cfg = load_config(None)
    assert cfg.hall.kiosk_code.isdigit()
    assert any(c.name == "环境卫生" for c in cfg.categories)


def test_every_field_has_a_docstring() -> None:
    def models(model: type) -> list[type]:
        found = [model]
        for field in model.model_fields.values():  # type: ignore[attr-defined]
            inner = getattr(field.annotation, "__args__", (field.annotation,))[0]
            if isinstance(inner, type) and hasattr(inner, "model_fields"):
                found += models(inner)
        return found

    for model in models(AppConfig):
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            assert field.description, f"{model.__name__}.{name} has no docstring"


def test_user_file_is_layered_over_defaults(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, '[sync]\nbatch_size = 7\n'))
    assert cfg.sync.batch_size == 7
    assert cfg.sync.server_url.startswith("http")  # still from the defaults


@pytest.mark.parametrize(
    "body, expected",
    [
        ('[sync]\nbatch_size = "many"\n', ["sync.batch_size", "expected an integer", "'many'"]),
        ("[printer]\nknd = 1\n", ["printer.knd", "unknown key", 'did you mean "kind"']),
        ("[speech]\nrate = 1000\n", ["speech.rate", "less than or equal to 300"]),
        ('[hall]\nkiosk_code = "12"\n', ["hall.kiosk_code", "4 digits"]),
        ('[printer]\nstatus_url = "https://example.cn/t"\n',
         ["printer.status_url", '"{ticket}" in it']),
        ("[screen\nwidth = 1\n", ["not valid TOML", "line 3"]),
        ('[staff]\nmembers = ["王丽", ""]\n', ["staff.members", "names of 1 to 20"]),
        ('[staff]\nmembers = ["王丽", "王丽"]\n', ["staff.members", "name once"]),
    ],
)
def test_each_kind_of_bad_file_is_named(tmp_path: Path, body: str, expected: list[str]) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_all_bad_keys_in_one_message(tmp_path: Path) -> None:
    path = _write(tmp_path, '[sync]\nbatch_size = "x"\ntimeout_seconds = "y"\n[printer]\nknd=1\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    for key in ("sync.batch_size", "sync.timeout_seconds", "printer.knd"):
        assert key in str(caught.value)


@pytest.mark.parametrize("command", ["kiosk", "sync", "submit"])
def test_commands_refuse_a_bad_file_and_touch_no_data(tmp_path: Path, command: str) -> None:
    path = _write(tmp_path, '[sync]\nbatch_size = "many"\n')
    extra = ["--category", "其他", "--description", "x"] if command == "submit" else []
    result = shuoshi(command, "--config", str(path), *extra)
    assert result.returncode == 2
    assert "sync.batch_size" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "kiosk.db").exists()


def test_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = shuoshi("sync", "--once", "--config", str(missing))
    assert result.returncode == 2
    assert f"{missing}: file not found" in result.stderr
