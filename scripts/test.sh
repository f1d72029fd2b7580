#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the whole test suite with ctest:
# unit tests, plugin and SDK tests, and integration tests that start the real
# triggerfishd on loopback ports. Then the libFuzzer targets for
# FUZZ_SECONDS each (scripts/fuzz.sh).
#
# TRIGGERFISH_SANITIZERS=0 runs only the normal suite (a quicker local check).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --preset default -j "$(nproc)"

if [ "${TRIGGERFISH_SANITIZERS:-1}" = 0 ]; then exit 0; fi

echo "== fuzzing"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash scripts/fuzz.sh
