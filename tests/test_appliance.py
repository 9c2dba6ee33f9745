"""The appliance: scripts/install.sh run into throw-away roots (files, the user and its groups,
units enabled, config installed once, idempotence by hashing the whole tree, --uninstall
keeping config and data), every unit checked by `systemd-analyze verify` and `security`,
and the udev rules read by a strict syntax check and by udev's own parser.

The app's venv is built for real by pip from the checked-in constraints, offline, on top of
the project's .venv (so no download): see --offline-site-packages in scripts/install.sh.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import load_config

REPO = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = Path("/usr/bin/python3")
DEBIAN_WHEEL = Path("/usr/lib/python3/dist-packages/wheel")
HOST_UNITS = Path("/usr/lib/systemd/system")
DEVICE_GROUPS = ("video", "render", "input", "audio", "lp", "dialout")
SOURCES = ("pyproject.toml", "README.md", "constraints.txt", "assets", "demo", "device", "kiosk",
           "server", "shuoshi", "sync", "scripts", "systemd", "udev")
CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 rootwait\n"


def _system_python_matches() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    out = subprocess.run([str(SYSTEM_PYTHON), "-c", "import sys; print(sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return out == str(tuple(sys.version_info[:2]))


pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="installs files owned by other users: root"),
    pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd's tools"),
]
needs_offline_build = pytest.mark.skipif(
    not (_system_python_matches() and DEBIAN_WHEEL.is_dir()),
    reason="the offline venv needs /usr/bin/python3 of this Python version and python3-wheel")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A still copy of the checkout: the install hashes its sources, and others edit them."""
    copy = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, copy / name)
    return copy


@pytest.fixture(scope="module")
def build_tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Just Debian's `wheel`, for building the app's wheel without build isolation."""
    tools = tmp_path_factory.mktemp("build-tools")
    for entry in DEBIAN_WHEEL.parent.glob("wheel*"):
        (tools / entry.name).symlink_to(entry)
    return tools


def fresh_root(root: Path) -> Path:
    """What a fresh Raspberry Pi OS has that the install relies on: the account files (some
    device groups exist, some not), systemd's own units, getty on tty1, the kernel command line."""
    etc = root / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "group").write_text("root:x:0:\naudio:x:29:\nvideo:x:44:\n")
    (etc / "gshadow").write_text("root:*::\naudio:*::\nvideo:*::\n")
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree(HOST_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    wants = etc / "systemd/system/getty.target.wants"
    wants.mkdir(parents=True)
    (wants / "getty@tty1.service").symlink_to("/usr/lib/systemd/system/getty@.service")
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/cmdline.txt").write_text(CMDLINE)
    return root


def install(source: Path, build_tools: Path, root: Path, *args: str) -> str:
    site = next((REPO / ".venv/lib").glob("python3.*/site-packages"))
    cmd = ["sh", str(source / "scripts/install.sh"), *args, "--root", str(root),
           "--offline-site-packages", f"{site}:{build_tools}", "--no-word-index"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHON": str(SYSTEM_PYTHON)})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def tree_digest(root: Path) -> str:
    """Every path under root with its type, mode, owner and content (or link target)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        digest.update(f"{path.relative_to(root)} {st.st_mode:o} {st.st_uid}:{st.st_gid} ".encode())
        if path.is_symlink():
            digest.update(os.readlink(path).encode())
        elif path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        digest.update(b"\n")
    return digest.hexdigest()


def account(root: Path, table: str, name: str) -> list[str] | None:
    for line in (root / "etc" / table).read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return fields
    return None


def unit_settings(text: str) -> dict[str, list[str]]:
    """A unit file's settings, a key given several times (DeviceAllow=) keeping them all."""
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def verify(root: Path, *units: str) -> None:
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", f"--root={root}", *units],
                          capture_output=True, text=True, timeout=120, cwd=root)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    for unit in units:  # exposure at most 2.5 of 10 ("OK"): no capabilities, syscalls filtered
        done = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={root}",
                               "--threshold=25", "--no-pager", unit],
                              capture_output=True, text=True, timeout=120, cwd=root)
        assert done.returncode == 0, done.stdout[-400:] + done.stderr


@pytest.fixture(scope="module")
def kiosk_root(source: Path, build_tools: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Path]:
    root = fresh_root(tmp_path_factory.mktemp("kiosk-root"))
    install(source, build_tools, root, "--kiosk")
    yield root


# -- the kiosk ------------------------------------------------------------------------------

