#!/usr/bin/env bash
# Installs every Debian package Triggerfish needs to build, run and test.
# Idempotent; uses only Debian's archive.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and its sanitizer
  # runtimes; llvm-14 for llvm-symbolizer (readable sanitizer stack traces)
  clang-14 libclang-rt-14-dev llvm-14
  # gRPC / protobuf (code generation and runtime)
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # libraries named in DESIGN.md
  libboost-dev libboost-filesystem-dev libspdlog-dev libfmt-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev libre2-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  # authentication: SHA-256 of bearer tokens (libcrypto); the openssl command
  # creates tokens and the test certificates of the TLS tests
  libssl-dev openssl
  # Prometheus /metrics on the admin HTTP port (prometheus-cpp core + pull)
  prometheus-cpp-dev
  # triggerfishd's allocator: glibc malloc's arenas cost the server a fifth
  # of its CPU per event, jemalloc's thread caches much less (bench/README.md)
  libjemalloc-dev
  # email plugin: SMTP client, Mustache templates, loopback SMTP sink for its tests
  libcurl4-openssl-dev libkainjow-mustache-dev python3-aiosmtpd
  # test tooling: Python gRPC client for integration tests
  python3 python3-grpcio python3-protobuf
  # example clients (examples/clients/node: @grpc/grpc-js from npm). Node.js
  # builds from outside Debian (NodeSource) bundle npm and conflict with
  # Debian's npm package: ask for npm only when no npm is on PATH.
  nodejs $(command -v npm >/dev/null 2>&1 || echo npm)
  # sla plugin: business-time arithmetic (Howard Hinnant's date/tz, system tz database)
  libhowardhinnant-date-dev tzdata
  # deployment tests: nginx as a gRPC reverse proxy (tests/integration/nginx_test.cc
  # runs its own instance), YAML parsing of the Kubernetes manifests
  nginx python3-yaml
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Packages must not start system services (nginx would take port 80): the
  # tests start what they need themselves. policy-rc.d is Debian's switch for
  # that; add one for the install unless the machine has its own.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    policy=/usr/sbin/policy-rc.d
  fi
  trap '[ -z "$policy" ] || $SUDO rm -f "$policy"' EXIT
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  # Nor at the next boot.
  if [ -d /run/systemd/system ] && [[ " ${missing[*]} " == *" nginx "* ]]; then
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi

# valijson is header-only, but Debian's libvalijson-dev depends on the libraries
# of all its adapters (~90 packages). Unpack only its headers into .deps/.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f "$root/.deps/valijson/usr/include/valijson/validator.hpp" ]; then
  tmp="$(mktemp -d)"
  if ! (cd "$tmp" && apt-get download libvalijson-dev >/dev/null 2>&1); then
    $SUDO apt-get update
    (cd "$tmp" && apt-get download libvalijson-dev)
  fi
  mkdir -p "$root/.deps/valijson"
  dpkg -x "$tmp"/libvalijson-dev_*.deb "$root/.deps/valijson"
  rm -rf "$tmp"
fi
