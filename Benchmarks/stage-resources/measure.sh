#!/usr/bin/env bash
# Per-task wall time, CPU time and peak memory of every stage of a planned run directory: each task runs alone as
# `reconstruct stage NAME --run DIR --task N` under GNU time, exactly as one SLURM array element runs it. These
# figures are what the SLURM executor's default time limits and memory are derived from (Docs/notes/cluster.md).
#
#   Benchmarks/stage-resources/measure.sh RECONSTRUCT RUN_DIR [OUT.tsv]
#
# RUN_DIR must be planned and unfinished (e.g. `reconstruct … --out RUN_DIR --executor slurm --dry-run`). Prints the
# CPU model and OpenBLAS kernel first; writes one TSV row per task: stage, task, wall s, user s, system s, peak RSS MB.
set -euo pipefail
reconstruct="$1"
run="$2"
out="${3:-/dev/stdout}"
command -v /usr/bin/time >/dev/null || { echo "measure.sh: GNU time (/usr/bin/time) is missing (apt-get install time)" >&2; exit 1; }
echo "# CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf 'stage\ttask\twall_s\tuser_s\tsystem_s\tpeak_rss_mb\n' >"$out"
for stage in template-mask load embed bridge select align decode evaluate generate report; do
  "$reconstruct" stage "$stage" --run "$run" --list | while IFS=$'\t' read -r index task state; do
    [ "$state" = "finished" ] && continue
    figures="$(mktemp)"
    /usr/bin/time -f '%e\t%U\t%S\t%M' -o "$figures" "$reconstruct" stage "$stage" --run "$run" --task "$index" >/dev/null
    IFS=$'\t' read -r wall user system rss <"$figures"
    rm -f "$figures"
    printf '%s\t%s\t%s\t%s\t%s\t%d\n' "$stage" "$task" "$wall" "$user" "$system" "$((rss / 1024))" >>"$out"
    echo "$stage $task: ${wall} s, $((rss / 1024)) MB" >&2
  done
done
grep -o "\"blasKernel\" *: *\"[^\"]*\"" "$run/results.json" >&2 || true
