#!/usr/bin/env bash
# Runs the Swift LinearAlgebra benchmark and NumPy (its own OpenBLAS build) on the same sizes in the same run,
# and prints ours/NumPy time ratios. $1 = the Swift benchmark binary, $2 = JSON output path.
set -euo pipefail
binary="$1"
json="$2"
python3 -m pip install -q 'numpy==2.4.6' >/dev/null 2>&1 || true
"$binary" --json "$json"
python3 - "$json" <<'PY'
import json, sys, time
import numpy as np

def median_time(fn, repetitions):
    fn()
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))

rng = np.random.default_rng(1)
reference = {}
for dtype, name, reps in [(np.float32, "sgemm 2048x2048", 7), (np.float64, "dgemm 2048x2048", 5)]:
    a = rng.standard_normal((2048, 2048)).astype(dtype)
    b = rng.standard_normal((2048, 2048)).astype(dtype)
    reference[name] = median_time(lambda: a @ b, reps)
x = rng.standard_normal((480, 512)).astype(np.float32)
reference["sgesdd 480x512 thin SVD"] = median_time(lambda: np.linalg.svd(x, full_matrices=False), 9)

path = sys.argv[1]
report = json.load(open(path))
print(f"NumPy {np.__version__} side by side (ratio = ours / NumPy; < 1 means faster):")
for m in report["measurements"]:
    ref = reference[m["name"]]
    m["numpySeconds"] = ref
    m["ratioToNumpy"] = m["medianSeconds"] / ref
    print(f"  {m['name']:<28} ours {m['medianSeconds']:.4f} s  numpy {ref:.4f} s  ratio {m['ratioToNumpy']:.2f}")
report["numpyVersion"] = np.__version__
json.dump(report, open(path + ".tmp", "w"), indent=2, sort_keys=True)
import os
os.replace(path + ".tmp", path)
PY
