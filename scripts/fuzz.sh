#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset "fuzz": clang-14, ASan + UBSan)
# and runs each one for FUZZ_SECONDS (default 60) on a copy of its checked-in
# corpus in fuzz/corpus/<target>/, with its dictionary. Fails on any crash,
# leak, sanitizer report or timeout; the reproducer is left in the work
# directory printed at the end (copy it into fuzz/corpus/<target>/ once the
# bug is fixed).
#
#   FUZZ_SECONDS=600 scripts/fuzz.sh            # all targets, 10 minutes each
#   scripts/fuzz.sh rule_fuzzer                 # one target
#   FUZZ_JOBS=1 FUZZ_NICE=19 scripts/fuzz.sh   # at low priority
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
nice_level="${FUZZ_NICE:-0}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(rule_fuzzer event_fuzzer); fi

cmake --preset fuzz >/dev/null
nice -n "$nice_level" cmake --build --preset fuzz -j "${FUZZ_BUILD_JOBS:-$(nproc)}"

work="$(mktemp -d "${TMPDIR:-/tmp}/triggerfish-fuzz.XXXXXX")"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:print_stacktrace=1:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
for symbolizer in llvm-symbolizer-14 llvm-symbolizer /usr/lib/llvm-14/bin/llvm-symbolizer; do
  if command -v "$symbolizer" >/dev/null 2>&1; then
    export ASAN_SYMBOLIZER_PATH="$(command -v "$symbolizer")"
    break
  fi
done

failed=()
for target in "${targets[@]}"; do
  corpus="$work/$target/corpus"
  artifacts="$work/$target/artifacts"
  mkdir -p "$corpus" "$artifacts"
  cp fuzz/corpus/"$target"/* "$corpus"/
  echo "== $target: ${seconds}s on $(ls "$corpus" | wc -l) seed inputs"
  # -max_len: rules and events that users send are a few KiB; larger inputs
  # only slow the search. -timeout: one input must not take seconds (the
  # engine's limits bound regex and condition work). -rss_limit_mb: a leak
  # or an unbounded allocation fails the run.
  if nice -n "$nice_level" "build-fuzz/fuzz/$target" \
      -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -detect_leaks=1 -print_final_stats=1 \
      -dict="fuzz/$target.dict" -artifact_prefix="$artifacts/" \
      "$corpus" >"$work/$target/log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^#[0-9]+.*DONE' \
      "$work/$target/log" || true
  else
    failed+=("$target")
    echo "!! $target failed; the last 60 lines of its log:"
    tail -n 60 "$work/$target/log"
    echo "!! reproducers: $(ls "$artifacts")"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]} (work directory $work)"
  exit 1
fi
rm -rf "$work"
echo "fuzzing passed: ${targets[*]}"