@needs_offline_build
def test_the_kiosk_install_makes_the_appliance(kiosk_root: Path) -> None:
    root = kiosk_root
    user = account(root, "passwd", "shuoshi")
    assert user is not None
    assert user[5:] == ["/var/lib/shuoshiting", "/usr/sbin/nologin"]
    assert int(user[2]) < 1000  # a system account
    gid = int(user[3])
    for group in DEVICE_GROUPS:
        entry = account(root, "group", group)
        assert entry is not None and "shuoshi" in entry[3].split(","), group

    config = root / "etc/shuoshiting/kiosk.toml"
    assert (config.stat().st_mode & 0o777, config.stat().st_uid, config.stat().st_gid) == (
        0o640, 0, gid)  # it will hold the kiosk's signing key
    cfg = load_config(config)
    assert str(cfg.store.path).startswith("/var/lib/shuoshiting/")
    data = (root / "var/lib/shuoshiting").stat()
    assert (data.st_mode & 0o777, data.st_uid, data.st_gid) == (0o750, int(user[2]), gid)

    for unit in ("shuoshi-kiosk.service", "shuoshi-sync.service"):
        installed = root / "etc/systemd/system" / unit
        assert installed.read_text() == (REPO / "systemd" / unit).read_text()
        link = root / "etc/systemd/system/multi-user.target.wants" / unit
        assert os.readlink(link) == f"/etc/systemd/system/{unit}"
    assert not (root / "etc/systemd/system/shuoshi-server.service").exists()
    assert not (root / "etc/systemd/system/getty.target.wants/getty@tty1.service").exists()
    assert (root / "etc/udev/rules.d/70-shuoshi.rules").read_text() == (
        REPO / "udev/70-shuoshi.rules").read_text()
    assert "usblp" in (root / "etc/modules-load.d/shuoshi.conf").read_text().split()
    assert (root / "boot/firmware/cmdline.txt").read_text() == CMDLINE.replace(
        "rootwait\n", "rootwait consoleblank=0\n")

    skipped = (root / "install-sh-skipped.txt").read_text().splitlines()
    apt = next(line for line in skipped if line.startswith("apt-get install"))
    assert {"espeak-ng", "fonts-wqy-microhei", "libsdl2-2.0-0", "python3-venv"} <= set(apt.split())
    assert not {"xvfb", "xdotool", "chromium", "postgresql"} & set(apt.split())
    assert (root / "opt/shuoshiting/extras").read_text().strip() == "kiosk"

    # The app runs from its own venv, not from the checkout.
    python = root / "opt/shuoshiting/.venv/bin/python"
    where = subprocess.run([str(python), "-c", "import kiosk.cli, shuoshi.cli; "
                            "print(kiosk.cli.__file__)"],
                           capture_output=True, text=True, check=True, cwd=root).stdout
    assert where.startswith(str(root / "opt/shuoshiting/.venv/lib/"))
    assert (root / "opt/shuoshiting/.venv/bin/shuoshi").is_file()


@needs_offline_build
def test_a_second_install_changes_nothing_and_keeps_the_config(
        kiosk_root: Path, source: Path, build_tools: Path) -> None:
    before = tree_digest(kiosk_root)
    out = install(source, build_tools, kiosk_root, "--kiosk")
    assert "/opt/shuoshiting is current" in out
    assert tree_digest(kiosk_root) == before

    config = kiosk_root / "etc/shuoshiting/kiosk.toml"
    config.write_text(config.read_text().replace('kiosk_code = "0001"', 'kiosk_code = "0042"'))
    edited = tree_digest(kiosk_root)
    install(source, build_tools, kiosk_root, "--kiosk")
    assert tree_digest(kiosk_root) == edited
    assert load_config(config).hall.kiosk_code == "0042"


@needs_offline_build
def test_the_kiosk_units_verify_in_the_installed_root(kiosk_root: Path) -> None:
    verify(kiosk_root, "shuoshi-kiosk.service", "shuoshi-sync.service")


# -- the server -----------------------------------------------------------------------------

@needs_offline_build
def test_the_server_installs_apart_without_the_kiosk(
        source: Path, build_tools: Path, tmp_path: Path) -> None:
    root = fresh_root(tmp_path / "root")
    install(source, build_tools, root, "--server")
    assert account(root, "passwd", "shuoshi") is not None
    assert (root / "opt/shuoshiting/extras").read_text().strip() == "server"
    env = root / "etc/shuoshiting/server.env"
    assert env.stat().st_mode & 0o777 == 0o640
    assert not (root / "etc/shuoshiting/kiosk.toml").exists()
    assert os.readlink(root / "etc/systemd/system/multi-user.target.wants/"
                       "shuoshi-server.service") == "/etc/systemd/system/shuoshi-server.service"
    assert not (root / "etc/systemd/system/shuoshi-kiosk.service").exists()
    assert not (root / "etc/udev/rules.d/70-shuoshi.rules").exists()
    assert (root / "etc/systemd/system/getty.target.wants/getty@tty1.service").is_symlink()
    assert (root / "boot/firmware/cmdline.txt").read_text() == CMDLINE
    apt = (root / "install-sh-skipped.txt").read_text()
    assert "python3-venv" in apt and "libsdl2" not in apt and "espeak" not in apt
    verify(root, "shuoshi-server.service")


