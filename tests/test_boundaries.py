"""The kiosk and the central server install and import apart; they share only sync.contract.

Each import check runs in a fresh interpreter and reads ``sys.modules`` afterwards, so what a
module drags in on import is seen, not only what its own lines name. The checks that read the
source catch imports made later, inside functions.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DISTRIBUTION = "shuoshiting"


def _loaded_after(script: str, tmp_path: Path) -> list[str]:
    """The modules loaded once ``script`` has run in a fresh interpreter without a display."""
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env.update(KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_HOME=str(tmp_path / "kivy"))
    code = f"{script}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def _import_all(package: str, skip: tuple[str, ...] = ()) -> str:
    """A script importing every module of ``package`` (found on disk, so none is forgotten)
    but ``__main__``, which would run the command."""
    return (f"import importlib, pkgutil, {package}\n"
            f"names = [m.name for m in pkgutil.walk_packages({package}.__path__, '{package}.')"
            f" if m.name not in {skip!r} and not m.name.endswith('.__main__')]\n"
            "assert names\n"
            "for name in names:\n"
            "    importlib.import_module(name)\n")


def _top(module: str) -> str:
    return module.split(".")[0]


def _imports_in_source(package: str) -> dict[str, set[str]]:
    """Every module each file of ``package`` names in an import, at any depth of its code."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(REPO))] = names
    return found


def _ours_but_not_contract(module: str) -> bool:
    """Of this repository and not what the server may use (sync.contract, itself)."""
    if _top(module) == "sync":
        return module != "sync" and not module.startswith("sync.contract")
    return _top(module) in {"kiosk", "device", "demo", "shuoshi", "assets"}


def test_the_server_imports_nothing_of_the_kiosk(tmp_path: Path) -> None:
    # env.py only runs inside Alembic: opening a database runs it and every migration
    script = _import_all("server", skip=("server.migrations.env",)) + (
        "from server.app import create_app\n"
        f"create_app('sqlite:///{tmp_path}/server.db', attachments_dir=__import__('pathlib')"
        f".Path('{tmp_path}/attachments'))\n")
    loaded = _loaded_after(script, tmp_path)
    assert "server.app" in loaded and (tmp_path / "server.db").stat().st_size > 0
    assert [m for m in loaded if _top(m) == "kivy"] == []
    assert [m for m in loaded if _ours_but_not_contract(m)] == []


def test_the_server_source_names_only_the_contract() -> None:
    for path, names in _imports_in_source("server").items():
        assert [n for n in names if _ours_but_not_contract(n) or _top(n) == "kivy"] == [], path


def test_the_contract_stands_alone() -> None:
    for path, names in _imports_in_source("sync/contract").items():
        ours = [n for n in names if _top(n) in {"kiosk", "device", "server", "demo", "shuoshi"}
                or (_top(n) == "sync" and not n.startswith("sync.contract"))]
        assert ours == [], path


def test_the_kiosk_imports_no_server(tmp_path: Path) -> None:
    script = (_import_all("kiosk") + _import_all("sync", skip=("sync.migrations.env",))
              + _import_all("device"))
    loaded = _loaded_after(script, tmp_path)
    assert "kiosk.app" in loaded and "kiosk.cli" in loaded and "sync.client" in loaded
    server_side = {"server", "demo", "shuoshi", "fastapi", "uvicorn", "starlette"}
    assert [m for m in loaded if _top(m) in server_side] == []


@pytest.mark.parametrize("package", ["kiosk", "sync", "device"])
def test_the_kiosk_source_never_names_the_server(package: str) -> None:
    for path, names in _imports_in_source(package).items():
        assert [n for n in names if _top(n) in {"server", "fastapi", "uvicorn"}] == [], path


def _requirements(extra: str | None, seen: frozenset[str] = frozenset()) -> set[str]:
    """Names of the distributions an install of ``shuoshiting[extra]`` asks for, extras of
    this distribution followed (``shuoshiting[kiosk,server]`` inside ``demo``)."""
    names: set[str] = set()
    for line in importlib.metadata.requires(DISTRIBUTION) or []:
        requirement, _, marker = line.partition(";")
        wanted = re.search(r'extra\s*==\s*"([^"]+)"', marker)
        if (wanted.group(1) if wanted else None) not in {None, extra}:
            continue
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?", requirement)
        assert match, line
        name = match.group(1).lower().replace("_", "-")
        if name == DISTRIBUTION:
            for inner in (match.group(2) or "").split(","):
                if inner.strip() and inner.strip() not in seen:
                    names |= _requirements(inner.strip(), seen | {inner.strip()})
        else:
            names.add(name)
    return names


def test_the_server_installs_without_kivy_and_the_kiosk_without_fastapi() -> None:
    kiosk_only = {"kivy", "python-escpos", "pyserial", "pyusb", "pyttsx3", "pypinyin"}
    server_only = {"fastapi", "uvicorn", "psycopg", "jinja2", "python-multipart",
                   "prometheus-client"}  # argon2-cffi is both's: staff passwords and PINs
    server, kiosk = _requirements("server"), _requirements("kiosk")
    assert server_only <= server and not server & kiosk_only, server
    assert kiosk_only <= kiosk and not kiosk & server_only, kiosk
    assert (kiosk_only | server_only) <= _requirements("dev")  # make test needs both


def test_both_commands_are_installed() -> None:
    scripts = {e.name: e.value for e in importlib.metadata.entry_points(group="console_scripts")
               if e.dist is not None and e.dist.name == DISTRIBUTION}
    assert scripts == {"shuoshi": "shuoshi.cli:main", "shuoshi-server": "server.cli:main"}


def test_the_server_command_without_the_server_installed_says_what_to_install(
        tmp_path: Path) -> None:
    """As on a kiosk installed without the server's extra: uvicorn cannot be imported."""
    script = (
        "import sys\n"
        "class NoUvicorn:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'uvicorn':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoUvicorn())\n"
        "from server.cli import main\n"
        f"sys.exit(main(['--db', 'sqlite:///{tmp_path}/server.db', '--port', '1']))\n")
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, cwd=REPO, check=False)
    assert ran.returncode == 2, ran.stderr
    assert "uvicorn is not installed here" in ran.stderr
    assert "pip install 'shuoshiting[server]'" in ran.stderr
    assert "Traceback" not in ran.stderr
