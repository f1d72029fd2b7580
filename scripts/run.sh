#!/usr/bin/env bash
# Installs the dependencies, builds, and starts triggerfishd in the foreground
# on its embedded defaults: SQLite file triggerfish.db in the working
# directory, the bundled plugins, and the sample rule set and agents with the
# settings of examples/triggerfish.yaml. Extra arguments go
# to triggerfishd (see `build/server/triggerfishd --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
exec build/server/triggerfishd --config examples/triggerfish.yaml "$@"
