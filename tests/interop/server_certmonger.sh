#!/usr/bin/env bash
# Interop: certmonger 0.79 in SCEP mode against scepkit-server on 127.0.0.1, CA mode and RA mode.
# certmonger runs as a private daemon (no D-Bus, no system state): `certmonger -L -P SOCK -n -c run.sh` with its
# state directories in WORKDIR; run.sh adds the SCEP CA and requests a certificate with `getcert` and waits.
# certmonger always sends PKIOperation with GET (standard base64, %-escaped) with AES-256 and SHA-256.
# The issued certificate must verify with `openssl verify`; the server log must show the GET PKCSReq.
# Usage: server_certmonger.sh SCEPKIT_TOOL WORKDIR        (exit 77: skipped)
set -u
tool=$1
work=$2
if ! command -v certmonger >/dev/null 2>&1 || ! command -v getcert >/dev/null 2>&1; then
  echo "SKIP: certmonger not installed (bash scripts/setup.sh installs it)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
. "$(dirname "$0")/lib/server.sh"

# cm_enroll MODE NAME: a private certmonger enrolls NAME against the running server
cm_enroll() {
  local mode=$1 name=$2 st=$work/cm-$1
  mkdir -p "$st/req" "$st/cas" "$st/local" "$st/tmp"
  openssl genrsa -out "$work/$name.key" 2048 2>/dev/null
  cat >"$st/run.sh" <<EOF
getcert add-scep-ca -c peer -u "$srv_url" -N "$work/$mode/ca.pem" || exit 1
getcert request -c peer -k "$work/$name.key" -f "$work/$name.pem" -N "CN=$name,O=scepkit interop" -L s3cret -w \
  --wait-timeout=30
getcert list
EOF
  CERTMONGER_REQUESTS_DIR=$st/req CERTMONGER_CAS_DIR=$st/cas CERTMONGER_LOCAL_CA_DIR=$st/local CERTMONGER_TMPDIR=$st/tmp \
    timeout -s KILL 90 certmonger -L -P "$st/sock" -n -p "$st/pid" -c "sh $st/run.sh" >"$work/$name.log" 2>&1
  local rc=$?
  # -c ends the daemon with the command; make sure nothing of it is left
  [ -s "$st/pid" ] && kill "$(cat "$st/pid")" 2>/dev/null
  return $rc
}

for mode in ca ra; do
  echo "# $mode mode"
  if [ $mode = ra ]; then extra=--ra; else extra=; fi
  "$srv_bin" init $mode $extra --challenge s3cret >init-$mode.log 2>&1 || { cat init-$mode.log; exit 1; }
  srv_start $mode
  name=cm-$mode-dev
  cm_enroll $mode $name
  rc=$?
  if [ -s $name.pem ] && verify $mode/ca.pem $name.pem && grep -q "status: MONITORING" $name.log &&
    log_has $mode/server.log method=GET msg=PKCSReq result=SUCCESS; then
    ok "$mode: certmonger enrolled over GET; certificate verifies ($(grep "msg=PKCSReq" $mode/server.log | grep -o 'cipher=[^ ]*' | head -1))"
  else
    bad "$mode: certmonger rc=$rc"
    grep -v "Wrote to" $name.log | tail -30
  fi
  same_key $name.key $name.pem || bad "$mode: certificate is not for certmonger's key"
  srv_stop
  [ "$srv_rc" = 0 ] || bad "$mode: server exit $srv_rc"
done

srv_finish
