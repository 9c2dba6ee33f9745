#!/bin/sh
# Makes a 说事厅 appliance on Raspberry Pi OS Lite / Debian 12 (bookworm) with one command:
#
#   sudo scripts/install.sh --kiosk       the touchscreen kiosk and its sync worker
#   sudo scripts/install.sh --server      the central server (no Kivy, no printer or speech)
#   sudo scripts/install.sh --uninstall   removes what it installed; keeps the config in
#                                         /etc/shuoshiting and the data in /var/lib/shuoshiting
#
# System packages (apt), a `shuoshi` system user, the application in its own virtual
# environment under /opt/shuoshiting (exact versions from constraints.txt), the config in
# /etc/shuoshiting (from scripts/appliance/, only when missing), the units enabled, the udev
# rules. Running it again changes nothing that is already right.
#
# --root DIR  installs into DIR instead of / (a throw-away root, for checking): apt-get is not
#             run, users are made with `useradd --root DIR`, units enabled with
#             `systemctl --root DIR`, nothing is started; what was left out is written to
#             DIR/install-sh-skipped.txt. DIR needs /etc/passwd, /etc/group, /etc/shadow and
#             /etc/gshadow. The venv's scripts then name their DIR-prefixed paths.
# --offline-site-packages DIR[:DIR…]  builds the venv without network on top of the packages
#             in DIR (another venv's site-packages, same Python minor version, and a `wheel`
#             for the build): for the tests.
# --no-word-index  skips building the pinyin keyboard's word index (about a minute).
set -eu

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit "${1:-2}"
}

MODE=""
ROOT=""
SITE=""
WORD_INDEX=1
while [ $# -gt 0 ]; do
    case "$1" in
        --kiosk|--server|--uninstall)
            [ -z "$MODE" ] || usage
            MODE=${1#--} ;;
        --root)
            [ $# -ge 2 ] || usage
            mkdir -p "$2"
            ROOT=$(cd "$2" && pwd)
            shift ;;
        --offline-site-packages)
            [ $# -ge 2 ] || usage
            SITE=$2
            shift ;;
        --no-word-index) WORD_INDEX=0 ;;
        -h|--help) usage 0 ;;
        *) usage ;;
    esac
    shift
done
[ -n "$MODE" ] || usage
[ "$ROOT" = "/" ] && ROOT=""
if [ "$(id -u)" != "0" ]; then
    echo "install.sh: run it as root (sudo scripts/install.sh --$MODE)" >&2
    exit 1
fi

SRC=$(cd "$(dirname "$0")/.." && pwd)
APP=/opt/shuoshiting
VENV=$APP/.venv
ETC=/etc/shuoshiting
DATA=/var/lib/shuoshiting
UNIT_DIR=/etc/systemd/system
RULES=/etc/udev/rules.d/70-shuoshi.rules
MODULES=/etc/modules-load.d/shuoshi.conf
CMDLINE=/boot/firmware/cmdline.txt
USER_NAME=shuoshi
DEVICE_GROUPS="video render input audio lp dialout"
PYTHON=${PYTHON:-/usr/bin/python3}
KIOSK_APT="python3-venv espeak-ng fonts-wqy-microhei fonts-droid-fallback fonts-hanazono libgl1 libgl1-mesa-dri libegl1 libmtdev1 libsdl2-2.0-0 alsa-utils libusb-1.0-0 libzinnia0 tegaki-zinnia-simplified-chinese"
SERVER_APT="python3-venv"
KIOSK_UNITS="shuoshi-kiosk.service shuoshi-sync.service"
SERVER_UNITS="shuoshi-server.service"
SKIPPED=$ROOT/install-sh-skipped.txt

at() { printf '%s%s' "$ROOT" "$1"; }  # a path inside the target root
say() { echo "install.sh: $*"; }
skipped() {  # what a throw-away root cannot do; on a real system, what is left to do
    if [ -n "$ROOT" ]; then printf '%s\n' "$*" >>"$SKIPPED"; else say "not run here: $*"; fi
}
live() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }  # a running systemd to talk to

ctl() {
    if [ -n "$ROOT" ]; then systemctl --root="$ROOT" "$@"; else systemctl "$@"; fi
}

id_of() {  # id_of passwd|group NAME: the numeric id in the target root's files
    awk -F: -v name="$2" '$1 == name { print $3 }' "$(at "/etc/$1")"
}

member_of() {  # member_of GROUP USER
    awk -F: -v g="$1" -v u="$2" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) found = 1 } END { exit !found }' "$(at /etc/group)"
}

