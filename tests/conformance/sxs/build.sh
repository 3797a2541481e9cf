#!/usr/bin/env bash
# Builds probe64.exe from probe.c: the program the SXS conformance comparison runs under Wine.
# The binary is committed; run this only after changing probe.c.
#
# Needs (Debian): gcc-mingw-w64-x86-64 (`apt-get install --no-install-recommends mingw-w64`).
# Deterministic: no link timestamp, stripped, no compiler ident string, so the same toolchain gives
# the same bytes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export LC_ALL=C
command -v x86_64-w64-mingw32-gcc >/dev/null || {
    echo "build.sh: x86_64-w64-mingw32-gcc not found (apt-get install mingw-w64)" >&2
    exit 1
}

cd "$here"
x86_64-w64-mingw32-gcc -std=c11 -Os -s -municode -fno-ident -Wall -Wextra -Werror \
    -Wl,--no-insert-timestamp -o probe64.exe probe.c
echo "built probe64.exe ($(stat -c %s probe64.exe) bytes)"
