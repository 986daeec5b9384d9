#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of Fuzz/ with AddressSanitizer (and LeakSanitizer) into .build-fuzz and
# runs each for FUZZ_SECONDS (default 60). Prints, per target, its executions, coverage (edges, features) and corpus
# size; fails when any target reports a crash, a leak, a timeout (FUZZ_TIMEOUT seconds for one input, default 10),
# an out-of-memory (over 2 GiB) or any sanitizer error. The reproducer is kept under .build-fuzz/artifacts/<target>/.
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TARGETS (space-separated names without `fuzz-`; default all),
# FUZZ_JOBS (targets run side by side, default 1), FUZZ_TIMEOUT. The growing corpus of each target is kept in
# .build-fuzz/corpus/<target> between runs; Fuzz/corpus/<target> holds the committed seeds.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
jobs="${FUZZ_JOBS:-1}"
timeout="${FUZZ_TIMEOUT:-10}"
all_targets=(nifti nifti-gz npy npz safetensors pytorch sharded audio events-tsv bids-json hf-config bpe listening-form)
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"
scratch=.build-fuzz
# swiftc keeps only the last of several -sanitize= flags, so SwiftPM's two --sanitize options alone would build the
# Swift modules with AddressSanitizer but without libFuzzer's coverage counters; the combined flag restores them
# (SwiftPM's options still instrument the C targets and link the runtimes).
build=(swift build --scratch-path "$scratch" --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address)
export RESONANCE_FUZZ=1

mkdir -p "$scratch/logs"
for target in "${targets[@]}"; do
  [ -d "Fuzz/fuzz-$target" ] || { echo "fuzz: no target '$target' (known: ${all_targets[*]})" >&2; exit 2; }
  echo "fuzz: building fuzz-$target"
  if ! "${build[@]}" --product "fuzz-$target" >"$scratch/logs/build-$target.log" 2>&1; then
    grep -v "Cannot export local symbol" "$scratch/logs/build-$target.log" | tail -n 30
    echo "fuzz: building fuzz-$target failed" >&2
    exit 1
  fi
done
bin="$("${build[@]}" --show-bin-path)"

# One run; writes its log and a summary line "target executions exec/s cov ft corpus status" to $scratch/results.
run_target() {
  local target="$1"
  local corpus="$scratch/corpus/$target" artifacts="$scratch/artifacts/$target" log="$scratch/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$scratch/logs"
  local options=(-max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$artifacts/" -close_fd_mask=1)
  [ -f "Fuzz/dict/$target.dict" ] && options+=(-dict="Fuzz/dict/$target.dict")
  local status=0
  # The Swift runtime's own backtracer would spend seconds on each crash libFuzzer already reports.
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0:handle_abort=1" \
    LSAN_OPTIONS="suppressions=$PWD/Scripts/sanitizer-suppressions/lsan.supp:print_suppressions=0" \
    "$bin/fuzz-$target" "${options[@]}" "$corpus" "Fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  local executions rate cov ft files
  if ! grep -q "inline 8-bit counters" "$log"; then
    echo "fuzz-$target: the binary has no coverage counters (not instrumented)" >>"$log"
    status=99
  fi
  executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1 || true)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)"
  ft="$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)"
  files="$(find "$corpus" -type f | wc -l)"
  local verdict=ok
  if [ "$status" -ne 0 ] || grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY: ' "$log"; then
    verdict="FAILED(rc=$status)"
  fi
  echo "$target ${executions:-0} ${rate:-0} ${cov:-0} ${ft:-0} $files $verdict" >>"$scratch/results"
}

rm -f "$scratch/results"
running=0
for target in "${targets[@]}"; do
  echo "fuzz: running fuzz-$target for ${seconds}s"
  run_target "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

echo
printf '%-16s %14s %9s %7s %8s %8s  %s\n' target executions exec/s cov ft corpus result
failed=0
while read -r target executions rate cov ft files verdict; do
  printf '%-16s %14s %9s %7s %8s %8s  %s\n' "$target" "$executions" "$rate" "$cov" "$ft" "$files" "$verdict"
  if [ "$verdict" != ok ]; then failed=1; fi
done < <(sort "$scratch/results")
total="$(awk '{ sum += $2 } END { print sum }' "$scratch/results")"
echo "total executions: $total (${seconds}s per target)"

if [ "$failed" -ne 0 ]; then
  while read -r target _ _ _ _ _ verdict; do
    [ "$verdict" = ok ] && continue
    echo
    echo "=== fuzz-$target: $verdict; log $scratch/logs/$target.log, reproducer(s):"
    ls "$scratch/artifacts/$target" 2>/dev/null || true
    grep -v '^    #' "$scratch/logs/$target.log" | tail -n 30
  done <"$scratch/results"
  exit 1
fi
