#!/usr/bin/env bash
# Code size of the library per layer (text+data of the object files), for docs/performance.md.
# Usage: bash bench/size.sh [BUILD_DIR]   (a Release/MinSizeRel build of scepkit)
set -euo pipefail
build=${1:-build/size}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$build" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=MinSizeRel -DSCEPKIT_BUILD_TESTS=OFF -DSCEPKIT_BUILD_TOOLS=OFF \
    -DSCEPKIT_BUILD_EXAMPLES=OFF >/dev/null
fi
cmake --build "$build" --target scepkit_static -j2 >/dev/null
objdir="$build/CMakeFiles/scepkit_obj.dir/src"
printf "%-18s %10s %10s\n" layer text data
for layer in base der codec port port/mbedtls scep; do
  files=$(find "$objdir/$layer" -maxdepth 1 -name '*.o' 2>/dev/null || true)
  [ -n "$files" ] || continue
  # shellcheck disable=SC2086
  size -t $files | awk -v l="$layer" 'END { printf "%-18s %10d %10d\n", l, $1, $2 }'
done
# shellcheck disable=SC2046
size -t $(find "$objdir" -name '*.o') | awk 'END { printf "%-18s %10d %10d\n", "total", $1, $2 }'
