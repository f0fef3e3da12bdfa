#!/usr/bin/env bash
# Runs every test: installs what is needed, checks the formatting, then
#  1. gcc build (-Werror), all Criterion suites and fuzz-corpus replays through ctest;
#  2. clang build with ASan+UBSan (-Werror), the same suite;
#  2b. gcc build on the OpenSSL 3 backend (-DSCEPKIT_BACKEND=openssl), the same suite;
#  3. clang build with ThreadSanitizer, the scepkit-server interop tests (load, kill -9, real clients);
#  4. a reduced-configuration build (features compiled out) and its tests;
#  5. an install + find_package/pkg-config consumer build.
# Usage: bash scripts/test.sh            (from anywhere inside the clone)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh

jobs=${JOBS:-2}
export CRITERION_NO_EARLY_EXIT=1

echo "== format check (.clang-format, clang-format 14)"
git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror

echo "== backend headers only in their backend's folder"
# CMake gives each backend's include path to its folder alone, but Debian installs both libraries' headers in
# /usr/include, where every file can reach them: check the sources instead.
if git grep -n -E '#[[:space:]]*include[[:space:]]*[<"](mbedtls|openssl|psa)/' -- '*.c' '*.h' \
  ':!src/port/mbedtls/' ':!src/port/openssl/'; then
  echo "a crypto backend header is included outside src/port/<backend>/"; exit 1
fi

echo "== gcc build and tests"
cmake -S . -B build/gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build build/gcc -j"$jobs"
(cd build/gcc && ctest --output-on-failure -j"$jobs")

echo "== clang build with AddressSanitizer + UndefinedBehaviorSanitizer, and tests"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DSCEPKIT_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$jobs"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs")

echo "== OpenSSL 3 backend (-DSCEPKIT_BACKEND=openssl): gcc build and the same suite"
# The second crypto backend (src/port/openssl/) must pass everything the mbedTLS one does. Examples and benches are
# not built here: they use only the public API, which the suite covers.
cmake -S . -B build/openssl -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DSCEPKIT_BACKEND=openssl \
  -DSCEPKIT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/openssl -j"$jobs"
(cd build/openssl && ctest --output-on-failure -j"$jobs")

echo "== clang build with ThreadSanitizer: scepkit-server under the interop tests (load, kill -9, real clients)"
# Criterion's runner cannot run under TSan (Criterion issue #274), so this build has no Criterion suites: the
# concurrency it checks is the real server's (thread pool, key pool, store, software CA) under the interop tests.
# First a deliberate race must be reported, so a missing or broken sanitizer cannot pass silently. Some kernels'
# address-space layouts stop the TSan runtime from starting ("unexpected memory mapping"): then the stage runs
# with ASLR off (setarch -R), or, if the runtime cannot start at all, says so and is skipped.
mkdir -p build/tsan
clang -fsanitize=thread -g -o build/tsan/race tests/tsan/race.c
tsan_run=()
if ! build/tsan/race --clean >build/tsan/race.log 2>&1; then
  if setarch "$(uname -m)" -R build/tsan/race --clean >>build/tsan/race.log 2>&1; then
    tsan_run=(setarch "$(uname -m)" -R)
  else
    tsan_run=(skip)
  fi
fi
if [ "${tsan_run[0]:-}" = skip ]; then
  echo "SKIPPED: the ThreadSanitizer runtime cannot start on this machine:"; cat build/tsan/race.log
else
  if TSAN_OPTIONS="halt_on_error=1 exitcode=66" "${tsan_run[@]}" build/tsan/race >build/tsan/race.log 2>&1 ||
    ! grep -q "WARNING: ThreadSanitizer: data race" build/tsan/race.log; then
    echo "ThreadSanitizer did not report the deliberate race:"; cat build/tsan/race.log; exit 1
  fi
  cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DSCEPKIT_SANITIZE_THREAD=ON \
    -DSCEPKIT_TEST_UNIT=OFF -DSCEPKIT_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build/tsan -j"$jobs"
  (cd build/tsan && TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
    "${tsan_run[@]}" ctest --output-on-failure -j"$jobs" -R '^interop_server_')
fi

echo "== reduced configuration: every SCEPKIT_WITH_* off, the APIs stay and answer SCEPKIT_ERR_DISABLED"
cmake -S . -B build/reduced -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DSCEPKIT_TEST_CONFIG_ONLY=ON \
  -DSCEPKIT_BUILD_EXAMPLES=OFF -DSCEPKIT_WITH_SOFTKEY=OFF -DSCEPKIT_WITH_ECDSA=OFF -DSCEPKIT_WITH_RSA_OAEP=OFF \
  -DSCEPKIT_WITH_LEGACY_CRYPTO=OFF -DSCEPKIT_WITH_CSR_WRITE=OFF -DSCEPKIT_WITH_CSR_PARSE=OFF \
  -DSCEPKIT_WITH_CURL=OFF >/dev/null
cmake --build build/reduced -j"$jobs"
(cd build/reduced && ctest --output-on-failure -j"$jobs")

echo "== install and consume (find_package and pkg-config)"
bash tests/install/run.sh "$root/build/gcc" "$root/build/install-check"

echo "== all tests passed"
