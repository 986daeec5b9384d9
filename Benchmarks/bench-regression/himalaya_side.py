"""Reference side of bench-regression: data generation and himalaya RidgeCV / fmralign-style timing.

Usage:
  python himalaya_side.py generate DIR V1,V2,...     writes DIR/X.f32 (480 x 512) and DIR/Y_<V>.f32
  python himalaya_side.py himalaya DIR V REPEATS     times himalaya RidgeCV(alphas=logspace(-2,3,10), cv=5)
  python himalaya_side.py ties DIR V                 alpha agreement and score gaps of disagreeing voxels
  python himalaya_side.py alignment REPEATS          times sklearn RidgeCV(cv=5) shared alpha (fmralign's
                                                     RidgeAlignment) and himalaya KernelRidgeCV, 480 x 3433
Each timing command prints one JSON line.
"""
import json
import resource
import sys
import time

import numpy as np

N, P = 480, 512


def generate(directory, voxels):
    rng = np.random.default_rng(20260101)
    x = rng.standard_normal((N, P))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    x = (x - x.mean(0)) / x.std(0)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    x = x.astype(np.float32)
    x.tofile(f"{directory}/X.f32")
    w = rng.standard_normal((P, 64)).astype(np.float32)
    drive = x @ w
    for v in voxels:
        y = rng.standard_normal((N, v)).astype(np.float32)
        signal = np.arange(v) % 10 < 3
        y[:, signal] += drive[:, np.arange(v)[signal] % 64]
        y = (y - y.mean(0)) / y.std(0)
        y.astype(np.float32).tofile(f"{directory}/Y_{v}.f32")


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def himalaya_run(directory, v, repeats):
    from himalaya.ridge import RidgeCV
    x = np.fromfile(f"{directory}/X.f32", dtype=np.float32).reshape(N, P)
    y = np.fromfile(f"{directory}/Y_{v}.f32", dtype=np.float32).reshape(N, v)
    times = []
    model = None
    for _ in range(repeats):
        model = RidgeCV(alphas=np.logspace(-2, 3, 10), cv=5)
        start = time.perf_counter()
        model.fit(x, y)
        times.append(time.perf_counter() - start)
    np.asarray(model.best_alphas_, dtype=np.float32).tofile(f"{directory}/himalaya_alphas_{v}.f32")
    np.asarray(model.cv_scores_, dtype=np.float32).tofile(f"{directory}/himalaya_scores_{v}.f32")
    print(json.dumps(dict(seconds=float(np.median(times)), all_seconds=times, peak_rss_mib=peak_mib(),
                          mean_cv_score=float(np.mean(model.cv_scores_)))))


def ties(directory, v):
    """Alpha agreement with himalaya, and for every disagreeing voxel the float64 gap between the two alphas'
    mean fold MSE: a disagreement is a float tie when that gap is at float32 rounding level."""
    from sklearn.model_selection import KFold
    a = np.fromfile(f"{directory}/swift_alphas_{v}.f32", dtype=np.float32)
    b = np.fromfile(f"{directory}/himalaya_alphas_{v}.f32", dtype=np.float32)
    differ = np.flatnonzero(~np.isclose(a, b, rtol=1e-5))
    x = np.fromfile(f"{directory}/X.f32", dtype=np.float32).reshape(N, P).astype(np.float64)
    y = np.fromfile(f"{directory}/Y_{v}.f32", dtype=np.float32).reshape(N, v)[:, differ].astype(np.float64)
    gaps = []
    for j in range(len(differ)):
        scores = []
        for alpha in (float(a[differ[j]]), float(b[differ[j]])):
            mse = []
            for train, test in KFold(5).split(x):
                xt = x[train]
                w = np.linalg.solve(xt.T @ xt + alpha * np.eye(P), xt.T @ y[train, j])
                mse.append(np.mean((y[test, j] - x[test] @ w) ** 2))
            scores.append(np.mean(mse))
        gaps.append(abs(scores[0] - scores[1]) / abs(scores[1]))
    print(json.dumps(dict(agreement=float(1 - len(differ) / v), mismatches=int(len(differ)),
                          max_relative_score_gap=float(max(gaps)) if gaps else 0.0)))


def alignment_run(repeats, v=3433):
    from sklearn.linear_model import RidgeCV
    rng = np.random.default_rng(7)
    template = rng.standard_normal((N, v)).astype(np.float32)
    mixing = (rng.standard_normal((v, v)) / np.sqrt(v)).astype(np.float32)
    source = 0.8 * template @ mixing + 0.6 * rng.standard_normal((N, v)).astype(np.float32)
    times = []
    for _ in range(repeats):
        # fmralign RidgeAlignment(alphas=logspace(-2,3,10), cv=5) = this estimator.
        start = time.perf_counter()
        RidgeCV(alphas=np.logspace(-2, 3, 10), fit_intercept=True, scoring="r2", cv=5).fit(source, template)
        times.append(time.perf_counter() - start)
    print(json.dumps(dict(seconds=float(np.median(times)), all_seconds=times, peak_rss_mib=peak_mib())))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "generate":
        generate(sys.argv[2], [int(v) for v in sys.argv[3].split(",")])
    elif command == "himalaya":
        himalaya_run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif command == "ties":
        ties(sys.argv[2], int(sys.argv[3]))
    elif command == "alignment":
        alignment_run(int(sys.argv[2]))
