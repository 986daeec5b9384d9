#!/usr/bin/env bash
# `make sanitize` (and CI): the test suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the suites that
# run code concurrently under ThreadSanitizer. Each sanitizer has its own build folder (.build-asan, .build-tsan), so
# the normal .build is untouched. Any sanitizer report fails the run: ASan and TSan abort on their first report
# (halt_on_error), UBSan is made fatal, and the logs are searched for reports as a second guard.
#
# SANITIZERS selects the jobs ("asan tsan" by default). Suppressions (Scripts/sanitizer-suppressions/) are for
# third-party code only, each justified in a comment there.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="${SANITIZERS:-asan tsan}"
suppressions="$PWD/Scripts/sanitizer-suppressions"
scratch="$(mktemp -d -t resonance-sanitizers.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
# The Swift runtime's backtracer would run on top of the sanitizer's own report.
export SWIFT_BACKTRACE=enable=no

# Runs `swift test` with the given build flags and test filter, failing on a non-zero status or any report.
run_tests() {
  local name="$1" folder="$2" filter="$3"
  shift 3
  local log="$scratch/$name.log" status=0 started
  echo "sanitizers: $name: building ($folder)"
  started=$(date +%s)
  swift build --build-tests --scratch-path "$folder" "$@" >"$log.build" 2>&1 || {
    grep -v "Cannot export local symbol" "$log.build" | tail -n 40
    echo "sanitizers: $name: build failed" >&2
    return 1
  }
  echo "sanitizers: $name: built in $(($(date +%s) - started)) s; testing"
  started=$(date +%s)
  local filters=()
  [ -n "$filter" ] && filters=(--filter "$filter")
  TMPDIR="$scratch" swift test --skip-build --scratch-path "$folder" "$@" "${filters[@]}" >"$log" 2>&1 || status=$?
  echo "sanitizers: $name: tests ran in $(($(date +%s) - started)) s (status $status)"
  if [ "$status" -ne 0 ] || grep -q -E "ERROR: (Address|Thread|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:|SUMMARY: (Address|Thread|UndefinedBehavior)Sanitizer" "$log"; then
    grep -E -A 30 "ERROR: |WARNING: ThreadSanitizer|runtime error:|✘|error:" "$log" | head -n 120
    echo "sanitizers: $name: FAILED (log kept at $log.failed)" >&2
    cp "$log" "$PWD/.build-$name.log" 2>/dev/null || true
    return 1
  fi
  grep -E "Test run with|Executed [0-9]+ test" "$log" | tail -n 2
}

failed=0
for job in $jobs; do
  case "$job" in
  asan)
    # The whole suite. swiftc has no UndefinedBehaviorSanitizer (Swift traps on overflow and bad indices itself) and
    # rejects SwiftPM's --sanitize=undefined, so UBSan reaches the C code through -Xcc (our C targets and the C
    # parts of dependencies); the AddressSanitizer runtime carries its handlers. Leak checking is off: the suite's
    # own processes (XCTest, Swift Testing, Foundation caches) hold memory until exit by design, and libFuzzer runs
    # LeakSanitizer on every parser (make fuzz).
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
      UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$suppressions/ubsan.supp" \
      run_tests asan .build-asan "" --sanitize=address -Xcc -fsanitize=undefined || failed=1
    ;;
  tsan)
    # The concurrent code: ridge workers (Regression, and alignment through them), the GEMM split over threads
    # (LinearAlgebra), the tensor runtime's parallel loops (TensorRuntime, CLAP's towers), the pipeline's loader
    # decoding runs side by side (Resonance's MusicGenreDatasetTests), and the web server and its store
    # (ListeningTest).
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$suppressions/tsan.supp" \
      run_tests tsan .build-tsan \
      'RegressionTests|FunctionalAlignmentTests|SplitGEMMTests|SpinningWorkersTests|TensorRuntimeTests|CLAPTests|MusicGenreDatasetTests|ListeningTestTests' \
      --sanitize=thread || failed=1
    ;;
  *)
    echo "sanitizers: unknown job '$job' (asan, tsan)" >&2
    exit 2
    ;;
  esac
done
exit "$failed"
