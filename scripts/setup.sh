#!/bin/sh
# Installs what `make run` and `make test` need on Debian 12 / Raspberry Pi OS (bookworm):
# system packages with apt (as root or through sudo), then Python packages into .venv.
set -eu

APT_PACKAGES="python3-venv xvfb xdotool espeak-ng fonts-wqy-microhei libgl1 libgl1-mesa-dri libegl1 libmtdev1 libsdl2-2.0-0 alsa-utils libusb-1.0-0 postgresql chromium libzinnia0 tegaki-zinnia-simplified-chinese fonts-droid-fallback fonts-hanazono systemd udev python3-wheel"

missing=""
for pkg in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO="none"; fi
    if [ "$SUDO" = "none" ]; then
        echo "These system packages are missing. Install them, then run make again:" >&2
        echo "  sudo apt-get install -y$missing" >&2
        exit 1
    fi
    echo "installing system packages:$missing"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    # dev pulls in the kiosk and the server (which install apart) and the test tools
    .venv/bin/python -m pip install -q -e ".[dev]"
    rm -f .venv/.installed-*
    touch "$stamp"
fi
# The word index behind the pinyin keyboard and the next-character hints: built once here
# (about a minute), never at the kiosk's start; skipped when it is current.
.venv/bin/python -m kiosk.writing.build_index var/input/words.sqlite
