#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the whole test suite with ctest:
# unit tests, plugin and SDK tests, and integration tests that start the real
# triggerfishd on loopback ports. Then, as CI does:
#  - the whole suite again, built with AddressSanitizer and
#    UndefinedBehaviorSanitizer (presets asan, build-asan/): every library,
#    plugin, tool and test, and the triggerfishd the integration tests spawn;
#  - the concurrency tests built with ThreadSanitizer (presets tsan,
#    build-tsan/, only the targets they need): the store's and the duplicate
#    filter's concurrency tests and the integration tests of publishing,
#    streams, idempotency under 8 clients, the outbox, timers, automations,
#    kill -9 and drain, against a ThreadSanitizer triggerfishd (suppressions
#    for the uninstrumented system libraries: scripts/tsan.supp);
#  - the libFuzzer targets for FUZZ_SECONDS each (scripts/fuzz.sh).
# SECURITY.md ("Fuzzing and sanitizers") has the time each step takes.
#
# TRIGGERFISH_SANITIZERS=0 runs only the normal suite (a quicker local check).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --preset default -j "$(nproc)"

if [ "${TRIGGERFISH_SANITIZERS:-1}" = 0 ]; then exit 0; fi

echo "== ASan + UBSan: the whole suite"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)"
ctest --preset asan -j "$(nproc)"

echo "== ThreadSanitizer: the concurrency tests"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$(nproc)"
ctest --preset tsan -j "$(nproc)"

echo "== fuzzing"
# 90 s per target keeps the whole of .ci/run, with both sanitizer runs,
# inside its time budget on a 2-core machine (see SECURITY.md, "Fuzzing and
# sanitizers").
FUZZ_SECONDS="${FUZZ_SECONDS:-90}" bash scripts/fuzz.sh
