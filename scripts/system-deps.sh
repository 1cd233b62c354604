#!/usr/bin/env bash
# Make sure the Debian packages that tests and the demo start for real are present.
# As root, missing ones are installed with apt-get; otherwise one line says what to run.
set -euo pipefail

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v chromium >/dev/null 2>&1 || need+=(chromium)

[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
    echo "missing ${need[*]}: run 'sudo apt-get install -y ${need[*]}' and try again" >&2
    exit 1
fi
