"""Parity fixtures for the Regression and FunctionalAlignment modules (issue 5).

Seeded synthetic problems with planted signal, solved by the pinned references:
- himalaya RidgeCV (KFold(5) contiguous, per-target and shared alpha, with and without intercept),
- scikit-learn RidgeCV(cv=None) = exact leave-one-out (alpha_per_target True/False),
- scikit-learn Ridge(alpha=20) (the paper's decoder),
- scikit-learn RidgeCV(alphas=[1e2,1e3,1e4,5e4], fit_intercept=True) (the paper's aligner, shared alpha),
plus pooled out-of-fold Pearson r at the chosen alpha computed here in float64.

Regenerate: python -m venv .venv-stats && .venv-stats/bin/pip install --no-deps -r Tools/reference/stats/requirements.txt
            && .venv-stats/bin/python Tools/reference/stats/make_fixtures.py
Writes Tests/RegressionTests/Resources/*.json and Tests/FunctionalAlignmentTests/Resources/*.json.
"""
import json
import os
import sys

import numpy as np
import himalaya
import sklearn
from himalaya.ridge import RidgeCV as HRidgeCV
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import KFold

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ALPHAS = np.logspace(-2, 3, 10)


def planted(rng, n, p, v, m, noise, offset):
    x = rng.standard_normal((n + m, p)).astype(np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)  # CLAP-like unit rows
    w = rng.standard_normal((p, v)) * (rng.random(v) < 0.6)  # 40 % null targets
    scale = rng.uniform(0.2, 3.0, size=v)
    y = x @ w * scale + noise * rng.standard_normal((n + m, v))
    if offset:
        x += rng.standard_normal(p) * 0.3
        y += rng.standard_normal(v) * 2.0
    x = x.astype(np.float32)
    y = y.astype(np.float32)
    return x[:n], y[:n], x[n:], y[n:]


def oof_correlation(x, y, alphas, folds, intercept):
    """Pooled out-of-fold predictions at each target's alpha, float64 normal equations."""
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    pred = np.zeros_like(y)
    for train, test in folds:
        xtr, xte = x[train], x[test]
        ytr = y[train]
        xm = xtr.mean(0) if intercept else np.zeros(x.shape[1])
        ym = ytr.mean(0) if intercept else np.zeros(y.shape[1])
        xc = xtr - xm
        gram = xc.T @ xc
        for a in np.unique(alphas):
            cols = np.where(alphas == a)[0]
            w = np.linalg.solve(gram + a * np.eye(gram.shape[0]), xc.T @ (ytr[:, cols] - ym[cols]))
            pred[np.ix_(test, cols)] = (xte - xm) @ w + ym[cols]
    r = np.array([np.corrcoef(pred[:, j], y[:, j])[0, 1] for j in range(y.shape[1])])
    sst = ((y - y.mean(0)) ** 2).sum(0)
    r2 = 1 - ((y - pred) ** 2).sum(0) / sst
    return r, r2, pred


def himalaya_case(x, y, xt, intercept, local):
    params = dict(local_alpha=local)
    model = HRidgeCV(alphas=ALPHAS, cv=5, fit_intercept=intercept, solver_params=params)
    model.fit(x, y)
    folds = list(KFold(5).split(x))
    alphas = np.asarray(model.best_alphas_, dtype=np.float64)
    r, r2, pred = oof_correlation(x, y, alphas, folds, intercept)
    out = dict(
        fitIntercept=intercept, localAlpha=local,
        bestAlphas=alphas.tolist(), cvScores=np.asarray(model.cv_scores_, np.float64).tolist(),
        weights=np.asarray(model.coef_, np.float64).ravel().tolist(),
        intercept=(np.asarray(model.intercept_, np.float64).tolist() if intercept else [0.0] * y.shape[1]),
        testPredictions=np.asarray(model.predict(xt), np.float64).ravel().tolist(),
        cvCorrelation=r.tolist(), cvDetermination=r2.tolist(),
        cvPredictions=pred.ravel().tolist(),
        inSampleR2=np.asarray(model.score(x, y), np.float64).tolist(),  # what the authors thresholded
    )
    return out


def sklearn_loo_case(x, y, xt, intercept, per_target, alphas=ALPHAS):
    model = RidgeCV(alphas=alphas, fit_intercept=intercept, alpha_per_target=per_target)
    model.fit(x, y)
    best = np.broadcast_to(np.asarray(model.alpha_, np.float64), (y.shape[1],))
    folds = [(np.setdiff1d(np.arange(len(x)), [i]), np.array([i])) for i in range(len(x))]
    r, r2, pred = oof_correlation(x, y, best, folds, intercept)
    return dict(cvPredictions=pred.ravel().tolist() if per_target else None,
        fitIntercept=intercept, perTarget=per_target,
        bestAlphas=best.tolist(), bestScore=np.broadcast_to(model.best_score_, (y.shape[1],)).astype(float).tolist()
        if per_target else [float(model.best_score_)],
        weights=np.asarray(model.coef_, np.float64).T.ravel().tolist(),
        intercept=np.broadcast_to(np.asarray(model.intercept_, np.float64), (y.shape[1],)).tolist(),
        testPredictions=np.asarray(model.predict(xt), np.float64).ravel().tolist(),
        cvCorrelation=r.tolist(), cvDetermination=r2.tolist(),
    )


