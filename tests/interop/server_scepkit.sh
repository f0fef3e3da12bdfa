#!/usr/bin/env bash
# Interop: the scepkit CLI against scepkit-server on 127.0.0.1, CA mode and RA mode (and an EC CA behind RSA RA
# certificates). Covers the HTTP front end (paths, 403 health check, /healthz, 404/405/414, 64 KB GET queries),
# enrollment over POST and GET, renewal, GetCRL after a revocation, GetCert, one-time passwords, dynamic
# (subject-bound) challenges, manual approval with polling and rejection, the admin commands, the request log
# (text and JSON), HTTPS, and a clean SIGTERM shutdown (exit 0, which under ASan also means no leak).
# Every issued certificate is checked with `openssl verify`.
# Usage: server_scepkit.sh SCEPKIT_TOOL WORKDIR        (exit 77: skipped)
set -u
tool=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
. "$(dirname "$0")/lib/server.sh"

# ------------------------------------------------------------------------------------------------
echo "# CA mode"
"$srv_bin" init ca --challenge s3cret >init-ca.log 2>&1 || { cat init-ca.log; exit 1; }
[ "$(stat -c %a ca)" = 700 ] && [ "$(stat -c %a ca/ca.key)" = 600 ] && ok "init: directory 0700, key 0600" ||
  bad "init modes"
"$srv_bin" init ca >/dev/null 2>&1 && bad "init over an existing CA succeeded" || ok "init refuses to overwrite a CA"
srv_start ca
u=$srv_url
base=http://127.0.0.1:$srv_port

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
for p in /scep /cgi-bin/pkiclient.exe /certsrv/mscep/mscep.dll /CertSrv/mscep/MSCEP.DLL; do
  c=$(code "$base$p"); [ "$c" = 403 ] && ok "GET $p without operation: 403" || bad "GET $p: $c"
done
c=$(code "$base/healthz"); [ "$c" = 200 ] && ok "/healthz: 200" || bad "/healthz: $c"
curl -sv "$base/scep?operation=GetCACaps" "$base/scep?operation=GetCACert" -o /dev/null -o /dev/null 2>ka.log
grep -q "Re-using existing connection" ka.log && ! grep -qi "< connection: close" ka.log && ok "HTTP keep-alive" ||
  { bad "no keep-alive"; grep -i "connect" ka.log; }
c=$(code "$base/nothing"); [ "$c" = 404 ] && ok "unknown path: 404" || bad "unknown path: $c"
c=$(code -X PUT "$base/scep?operation=GetCACaps"); [ "$c" = 405 ] && ok "PUT: 405" || bad "PUT: $c"
c=$(code "$base/scep?operation=Nonsense"); [ "$c" = 400 ] && ok "unknown operation: 400" || bad "unknown op: $c"
# NDES accepts query strings up to 65534 bytes: a 65000-byte message reaches the handler (400: not a pkiMessage),
# a longer one is refused by the front end
big=$(head -c 48750 /dev/zero | base64 -w0)
c=$(code "$base/scep?operation=PKIOperation&message=$big"); [ "$c" = 400 ] && ok "65 KB GET query reaches the handler" ||
  bad "65 KB query: $c"
big=$(head -c 49500 /dev/zero | base64 -w0)
c=$(code "$base/scep?operation=PKIOperation&message=$big"); [ "$c" = 414 ] && ok "query over 65534 bytes: 414" ||
  bad "66 KB query: $c"
c=$(head -c 70000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --data-binary @- "$base/scep?operation=PKIOperation")
[ "$c" = 413 ] && ok "POST body over max_message_size: 413" || bad "big POST: $c"

"$tool" getcaps -u "$u" >caps.txt 2>&1
grep -qx AES caps.txt && grep -qx SHA-384 caps.txt && grep -qx POSTPKIOperation caps.txt && grep -qx Renewal caps.txt &&
  ok "getcaps: AES, SHA-384, POSTPKIOperation, Renewal" || bad "caps: $(tr '\n' ' ' <caps.txt)"

