# Helpers for the scepkit-server interop tests (sourced; not a test itself).
# The server runs on 127.0.0.1 with an OS-chosen port (--port 0, read back from --port-file), bounded by
# `timeout`, stopped by its pid. Every test sources this after setting `tool` (the scepkit CLI) and `work`.

srv_bin=$(dirname "$tool")/scepkit-server
if [ ! -x "$srv_bin" ]; then
  echo "SKIP: $srv_bin not built (libmicrohttpd-dev missing? bash scripts/setup.sh installs it)"
  exit 77
fi

fails=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

srv_pids=()
srv_cleanup() {
  for p in "${srv_pids[@]}"; do
    kill "$p" 2>/dev/null
  done
  for p in "${srv_pids[@]}"; do
    wait "$p" 2>/dev/null
  done
}
trap srv_cleanup EXIT

# srv_start DIR [run options...]: starts the server of DIR; sets srv_pid (the server process itself, from
# --pid-file), srv_port, srv_url (…/scep). The log goes to DIR/server.log.
srv_start() {
  local dir=$1
  shift
  rm -f "$dir/port" "$dir/pid"
  timeout -s KILL "${SRV_TIMEOUT:-240}" "$srv_bin" run "$dir" --port 0 --port-file "$dir/port" \
    --pid-file "$dir/pid" "$@" >>"$dir/server.log" 2>&1 &
  srv_wrapper=$!
  srv_pids+=("$srv_wrapper")
  for _ in $(seq 1 200); do
    [ -s "$dir/port" ] && [ -s "$dir/pid" ] && break
    if ! kill -0 "$srv_wrapper" 2>/dev/null; then break; fi
    sleep 0.05
  done
  if [ ! -s "$dir/port" ]; then
    echo "scepkit-server did not start:"; cat "$dir/server.log"; exit 1
  fi
  srv_port=$(cat "$dir/port")
  srv_pid=$(cat "$dir/pid")
  srv_url="http://127.0.0.1:$srv_port/scep"
}

# srv_stop: SIGTERM to the server, then waits; sets srv_rc (its exit status).
srv_stop() {
  kill -TERM "$srv_pid" 2>/dev/null
  wait "$srv_wrapper" 2>/dev/null
  srv_rc=$?
}

# log_has LOG PATTERN...: true once a line of LOG matches every PATTERN (fixed strings). The server writes a
# request's log line when the connection completes, just after the client got its answer, so this waits
# up to 5 s for the line instead of racing the server.
log_has() {
  local log=$1 i
  shift
  for i in $(seq 1 100); do
    if awk -v n=$# 'BEGIN { for (i = 1; i <= n; i++) p[i] = ARGV[i + 1]; ARGC = 2 }
      { m = 1; for (i = 1; i <= n; i++) if (!index($0, p[i])) { m = 0; break } if (m) { f = 1; exit } }
      END { exit !f }' "$log" "$@"; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

# verify CA CERT: openssl verify (PEM or DER certificate)
verify() {
  local ca=$1 cert=$2
  if grep -q "BEGIN CERTIFICATE" "$cert" 2>/dev/null; then
    openssl verify -CAfile "$ca" "$cert" >/dev/null 2>&1
  else
    openssl verify -CAfile "$ca" <(openssl x509 -inform DER -in "$cert") >/dev/null 2>&1
  fi
}

# same_key KEY CERT: the certificate holds the key's public key
same_key() {
  [ "$(openssl pkey -in "$1" -pubout 2>/dev/null | sha256sum)" = "$(openssl x509 -in "$2" -noout -pubkey 2>/dev/null | sha256sum)" ]
}

srv_finish() {
  if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    for l in "$work"/*/server.log; do
      [ -f "$l" ] && { echo "--- $l"; tail -30 "$l"; }
    done
    exit 1
  fi
  cd / && rm -rf "$work"
  echo "all checks passed"
}
