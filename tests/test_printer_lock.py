"""The printer's lock across users: a lock file made by root (`sudo shuoshi printer status`)
must not stop the kiosk's own user from taking the lock, nor let both print at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.printer import DeviceBusy, DeviceLock
from tests.conftest import REPO

NOBODY = 65534
SYSTEM_PYTHON = Path("/usr/bin/python3")
HOLD = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("lock", sys.argv[1])
lock_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock_module)
lock = lock_module.DeviceLock(__import__("pathlib").Path(sys.argv[2]))
with lock.held(wait=5.0, what="kiosk"):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can reach (pytest's own tmp folders are root's alone)."""
    with tempfile.TemporaryDirectory(prefix="shuoshi-lock-", dir="/tmp") as name:
        folder = Path(name)
        folder.chmod(0o755)
        yield folder


@pytest.mark.skipif(os.geteuid() != 0 or not SYSTEM_PYTHON.exists(),
                    reason="acting as another user needs root and a system python3")
def test_a_lock_file_root_made_still_locks_for_the_kiosks_user(shared_folder: Path) -> None:
    code = shared_folder / "lock.py"  # the lock's own module: it needs nothing but the stdlib
    shutil.copy(REPO / "device" / "printer" / "lock.py", code)
    code.chmod(0o644)
    folder = shared_folder / "run-lock"
    folder.mkdir(mode=0o1777)
    folder.chmod(0o1777)
    path = folder / "shuoshi-printer-dev-ttyUSB0.lock"
    path.write_text("pid 1 status")  # left by root's command, as the old code made it
    path.chmod(0o644)

    try:
        kiosk = subprocess.Popen([str(SYSTEM_PYTHON), "-c", HOLD, str(code), str(path)],
                                 user=NOBODY, cwd=shared_folder, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
    except PermissionError as refused:  # a container without the right to change user
        pytest.skip(f"cannot run a process as nobody here: {refused}")
    with kiosk:
        assert kiosk.stdout is not None and kiosk.stdin is not None
        assert kiosk.stdout.readline().strip() == "held", kiosk.communicate()[1]
        # root's next command waits for the kiosk's job
        with pytest.raises(DeviceBusy), DeviceLock(path).held(wait=0.3, what="status"):
            pass
        kiosk.stdin.write("\n")
        kiosk.stdin.flush()
        assert kiosk.wait(10) == 0
    with DeviceLock(path).held(wait=1.0, what="status"):
        assert path.read_text() == f"pid {os.getpid()} status"


def test_a_new_lock_file_lets_every_user_say_who_holds_the_printer(tmp_path: Path) -> None:
    path = tmp_path / "shuoshi-printer-x.lock"
    with DeviceLock(path).held(wait=1.0, what="receipt"):
        assert path.stat().st_mode & 0o777 == 0o666
        assert path.read_text() == f"pid {os.getpid()} receipt"
