#!/usr/bin/env bash
# The main job, end to end on one machine: build scepkit, create a CA with `scepkit-server init`, serve SCEP on
# 127.0.0.1, enroll a device with `scepkit enroll`, renew it, revoke the old certificate and fetch the CRL over
# SCEP, show the certificate and have OpenSSL verify it, then stop the server. Each step prints what it runs.
# Everything happens in a temporary directory that is removed at the end; nothing listens beyond loopback.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh

echo "== building scepkit"
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DSCEPKIT_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo -j"${JOBS:-2}" >/dev/null
tool="$root/build/demo/scepkit"
server="$root/build/demo/scepkit-server"

work=$(mktemp -d /tmp/scepkit-demo.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

step() { printf '\n== %s\n' "$*"; }
run() { # prints the command (arguments with spaces or shell characters quoted), then runs it
  local line="" a
  for a in "$@"; do
    case $a in
    *[[:space:]\'\"\$\&\|\;\<\>\(\)\*\?\!\\]*) line+=" '$a'" ;;
    *) line+=" $a" ;;
    esac
  done
  printf '$%s\n' "${line//$root\/build\/demo\//}"
  "$@"
}

step "1. create a CA: an RSA-2048 key, a self-signed CA certificate, a configuration file and an empty store"
run "$server" init ca --challenge demo-secret --subject "CN=Demo Device CA,O=Acme"

step "2. start the SCEP server on 127.0.0.1 (a free port chosen by the system), in the background"
"$server" run ca --port 0 --port-file ca/port --pid-file ca/pid 2>ca/server.log &
server_pid=$!
for _ in $(seq 1 100); do [ -s ca/port ] && break; sleep 0.05; done
[ -s ca/port ] || { echo "the server did not start:"; cat ca/server.log; exit 1; }
url="http://127.0.0.1:$(cat ca/port)/scep"
echo "scepkit-server (pid $server_pid) serves $url"
echo "(also /cgi-bin/pkiclient.exe and /certsrv/mscep/mscep.dll; a GET without operation answers 403, as NDES)"
run curl -s -o /dev/null -w "health check: HTTP %{http_code}\n" "$url"

step "3. a device asks for the CA certificate and what the server can do"
run "$tool" getcaps -u "$url"
run "$tool" getca -u "$url" -c ca-from-server.pem
echo "the device would compare that SHA-256 fingerprint with one it got out of band; here we pin the file we have"

step "4. enroll: a new RSA-2048 key and a PKCSReq with the challenge password, sent encrypted and signed"
run "$tool" enroll -u "$url" -c ca/ca.pem --genkey rsa:2048 --key-out device.key \
  -s "CN=device-0001,O=Acme" --dns device-0001.acme.test --challenge demo-secret -l device.pem

step "5. the issued certificate, and OpenSSL's verdict"
run openssl x509 -in device.pem -noout -subject -issuer -dates -serial -ext subjectAltName,keyUsage,extendedKeyUsage
run openssl verify -CAfile ca/ca.pem device.pem

step "6. renew: a RenewalReq signed by the current certificate (no challenge needed), with a new key"
run "$tool" renew -u "$url" -c ca/ca.pem --cert device.pem --old-key device.key \
  --genkey rsa:2048 --key-out device-new.key -l device-new.pem
run openssl x509 -in device-new.pem -noout -subject -issuer -dates -serial
run openssl verify -CAfile ca/ca.pem device-new.pem

step "7. revoke the first certificate (superseded) and fetch the CRL over SCEP (GetCRL)"
serial=$(openssl x509 -in device.pem -noout -serial | cut -d= -f2)
run "$server" revoke ca "$serial" --reason superseded
run "$tool" getcrl -u "$url" -c ca/ca.pem --cert device-new.pem -k device-new.key -l ca.crl.pem
run openssl crl -in ca.crl.pem -CAfile ca/ca.pem -noout -lastupdate -nextupdate -crlnumber
openssl crl -in ca.crl.pem -noout -text | sed -n '/Revoked Certificates/,/Signature Algorithm/p' | head -8
echo "with the CRL, OpenSSL now refuses the old certificate and accepts the new one:"
openssl verify -crl_check -CRLfile ca.crl.pem -CAfile ca/ca.pem device.pem 2>&1 | grep -m1 -E "revoked|OK" || true
openssl verify -crl_check -CRLfile ca.crl.pem -CAfile ca/ca.pem device-new.pem

step "8. the server's side: its index of issued certificates and its request log (one line per request)"
run "$server" index ca
grep "op=PKIOperation" ca/server.log | cut -c1-200

step "9. stop the server: SIGTERM to its pid (in-flight requests finish, the store is already on disk)"
run kill -TERM "$server_pid"
wait "$server_pid"
echo "server exited with status $?"
server_pid=""
tail -2 ca/server.log

echo
echo "== demo finished: a CA, a SCEP server, an enrolled and renewed device, a CRL, all verified by OpenSSL"
echo "   (run your own: scepkit-server init DIR && scepkit-server run DIR; see docs/server-tool.md)"
