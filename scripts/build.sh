#!/usr/bin/env bash
# Configures (CMake preset "default": Ninja, RelWithDebInfo) and builds
# everything: server, plugins, SDK, tools, tests and benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)"