put() {  # put MODE SOURCE TARGET: copies SOURCE when TARGET differs
    if ! cmp -s "$2" "$(at "$3")"; then
        install -D -m "$1" "$2" "$(at "$3")"
        say "installed $3"
    fi
}

# -- system packages ---------------------------------------------------------------------

apt_install() {
    missing=""
    for pkg in $1; do
        if [ -n "$ROOT" ] || ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing="$missing $pkg"
        fi
    done
    [ -n "$missing" ] || return 0
    if [ -n "$ROOT" ]; then
        skipped "apt-get install -y$missing"
        return 0
    fi
    say "installing system packages:$missing"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
}

# -- the user ----------------------------------------------------------------------------

make_user() {
    root_opt=""
    [ -z "$ROOT" ] || root_opt="--root $ROOT"
    for g in $DEVICE_GROUPS; do
        [ -n "$(id_of group "$g")" ] || groupadd $root_opt --system "$g"
    done
    if [ -z "$(id_of passwd "$USER_NAME")" ]; then
        useradd $root_opt --system --user-group --home-dir "$DATA" --no-create-home \
            --shell /usr/sbin/nologin --comment "shuoshiting appliance" \
            --groups "$(echo "$DEVICE_GROUPS" | tr ' ' ',')" "$USER_NAME" 2>&1 \
            | grep -v "missing or non-executable shell" >&2 || true
        [ -n "$(id_of passwd "$USER_NAME")" ] || { echo "install.sh: useradd failed" >&2; exit 1; }
        say "made the system user $USER_NAME"
    fi
    for g in $DEVICE_GROUPS; do
        member_of "$g" "$USER_NAME" || usermod $root_opt --append --groups "$g" "$USER_NAME"
    done
}

# -- the application ---------------------------------------------------------------------

source_stamp() {  # what the venv was built from: sources, pins, extras, Python
    (
        cd "$SRC"
        find pyproject.toml README.md constraints.txt assets demo device kiosk server shuoshi sync \
            -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -exec sha256sum {} + | LC_ALL=C sort -k2
        echo "extras $1"
        "$PYTHON" -c 'import sys; print(sys.version)'
    ) | sha256sum | cut -c1-64
}

