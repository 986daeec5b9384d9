"""Independent check of evaluate-reconstructions on embeddings it has never seen (issue 21).

Draws fresh random embeddings (a new seed every run unless --seed is given), runs the built program with --json,
and recomputes every figure with numpy/scipy/scikit-learn: N-way identification from np.corrcoef ranks and exact
binomial ratios (math.comb), top-k, mean rank, the Frechet distance (scipy.linalg.sqrtm where items outnumber
dimensions, the symmetric eigh form otherwise), the CLAP and caption scores, genre agreement with scikit-learn's
RidgeClassifierCV, and checks the p-values and intervals for consistency. Also checks that a constant row and a
shape mismatch are refused with a message naming the file.

Usage: check_program.py BIN_DIR [--seed S]
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.linalg
from sklearn.linear_model import RidgeClassifierCV


def nway(ranks, m, n):
    return float(np.mean([math.comb(m - 1 - k, n - 1) / math.comb(m - 1, n - 1) for k in ranks]))


def frechet(x1, x2):
    mu1, mu2 = x1.mean(0), x2.mean(0)
    s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
    if min(x1.shape[0], x2.shape[0]) > x1.shape[1]:
        cross = np.trace(scipy.linalg.sqrtm(s1 @ s2).real)
    else:
        w, v = np.linalg.eigh(s1)
        root = (v * np.sqrt(np.maximum(w, 0))) @ v.T
        cross = np.sqrt(np.maximum(np.linalg.eigvalsh(root @ s2 @ root), 0)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * cross)


def close(a, b, rtol, atol=0.0):
    return abs(a - b) <= atol + rtol * abs(b)


def main():
    binary = os.path.join(sys.argv[1], "evaluate-reconstructions")
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else int.from_bytes(os.urandom(4), "little")
    print(f"check_program: seed {seed}")
    rng = np.random.default_rng(seed)
    failures = []

    def check(condition, what):
        if not condition:
            failures.append(what)

    with tempfile.TemporaryDirectory() as folder:
        for m, d, noise in [(60, 32, 5.0), (25, 128, 9.0)]:
            genres = ["blues", "jazz", "metal", "pop", "rock"]
            centres = rng.standard_normal((5, d)) * 0.8
            truth = [genres[i % 5] for i in range(m)]
            o = np.array([centres[i % 5] for i in range(m)]) + rng.standard_normal((m, d))
            r = o + noise * rng.standard_normal((m, d))
            captions = o + 2 * rng.standard_normal((m, d))
            train_labels = [genres[i % 5] for i in range(200)]
            train = np.array([centres[i % 5] for i in range(200)]) + rng.standard_normal((200, d))
            paths = {}
            for name, array in [("O", o), ("R", r), ("C", captions), ("T", train)]:
                paths[name] = os.path.join(folder, f"{name}{m}.npy")
                np.save(paths[name], array if name != "R" else array.astype(np.float32))
            r = r.astype(np.float32).astype(np.float64)  # what the program reads
            for name, labels in [("TL", train_labels), ("L", truth)]:
                paths[name] = os.path.join(folder, f"{name}{m}.txt")
                open(paths[name], "w").write("\n".join(labels) + "\n")
            run = subprocess.run(
                [binary, "--original-embeddings", paths["O"], "--reconstructed-embeddings", paths["R"],
                 "--ways", "2,5,10,50,M", "--top-k", "1,3", "--caption-embeddings", paths["C"],
                 "--train-embeddings", paths["T"], "--train-labels", paths["TL"], "--labels", paths["L"],
                 "--permutations", "10000", "--bootstrap", "500", "--seed", str(seed % 1000), "--json"],
                capture_output=True, text=True)
            if run.returncode != 0:
                failures.append(f"M {m}: exit {run.returncode}: {run.stderr}")
                continue
            out = json.loads(run.stdout)
            s = np.corrcoef(r, o)[:m, m:]
            ranks = [int(sum(1 for j in range(m) if j != i and s[i, j] >= s[i, i])) for i in range(m)]
            check(out["items"] == m, f"M {m}: items")
            check(out["ranks"] == ranks, f"M {m}: ranks {out['ranks']} vs {ranks}")
            expected_ways = sorted({n for n in [2, 5, 10, 50, m] if n <= m})
            check(sorted(map(int, out["nWayIdentification"])) == expected_ways, f"M {m}: ways")
            check(out["skippedWays"] == sorted({n for n in [2, 5, 10, 50, m] if n > m}), f"M {m}: skipped")
            for n in expected_ways:
                key = str(n)
                value = out["nWayIdentification"][key]
                check(close(value, nway(ranks, m, n), 1e-12), f"M {m} N {n}: {value} vs {nway(ranks, m, n)}")
                lo, hi = out["nWayIdentificationInterval"][key]["lower"], out["nWayIdentificationInterval"][key]["upper"]
                check(lo <= value <= hi, f"M {m} N {n}: interval")
                p = out["nWayIdentificationPValue"][key]
                check(1 / 10001 <= p <= 1, f"M {m} N {n}: p {p}")
                check(abs(out["nWayNullMean"][key] - 1 / n) < 0.02, f"M {m} N {n}: null mean")
            for k in [1, 3]:
                check(close(out["topK"][str(k)], float(np.mean(np.array(ranks) < k)), 1e-15), f"M {m}: top-{k}")
            check(close(out["meanRank"], float(np.mean(ranks)) + 1, 1e-14), f"M {m}: mean rank")
            fd = frechet(r, o)
            check(close(out["frechetDistance"], fd, 1e-6), f"M {m}: Frechet {out['frechetDistance']} vs {fd}")
            cos = (r * o).sum(1) / np.linalg.norm(r, axis=1) / np.linalg.norm(o, axis=1)
            check(close(out["clapScore"], float(cos.mean()), 1e-12), f"M {m}: CLAP score")
            cap = (r * captions).sum(1) / np.linalg.norm(r, axis=1) / np.linalg.norm(captions, axis=1)
            check(close(out["captionScore"], float(cap.mean()), 1e-12), f"M {m}: caption score")
            model = RidgeClassifierCV(alphas=np.logspace(-2, 4, 13)).fit(train, train_labels)
            po, pr = model.predict(o), model.predict(r)
            genre = out["genre"]["result"]
            check(genre["originalClasses"] == po.tolist(), f"M {m}: classes of originals")
            check(genre["reconstructionClasses"] == pr.tolist(), f"M {m}: classes of reconstructions")
            check(close(genre["agreement"], float(np.mean(po == pr)), 1e-15), f"M {m}: agreement")
            check(close(genre["reconstructionAccuracy"], float(np.mean(pr == np.array(truth))), 1e-15), f"M {m}: accuracy")
            print(f"  M {m}, d {d}: 2-way {out['nWayIdentification']['2']:.4f} (p {out['nWayIdentificationPValue']['2']:.2g}), "
                  f"Frechet {out['frechetDistance']:.4f} (numpy {fd:.4f}), CLAP {out['clapScore']:.4f}, "
                  f"genre agreement {genre['agreement']:.3f}")

        constant = rng.standard_normal((10, 8))
        constant[3] = 0.25
        np.save(os.path.join(folder, "constant.npy"), constant)
        np.save(os.path.join(folder, "other.npy"), rng.standard_normal((10, 8)))
        np.save(os.path.join(folder, "short.npy"), rng.standard_normal((9, 8)))
        for other, fragment in [("constant.npy", "constant"), ("short.npy", "short.npy")]:
            run = subprocess.run([binary, "--original-embeddings", os.path.join(folder, "other.npy"),
                                  "--reconstructed-embeddings", os.path.join(folder, other), "--json"],
                                 capture_output=True, text=True)
            check(run.returncode != 0 and fragment in run.stderr and run.stdout == "", f"{other} refused: {run.stderr}")

    if failures:
        print("check_program: FAILED\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("check_program: every figure matches numpy/scipy/scikit-learn")


if __name__ == "__main__":
    main()
