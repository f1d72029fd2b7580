#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the whole test suite with ctest:
# unit tests, plugin and SDK tests, and integration tests that start the real
# triggerfishd on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --preset default -j "$(nproc)"
