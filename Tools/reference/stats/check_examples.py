"""Cross-check the ridge-cv and identification examples against himalaya / scikit-learn / the authors' formula.

Usage: python check_examples.py BIN_DIR   (BIN_DIR holds the built ridge-cv and identification executables)
Exits non-zero on a mismatch. Tolerances: alphas equal for >= 99 % of targets; predictions rtol 1e-4 norm-wise
per target; identification exact (same float64 Pearson, same comparisons).
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from himalaya.ridge import RidgeCV as HRidgeCV
from scipy.stats import pearsonr
from sklearn.linear_model import RidgeCV

warnings.filterwarnings("ignore")
bin_dir = sys.argv[1]
rng = np.random.default_rng(2024)
n, p, v, m = 120, 40, 500, 20
x = rng.standard_normal((n + m, p)).astype(np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
y = (x @ rng.standard_normal((p, v)) * (rng.random(v) < 0.5) + 0.7 * rng.standard_normal((n + m, v))).astype(np.float32)
x -= x[:n].mean(0)
y -= y[:n].mean(0)
failures = []
with tempfile.TemporaryDirectory() as tmp:
    np.save(f"{tmp}/X.npy", x[:n])
    np.save(f"{tmp}/Y.npy", y[:n])
    np.save(f"{tmp}/Xt.npy", x[n:])
    for loo in (False, True):
        out = f"{tmp}/out{int(loo)}"
        args = [f"{bin_dir}/ridge-cv", "--features", f"{tmp}/X.npy", "--targets", f"{tmp}/Y.npy",
                "--predict", f"{tmp}/Xt.npy", "--out", out] + (["--loo"] if loo else [])
        subprocess.run(args, check=True)
        ours_alpha = np.load(f"{out}/alphas.npy")
        ours_pred = np.load(f"{out}/predictions.npy")
        scores = np.load(f"{out}/cv_scores.npy")
        if loo:
            ref = RidgeCV(alphas=np.logspace(-2, 3, 10), fit_intercept=False, alpha_per_target=True).fit(x[:n], y[:n])
            ref_alpha = np.asarray(ref.alpha_)
        else:
            ref = HRidgeCV(alphas=np.logspace(-2, 3, 10), cv=5).fit(x[:n], y[:n])
            ref_alpha = np.asarray(ref.best_alphas_)
        ref_pred = ref.predict(x[n:])
        same = np.isclose(ours_alpha, ref_alpha, rtol=1e-5)
        err = np.abs(ours_pred - ref_pred).max(0) / np.abs(ref_pred).max(0)
        print(f"ridge-cv {'loo' if loo else 'kfold'}: alphas agree {same.mean():.4f}, "
              f"max pred rel err (agreeing) {err[same].max():.2e}, cv_scores shape {scores.shape}")
        if same.mean() < 0.99 or err[same].max() > 1e-4 or scores.shape != (v,):
            failures.append(f"ridge-cv loo={loo}")
    # identification with ties: duplicated target rows make exact ties
    targets = rng.standard_normal((30, 16))
    targets[5] = targets[4]
    preds = targets + 0.8 * rng.standard_normal((30, 16))
    np.save(f"{tmp}/P.npy", preds)
    np.save(f"{tmp}/T.npy", targets)
    c = np.array([[pearsonr(preds[i], targets[j])[0] for j in range(30)] for i in range(30)])
    expected = np.array([(c[i, i] > c[i, :]).sum() / 29 for i in range(30)])
    out = subprocess.run([f"{bin_dir}/identification", "--predictions", f"{tmp}/P.npy", "--targets", f"{tmp}/T.npy",
                          "--json"], check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    ok = np.allclose(result["perItem"], expected, rtol=0, atol=1e-12) and abs(result["accuracy"] - expected.mean()) < 1e-12
    print(f"identification: ours {result['accuracy']:.6f}, authors' formula {expected.mean():.6f}")
    if not ok:
        failures.append("identification")
if failures:
    print("FAILED:", failures)
    sys.exit(1)
print("examples agree with the references")
