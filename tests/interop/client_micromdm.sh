#!/usr/bin/env bash
# Interop: the scepkit CLI against micromdm's scepserver (Debian package `scep`), run in a private network
# namespace that has only loopback (scepserver binds every interface). The clients run in the same namespace
# through nsenter. Covers getcaps, getca (+ pinning), enroll over POST and GET, DES3/SHA-1 requests, renewal,
# micromdm's single-DES answers with --legacy and the refusal without it, FAILURE badRequest, and the exit codes.
# Every process is bounded by `timeout`; the server is stopped by its pid.
# Usage: client_micromdm.sh SCEPKIT_TOOL WORKDIR        (exit 77: skipped)
set -u
tool=$1
work=$2
if ! command -v scepserver >/dev/null 2>&1; then
  echo "SKIP: scepserver not installed (bash scripts/setup.sh installs the Debian package scep)"
  exit 77
fi
if ! unshare --net -- true 2>/dev/null; then
  echo "SKIP: cannot make a network namespace here (unshare --net needs CAP_SYS_ADMIN)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1

pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
}
trap cleanup EXIT

fails=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

timeout 60 scepserver ca -init -depot depot -keySize 2048 >ca-init.log 2>&1 || { cat ca-init.log; exit 1; }
# `exec` keeps one pid from unshare to timeout: killing it stops timeout, which stops scepserver.
unshare --net -- sh -c 'ip link set lo up && exec timeout 240 scepserver -port 8080 -depot depot -challenge secret -allowrenew 0 -capass ""' \
  >server.log 2>&1 &
pid=$!
in_ns() { timeout 60 nsenter --net="/proc/$pid/ns/net" "$@"; }
url=http://127.0.0.1:8080/scep

up=0
for _ in $(seq 1 100); do
  in_ns "$tool" getcaps -u "$url" >caps.txt 2>caps.err
  rc=$?
  if [ $rc != 69 ]; then up=1; break; fi
  sleep 0.1
done
[ "$up" = 1 ] || { echo "scepserver did not come up"; cat caps.err server.log; exit 1; }

# getcaps
if [ $rc = 0 ] && grep -qx AES caps.txt && grep -qx POSTPKIOperation caps.txt && grep -qx Renewal caps.txt; then
  ok "getcaps lists AES, POSTPKIOperation, Renewal"
else bad "getcaps: $(cat caps.txt)"; fi