fp=$(openssl x509 -in ca/ca.pem -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')
for p in /scep /cgi-bin/pkiclient.exe /certsrv/mscep/mscep.dll; do
  "$tool" getca -u "$base$p" -F "$fp" -c got.pem >/dev/null 2>&1 && cmp -s <(openssl x509 -in got.pem -outform DER) ca/ca.cer &&
    ok "getca via $p, pinned" || bad "getca via $p"
done

"$tool" enroll -u "$u" -c ca/ca.pem --genkey rsa:2048 --key-out k1.pem -s "CN=dev-post,O=Acme" --challenge s3cret \
  --dns dev-post.example -l c1.pem -v >e1.log 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "POST ?operation=PKIOperation" e1.log && verify ca/ca.pem c1.pem && same_key k1.pem c1.pem; then
  ok "enroll over POST: openssl verify OK, our key"
else bad "enroll POST rc=$rc"; cat e1.log; fi
openssl x509 -in c1.pem -noout -text | grep -q "DNS:dev-post.example" && ok "subjectAltName copied" || bad "SAN missing"

"$tool" enroll -u "$u" -c ca/ca.pem --genkey rsa:2048 --key-out k2.pem -s "CN=dev-get,O=Acme" --challenge s3cret \
  -l c2.der --der --get -v >e2.log 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "GET ?operation=PKIOperation&message=" e2.log && verify ca/ca.pem c2.der; then
  ok "enroll over GET: openssl verify OK"
else bad "enroll GET rc=$rc"; cat e2.log; fi

"$tool" enroll -u "$u" -c ca/ca.pem -E des3 --min-cipher des3 -S sha1 --min-md sha1 --genkey rsa:2048 \
  --key-out k3.pem -s "CN=dev-des3" --challenge s3cret -l c3.pem >e3.log 2>&1
rc=$?; [ $rc = 0 ] && verify ca/ca.pem c3.pem && ok "enroll with DES3/SHA-1 requests" || { bad "des3 rc=$rc"; cat e3.log; }

# An EC (P-256) requester: signs with ECDSA; the SUCCESS is enveloped to its challenge password (RFC 8894 §3.1)
"$tool" enroll -u "$u" -c ca/ca.pem --genkey ec:p256 --key-out kec.pem -s "CN=dev-ec,O=Acme" --challenge s3cret \
  -l cec.pem >eec.log 2>&1
rc=$?; [ $rc = 0 ] && verify ca/ca.pem cec.pem && same_key kec.pem cec.pem && ok "EC P-256 enroll (password-keyed reply)" ||
  { bad "EC enroll rc=$rc"; cat eec.log; }

# (a fresh key each: a known transactionID, derived from the key, is answered from the store)
"$tool" enroll -u "$u" -c ca/ca.pem --genkey rsa:2048 --key-out k4.pem -s "CN=dev-bad" --challenge wrong -l c4.pem >e4.log 2>&1
rc=$?; [ $rc = 12 ] && grep -q badRequest e4.log && [ ! -e c4.pem ] && ok "wrong challenge: FAILURE badRequest (exit 12)" ||
  { bad "wrong challenge rc=$rc"; cat e4.log; }

"$tool" renew -u "$u" -c ca/ca.pem --cert c1.pem --old-key k1.pem --genkey rsa:2048 --key-out k5.pem -l c5.pem -v \
  >e5.log 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "RenewalReq\|transactionID" e5.log && verify ca/ca.pem c5.pem && same_key k5.pem c5.pem &&
  [ "$(openssl x509 -in c5.pem -noout -subject)" = "$(openssl x509 -in c1.pem -noout -subject)" ]; then
  ok "renew (RenewalReq signed by the current certificate, no challenge, new key)"
else bad "renew rc=$rc"; cat e5.log; fi

serial1=$(openssl x509 -in c1.pem -noout -serial | cut -d= -f2)
"$tool" getcert -u "$u" -c ca/ca.pem --cert c5.pem -k k5.pem --serial "$serial1" -l gc.pem >e6.log 2>&1
rc=$?; [ $rc = 0 ] && cmp -s <(openssl x509 -in gc.pem -outform DER) <(openssl x509 -in c1.pem -outform DER) &&
  ok "getcert by serial" || { bad "getcert rc=$rc"; cat e6.log; }

"$srv_bin" revoke ca "$serial1" --reason superseded >rv.log 2>&1 || { bad "revoke"; cat rv.log; }
"$srv_bin" index ca >index.txt 2>&1
grep -qi "^$serial1  revoked" index.txt && ok "index shows the revocation" || { bad "index"; cat index.txt; }
"$tool" getcrl -u "$u" -c ca/ca.pem --cert c5.pem -k k5.pem -l crl.pem >e7.log 2>&1
rc=$?
if [ $rc = 0 ] && openssl crl -in crl.pem -CAfile ca/ca.pem -noout 2>&1 | grep -q "verify OK" &&
  openssl crl -in crl.pem -noout -text | grep -qi "Serial Number: $serial1"; then
  ok "getcrl: CRL verifies and lists the revoked serial"
else bad "getcrl rc=$rc"; cat e7.log; fi
openssl verify -crl_check -CRLfile crl.pem -CAfile ca/ca.pem c1.pem >/dev/null 2>&1 && bad "revoked cert verifies with CRL" ||
  ok "openssl verify -crl_check refuses the revoked certificate"

# one-time passwords: single use
otp=$("$srv_bin" otp ca 2>otp.err)
if [ ${#otp} = 49 ]; then ok "otp: a 49-character password"; else bad "otp: '$otp'"; cat otp.err; fi
"$tool" enroll -u "$u" -c ca/ca.pem --genkey rsa:2048 --key-out k8.pem -s "CN=dev-otp" --challenge "$otp" -l c8.pem \
  >e8.log 2>&1
rc=$?; [ $rc = 0 ] && verify ca/ca.pem c8.pem && ok "enroll with a one-time password" || { bad "otp enroll rc=$rc"; cat e8.log; }
"$tool" enroll -u "$u" -c ca/ca.pem --genkey rsa:2048 --key-out k9.pem -s "CN=dev-otp2" --challenge "$otp" -l c9.pem >e9.log 2>&1
rc=$?; [ $rc = 12 ] && ok "a one-time password works once" || { bad "otp reuse rc=$rc"; cat e9.log; }

# dynamic challenge bound to a subject and a DNS name
tok=$("$srv_bin" challenge ca --subject "CN=tok-dev,O=Acme" --dns tok-dev.example --ttl 600 2>tok.err)
[ -n "$tok" ] || { bad "challenge"; cat tok.err; }
"$tool" enroll -u "$u" -c ca/ca.pem --genkey rsa:2048 --key-out k10.pem -s "CN=tok-dev,O=Acme" --dns tok-dev.example \
  --challenge "$tok" -l c10.pem >e10.log 2>&1
rc=$?; [ $rc = 0 ] && verify ca/ca.pem c10.pem && ok "enroll with a subject-bound dynamic challenge" ||
  { bad "token enroll rc=$rc"; cat e10.log; }
"$tool" enroll -u "$u" -c ca/ca.pem --genkey rsa:2048 --key-out k11.pem -s "CN=someone-else,O=Acme" --challenge "$tok" -l c11.pem >e11.log 2>&1
rc=$?; [ $rc = 12 ] && ok "the dynamic challenge refuses another subject" || { bad "token other subject rc=$rc"; cat e11.log; }
"$tool" enroll -u "$u" -c ca/ca.pem --genkey rsa:2048 --key-out k12.pem -s "CN=tok-dev,O=Acme" --dns tok-dev.example \
  --challenge "$tok" -l c12.pem >e12.log 2>&1
rc=$?
if [ $rc = 12 ] && [ ! -s c12.pem ] && log_has ca/server.log "challenge token already used for another key"; then
  ok "the dynamic challenge is single use: another key with the same token is refused"
else bad "token reuse by another key rc=$rc"; cat e12.log; fi

"$srv_bin" export ca -o exported >exp.log 2>&1 && cmp -s exported.cer ca/ca.cer &&
  cmp -s <(openssl x509 -in exported.pem -outform DER) ca/ca.cer && grep -q "SHA-256 fingerprint" exp.log &&
  ok "export: .cer (DER) and .pem" || { bad "export"; cat exp.log; }
"$srv_bin" approve ca NO-SUCH-TX >/dev/null 2>&1; rc=$?
[ $rc = 66 ] && ok "approve of an unknown transaction: exit 66" || bad "approve unknown rc=$rc"

# the request log: one line per request with operation, transactionID, result and duration
tx1=$(grep -o 'transactionID [0-9A-F]*' e1.log | head -1 | cut -d' ' -f2)
line=$(grep "event=request" ca/server.log | grep "msg=PKCSReq" | grep "tx=$tx1" | head -1)
if echo "$line" | grep -q "op=PKIOperation" && echo "$line" | grep -q "result=SUCCESS" &&
  echo "$line" | grep -q "serial=" && echo "$line" | grep -Eq "ms=[0-9.]+"; then
  ok "log line: op, msg, tx, result, serial, duration"
else bad "log line: $line"; fi
grep "event=request" ca/server.log | grep "msg=PKCSReq" | grep -q "result=FAILURE fail_info=badRequest" &&
  ok "log line of a refused request: FAILURE badRequest" || bad "no FAILURE log line"

srv_stop
[ "$srv_rc" = 0 ] && grep -q "event=stopped" ca/server.log && ok "SIGTERM: clean exit 0" ||
  { bad "shutdown rc=$srv_rc"; tail -5 ca/server.log; }

# ------------------------------------------------------------------------------------------------
echo "# RA mode (separate RA signing and encryption certificates), JSON logs"
"$srv_bin" init ra --ra --challenge s3cret >init-ra.log 2>&1 || { cat init-ra.log; exit 1; }
srv_start ra --log-format json
u=$srv_url
"$tool" getca -u "$u" -c ra-certs.pem >ga.log 2>&1
n=$(grep -c "BEGIN CERTIFICATE" ra-certs.pem 2>/dev/null)
[ "$n" = 3 ] && ok "getca: CA + RA signing + RA encryption certificates" || { bad "RA getca: $n certs"; cat ga.log; }
for ra in ra/ra-sign.pem ra/ra-enc.pem; do verify ra/ca.pem $ra || bad "$ra does not verify"; done
openssl x509 -in ra/ra-sign.pem -noout -ext keyUsage | grep -q "Digital Signature" &&
  openssl x509 -in ra/ra-enc.pem -noout -ext keyUsage | grep -q "Key Encipherment" && ok "RA certificates: one keyUsage each" ||
  bad "RA keyUsage"
"$tool" enroll -u "$u" -c ra/ca.pem --genkey rsa:2048 --key-out r1.pem -s "CN=ra-post" --challenge s3cret -l rc1.pem \
  >r1.log 2>&1
rc=$?; [ $rc = 0 ] && verify ra/ca.pem rc1.pem && ok "RA mode: enroll over POST" || { bad "RA POST rc=$rc"; cat r1.log; }
"$tool" enroll -u "$u" -c ra/ca.pem --genkey rsa:2048 --key-out r2.pem -s "CN=ra-get" --challenge s3cret -l rc2.pem \
  --get >r2.log 2>&1
rc=$?; [ $rc = 0 ] && verify ra/ca.pem rc2.pem && ok "RA mode: enroll over GET" || { bad "RA GET rc=$rc"; cat r2.log; }
"$tool" renew -u "$u" -c ra/ca.pem --cert rc1.pem --old-key r1.pem --reuse-key -l rc3.pem >r3.log 2>&1
rc=$?; [ $rc = 0 ] && verify ra/ca.pem rc3.pem && ok "RA mode: renew (same key)" || { bad "RA renew rc=$rc"; cat r3.log; }
srv_stop
[ "$srv_rc" = 0 ] && ok "RA mode: clean exit" || bad "RA shutdown rc=$srv_rc"
# read after the stop: every request's line is written by then
json_ok=0
if command -v python3 >/dev/null 2>&1; then
  python3 - ra/server.log <<'PY' && json_ok=1
import json, sys
seen = 0
for l in open(sys.argv[1]):
    l = l.strip()
    if not l.startswith("{"):
        continue
    d = json.loads(l)
    if d.get("event") == "request" and d.get("msg") == "PKCSReq" and d.get("result") == "SUCCESS":
        assert isinstance(d["ms"], (int, float)) and d["tx"] and d["status"] == 200
        seen += 1
sys.exit(0 if seen >= 2 else 1)
PY
else
  [ "$(grep -c '^{"ts":".*"event":"request".*"msg":"PKCSReq".*"result":"SUCCESS".*"ms":[0-9.]*}$' ra/server.log)" -ge 2 ] &&
    json_ok=1
fi
[ $json_ok = 1 ] && ok "JSON log lines parse" || bad "JSON log"

# ------------------------------------------------------------------------------------------------
echo "# manual approval"
"$srv_bin" init ma --challenge s3cret --manual-approval >init-ma.log 2>&1 || { cat init-ma.log; exit 1; }
srv_start ma
u=$srv_url
"$tool" enroll -u "$u" -c ma/ca.pem --genkey rsa:2048 --key-out m1.pem -s "CN=wait-1" --challenge s3cret -l mc1.pem \
  --state m1.state -t 1 -n 1 >m1.log 2>&1
rc=$?; [ $rc = 3 ] && [ -s m1.state ] && ok "manual approval: PENDING (exit 3), state saved" || { bad "pending rc=$rc"; cat m1.log; }
"$tool" enroll -u "$u" -c ma/ca.pem --genkey rsa:2048 --key-out m2.pem -s "CN=wait-2" --challenge s3cret -l mc2.pem \
  --state m2.state -t 1 -n 1 >m2.log 2>&1
"$srv_bin" pending ma >pending.txt 2>&1
grep -q "CN=wait-1" pending.txt && grep -q "CN=wait-2" pending.txt && ok "pending lists both requests" ||
  { bad "pending"; cat pending.txt; }
tx_1=$(grep "CN=wait-1" pending.txt | cut -d' ' -f1)
tx_2=$(grep "CN=wait-2" pending.txt | cut -d' ' -f1)
"$srv_bin" approve ma "$tx_1" >ap.log 2>&1 || { bad "approve"; cat ap.log; }
"$srv_bin" reject ma "$tx_2" --reason "not on the list" >rj.log 2>&1 || { bad "reject"; cat rj.log; }
"$tool" poll -u "$u" -c ma/ca.pem --state m1.state -k m1.pem -l mc1.pem >p1.log 2>&1
rc=$?; [ $rc = 0 ] && verify ma/ca.pem mc1.pem && ok "approved: the poll gets the certificate" || { bad "poll rc=$rc"; cat p1.log; }
"$tool" poll -u "$u" -c ma/ca.pem --state m2.state -k m2.pem -l mc2.pem >p2.log 2>&1
rc=$?; [ $rc = 12 ] && [ ! -e mc2.pem ] && ok "rejected: the poll gets FAILURE" || { bad "poll rejected rc=$rc"; cat p2.log; }
"$srv_bin" approve ma "$tx_2" >/dev/null 2>&1; rc=$?
[ $rc = 64 ] && ok "approving a rejected request is refused" || bad "approve rejected rc=$rc"
srv_stop

# ------------------------------------------------------------------------------------------------
echo "# EC CA (P-256) behind RSA RA certificates"
"$srv_bin" init ec --key ec --challenge s3cret >init-ec.log 2>&1 || { cat init-ec.log; exit 1; }
grep -q "adding RSA RA" init-ec.log && [ -e ec/ra-enc.pem ] && ok "init --key ec adds RSA RA certificates" || bad "ec init"
srv_start ec
"$tool" enroll -u "$srv_url" -c ec/ca.pem --genkey rsa:2048 --key-out e1k.pem -s "CN=ec-dev" --challenge s3cret \
  -l ec1.pem >ec1.log 2>&1
rc=$?
if [ $rc = 0 ] && verify ec/ca.pem ec1.pem && openssl x509 -in ec1.pem -noout -text | grep -q "ecdsa-with-SHA256"; then
  ok "EC CA: issued certificate signed with ECDSA verifies"
else bad "EC enroll rc=$rc"; cat ec1.log; fi
srv_stop

# ------------------------------------------------------------------------------------------------
echo "# HTTPS (libmicrohttpd + GnuTLS)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.pem -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -days 30 2>/dev/null
srv_start ec --tls-cert tls.pem --tls-key tls.key
if grep -q "url=https://" ec/server.log; then
  u=https://127.0.0.1:$srv_port/scep
  "$tool" enroll -u "$u" --tls-ca tls.pem -c ec/ca.pem --genkey rsa:2048 --key-out t1.pem -s "CN=tls-dev" \
    --challenge s3cret -l tc1.pem >t1.log 2>&1
  rc=$?; [ $rc = 0 ] && verify ec/ca.pem tc1.pem && ok "enroll over HTTPS" || { bad "HTTPS enroll rc=$rc"; cat t1.log; }
  "$tool" getcaps -u "$u" >t2.log 2>&1; rc=$?
  [ $rc = 69 ] && ok "HTTPS with an untrusted server certificate: refused by the client" || bad "untrusted TLS rc=$rc"
else bad "no HTTPS listener"; fi
srv_stop
[ "$srv_rc" = 0 ] || bad "TLS server exit $srv_rc"

# SIGHUP reopens the log file (logrotate moves it away, then signals)
srv_start ec --log "$work/rot.log"
"$tool" getcaps -u "$srv_url" >/dev/null 2>&1
log_has rot.log "op=GetCACaps" && mv rot.log rot.log.1
kill -HUP "$srv_pid"
log_has rot.log "event=log_reopen" "result=ok"
"$tool" getcaps -u "$srv_url" >/dev/null 2>&1
if log_has rot.log "op=GetCACaps" && [ "$(grep -c 'op=GetCACaps' rot.log.1)" = 1 ] && kill -0 "$srv_pid" 2>/dev/null; then
  ok "SIGHUP: the log file is reopened, the server keeps serving"
else bad "SIGHUP log reopen"; tail -5 rot.log rot.log.1; fi
srv_stop
[ "$srv_rc" = 0 ] || bad "server exit $srv_rc after SIGHUP"

# a configuration error is reported with its line
printf 'bogus_key = 1\n' >>ec/scepkit-server.conf
"$srv_bin" run ec >bad.log 2>&1; rc=$?
[ $rc = 78 ] && grep -q "unknown key 'bogus_key'" bad.log && ok "unknown configuration key: exit 78 with the line" ||
  { bad "bad config rc=$rc"; cat bad.log; }

srv_finish
