#!/usr/bin/env bash
# Load smoke test: bench_scep_load (bench/bench_scep_load.c, built here as tests/scep_load) runs concurrent
# workers against scepkit-server on 127.0.0.1, CA mode and RA mode, POST and GET; every answer must be a SUCCESS
# for the request's key with a distinct serial, and the server's index must hold them all. No timing is asserted:
# the figures are printed only (docs/performance.md has the measured ones, from bench/scep_load.sh).
# LOAD_COUNT=2000 LOAD_WORKERS=16 for a bigger run by hand.
# Usage: server_load.sh SCEPKIT_TOOL WORKDIR        (exit 77: skipped)
set -u
tool=$1
work=$2
count=${LOAD_COUNT:-60}
workers=${LOAD_WORKERS:-6}
load=$(dirname "$tool")/tests/scep_load
if [ ! -x "$load" ]; then
  echo "SKIP: $load not built (needs SCEPKIT_WITH_CURL)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
. "$(dirname "$0")/lib/server.sh"

for mode in ca ra; do
  if [ $mode = ra ]; then extra=--ra; else extra=; fi
  "$srv_bin" init $mode $extra --challenge s3cret >init-$mode.log 2>&1 || { cat init-$mode.log; exit 1; }
  srv_start $mode -q
  for method in post get; do
    flag=$([ $method = get ] && echo --get)
    timeout 240 "$load" -u "$srv_url" -s s3cret -n "$count" -w "$workers" -k 4 -p "$srv_pid" $flag \
      --serials serials-$mode-$method.txt >load-$mode-$method.log 2>&1
    rc=$?
    sed 's/^/    /' load-$mode-$method.log
    if [ $rc = 0 ] && grep -q "failures:    0" load-$mode-$method.log && [ "$(wc -l <serials-$mode-$method.txt)" = "$count" ]; then
      ok "$mode/$method: $count enrollments by $workers workers, no failure, unique serials"
    else bad "$mode/$method: load rc=$rc"; fi
  done
  srv_stop
  [ "$srv_rc" = 0 ] || bad "$mode: server exit $srv_rc"
  "$srv_bin" index $mode >index-$mode.txt 2>&1
  missing=0
  for s in $(cat serials-$mode-*.txt); do
    grep -q "^0*${s#00} " index-$mode.txt || missing=$((missing + 1))
  done
  [ $missing = 0 ] && ok "$mode: every serial received is in the index" || bad "$mode: $missing serials not in the index"
  n=$(grep -cE '^[0-9a-f]+  ' index-$mode.txt)
  [ "$n" = $((2 * count)) ] && ok "$mode: the index holds exactly the $n certificates issued" || bad "$mode: index has $n"
done

# SIGTERM in the middle of a load run: in-flight requests are answered, the server exits 0, and every
# certificate a worker received is in the index.
echo "# SIGTERM under load"
srv_start ca
base=$(ls ca/store/certs | wc -l)
timeout 240 "$load" -u "$srv_url" -s s3cret -n $((count * 4)) -w "$workers" -k 4 --serials serials-term.txt \
  >load-term.log 2>&1 &
lpid=$!
# stop it once the load generator is well under way (its setup builds the requests first)
for _ in $(seq 1 3000); do
  [ "$(ls ca/store/certs | wc -l)" -ge $((base + count / 2)) ] && break
  kill -0 $lpid 2>/dev/null || break
  sleep 0.05
done
srv_stop
wait $lpid
sed 's/^/    /' load-term.log | grep -v "^    request" | head -12
if [ "$srv_rc" = 0 ] && grep -q "event=stopped" ca/server.log && grep "event=stopped" ca/server.log | grep -q "cut_short=0"; then
  ok "SIGTERM under load: exit 0, no request cut short ($(grep -o 'event=stopping.*' ca/server.log | tail -1))"
else bad "SIGTERM under load: exit $srv_rc"; tail -3 ca/server.log; fi
"$srv_bin" index ca >index-term.txt 2>&1
missing=0
for s in $(cat serials-term.txt); do grep -q "^0*${s#00} " index-term.txt || missing=$((missing + 1)); done
n=$(wc -l <serials-term.txt)
[ "$n" -gt 0 ] && [ $missing = 0 ] && ok "all $n certificates received before the stop are in the index" ||
  bad "SIGTERM: $missing of $n received certificates not in the index"
grep -q "event=request.*aborted=" ca/server.log && bad "a request was aborted by the shutdown" ||
  ok "no request aborted by the shutdown"

srv_finish
