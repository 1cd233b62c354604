#!/usr/bin/env bash
# Make sure the Debian packages that the tests and the demo start for real are present.
# Usage: system-deps.sh [--optional] PACKAGE...
# As root, missing ones are installed with apt-get; otherwise one line says what to run, and the
# script fails unless --optional (the demo runs without them, e.g. with English picture labels).
set -euo pipefail

optional=0
if [ "${1:-}" = "--optional" ]; then optional=1; shift; fi

present() {
    case "$1" in
        mosquitto) command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] ;;
        chromium) command -v chromium >/dev/null 2>&1 ;;
        fonts-noto-cjk) [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] ;;
        *) dpkg -s "$1" >/dev/null 2>&1 ;;
    esac
}

need=()
for pkg in "$@"; do present "$pkg" || need+=("$pkg"); done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
elif [ "$optional" -eq 1 ]; then
    echo "note: ${need[*]} not installed (sudo apt-get install -y ${need[*]}); going on without"
else
    echo "missing ${need[*]}: run 'sudo apt-get install -y ${need[*]}' and try again" >&2
    exit 1
fi
