#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the whole test suite with ctest:
# unit tests, plugin and SDK tests, and integration tests that start the real
# triggerfishd on loopback ports. Then, as CI does:
#  - the engine, SDK and plugin unit tests built with AddressSanitizer and
#    UndefinedBehaviorSanitizer (presets asan / asan-unit, build-asan/; the
#    whole suite runs under them with `ctest --preset asan` after
#    `cmake --build --preset asan`);
#  - the libFuzzer targets for FUZZ_SECONDS each (scripts/fuzz.sh).
#
# TRIGGERFISH_SANITIZERS=0 runs only the normal suite (a quicker local check).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --preset default -j "$(nproc)"

if [ "${TRIGGERFISH_SANITIZERS:-1}" = 0 ]; then exit 0; fi

echo "== ASan + UBSan: engine, SDK and plugin unit tests"
cmake --preset asan >/dev/null
cmake --build --preset asan-unit -j "$(nproc)"
ctest --preset asan-unit -j "$(nproc)"

echo "== fuzzing"
# 120 s per target keeps the whole of .ci/run well inside its time budget
# on a 2-core machine (see SECURITY.md, "Fuzzing and sanitizers").
FUZZ_SECONDS="${FUZZ_SECONDS:-120}" bash scripts/fuzz.sh