# getca: the certificate written is the depot's CA; pinning by fingerprint
in_ns "$tool" getca -u "$url" -c ca.pem >getca.txt 2>&1
rc=$?
fp_depot=$(openssl x509 -in depot/ca.pem -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
fp_got=$(openssl x509 -in ca.pem -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g' | tr A-F a-f)
if [ $rc = 0 ] && [ -n "$fp_got" ] && [ "$fp_got" = "$fp_depot" ]; then ok "getca wrote the CA certificate"; else bad "getca rc=$rc"; cat getca.txt; fi
in_ns "$tool" getca -u "$url" -F "$fp_depot" >/dev/null 2>&1
rc=$?; [ $rc = 0 ] && ok "getca -F with the right fingerprint" || bad "getca -F right: rc=$rc"
wrong=$(printf '%064d' 0)
in_ns "$tool" getca -u "$url" -F "$wrong" >/dev/null 2>&1
rc=$?; [ $rc = 77 ] && ok "getca -F with a wrong fingerprint exits 77" || bad "getca -F wrong: rc=$rc"

# enroll without --legacy: micromdm answers with single DES: a clear refusal
in_ns "$tool" enroll -u "$url" -c ca.pem --genkey rsa:2048 --key-out k1.pem -s "CN=interop-1,O=scepkit" \
  --challenge secret -l c1.pem >e0.log 2>&1
rc=$?
if [ $rc = 77 ] && grep -q "legacy" e0.log && [ ! -e c1.pem ]; then ok "single-DES answer refused without --legacy (exit 77)"; else bad "legacy off: rc=$rc"; cat e0.log; fi

# enroll with --legacy over POST
in_ns "$tool" enroll -u "$url" -c ca.pem -k k1.pem -s "CN=interop-1,O=scepkit" --challenge secret -l c1.pem \
  --legacy -v >e1.log 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "POST ?operation=PKIOperation" e1.log && openssl verify -CAfile ca.pem c1.pem >/dev/null 2>&1; then
  ok "enroll (POST, AES-128/SHA-256 request, DES answer) issued a certificate openssl verifies"
else bad "enroll POST: rc=$rc"; cat e1.log; fi
k1=$(openssl pkey -in k1.pem -pubout 2>/dev/null | sha256sum)
c1k=$(openssl x509 -in c1.pem -noout -pubkey 2>/dev/null | sha256sum)
[ "$k1" = "$c1k" ] && ok "the certificate is for our key" || bad "certificate key differs"

# enroll over GET (standard base64, %-escaped)
in_ns "$tool" enroll -u "$url" -c ca.pem -k k1.pem -s "CN=interop-get" --challenge secret -l c2.pem --legacy --get -v \
  >e2.log 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "GET ?operation=PKIOperation&message=" e2.log && openssl verify -CAfile ca.pem c2.pem >/dev/null 2>&1; then
  ok "enroll over GET"
else bad "enroll GET: rc=$rc"; cat e2.log; fi

# DES3 + SHA-1 requests (what NDES wants), DER output
in_ns "$tool" enroll -u "$url" -c ca.pem -k k1.pem -s "CN=interop-des3" --challenge secret -l c3.der --der --legacy \
  -E des3 --min-cipher des3 -S sha1 --min-md sha1 >e3.log 2>&1
rc=$?
if [ $rc = 0 ] && openssl verify -CAfile ca.pem <(openssl x509 -inform DER -in c3.der) >/dev/null 2>&1; then
  ok "enroll with DES3/SHA-1 requests, DER output"
else bad "enroll des3: rc=$rc"; cat e3.log; fi
# forcing DES3 without lowering the minimum is refused before anything is sent
in_ns "$tool" enroll -u "$url" -c ca.pem -k k1.pem -s "CN=x" --challenge secret -l c4.pem --legacy -E des3 >e4.log 2>&1
rc=$?; [ $rc = 77 ] && ok "a forced cipher below the minimum exits 77" || { bad "forced des3: rc=$rc"; cat e4.log; }

# FAILURE: wrong challenge -> badRequest (exit 10 + 2)
in_ns "$tool" enroll -u "$url" -c ca.pem -k k1.pem -s "CN=interop-bad" --challenge wrong -l c5.pem --legacy >e5.log 2>&1
rc=$?
if [ $rc = 12 ] && grep -q badRequest e5.log; then ok "wrong challenge: FAILURE badRequest, exit 12"; else bad "wrong challenge: rc=$rc"; cat e5.log; fi

# renewal with a new key (micromdm wants the challenge in RenewalReq too)
in_ns "$tool" renew -u "$url" -c ca.pem --cert c1.pem --old-key k1.pem --genkey rsa:2048 --key-out k6.pem \
  --challenge secret -l c6.pem --legacy -v >e6.log 2>&1
rc=$?
k6=$(openssl pkey -in k6.pem -pubout 2>/dev/null | sha256sum)
c6k=$(openssl x509 -in c6.pem -noout -pubkey 2>/dev/null | sha256sum)
if [ $rc = 0 ] && [ "$k6" = "$c6k" ] && openssl verify -CAfile ca.pem c6.pem >/dev/null 2>&1; then
  ok "renew (RenewalReq signed by the current certificate, new key)"
else bad "renew: rc=$rc"; cat e6.log; fi

# unpinned enrollment is refused unless asked for
in_ns "$tool" enroll -u "$url" -k k1.pem -s "CN=x" -l c7.pem --legacy >e7.log 2>&1
rc=$?; [ $rc = 64 ] && ok "enroll without a CA to trust is a usage error" || bad "unpinned: rc=$rc"
in_ns "$tool" enroll -u "$url" --insecure-no-pin -k k1.pem -s "CN=interop-tofu" --challenge secret -l c7.pem --legacy \
  >e7.log 2>&1
rc=$?; [ $rc = 0 ] && ok "enroll --insecure-no-pin" || { bad "tofu: rc=$rc"; cat e7.log; }

# GetNextCACert is not advertised by micromdm
in_ns "$tool" getnextca -u "$url" -c ca.pem >e8.log 2>&1
rc=$?; [ $rc = 76 ] && ok "getnextca against a server without GetNextCACert exits 76" || { bad "getnextca: rc=$rc"; cat e8.log; }

# a port nobody listens on: transport error
in_ns "$tool" getca -u http://127.0.0.1:8081/scep --timeout 5 >e9.log 2>&1
rc=$?; [ $rc = 69 ] && ok "unreachable server exits 69" || { bad "unreachable: rc=$rc"; cat e9.log; }

# the firmware example: its own socket transport, static buffers, a "power cut" after sending, then resumption
ex=$(dirname "$tool")/example_firmware_client
if [ -x "$ex" ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out fw.key 2>/dev/null
  in_ns "$ex" "$url" "$fp_depot" fw.key fw.state fw.der secret --legacy --cut >fw1.log 2>&1
  rc1=$?
  in_ns "$ex" "$url" "$fp_depot" fw.key fw.state fw.der secret --legacy >fw2.log 2>&1
  rc2=$?
  if [ $rc1 = 2 ] && grep -q "power cut" fw1.log && [ $rc2 = 0 ] && grep -q "resuming" fw2.log && [ ! -e fw.state ] &&
    openssl verify -CAfile ca.pem <(openssl x509 -inform DER -in fw.der) >/dev/null 2>&1; then
    ok "firmware example: power cut after sending, resumed from its state file, certificate verifies"
  else bad "firmware example: rc $rc1/$rc2"; cat fw1.log fw2.log; fi
  # the same power cut, finished by `scepkit poll` from the example's state file (the CSR made again by the CLI)
  in_ns "$ex" "$url" "$fp_depot" fw.key fw.state fw.der secret --legacy --cut >fw3.log 2>&1
  rc1=$?
  "$tool" csr --key fw.key --subject "CN=sensor-0042,O=Acme Devices" --challenge secret --der --out fw.csr \
    >/dev/null 2>&1
  in_ns "$tool" poll -u "$url" -c ca.pem --state fw.state -k fw.key -r fw.csr -l fw-cli.pem --legacy -v >fw4.log 2>&1
  rc2=$?
  if [ $rc1 = 2 ] && [ $rc2 = 0 ] && [ ! -e fw.state ] && openssl verify -CAfile ca.pem fw-cli.pem >/dev/null 2>&1; then
    ok "scepkit poll resumed the example's interrupted enrollment"
  else bad "poll after cut: rc $rc1/$rc2"; cat fw3.log fw4.log; fi
else
  echo "note: $ex not built, firmware example not exercised"
fi

# state files that are not ours
printf 'not a state' >junk.state
in_ns "$tool" poll -u "$url" -c ca.pem --state junk.state -k k1.pem -l x.pem >e10.log 2>&1
rc=$?; [ $rc = 70 ] && grep -q STATE_FOREIGN e10.log && ok "poll with a foreign state file exits 70" ||
  { bad "junk state: rc=$rc"; cat e10.log; }
in_ns "$tool" poll -u "$url" -c ca.pem --state missing.state -k k1.pem -l x.pem >e11.log 2>&1
rc=$?; [ $rc = 74 ] && ok "poll without a state file exits 74" || { bad "missing state: rc=$rc"; cat e11.log; }

if [ $fails -ne 0 ]; then
  echo "$fails check(s) failed; server log:"
  tail -20 server.log
  exit 1
fi
cd / && rm -rf "$work"
echo "all micromdm interop checks passed"
