#!/usr/bin/env bash
# CA rollover: scepkit-server with `next_ca_certs` advertises GetNextCACert and answers it; `scepkit getnextca`
# must read the next CA certificate from that answer (a SignedData signed by the current CA whose content is a
# certs-only SignedData with the next CA, as RFC 8894 §4.7.1 and other implementations (xipki, jscep) nest it).
# Kept apart from server_scepkit.sh so that a failure here names exactly this exchange.
# Usage: server_nextca.sh SCEPKIT_TOOL WORKDIR        (exit 77: skipped)
set -u
tool=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
. "$(dirname "$0")/lib/server.sh"

"$srv_bin" init ca --challenge s3cret >init.log 2>&1 || { cat init.log; exit 1; }
# the next CA: a new key, certified by the current CA (so devices can chain it before the switch)
openssl req -newkey rsa:2048 -nodes -keyout ca/next.key -out next.csr -subj "/CN=scepkit-server CA 2/O=scepkit" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature,keyEncipherment\n' >next.ext
openssl x509 -req -in next.csr -CA ca/ca.pem -CAkey ca/ca.key -set_serial 0x1234 -days 3650 -extfile next.ext \
  -out ca/next.pem 2>/dev/null
sed -i 's/^next_ca_certs = .*/next_ca_certs = next.pem/' ca/scepkit-server.conf
srv_start ca

"$tool" getcaps -u "$srv_url" >caps.txt 2>&1
grep -qx GetNextCACert caps.txt && ok "GetNextCACert advertised when next_ca_certs is set" || bad "caps: $(tr '\n' ' ' <caps.txt)"
c=$(curl -s -o next.p7 -w '%{http_code} %{content_type}' "$srv_url?operation=GetNextCACert")
[ "$c" = "200 application/x-x509-next-ca-cert" ] && openssl cms -verify -inform DER -in next.p7 -certfile ca/ca.pem -CAfile ca/ca.pem \
  -noverify -purpose any -out /dev/null 2>/dev/null && ok "GetNextCACert: 200, signed by the current CA" ||
  bad "GetNextCACert answer: $c"
"$tool" getnextca -u "$srv_url" -c ca/ca.pem -l got-next.pem >gn.log 2>&1
rc=$?
if [ $rc = 0 ] && cmp -s <(openssl x509 -in got-next.pem -outform DER) <(openssl x509 -in ca/next.pem -outform DER); then
  ok "scepkit getnextca reads the next CA certificate"
else
  bad "scepkit getnextca rc=$rc: $(tail -1 gn.log)"
  echo "    (the answer's layout: $(openssl asn1parse -inform DER -in next.p7 2>/dev/null | sed -n '9,10p' | tr -s ' ' | tr '\n' ' '))"
fi
srv_stop
srv_finish
