#!/usr/bin/env bash
# A libFuzzer campaign over every target in fuzz/: builds build/fuzz (clang, libFuzzer, ASan+UBSan), runs each
# target for SECONDS (default 90) on a scratch copy of its corpus in build/fuzz-run/, JOBS at a time (default 2),
# then prints one line per target: executions, coverage (libFuzzer "cov"), and any crash reproducer it left.
# New inputs stay in build/fuzz-run/<name>/; fuzz/corpus/ is not changed (add an input there with the fix of
# the bug it found).
#   bash scripts/fuzz.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-90}
jobs=${JOBS:-2}
cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DSCEPKIT_BUILD_FUZZ=ON -DSCEPKIT_SANITIZE=ON >/dev/null
cmake --build build/fuzz -j"$jobs" >/dev/null
run=build/fuzz-run
rm -rf "$run"
mkdir -p "$run"
targets=$(cd fuzz && ls fuzz_*.c | sed 's/\.c$//')
export secs run
printf '%s\n' $targets | xargs -P"$jobs" -I{} bash -c '
  n={}; c=${n#fuzz_}
  mkdir -p "$run/$c" "$run/$c.crash"
  cp -r "fuzz/corpus/$c/." "$run/$c/"
  ASAN_OPTIONS=detect_leaks=1 timeout $((secs + 120)) "build/fuzz/fuzz/$n" -max_total_time="$secs" \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$run/$c.crash/" "$run/$c" >"$run/$c.log" 2>&1
  echo $? >"$run/$c.rc"'
fail=0
printf '%-22s %12s %8s  %s\n' target executions cov result
for n in $targets; do
  c=${n#fuzz_}
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$run/$c.log")
  cov=$(grep -oE 'cov: [0-9]+' "$run/$c.log" | tail -1 | cut -d' ' -f2)
  rc=$(cat "$run/$c.rc")
  if [ "$rc" = 0 ] && [ -z "$(ls -A "$run/$c.crash")" ]; then
    res=ok
  else
    res="FAILED (exit $rc): $(ls "$run/$c.crash" | head -3 | tr '\n' ' ') see $run/$c.log"
    fail=1
  fi
  printf '%-22s %12s %8s  %s\n' "$n" "${execs:-?}" "${cov:-?}" "$res"
done
exit $fail
