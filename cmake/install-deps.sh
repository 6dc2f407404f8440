#!/usr/bin/env bash
# Installs the Debian packages relkafka builds with, only those that are missing.
# Called by examples/demo.sh and tests/run.sh; safe to run again.
#
#   cmake/install-deps.sh          # what the library, tests and examples need
#   cmake/install-deps.sh --fuzz   # and clang with libFuzzer (tests/fuzz/run.sh)
set -euo pipefail

packages=(g++ cmake make pkg-config librdkafka-dev libfmt-dev catch2 nlohmann-json3-dev libsqlite3-dev)
case "${1:-}" in
  "") ;;
  --fuzz) packages+=(clang libclang-rt-14-dev) ;;  # bookworm's clang is 14; libFuzzer is in libclang-rt
  *) echo "usage: $0 [--fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "relkafka: installing missing packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "relkafka: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
