"""Parity fixtures for the DecodingMetrics module (issue 21).

Every metric is computed here independently of the Swift code:
- N-way identification by enumerating every set of N - 1 distractors (itertools.combinations), not by the
  binomial formula; the binomial ratio itself for large M with exact integers (math.comb, fractions);
- exact permutation p-values by enumerating all M! pairings (itertools.permutations), recomputing every rank from
  the permuted similarity matrix, with exact rational arithmetic;
- the Frechet distance by its literal definition (sqrt of Sigma1, eigenvalues of Sigma1^1/2 Sigma2 Sigma1^1/2) in
  50-digit arithmetic (mpmath), including sets with fewer items than dimensions, plus the usual
  scipy.linalg.sqrtm formula where it is well conditioned;
- the ridge genre classifier with scikit-learn's RidgeClassifierCV, Benjamini-Hochberg with
  scipy.stats.false_discovery_control, the odd/even split-half ceiling with numpy.

Regenerate: python3 -m venv .venv-metrics && .venv-metrics/bin/pip install --no-deps -r Tools/reference/metrics/requirements.txt
            && .venv-metrics/bin/python Tools/reference/metrics/make_fixtures.py
Writes Tests/DecodingMetricsTests/Resources/metrics_fixtures.json.
"""
import itertools
import json
import math
import os
from fractions import Fraction

import mpmath
import numpy as np
import scipy
import scipy.linalg
import scipy.stats
import sklearn
from sklearn.linear_model import RidgeClassifierCV
from sklearn.metrics import confusion_matrix

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "Tests", "DecodingMetricsTests", "Resources", "metrics_fixtures.json")


def pearson_matrix(recon, orig):
    """s(i, j) = Pearson correlation of reconstruction i and original j, by np.corrcoef."""
    m = recon.shape[0]
    return np.corrcoef(recon, orig)[:m, m:]


def ranks_of(s):
    """k_i = #{j != i : s(i, j) >= s(i, i)} (ties count against)."""
    m = s.shape[0]
    return [sum(1 for j in range(m) if j != i and s[i, j] >= s[i, i]) for i in range(m)]


def nway_by_enumeration(s, n):
    """Mean over items of the fraction of (N - 1)-distractor sets that the true original strictly beats."""
    m = s.shape[0]
    total = Fraction(0)
    for i in range(m):
        others = [j for j in range(m) if j != i]
        wins = 0
        count = 0
        for subset in itertools.combinations(others, n - 1):
            count += 1
            if all(s[i, i] > s[i, j] for j in subset):
                wins += 1
        total += Fraction(wins, count)
    return total / m


def nway_exact(ranks, m, n):
    """Exact rational mean of C(M - 1 - k, N - 1) / C(M - 1, N - 1)."""
    return sum(Fraction(math.comb(m - 1 - k, n - 1), math.comb(m - 1, n - 1)) for k in ranks) / len(ranks)


def strict_paper(s):
    """The paper's strict identification: #{j != i : C_ii > C_ij} / (n - 1), mean over i."""
    m = s.shape[0]
    return float(np.mean([sum(1 for j in range(m) if j != i and s[i, i] > s[i, j]) / (m - 1) for i in range(m)]))


def identification_case(name, s, ways, topk, recon=None, orig=None):
    m = s.shape[0]
    ranks = ranks_of(s)
    case = {
        "name": name,
        "items": m,
        "similarity": s.tolist(),
        "ranks": ranks,
        "ways": ways,
        "nWayByEnumeration": {str(n): float(nway_by_enumeration(s, n)) for n in ways},
        "nWayExact": {str(n): float(nway_exact(ranks, m, n)) for n in ways},
        "strictPaper": strict_paper(s),
        "topK": {str(k): float(np.mean([r < k for r in ranks])) for k in topk},
        "meanRank": float(np.mean(ranks)) + 1,
    }
    if recon is not None:
        case["reconstructions"] = recon.tolist()
        case["originals"] = orig.tolist()
    return case