build_venv() {
    extras=$1
    stamp=$(source_stamp "$extras")
    if [ -f "$(at "$APP/.installed")" ] && [ "$(cat "$(at "$APP/.installed")")" = "$stamp" ]; then
        say "$APP is current"
        return 0
    fi
    install -d -m 0755 "$(at "$APP")"
    [ -x "$(at "$VENV/bin/python")" ] || "$PYTHON" -m venv "$(at "$VENV")"
    # Built from a copy, so the checkout gets no build/ or egg-info of its own.
    build=$(mktemp -d)
    trap 'rm -rf "$build"' EXIT
    tar -C "$SRC" --exclude=__pycache__ --exclude='*.pyc' -cf - pyproject.toml README.md \
        assets demo device kiosk server shuoshi sync | tar -C "$build" -xf -
    pip="$(at "$VENV/bin/python") -m pip install --quiet --disable-pip-version-check --no-cache-dir"
    if [ -n "$SITE" ]; then
        site=$("$(at "$VENV/bin/python")" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        echo "$SITE" | tr ':' '\n' >"$site/shuoshi-offline-site.pth"
        pip="$pip --no-index --no-build-isolation"
    fi
    say "installing the application ($extras) into $VENV"
    $pip --constraint "$SRC/constraints.txt" "$build[$extras]"
    rm -rf "$build"
    trap - EXIT
    echo "$stamp" >"$(at "$APP/.installed")"
}

# -- install -----------------------------------------------------------------------------

install_config() {  # install_config TEMPLATE NAME: only when missing, never overwritten
    gid=$(id_of group "$USER_NAME")
    install -d -m 0750 -o 0 -g "$gid" "$(at "$ETC")"
    if [ ! -e "$(at "$ETC/$2")" ]; then
        install -m 0640 -o 0 -g "$gid" "$1" "$(at "$ETC/$2")"
        say "installed $ETC/$2 (edit it for this hall)"
    fi
}

install_mode() {
    mode=$1
    if [ "$mode" = kiosk ]; then packages=$KIOSK_APT; units=$KIOSK_UNITS; else packages=$SERVER_APT; units=$SERVER_UNITS; fi
    [ -z "$ROOT" ] || : >"$SKIPPED"
    apt_install "$packages"
    make_user
    uid=$(id_of passwd "$USER_NAME")
    gid=$(id_of group "$USER_NAME")

    extras=$mode
    if [ -f "$(at "$APP/extras")" ]; then  # a box that is both keeps both
        extras=$( (cat "$(at "$APP/extras")"; echo "$mode") | tr ',' '\n' | sort -u | paste -sd, -)
    fi
    build_venv "$extras"
    [ "$(cat "$(at "$APP/extras")" 2>/dev/null || true)" = "$extras" ] || echo "$extras" >"$(at "$APP/extras")"

    install -d -m 0750 -o "$uid" -g "$gid" "$(at "$DATA")"
    if [ "$mode" = kiosk ]; then
        install_config "$SRC/scripts/appliance/kiosk.toml" kiosk.toml
        put 0644 "$SRC/udev/70-shuoshi.rules" "$RULES"
        put 0644 "$SRC/udev/shuoshi-modules.conf" "$MODULES"
        if [ "$WORD_INDEX" = 1 ]; then
            install -d -m 0750 -o "$uid" -g "$gid" "$(at "$DATA/input")"
            "$(at "$VENV/bin/python")" -m kiosk.writing.build_index "$(at "$DATA/input/words.sqlite")"
            chown "$uid:$gid" "$(at "$DATA/input/words.sqlite")"
        fi
        # The screen stays on: no console blanking (a Pi's kernel command line, when there).
        if [ -f "$(at "$CMDLINE")" ] && ! grep -q 'consoleblank=' "$(at "$CMDLINE")"; then
            sed -i '1 s/$/ consoleblank=0/' "$(at "$CMDLINE")"
            say "added consoleblank=0 to $CMDLINE"
        fi
    else
        install_config "$SRC/scripts/appliance/server.env" server.env
    fi
    for unit in $units; do
        put 0644 "$SRC/systemd/$unit" "$UNIT_DIR/$unit"
    done

    if live; then systemctl daemon-reload; else skipped "systemctl daemon-reload"; fi
    if [ "$mode" = kiosk ]; then
        # tty1 is the kiosk's: no login prompt fighting it for the screen at boot
        ctl disable --quiet getty@tty1.service 2>/dev/null || true
    fi
    ctl enable --quiet $units
    if [ -z "$ROOT" ] && [ -e /run/udev/control ]; then
        udevadm control --reload
        udevadm trigger --subsystem-match=usbmisc --subsystem-match=tty --subsystem-match=input
    elif [ "$mode" = kiosk ]; then
        skipped "udevadm control --reload && udevadm trigger"
    fi
    if live; then
        systemctl restart $units
        say "started $units"
    else
        skipped "systemctl restart $units"
    fi
    say "done: $mode installed"
}

# -- uninstall ---------------------------------------------------------------------------

uninstall() {
    [ -z "$ROOT" ] || : >"$SKIPPED"
    units=""
    for unit in $KIOSK_UNITS $SERVER_UNITS; do
        [ -e "$(at "$UNIT_DIR/$unit")" ] && units="$units $unit"
    done
    if [ -n "$units" ]; then
        if live; then systemctl stop $units || true; else skipped "systemctl stop$units"; fi
        ctl disable --quiet $units || true
        for unit in $units; do rm -f "$(at "$UNIT_DIR/$unit")"; done
        say "removed$units"
    fi
    if [ -e "$(at "$RULES")" ]; then
        rm -f "$(at "$RULES")" "$(at "$MODULES")"
        ctl enable --quiet getty@tty1.service 2>/dev/null || true
        if live; then systemctl start getty@tty1.service || true; fi
    fi
    if [ -f "$(at "$CMDLINE")" ]; then
        sed -i 's/ consoleblank=0//' "$(at "$CMDLINE")"
    fi
    rm -rf "$(at "$APP")"
    if [ -n "$(id_of passwd "$USER_NAME")" ]; then
        root_opt=""
        [ -z "$ROOT" ] || root_opt="--root $ROOT"
        userdel $root_opt "$USER_NAME"
        [ -z "$(id_of group "$USER_NAME")" ] || groupdel $root_opt "$USER_NAME"
    fi
    if live; then systemctl daemon-reload; else skipped "systemctl daemon-reload"; fi
    say "uninstalled; kept $ETC and $DATA"
}

case "$MODE" in
    kiosk|server) install_mode "$MODE" ;;
    uninstall) uninstall ;;
esac
