#!/usr/bin/env bash
# Installs what attnviz needs to build and test on Debian/Ubuntu: Debian packages (as root or through sudo)
# and the front end's npm packages. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config libclang-rt-14-dev
  libopenblas-dev nlohmann-json3-dev libutf8proc-dev libstb-dev libeigen3-dev libhnswlib-dev libfftw3-dev
  libcpp-httplib-dev libcli11-dev libcurl4-openssl-dev libgtest-dev
  chromium wrk time
  slurm-wlm munge
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Tools that may come from elsewhere than Debian's packages of the same name (Node.js from NodeSource).
command -v clang++ >/dev/null || missing+=(clang)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

if [ -f web/package-lock.json ]; then
  stamp=web/node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ web/package-lock.json -nt "$stamp" ]; then
    echo "setup: installing the front end's npm packages"
    (cd web && npm ci --no-audit --no-fund)
  fi
fi