def permutation_case(name, s, ways):
    """Exact one-sided p-values over all M! pairings, ranks recomputed from the permuted matrix."""
    m = s.shape[0]
    def stats(perm):
        permuted = s[:, list(perm)]
        ranks = ranks_of(permuted)
        return [nway_exact(ranks, m, n) for n in ways]
    observed = stats(range(m))
    exceed = [0] * len(ways)
    sums = [Fraction(0)] * len(ways)
    count = 0
    for perm in itertools.permutations(range(m)):
        count += 1
        values = stats(perm)
        for w, v in enumerate(values):
            sums[w] += v
            if v >= observed[w]:
                exceed[w] += 1
    return {
        "name": name,
        "similarity": s.tolist(),
        "ways": ways,
        "observed": [float(v) for v in observed],
        "pValue": [e / count for e in exceed],
        "nullMean": [float(v / count) for v in sums],
        "permutations": count,
    }


def paired_permutation_case(name, scores):
    """Exact p of mean_i S[i, pi(i)] over all pairings (float statistic, no ties by construction)."""
    m = scores.shape[0]
    observed = float(np.mean(np.diag(scores)))
    values = np.array([np.mean(scores[np.arange(m), list(p)]) for p in itertools.permutations(range(m))])
    return {
        "name": name,
        "scores": scores.tolist(),
        "observed": observed,
        "pValue": float(np.mean(values >= observed - 1e-12)),
        "nullMean": float(values.mean()),
        "permutations": len(values),
    }


def frechet_literal_mp(x1, x2, dps=50):
    """|mu1 - mu2|^2 + tr S1 + tr S2 - 2 sum sqrt(max(lambda, 0)), lambda = eig(S1^1/2 S2 S1^1/2), in mpmath."""
    mpmath.mp.dps = dps
    def moments(x):
        n, d = x.shape
        rows = [[mpmath.mpf(float(v)) for v in row] for row in x]
        mean = [sum(rows[i][j] for i in range(n)) / n for j in range(d)]
        centred = mpmath.matrix([[rows[i][j] - mean[j] for j in range(d)] for i in range(n)])
        cov = (centred.T * centred) / (n - 1)
        return mean, cov
    mu1, s1 = moments(x1)
    mu2, s2 = moments(x2)
    d = len(mu1)
    w, q = mpmath.eigsy(s1)
    root = q * mpmath.diag([mpmath.sqrt(max(v, 0)) for v in w]) * q.T
    product = root * s2 * root
    product = (product + product.T) / 2
    lam, _ = mpmath.eigsy(product)
    mean_term = sum((mu1[j] - mu2[j]) ** 2 for j in range(d))
    trace = sum(s1[j, j] for j in range(d)) + sum(s2[j, j] for j in range(d))
    value = mean_term + trace - 2 * sum(mpmath.sqrt(max(v, 0)) for v in lam)
    return float(value)


