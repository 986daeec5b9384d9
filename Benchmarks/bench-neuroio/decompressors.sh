#!/usr/bin/env bash
# How long inflating one `.nii.gz` takes with zlib (what NeuroIO links), ISA-L's igzip and libdeflate: user CPU
# seconds, best of $ROUNDS (default 3), output discarded. Not part of `make bench`: ISA-L (`isal`) and libdeflate
# (`libdeflate-tools`) are not dependencies of Resonance; this measures what adding one would save.
#   $1 = a .nii.gz file (for example one run of the paper-scale dataset bench-reconstruction writes under
#        /tmp/resonance-recon-bench), $2 = JSON output path.
set -euo pipefail
file="$1"
output="$2"
rounds="${ROUNDS:-3}"
cat "$file" >/dev/null # into the page cache, so that every tool reads it from memory
# Best user CPU time of `rounds` runs of a command.
best_user() {
  local best="" time
  for _ in $(seq "$rounds"); do
    time="$( { /usr/bin/time -f "%U" "$@" >/dev/null; } 2>&1 | tail -n 1)"
    if [ -z "$best" ] || awk -v a="$time" -v b="$best" 'BEGIN { exit !(a < b) }'; then best="$time"; fi
  done
  echo "$best"
}
zlib="$(best_user python3 -c '
import sys, zlib
d = zlib.decompressobj(31)
with open(sys.argv[1], "rb") as f:
    while chunk := f.read(1 << 18):
        d.decompress(chunk)
' "$file")"
igzip="null"
if command -v igzip >/dev/null; then igzip="$(best_user igzip -d -c "$file")"; fi
libdeflate="null"
if command -v libdeflate-gunzip >/dev/null; then libdeflate="$(best_user libdeflate-gunzip -c "$file")"; fi
bytes="$(python3 -c '
import gzip, sys
count = 0
with gzip.open(sys.argv[1]) as f:
    while block := f.read(1 << 24):
        count += len(block)
print(count)
' "$file")"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
printf '{"file": "%s", "compressedBytes": %s, "decompressedBytes": %s, "cpuModel": "%s", "rounds": %s,\n' \
  "$file" "$(stat -c %s "$file")" "$bytes" "$cpu" "$rounds" >"$output"
printf ' "userSeconds": {"zlibStreaming": %s, "isalIgzip": %s, "libdeflateWholeBuffer": %s}}\n' \
  "$zlib" "$igzip" "$libdeflate" >>"$output"
cat "$output"
