#!/usr/bin/env bash
# Side-by-side benchmark: our ridge CV against himalaya RidgeCV (numpy backend) on the same data, same run,
# and our 5-fold alignment against scikit-learn RidgeCV(cv=5, scoring="r2") (= fmralign RidgeAlignment).
# $1 = path of the built bench-regression binary, $2 = JSON output path.
# Env: BENCH_VOXELS (default "20000,100000"), BENCH_REPEATS (default 3: interleaved rounds of one warm fit per
# side), BENCH_PYTHON (a python with the pins).
set -euo pipefail
binary="$1"
output="$2"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
voxels="${BENCH_VOXELS:-20000,100000}"
repeats="${BENCH_REPEATS:-3}"
python="${BENCH_PYTHON:-}"
if [ -z "$python" ]; then
  venv="$root/.venv-stats"
  if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
  "$venv/bin/pip" install -q -r "$root/Tools/reference/stats/requirements.txt" --no-deps
  python="$venv/bin/python"
fi
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
"$python" "$here/himalaya_side.py" generate "$data" "$voxels"
results="["
# Interleaved: round r runs one process of ours, then one of himalaya, each fitting twice and keeping the second
# (warm) fit, so both sides sample the same minutes of this shared machine; one side's slow spell no longer
# decides the ratio. The merged record keeps every kept fit in all_seconds and their median in seconds.
merge() {
  "$python" - "$@" <<'PY'
import json, sys
import statistics
runs = [json.loads(text) for text in sys.argv[1:]]
merged = dict(runs[-1])
kept = [run["all_seconds"][-1] for run in runs]
merged["all_seconds"] = kept
merged["warmup_seconds"] = [run["all_seconds"][0] for run in runs]
merged["seconds"] = statistics.median(kept)
if all("cpu_seconds" in run for run in runs):
    merged["cpu_seconds"] = [run["cpu_seconds"][-1] for run in runs]
merged["peak_rss_mib"] = max(run["peak_rss_mib"] for run in runs)
if "gflop" in merged:
    merged["gflops_achieved"] = merged["gflop"] / merged["seconds"]
    merged["sgemm_probe_gflops_before"] = runs[0]["sgemm_probe_gflops_before"]
print(json.dumps(merged))
PY
}
for v in ${voxels//,/ }; do
  oursRuns=()
  theirsRuns=()
  for _ in $(seq "$repeats"); do
    oursRuns+=("$("$binary" --task encoding --voxels "$v" --data "$data" --repeats 2)")
    theirsRuns+=("$("$python" "$here/himalaya_side.py" himalaya "$data" "$v" 2)")
  done
  ours="$(merge "${oursRuns[@]}")"
  theirs="$(merge "${theirsRuns[@]}")"
  agreement="$("$python" "$here/himalaya_side.py" ties "$data" "$v")"
  results="$results{\"voxels\":$v,\"swift\":$ours,\"himalaya\":$theirs,\"alpha_agreement\":$agreement},"
done
ours="$("$binary" --task alignment --repeats "$repeats")"
theirs="$("$python" "$here/himalaya_side.py" alignment 1)"
results="$results{\"task\":\"alignment\",\"swift\":$ours,\"sklearn_cv5_r2\":$theirs}]"
"$python" - "$results" "$output" <<'PY'
import json, statistics, sys
rows = json.loads(sys.argv[1])
summary = []
for row in rows:
    if row.get("task") == "alignment":
        ratio = row["sklearn_cv5_r2"]["seconds"] / row["swift"]["seconds"]
        line = dict(task="alignment 480x3433 5-fold", swift_s=row["swift"]["seconds"],
                    swift_paper_loo_s=row["swift"]["paper_loo_shared_seconds"],
                    sklearn_s=row["sklearn_cv5_r2"]["seconds"], speedup=ratio, kernel=row["swift"]["kernel"])
    else:
        ratio = row["himalaya"]["seconds"] / row["swift"]["seconds"]
        # Best-of-repeats ratio beside the median one: on a shared machine the fastest repeat of each side is
        # the least disturbed by other tenants (himalaya's 2 GB of memory traffic suffers most from them).
        fastest = min(row["himalaya"]["all_seconds"]) / min(row["swift"]["all_seconds"])
        line = dict(task=f"encoding V={row['voxels']}", swift_s=row["swift"]["seconds"],
                    himalaya_s=row["himalaya"]["seconds"], speedup=ratio,
                    swift_fastest_s=min(row["swift"]["all_seconds"]),
                    swift_cpu_s=statistics.median(row["swift"].get("cpu_seconds", [float("nan")])),
                    himalaya_fastest_s=min(row["himalaya"]["all_seconds"]), speedup_fastest=fastest,
                    swift_peak_mib=row["swift"]["peak_rss_mib"], himalaya_peak_mib=row["himalaya"]["peak_rss_mib"],
                    swift_gflops=row["swift"]["gflops_achieved"], gflop=row["swift"]["gflop"],
                    sgemm_probe_gflops=[row["swift"]["sgemm_probe_gflops_before"], row["swift"]["sgemm_probe_gflops_after"]],
                    alpha_agreement=row["alpha_agreement"]["agreement"],
                    alpha_mismatches=row["alpha_agreement"]["mismatches"],
                    mismatch_max_relative_score_gap=row["alpha_agreement"]["max_relative_score_gap"],
                    kernel=row["swift"]["kernel"], ridge_fused_kernel=row["swift"].get("ridge_fused_kernel"))
    summary.append(line)
    print(json.dumps(line))
with open(sys.argv[2], "w") as fh:
    json.dump(dict(summary=summary, raw=rows), fh, indent=1)
PY
