#!/usr/bin/env bash
# Installs what sacral needs to build, when it is missing: Debian's liblua5.4-dev and pkg-config
# (SwiftPM finds Lua through pkg-config), plus any extra Debian packages named as arguments.
# Safe to run again: it installs nothing that is already there.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists lua5.4 2>/dev/null && ! dpkg -s liblua5.4-dev >/dev/null 2>&1; then
    missing+=(liblua5.4-dev)
fi
for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "sacral: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >&2
fi

command -v swift >/dev/null 2>&1 || { echo "sacral: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
