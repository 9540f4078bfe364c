#!/usr/bin/env bash
# Installs what floe needs and is missing: Debian packages for the build, and with
# --test the test tools (Prometheus among them) and the npm readers the interop tests
# use (tests/interop/package.json).
# Idempotent and quiet when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libjansson-dev libzstd-dev liblz4-dev libsnappy-dev libsqlite3-dev zlib1g-dev libxxhash-dev
  libyaml-dev libcriterion-dev libh2o-evloop-dev libssl-dev libpcre2-dev libedit-dev)
test_pkgs=(nodejs npm sqlite3 zstd curl wrk libsimdjson-dev)
# Installed without their Recommends (Prometheus's would bring node-exporter, smartd
# and friends): the metrics test runs Debian's Prometheus (and promtool) against
# `floe serve`; nothing starts it as a service.
lean_test_pkgs=(prometheus)

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from outside Debian (nvm, NodeSource): accept any working pair
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=($(printf '%s\n' "${missing[@]}" | grep -vx -e nodejs -e npm || true))
fi
lean_missing=()
if [[ "${1:-}" == "--test" ]]; then
  for p in "${lean_test_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || lean_missing+=("$p")
  done
fi
if ((${#missing[@]} + ${#lean_missing[@]})); then
  echo "deps: installing ${missing[*]} ${lean_missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ((${#lean_missing[@]})); then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${lean_missing[@]}" >/dev/null
  fi
fi

if [[ "${1:-}" == "--test" ]]; then
  if [[ ! -d tests/interop/node_modules/@duckdb/node-api || tests/interop/package.json -nt tests/interop/node_modules/.stamp ]]; then
    echo "deps: installing npm test readers"
    (cd tests/interop && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.stamp)
  fi
fi
