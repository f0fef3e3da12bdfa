#!/usr/bin/env bash
# Interop: micromdm's scepclient (Debian package `scep`) against scepkit-server on 127.0.0.1.
# scepclient always sends single DES + SHA-1 requests, so the server runs with allow_legacy = 1 (it answers with
# DES-EDE3, never single DES, which scepclient reads); with allow_legacy = 0 the request is refused.
# Checked: enrollment (certificate verifies with openssl, right subject), its RenewalReq (it reuses the
# transactionID, a hash of the same key, so the server answers from its store with the same certificate), a
# wrong challenge (FAILURE badRequest, no certificate), and the legacy switch.
# Usage: server_micromdm.sh SCEPKIT_TOOL WORKDIR        (exit 77: skipped)
set -u
tool=$1
work=$2
if ! command -v scepclient >/dev/null 2>&1; then
  echo "SKIP: scepclient not installed (bash scripts/setup.sh installs the Debian package scep)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
. "$(dirname "$0")/lib/server.sh"

mm() { # mm DIR CN CHALLENGE
  mkdir -p "$1"
  timeout 60 scepclient -server-url "$srv_url" -challenge "$3" -private-key "$1/key.pem" -certificate "$1/cert.pem" \
    -cn "$2" -organization "scepkit interop" -keySize 2048 >"$1.log" 2>&1
}

"$srv_bin" init ca --challenge s3cret --legacy >init.log 2>&1 || { cat init.log; exit 1; }
srv_start ca

mm d1 mm-dev-1 s3cret
rc=$?
if [ $rc = 0 ] && verify ca/ca.pem d1/cert.pem && openssl x509 -in d1/cert.pem -noout -subject | grep -q "CN = mm-dev-1" &&
  same_key d1/key.pem d1/cert.pem; then
  ok "scepclient enrolled (DES/SHA-1 request); openssl verify OK"
else bad "scepclient enroll rc=$rc"; cat d1.log; fi
log_has ca/server.log msg=PKCSReq result=SUCCESS && ok "server log: PKCSReq SUCCESS" || bad "no PKCSReq log line"

cp d1/cert.pem d1-first.pem
mm d1 mm-dev-1 s3cret
rc=$?
if [ $rc = 0 ] && verify ca/ca.pem d1/cert.pem && log_has ca/server.log msg=RenewalReq result=SUCCESS; then
  ok "scepclient RenewalReq answered SUCCESS"
  cmp -s d1-first.pem d1/cert.pem && echo "note: same key, same transactionID: the stored certificate was returned"
else bad "scepclient renewal rc=$rc"; cat d1.log; fi

mm d2 mm-dev-2 wrong
rc=$?
if [ $rc != 0 ] && [ ! -s d2/cert.pem ] && grep -q "badRequest" d2.log; then
  ok "wrong challenge: scepclient reports FAILURE badRequest"
else bad "wrong challenge rc=$rc"; cat d2.log; fi

mm d3 mm-dev-3 s3cret
rc=$?; [ $rc = 0 ] && verify ca/ca.pem d3/cert.pem && ok "a second device enrolls" || { bad "second device rc=$rc"; cat d3.log; }
srv_stop
[ "$srv_rc" = 0 ] && ok "server stopped cleanly" || bad "server exit $srv_rc"

# the same client against a server without the legacy switch: refused, nothing issued
sed -i 's/^allow_legacy = 1/allow_legacy = 0/' ca/scepkit-server.conf
srv_start ca
mm d4 mm-dev-4 s3cret
rc=$?
if [ $rc != 0 ] && [ ! -s d4/cert.pem ] && log_has ca/server.log msg=PKCSReq fail_info=badAlg; then
  ok "allow_legacy = 0: the single-DES request is refused with badAlg"
else bad "legacy off rc=$rc"; cat d4.log; fi
srv_stop

srv_finish