# -- uninstall ------------------------------------------------------------------------------

@needs_offline_build
def test_uninstall_removes_the_appliance_and_keeps_config_and_data(
        source: Path, build_tools: Path, tmp_path: Path) -> None:
    root = fresh_root(tmp_path / "root")
    pristine = {p: (root / p).read_text() for p in ("etc/passwd", "etc/group")}
    install(source, build_tools, root, "--kiosk")
    queue = root / "var/lib/shuoshiting/kiosk.db"
    queue.write_bytes(b"the queue")
    config = root / "etc/shuoshiting/kiosk.toml"
    config.write_text(config.read_text() + "\n# this hall's own\n")
    kept = config.read_text()

    install(source, build_tools, root, "--uninstall")
    assert not (root / "opt/shuoshiting").exists()
    for gone in ("shuoshi-kiosk.service", "shuoshi-sync.service",
                 "multi-user.target.wants/shuoshi-kiosk.service",
                 "multi-user.target.wants/shuoshi-sync.service"):
        assert not (root / "etc/systemd/system" / gone).is_symlink()
        assert not (root / "etc/systemd/system" / gone).exists()
    assert not (root / "etc/udev/rules.d/70-shuoshi.rules").exists()
    assert not (root / "etc/modules-load.d/shuoshi.conf").exists()
    assert (root / "etc/systemd/system/getty.target.wants/getty@tty1.service").is_symlink()
    assert (root / "boot/firmware/cmdline.txt").read_text() == CMDLINE
    assert account(root, "passwd", "shuoshi") is None
    assert account(root, "group", "shuoshi") is None
    assert pristine["etc/passwd"] == (root / "etc/passwd").read_text()
    assert queue.read_bytes() == b"the queue"
    assert config.read_text() == kept

    install(source, build_tools, root, "--kiosk")  # back again, on the same config and data
    assert config.read_text() == kept and queue.read_bytes() == b"the queue"


def test_install_refuses_an_unknown_part(tmp_path: Path) -> None:
    done = subprocess.run(["sh", str(REPO / "scripts/install.sh"), "--desktop",
                           "--root", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--kiosk" in done.stderr
    assert list(tmp_path.iterdir()) == []


# -- the units, as written --------------------------------------------------------------------

def test_every_unit_heals_itself_and_is_hardened() -> None:
    units = {p.name: unit_settings(p.read_text()) for p in (REPO / "systemd").glob("*.service")}
    assert set(units) == {"shuoshi-kiosk.service", "shuoshi-sync.service",
                          "shuoshi-server.service"}
    for name, s in units.items():
        for key, value in {"Type": "notify", "RestartPreventExitStatus": "2",
                           "Restart": "always", "NoNewPrivileges": "yes",
                           "ProtectSystem": "strict", "ProtectHome": "yes",
                           "PrivateTmp": "yes", "StateDirectory": "shuoshiting",
                           "WorkingDirectory": "/var/lib/shuoshiting", "User": "shuoshi",
                           "CapabilityBoundingSet": ""}.items():
            assert s.get(key) == [value], (name, key)
        assert int(s["WatchdogSec"][0]) > 0
        after = " ".join(s.get("After", [])).split()
        if "network-online.target" in after:
            assert "network-online.target" in " ".join(s.get("Wants", [])).split(), name
        assert not any("/opt/shuoshiting/var" in v for values in s.values() for v in values)

    kiosk = units["shuoshi-kiosk.service"]
    env = kiosk["Environment"]
    assert "SDL_VIDEODRIVER=kmsdrm" in env
    assert not any(e.startswith("DISPLAY=") for e in env)
    assert kiosk["Conflicts"] == ["getty@tty1.service"]
    assert kiosk["TTYPath"] == ["/dev/tty1"]
    assert kiosk["NotifyAccess"] == ["main"]
    assert set(kiosk["SupplementaryGroups"][0].split()) == set(DEVICE_GROUPS)
    assert kiosk["DevicePolicy"] == ["closed"]
    allowed = {entry.split()[0] for entry in kiosk["DeviceAllow"]}
    assert {"char-drm", "char-input", "char-alsa", "/dev/shuoshi-printer",
            "/dev/shuoshi-scanner"} <= allowed
    sync = units["shuoshi-sync.service"]
    assert not any("shuoshi-kiosk" in v for k in ("After", "Requires", "BindsTo", "Wants",
                                                  "PartOf") for v in sync.get(k, []))


# -- udev -------------------------------------------------------------------------------------

RULES = REPO / "udev/70-shuoshi.rules"
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "KERNEL", "ATTRS", "ENV", "DRIVERS", "SUBSYSTEMS"}
ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "GOTO", "LABEL", "ENV", "TAG"}
PAIR = re.compile(r'^(?P<key>[A-Z]+)(\{(?P<attr>[A-Za-z_]+)\})?(?P<op>==|!=|\+=|-=|:=|=)'
                  r'"(?P<value>[^"]*)"$')


