"""NumPy/SciPy side of bench-metrics: the same inputs (written by the Swift benchmark with --data), the same work.

- permutations: 10,000 column permutations of the 60 x 60 similarity matrix, ranks recomputed from the permuted
  matrix with vectorised comparisons (what a NumPy user writes), N-way values looked up in exact tables;
- Frechet distance: the common FID code (scipy.linalg.sqrtm of the covariance product) and the literal symmetric
  form (numpy.linalg.eigh of Sigma1^1/2 Sigma2 Sigma1^1/2).
Usage: reference.py DATA_DIR REPORT.json  (adds numpy timings and ratios to the report in place)
"""
import json
import math
import sys
import time

import numpy as np
import scipy
import scipy.linalg


def median_time(fn, repetitions):
    fn()
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))


def tables(m, ways):
    return [np.array([math.comb(m - 1 - k, n - 1) / math.comb(m - 1, n - 1) for k in range(m)]) for n in ways]


def permutation_pvalues(c, ways, permutations=10_000, seed=1):
    m = c.shape[0]
    lookup = tables(m, ways)
    rng = np.random.default_rng(seed)
    def stats(perm):
        p = c[:, perm]
        ranks = (p >= np.diag(p)[:, None]).sum(1) - 1
        return np.array([t[ranks].mean() for t in lookup])
    observed = stats(np.arange(m))
    exceed = np.zeros(len(ways))
    for _ in range(permutations):
        exceed += stats(rng.permutation(m)) >= observed
    return (1 + exceed) / (1 + permutations)


def frechet_sqrtm(x1, x2):
    mu1, mu2 = x1.mean(0), x2.mean(0)
    s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def frechet_eigh(x1, x2):
    mu1, mu2 = x1.mean(0), x2.mean(0)
    s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.maximum(w, 0))) @ v.T
    lam = np.linalg.eigvalsh(root @ s2 @ root)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.maximum(lam, 0)).sum())


def main():
    data, path = sys.argv[1], sys.argv[2]
    c = np.load(f"{data}/similarity.npy")
    o = np.load(f"{data}/originals.npy")
    r = np.load(f"{data}/reconstructions.npy")
    t = np.load(f"{data}/training.npy")
    reference = {
        "10,000 permutations of 60x60, N = 2": median_time(lambda: permutation_pvalues(c, [2]), 3),
        "10,000 permutations of 60x60, N = 2, 5, 10, 50": median_time(lambda: permutation_pvalues(c, [2, 5, 10, 50]), 3),
        "Frechet distance 60x512 vs 60x512": median_time(lambda: frechet_sqrtm(r, o), 5),
        "Frechet distance 480x512 vs 60x512": median_time(lambda: frechet_sqrtm(t, o), 5),
    }
    eigh = {
        "Frechet distance 60x512 vs 60x512": median_time(lambda: frechet_eigh(r, o), 5),
        "Frechet distance 480x512 vs 60x512": median_time(lambda: frechet_eigh(t, o), 5),
    }
    report = json.load(open(path))
    print(f"NumPy {np.__version__} / SciPy {scipy.__version__} side by side (ratio = ours / reference; < 1 is faster):")
    for m in report["measurements"]:
        if m["name"] not in reference:
            continue
        m["referenceSeconds"] = reference[m["name"]]
        m["ratioToReference"] = m["medianSeconds"] / reference[m["name"]]
        line = f"  {m['name']:<48} ours {m['medianSeconds']:.4f} s  reference {reference[m['name']]:.4f} s  ratio {m['ratioToReference']:.3f}"
        if m["name"] in eigh:
            m["eighReferenceSeconds"] = eigh[m["name"]]
            line += f"  (eigh form {eigh[m['name']]:.4f} s)"
        print(line)
    report["referenceValues"] = {
        "frechet60_sqrtm": frechet_sqrtm(r, o), "frechet60_eigh": frechet_eigh(r, o),
        "frechet480_sqrtm": frechet_sqrtm(t, o), "frechet480_eigh": frechet_eigh(t, o),
        "p2": float(permutation_pvalues(c, [2])[0]),
    }
    print("  values (ours in checks):", report["referenceValues"], report.get("checks"))
    report["numpyVersion"] = np.__version__
    report["scipyVersion"] = scipy.__version__
    json.dump(report, open(path, "w"), indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
