#!/usr/bin/env bash
# Installs every Debian 12 package that scepkit's build, tests, examples and demo need.
# Idempotent: installs only what is missing; needs root (or sudo) when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev git
  libmbedtls-dev libssl-dev libcbor-dev libcriterion-dev
  libcurl4-openssl-dev scep iproute2
  libmicrohttpd-dev strongswan-pki libstrongswan-standard-plugins libstrongswan-extra-plugins certmonger
  openssl ca-certificates curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
