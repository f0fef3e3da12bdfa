#!/usr/bin/env bash
# Builds scepkit against an mbedTLS 3.x source tree and runs the whole ctest suite there (gcc, -Werror).
# Debian 12 ships only mbedTLS 2.28, so this is not part of scripts/test.sh (its CI has no network); run it
# by hand after changing src/port/mbedtls/, with a checkout of an mbedTLS 3.6 LTS tag (e.g. v3.6.6):
#   bash scripts/check-mbedtls3.sh /path/to/mbedtls-3.6.6
#   SANITIZE=1 bash scripts/check-mbedtls3.sh /path/to/mbedtls-3.6.6     (clang, ASan+UBSan)
# Only libmbedcrypto and libmbedx509 are built (with the library's own Makefile and its default
# configuration, -fPIC for libscepkit.so); the framework submodule is not needed for them.
set -euo pipefail
src=${1:?usage: bash scripts/check-mbedtls3.sh MBEDTLS_SOURCE_DIR}
src=$(cd "$src" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/mbedtls3}
jobs=${JOBS:-2}
grep -q 'MBEDTLS_VERSION_STRING *"3\.' "$src/include/mbedtls/build_info.h" ||
  { echo "$src is not an mbedTLS 3.x tree"; exit 2; }
echo "== mbedTLS $(sed -n 's/.*MBEDTLS_VERSION_STRING *"\(.*\)".*/\1/p' "$src/include/mbedtls/build_info.h")"
make -C "$src/library" -j"$jobs" libmbedcrypto.a libmbedx509.a GEN_FILES= CFLAGS="-O2 -fPIC" >/dev/null
if [ "${SANITIZE:-0}" = 1 ]; then
  build=$build-asan
  opts=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DSCEPKIT_SANITIZE=ON)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
else
  opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc)
fi
cmake -S "$root" -B "$build" "${opts[@]}" \
  -DMBEDTLS_INCLUDE_DIR="$src/include" -DMBEDCRYPTO_LIBRARY="$src/library/libmbedcrypto.a" \
  -DMBEDX509_LIBRARY="$src/library/libmbedx509.a" >/dev/null
cmake --build "$build" -j"$jobs"
(cd "$build" && CRITERION_NO_EARLY_EXIT=1 ctest --output-on-failure -j"$jobs")