def rule_lines() -> list[list[dict[str, str]]]:
    rules = []
    for number, line in enumerate(RULES.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        pairs = []
        for part in line.split(", "):
            m = PAIR.match(part)
            assert m, f"line {number}: {part!r}"
            pair = {k: v or "" for k, v in m.groupdict().items()}
            if pair["op"] in ("==", "!="):
                assert pair["key"] in MATCH_KEYS, f"line {number}: {part!r}"
            else:
                assert pair["key"] in ASSIGN_KEYS, f"line {number}: {part!r}"
            pairs.append(pair)
        rules.append(pairs)
    return rules


def test_the_udev_rules_are_well_formed_and_name_every_device() -> None:
    rules = rule_lines()
    named: dict[str, set[str]] = {"shuoshi-printer": set(), "shuoshi-scanner": set()}
    for pairs in rules:
        keys = {(p["key"], p["attr"]): p["value"] for p in pairs}
        link = keys.get(("SYMLINK", ""))
        if link is None:
            continue
        assert link in named
        assert (keys[("GROUP", "")], keys[("MODE", "")]) == ("shuoshi", "0660")
        if ("ATTRS", "idVendor") in keys:
            named[link].add(f"{keys[('ATTRS', 'idVendor')]}:{keys.get(('ATTRS', 'idProduct'), '')}")
        else:
            named[link].add(f"{keys[('SUBSYSTEM', '')]}/{keys[('KERNEL', '')]}")
    assert {"usbmisc/lp[0-9]*", "1a86:7523", "067b:2303", "0403:6001",
            "10c4:ea60"} <= named["shuoshi-printer"]
    assert "tty/ttyACM[0-9]*" in named["shuoshi-scanner"]
    assert any(entry.endswith(":") for entry in named["shuoshi-scanner"])  # HID, by vendor
    labels = [p["value"] for pairs in rules for p in pairs if p["key"] == "LABEL"]
    gotos = [p["value"] for pairs in rules for p in pairs if p["key"] == "GOTO"]
    assert set(gotos) <= set(labels)


def test_udev_reads_the_rules_without_a_complaint(tmp_path: Path) -> None:
    """udevadm 252 has no `verify`: run `udevadm test` in a private mount namespace whose
    rules directories hold only ours and whose /etc/group knows the shuoshi group."""
    if not shutil.which("udevadm") or not shutil.which("unshare"):
        pytest.skip("needs udevadm and unshare")
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("no private mount namespace here")
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(RULES, rules / RULES.name)
    (tmp_path / "empty").mkdir()
    (tmp_path / "run-udev").mkdir()
    (tmp_path / "dev-char").mkdir()
    group = tmp_path / "group"
    group.write_text(Path("/etc/group").read_text() + "shuoshi:x:990:\n")
    mounts = [(rules, "/usr/lib/udev/rules.d"), (tmp_path / "empty", "/etc/udev/rules.d"),
              (tmp_path / "dev-char", "/dev/char"), (group, "/etc/group")]
    if Path("/run/udev").is_dir():
        mounts.append((tmp_path / "run-udev", "/run/udev"))
    script = " && ".join(f"mount --bind {a} {b}" for a, b in mounts if Path(b).exists())
    done = subprocess.run(["unshare", "-m", "sh", "-c",
                           f"{script} && udevadm test /sys/class/tty/tty 2>&1"],
                          capture_output=True, text=True, timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert f"Reading rules file: /usr/lib/udev/rules.d/{RULES.name}" in out
    complaints = [line for line in out.splitlines() if RULES.name + ":" in line]
    assert complaints == []