def matrix(a):
    a = np.asarray(a)
    return dict(rows=int(a.shape[0]), columns=int(a.shape[1]), values=[float(v) for v in a.astype(np.float64).ravel()])


def problem(name, seed, n, p, v, m, noise, offset):
    rng = np.random.default_rng(seed)
    x, y, xt, yt = planted(rng, n, p, v, m, noise, offset)
    cases = {}
    cases["himalaya_kfold_local"] = himalaya_case(x, y, xt, offset, True)
    cases["himalaya_kfold_shared"] = himalaya_case(x, y, xt, offset, False)
    cases["sklearn_loo_per_target"] = sklearn_loo_case(x, y, xt, offset, True)
    cases["sklearn_loo_shared"] = sklearn_loo_case(x, y, xt, offset, False)
    dec = Ridge(alpha=20.0, fit_intercept=True).fit(x, y)
    cases["sklearn_ridge_alpha20"] = dict(
        weights=np.asarray(dec.coef_, np.float64).T.ravel().tolist(),
        intercept=np.asarray(dec.intercept_, np.float64).tolist(),
        testPredictions=np.asarray(dec.predict(xt), np.float64).ravel().tolist())
    doc = dict(
        name=name, seed=seed, alphas=ALPHAS.tolist(), features=matrix(x), targets=matrix(y), testFeatures=matrix(xt),
        versions=dict(numpy=np.__version__, sklearn=sklearn.__version__, himalaya=himalaya.__version__),
        cases=cases)
    path = os.path.join(ROOT, "Tests", "RegressionTests", "Resources", f"{name}.json")
    with open(path, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))
    print(path, os.path.getsize(path))


def load_fmralign():
    """fmralign 0.0.6's procrustes and ridge modules, loaded by file (its package __init__ pulls torch/nilearn)."""
    import importlib.util
    import types
    spec = importlib.util.find_spec("fmralign")
    root = os.path.dirname(spec.origin)
    for name in ("fmralign", "fmralign.methods"):
        sys.modules.setdefault(name, types.ModuleType(name))
    modules = {}
    for short in ("base", "procrustes", "ridge"):
        full = f"fmralign.methods.{short}"
        module_spec = importlib.util.spec_from_file_location(full, os.path.join(root, "methods", f"{short}.py"))
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[full] = module
        module_spec.loader.exec_module(module)
        modules[short] = module
    return modules


def alignment_fixture():
    rng = np.random.default_rng(7)
    n, m, vox = 48, 12, 60
    template = rng.standard_normal((n + m, vox))
    q, _ = np.linalg.qr(rng.standard_normal((vox, vox)))
    source = 0.8 * template @ q.T + 0.5 * rng.standard_normal((n + m, vox)) + rng.standard_normal(vox)
    source = source.astype(np.float32)
    template = template.astype(np.float32)
    xs, xt = source[:n], source[n:]
    ys = template[:n]
    aligner = RidgeCV(alphas=[1e2, 1e3, 1e4, 5e4], fit_intercept=True).fit(xs, ys)
    aligner_small = RidgeCV(alphas=[0.1, 1.0, 10.0, 100.0], fit_intercept=True).fit(xs, ys)
    out = dict(
        source=matrix(xs), sourceTest=matrix(xt), template=matrix(ys),
        paperAlphas=[1e2, 1e3, 1e4, 5e4], paperAlpha=float(aligner.alpha_),
        paperTrainPrediction=matrix(aligner.predict(xs)), paperTestPrediction=matrix(aligner.predict(xt)),
        smallAlphas=[0.1, 1.0, 10.0, 100.0], smallAlpha=float(aligner_small.alpha_),
        smallTestPrediction=matrix(aligner_small.predict(xt)),
        versions=dict(numpy=np.__version__, sklearn=sklearn.__version__, fmralign="0.0.6"))
    fm = load_fmralign()
    ridge = fm["ridge"].RidgeAlignment(alphas=[0.1, 1.0, 10.0, 100.0, 1000.0], cv=4).fit(xs, ys)
    out["fmralignRidgeAlpha"] = float(ridge.R.alpha_)
    out["fmralignRidgeTestPrediction"] = matrix(ridge.transform(xt))
    for scaled in (False, True):
        r, sc = fm["procrustes"].scaled_procrustes(xs, ys, scaling=scaled)
        out[f"procrustes{'Scaled' if scaled else ''}TestPrediction"] = matrix(sc * xt.astype(np.float64) @ r)
        out[f"procrustes{'Scaled' if scaled else ''}Scale"] = float(sc)
    # The authors' moment matching: adj = (P - P.mean(0)) / (1e-8 + P.std(0)) * T.std(0) + T.mean(0)
    p = aligner.predict(xt).astype(np.float64)
    out["momentMatchedTest"] = matrix((p - p.mean(0)) / (1e-8 + p.std(0)) * ys.std(0) + ys.mean(0))
    path = os.path.join(ROOT, "Tests", "FunctionalAlignmentTests", "Resources", "alignment.json")
    with open(path, "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    problem("tall", 11, 62, 12, 90, 10, 0.5, False)
    problem("wide", 12, 40, 70, 60, 8, 0.5, True)
    problem("tall_intercept", 13, 50, 10, 40, 6, 0.5, True)
    alignment_fixture()
