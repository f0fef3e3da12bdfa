#!/usr/bin/env bash
# Installs a built tree into a scratch prefix, then builds a consumer twice: with CMake's
# find_package(scepkit) and with pkg-config, and runs both.
# Usage: run.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null

cmake -S "$here/consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib" "$work/cmake/consumer"

libdir=$(ls -d "$work"/prefix/lib* | head -n1)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$work/consumer-pc" "$here/consumer/main.c" \
  $(pkg-config --cflags scepkit) $(pkg-config --libs --static scepkit)
LD_LIBRARY_PATH="$libdir" "$work/consumer-pc"
echo "install check: find_package and pkg-config consumers built and ran"
