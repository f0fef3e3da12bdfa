#!/usr/bin/env bash
# SCEP enrollment load: scepkit-server and micromdm's scepserver measured by the same load generator
# (bench_scep_load: pre-built PKCSReqs replayed with distinct transactionIDs, see its header) on the same machine,
# each with a fresh RSA CA of the same size, over loopback. scepserver binds every interface and cannot be told
# otherwise, so it runs in a private network namespace that has only loopback (`unshare --net`), and the load
# generator joins that namespace (`nsenter`). Every process is bounded by `timeout` and stopped by its pid.
#
# Usage: bash bench/scep_load.sh [BUILD_DIR]
#   env: COUNT (default 2000), WORKERS (list, default "1 4 16"), KEYSIZE (CA key bits, default 2048),
#        THREADS (scepkit-server threads, default 0 = automatic), SKIP_MICROMDM=1
# Results go to stdout; docs/performance.md records them with the machine and the date.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/bench}
count=${COUNT:-2000}
workers=${WORKERS:-1 4 16}
keysize=${KEYSIZE:-2048}
threads=${THREADS:-0}

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCEPKIT_BUILD_BENCH=ON -DSCEPKIT_BUILD_TESTS=OFF \
  -DSCEPKIT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j2 --target scepkit_server_tool bench_scep_load >/dev/null
srv=$build/scepkit-server
load=$build/bench/bench_scep_load

work=$(mktemp -d /tmp/scep-load.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

echo "== machine: $(nproc) CPUs, $(uname -srm), $(date -u +%Y-%m-%d); loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $count enrollments per run, CA key RSA-$keysize, AES-128/SHA-256 PKCSReq over POST"

echo
echo "== scepkit-server $("$srv" version | cut -d' ' -f2), file store on $(df -T . | awk 'NR==2{print $2}') (a fresh CA and store per run)"
case $keysize in 2048) spec=rsa ;; *) spec=rsa:$keysize ;; esac
for w in $workers; do
  "$srv" init ca-$w --key "$spec" --challenge s3cret >/dev/null
  timeout 1800 "$srv" run ca-$w --port 0 --port-file ca-$w/port --pid-file ca-$w/pid --threads "$threads" -q \
    2>ca-$w/server.log &
  sp=$!
  pids+=($sp)
  for _ in $(seq 1 200); do [ -s ca-$w/port ] && [ -s ca-$w/pid ] && break; sleep 0.05; done
  echo "-- $w worker(s)"
  timeout 900 "$load" -u "http://127.0.0.1:$(cat ca-$w/port)/scep" -s s3cret -n "$count" -w "$w" -p "$(cat ca-$w/pid)" |
    grep -v "^setup" || true
  kill -TERM "$(cat ca-$w/pid)"
  wait "$sp" || true
done

if [ "${SKIP_MICROMDM:-0}" = 1 ] || ! command -v scepserver >/dev/null; then
  exit 0
fi
echo
echo "== micromdm scepserver $(dpkg-query -W -f='${Version}' scep 2>/dev/null), file depot, in a loopback-only namespace (a fresh depot per run)"
for w in $workers; do
  timeout 300 scepserver ca -init -depot depot-$w -keySize "$keysize" >/dev/null 2>&1
  unshare --net -- sh -c "ip link set lo up && exec timeout 1800 scepserver -port 8080 -depot depot-$w -challenge s3cret -allowrenew 0 -capass ''" \
    >mm-$w.log 2>&1 &
  ns=$!
  pids+=($ns)
  sp=""
  for _ in $(seq 1 100); do
    sp=$(pgrep -P "$ns" scepserver || true)
    [ -n "$sp" ] && nsenter --net="/proc/$sp/ns/net" curl -s -o /dev/null "http://127.0.0.1:8080/scep?operation=GetCACaps" &&
      break
    sleep 0.1
  done
  echo "-- $w worker(s)"
  # scepserver answers with single DES: --legacy lets the checker open the answers
  timeout 900 nsenter --net="/proc/$sp/ns/net" "$load" -u http://127.0.0.1:8080/scep -s s3cret -n "$count" -w "$w" \
    -p "$sp" --legacy 2>&1 | grep -v "^setup" | awk '/^request/ { if (n++) next; print "first failure: " $0; next } { print }' || true
  kill "$ns"
  wait "$ns" || true
done