def frechet_sqrtm(x1, x2):
    """The common FID code's formula with scipy.linalg.sqrtm (float64)."""
    mu1, mu2 = x1.mean(0), x2.mean(0)
    s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def main():
    rng = np.random.default_rng(2121)
    fixtures = {
        "versions": {
            "numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__,
            "mpmath": mpmath.__version__,
        }
    }

    # --- identification -------------------------------------------------------------------------------------
    cases = []
    orig = rng.standard_normal((12, 8))
    recon = orig + 1.0 * rng.standard_normal((12, 8))
    cases.append(identification_case("planted 12x8", pearson_matrix(recon, orig), [2, 3, 5, 12], [1, 3], recon, orig))
    orig = rng.standard_normal((10, 3))
    recon = 0.5 * orig + rng.standard_normal((10, 3))
    cases.append(identification_case("fewer dims 10x3", pearson_matrix(recon, orig), [2, 4, 10], [1, 2], recon, orig))
    ties = np.rint(rng.random((9, 9)) * 4) / 4
    cases.append(identification_case("ties on a quarter grid 9x9", ties, [2, 3, 4, 9], [1, 3]))
    all_tied = np.full((5, 5), 0.5)
    cases.append(identification_case("all tied 5x5", all_tied, [2, 5], [1]))
    fixtures["identification"] = cases

    # The binomial ratio for large M, exact integers.
    fixtures["binomialRatio"] = [
        {"items": m, "ways": n, "rank": k, "value": float(Fraction(math.comb(m - 1 - k, n - 1), math.comb(m - 1, n - 1)))}
        for m, n, k in [(3000, 50, 0), (3000, 50, 1), (3000, 50, 100), (3000, 50, 2900), (3000, 50, 2950),
                        (5000, 1000, 7), (5000, 1000, 900), (5000, 2, 4998), (60, 60, 0), (60, 10, 17)]
    ]

    # --- exact permutation p-values ----------------------------------------------------------------------------
    perms = []
    orig = rng.standard_normal((6, 5))
    recon = orig + 0.7 * rng.standard_normal((6, 5))
    perms.append(permutation_case("planted 6x6", pearson_matrix(recon, orig), [2, 3, 6]))
    perms.append(permutation_case("ties 5x5", np.rint(rng.random((5, 5)) * 3) / 3, [2, 3, 5]))
    perms.append(permutation_case("noise 5x5", pearson_matrix(rng.standard_normal((5, 7)), rng.standard_normal((5, 7))), [2, 5]))
    fixtures["permutation"] = perms
    fixtures["pairedPermutation"] = [paired_permutation_case("cosines 6x6", rng.uniform(-1, 1, (6, 6)) + 0.4 * np.eye(6))]

    # --- Frechet distance ----------------------------------------------------------------------------------------
    frechet = []
    a = rng.standard_normal((40, 6)) @ rng.standard_normal((6, 6))
    b = 0.8 * rng.standard_normal((35, 6)) @ rng.standard_normal((6, 6)) + 0.5
    frechet.append({"name": "more items than dims 40/35 x 6", "first": a.tolist(), "second": b.tolist(),
                    "literal": frechet_literal_mp(a, b), "sqrtm": frechet_sqrtm(a, b)})
    a = rng.standard_normal((6, 16))
    b = rng.standard_normal((9, 16)) * 1.5 + 0.2
    frechet.append({"name": "fewer items than dims 6/9 x 16", "first": a.tolist(), "second": b.tolist(),
                    "literal": frechet_literal_mp(a, b)})
    a = rng.standard_normal((12, 30))
    b = a + 0.3 * rng.standard_normal((12, 30))
    frechet.append({"name": "paired, fewer items than dims 12 x 30", "first": a.tolist(), "second": b.tolist(),
                    "literal": frechet_literal_mp(a, b)})
    a = rng.standard_normal((5, 8)) + 1.0
    b = rng.standard_normal((20, 8)) @ rng.standard_normal((8, 8)) * 0.7
    frechet.append({"name": "mixed: 5 items (fewer than dims) against 20 (more) x 8", "first": a.tolist(),
                    "second": b.tolist(), "literal": frechet_literal_mp(a, b)})
    a = rng.standard_normal((8, 5))
    frechet.append({"name": "identical sets 8 x 5", "first": a.tolist(), "second": a.tolist(),
                    "literal": frechet_literal_mp(a, a)})
    fixtures["frechet"] = frechet

    # --- CLAP score ----------------------------------------------------------------------------------------------
    o = rng.standard_normal((7, 10))
    r = 0.5 * o + rng.standard_normal((7, 10))
    cos = (r * o).sum(1) / np.linalg.norm(r, axis=1) / np.linalg.norm(o, axis=1)
    fixtures["clapScore"] = {"reconstructions": r.tolist(), "originals": o.tolist(), "perItem": cos.tolist(),
                             "mean": float(cos.mean())}

    # --- genre classifier and agreement ------------------------------------------------------------------------
    genres = []
    for name, classes, n_train, d, n_test, spread in [
            ("four genres 80 x 12", ["blues", "jazz", "metal", "pop"], 80, 12, 20, 1.2),
            ("two genres, fewer clips than dims 30 x 40", ["classical", "rock"], 30, 40, 16, 0.35)]:
        centres = rng.standard_normal((len(classes), d)) * spread
        train_y = [classes[i % len(classes)] for i in range(n_train)]
        train_x = np.array([centres[classes.index(g)] for g in train_y]) + rng.standard_normal((n_train, d))
        test_y = [classes[(3 * i + 1) % len(classes)] for i in range(n_test)]
        test_o = np.array([centres[classes.index(g)] for g in test_y]) + rng.standard_normal((n_test, d))
        test_r = 0.6 * test_o + rng.standard_normal((n_test, d))
        alphas = np.logspace(-2, 4, 13)
        model = RidgeClassifierCV(alphas=alphas).fit(train_x, train_y)
        pred_o = model.predict(test_o).tolist()
        pred_r = model.predict(test_r).tolist()
        labels = sorted(set(pred_o) | set(pred_r) | set(test_y))
        genres.append({
            "name": name, "trainEmbeddings": train_x.tolist(), "trainLabels": train_y,
            "originals": test_o.tolist(), "reconstructions": test_r.tolist(), "truth": test_y,
            "alphas": alphas.tolist(), "alpha": float(model.alpha_),
            "decisionOriginals": np.atleast_2d(model.decision_function(test_o).T).T.tolist(),
            "predictedOriginals": pred_o, "predictedReconstructions": pred_r,
            "agreement": float(np.mean(np.array(pred_o) == np.array(pred_r))),
            "reconstructionAccuracy": float(np.mean(np.array(pred_r) == np.array(test_y))),
            "originalAccuracy": float(np.mean(np.array(pred_o) == np.array(test_y))),
            "classes": labels, "confusion": confusion_matrix(test_y, pred_r, labels=labels).tolist(),
        })
    fixtures["genre"] = genres

    # --- Benjamini-Hochberg --------------------------------------------------------------------------------------
    p = np.concatenate([rng.uniform(0, 0.01, 6), rng.uniform(0, 1, 20), [0.0, 1.0, 0.02, 0.02, 0.02]])
    rng.shuffle(p)
    adjusted = scipy.stats.false_discovery_control(p, method="bh")
    fixtures["benjaminiHochberg"] = {"pValues": p.tolist(), "adjusted": adjusted.tolist(),
                                     "rejected05": (adjusted <= 0.05).tolist()}

    # --- split-half noise ceiling (odd/even) ---------------------------------------------------------------------
    stimuli, voxels = 10, 5
    signal = rng.standard_normal((stimuli, voxels))
    noise_scale = np.array([0.2, 0.5, 1.0, 2.0, 4.0])
    counts = [4, 5, 3, 4, 6, 2, 4, 5, 4, 3]
    responses = [signal[s] + noise_scale * rng.standard_normal((counts[s], voxels)) for s in range(stimuli)]
    first = np.array([r[0::2].mean(0) for r in responses])
    second = np.array([r[1::2].mean(0) for r in responses])
    rr = np.array([np.corrcoef(first[:, v], second[:, v])[0, 1] for v in range(voxels)])
    reliability = 2 * rr / (1 + rr)
    fixtures["noiseCeiling"] = {"responses": [r.tolist() for r in responses], "splitHalfCorrelation": rr.tolist(),
                                "reliability": reliability.tolist(),
                                "ceiling": np.sqrt(np.maximum(reliability, 0)).tolist()}

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as handle:
        json.dump(fixtures, handle, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
