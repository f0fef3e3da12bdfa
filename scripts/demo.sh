#!/usr/bin/env bash
# The main job, as far as the library goes today: build scepkit, make a device key and a
# SCEP-ready PKCS#10 request with the `scepkit` tool, show it with scepkit itself and check
# it with OpenSSL. (The SCEP server and client arrive in later issues; this grows into the
# full local enrollment demo then.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh

echo "== building scepkit"
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DSCEPKIT_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo -j"${JOBS:-2}" >/dev/null
tool="$root/build/demo/scepkit"

work=$(mktemp -d /tmp/scepkit-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== 1. generate an RSA-2048 device key and a CSR with a challenge, SANs, key usage and EKU"
set -x
"$tool" csr --genkey rsa:2048 --key-out device.key.pem \
  --subject "CN=device-0001,O=Acme,C=US" --challenge "demo-secret" \
  --dns device-0001.acme.test --ip 127.0.0.1 --email ops@acme.test \
  --ku digitalSignature,keyEncipherment --eku clientAuth --out device.csr.pem
set +x

echo "== 2. scepkit parses and verifies its own request"
"$tool" csr --show device.csr.pem

echo "== 3. OpenSSL verifies the signature and shows the same fields"
openssl req -in device.csr.pem -verify -noout
openssl req -in device.csr.pem -noout -text | sed -n '1,60p'

echo "== 4. a device whose key sits in a secure element: the library hashes, the key port signs"
"$root/build/demo/example_csr_secure_element" se.csr.der
openssl req -inform DER -in se.csr.der -verify -noout
"$tool" csr --show se.csr.der

echo "== demo finished: key and CSR made by scepkit, verified by scepkit and OpenSSL"
