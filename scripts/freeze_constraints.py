"""Write constraints.txt: the exact versions, from this environment, of everything the kiosk
and the server install (``.[kiosk]``, ``.[server]``), not the test tools.

    .venv/bin/python scripts/freeze_constraints.py > constraints.txt

scripts/install.sh installs the appliance with ``pip install -c constraints.txt``, so a kiosk
set up next year gets the versions tested here.
"""

from __future__ import annotations

import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
EXTRAS = ("kiosk", "server")
# The venv brings its own (python3 -m venv): pinning them would fight it.
LEFT_TO_THE_VENV = {"pip", "setuptools", "wheel"}
PI = {"platform_machine": "aarch64", "sys_platform": "linux"}  # the kiosk's own platform


def wanted(req: Requirement, extras: tuple[str, ...]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({**env, "extra": e})
               for env in ({}, PI) for e in ("", *extras))


def closure(top: list[str]) -> dict[str, str]:
    pinned: dict[str, str] = {}
    todo: list[tuple[str, tuple[str, ...]]] = []
    for line in top:
        req = Requirement(line)
        if wanted(req, ()):
            todo.append((req.name, tuple(sorted(req.extras))))
            pinned[canonicalize_name(req.name)] = distribution(req.name).version
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while todo:
        dist_name, extras = todo.pop()
        if (dist_name, extras) in seen:
            continue
        seen.add((dist_name, extras))
        for line in distribution(dist_name).requires or []:
            req = Requirement(line)
            if not wanted(req, extras):
                continue
            key = canonicalize_name(req.name)
            if key in LEFT_TO_THE_VENV:
                continue
            try:
                pinned[key] = distribution(req.name).version
            except PackageNotFoundError:
                continue  # a platform-only dependency not installed here
            todo.append((req.name, tuple(sorted(req.extras))))
    return pinned


def main() -> int:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    top = list(project["dependencies"])
    for extra in EXTRAS:
        top += project["optional-dependencies"][extra]
    pinned = closure(top)
    print("# Exact versions for the appliance (scripts/install.sh); regenerate with")
    print("#   .venv/bin/python scripts/freeze_constraints.py > constraints.txt")
    for name in sorted(pinned):
        print(f"{name}=={pinned[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
