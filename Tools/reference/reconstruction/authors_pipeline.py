"""The authors' decoding steps (neoayanami/fmri-music-gen), reimplemented in Python on a synthetic dataset.

Independent of our Swift code: it reads the BIDS files written by `make-dataset` with nibabel/nilearn/pandas
and follows the authors' code step by step (see /work/shared/notes/paper-anchor.md §1a-1e and
Docs/notes/reconstruction.md):

1. One `NiftiMasker(mask_strategy="epi")` per subject, fitted on the subject's first preprocessed run in
   sorted file order (Test run-01).
2. Per run: `nilearn.signal.clean(run, detrend=True, standardize=True, t_r=1.5)` (linear detrend, z-score
   with the population standard deviation in nilearn 0.11).
3. Epochs: start volume `int(onset // 1.5) + 3`, mean of `run[start:start + 10]` (fewer at the run's end);
   every event is used, the onset-0 repeat included.
4. Pairs: events grouped by stimulus (`<genre>.<track:05d>`), averaged, sorted by that name (genre, then
   track); Training runs give the training pairs, Test runs the test pairs.
5. Every subject's pairs are brought into the template (sub-001) voxel space by the authors' round trip:
   `masker_s.inverse_transform` then `masker_001.transform` (0 outside the subject's own mask).
6. Voxel selection: a fixed ROI image, applied as the authors apply `mask_him_005.nii.gz`:
   `masker_001.transform(roi) > 0` (here the generator's planted responsive-voxel mask).
7. Alignment: for every subject (sub-001 too) `RidgeCV(alphas=[1e2, 1e3, 1e4, 5e4], fit_intercept=True)`
   (efficient leave-one-out, one shared alpha) from its training pairs to sub-001's, applied to its training
   and test pairs, then per-voxel moment matching of each split with its own statistics to sub-001's training
   mean/std: `(P - P.mean(0)) / (1e-8 + P.std(0)) * T.std(0) + T.mean(0)`. Subjects stacked, subject-major.
8. Decoder: `Ridge(alpha=20)` (intercept) on the stacked training rows -> per-stimulus features repeated per
   subject; predictions for the stacked test rows.
9. Identification per subject on its test rows: `C[i, j] = pearsonr(P[i], T[j])` over feature dimensions,
   `acc_i = (C[i, i] > C[i, :]).sum() / (n - 1)` (strict, ties fail), mean over i; then the mean and the
   population std (`np.std`) over subjects.

Targets: the per-stimulus mean of the generator's planted acoustic features
(`derivatives/ground_truth/stimulus_features.tsv`, every numeric column but `start`/`frame`), each column
z-scored over the stimuli, saved as
`features.npy` + `features.npy.stimuli.txt` so the Swift pipeline reads the same matrix as a `FeatureSpace`.

Usage (see README.md):
    .build/debug/make-dataset --preset demo --seed 7 --quiet --out /tmp/ds
    .venv-reconstruction/bin/python Tools/reference/reconstruction/authors_pipeline.py \
        --bids /tmp/ds --out Tests/ResonanceTests/Resources/authors-reference
"""

import argparse
import glob
import json
import os
import platform
import time

import nibabel
import nilearn
import numpy as np
import pandas as pd
import scipy
import sklearn
from nilearn import signal
from nilearn.maskers import NiftiMasker
from sklearn.linear_model import Ridge, RidgeCV

TR = 1.5
SHIFT = 3
WINDOW = 10
TEMPLATE = "sub-001"
ALIGNMENT_ALPHAS = [1e2, 1e3, 1e4, 5e4]
DECODER_ALPHA = 20.0


def stimulus_name(genre, track):
    return f"{genre.strip(chr(39)).strip(chr(34)).strip()}.{int(track):05d}"


def preprocessed_runs(bids, subject):
    pattern = os.path.join(bids, "derivatives", "fmriprep", subject, "func", "*_desc-preproc_bold.nii.gz")
    runs = sorted(glob.glob(pattern))
    if not runs:
        raise SystemExit(f"no preprocessed runs match {pattern}")
    return runs


def events_for(bids, run_path):
    stem = os.path.basename(run_path).split("_space-")[0]
    subject = stem.split("_")[0]
    path = os.path.join(bids, subject, "func", stem + "_events.tsv")
    table = pd.read_csv(path, sep="\t")
    return [(float(row.onset), stimulus_name(row.genre, row.track)) for row in table.itertuples()]


def load_subject(bids, subject, template_masker):
    """Per-run cleaning and epoching, per-stimulus averages, then the round trip into the template's voxels."""
    runs = preprocessed_runs(bids, subject)
    masker = NiftiMasker(mask_strategy="epi")
    masker.fit(runs[0])
    epochs = {"Training": {}, "Test": {}}
    for run_path in runs:
        task = "Training" if "task-Training" in run_path else "Test"
        data = masker.transform(run_path)  # time x voxels
        cleaned = signal.clean(data, detrend=True, standardize=True, t_r=TR)
        # nilearn 0.11 maps standardize=True to the legacy population z-score the authors ran.
        assert np.allclose(cleaned.std(axis=0)[cleaned.std(axis=0) > 0], 1, atol=1e-4)
        for onset, name in events_for(bids, run_path):
            start = int(onset // TR) + SHIFT
            epochs[task].setdefault(name, []).append(cleaned[start : start + WINDOW].mean(axis=0))
    pairs = {}
    for task, by_stimulus in epochs.items():
        names = sorted(by_stimulus)
        means = np.stack([np.mean(by_stimulus[name], axis=0) for name in names])
        counts = [len(by_stimulus[name]) for name in names]
        if template_masker is not None:
            means = template_masker.transform(masker.inverse_transform(means))
        pairs[task] = (names, means, counts)
    return masker, pairs


def moment_match(predicted, template_train):
    return (predicted - predicted.mean(0)) / (1e-8 + predicted.std(0)) * template_train.std(0) + template_train.mean(
        0
    )


def identification(predictions, targets):
    n = predictions.shape[0]
    correlation = np.array([[scipy.stats.pearsonr(p, t)[0] for t in targets] for p in predictions])
    per_item = np.array([(correlation[i, i] > correlation[i, :]).sum() / (n - 1) for i in range(n)])
    # Smallest |C[i, i] - C[i, j]| over j != i: how far the counts are from a tie.
    gaps = np.abs(correlation - np.diag(correlation)[:, None])
    np.fill_diagonal(gaps, np.inf)
    return per_item, correlation, float(gaps.min())


def planted_features(bids):
    table = pd.read_csv(os.path.join(bids, "derivatives", "ground_truth", "stimulus_features.tsv"), sep="\t")
    columns = [
        c for c in table.columns if c not in ("stimulus", "start", "frame") and pd.api.types.is_numeric_dtype(table[c])
    ]
    means = table.groupby("stimulus")[columns].mean()
    names = sorted(means.index, key=lambda s: (s.rsplit(".", 1)[0], int(s.rsplit(".", 1)[1])))
    values = means.loc[names].to_numpy(dtype=np.float64)
    # Each descriptor z-scored over the stimuli (population std), so that no column (loudness in dB) dominates
    # the Pearson correlation over dimensions; float32, as stored in the committed .npy both sides read.
    values = (values - values.mean(0)) / values.std(0)
    return names, values.astype(np.float32), columns


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bids", required=True, help="dataset written by make-dataset")
    parser.add_argument("--out", required=True, help="fixture folder to write")
    parser.add_argument("--detail-subject", default="sub-002", help="subject whose pairs are saved")
    arguments = parser.parse_args()
    started = time.time()
    bids, out = arguments.bids, arguments.out
    os.makedirs(out, exist_ok=True)
    subjects = sorted(os.path.basename(p) for p in glob.glob(os.path.join(bids, "sub-*")) if os.path.isdir(p))
    assert subjects[0] == TEMPLATE, subjects

    template_masker, template_pairs = load_subject(bids, TEMPLATE, None)
    pairs = {TEMPLATE: template_pairs}
    for subject in subjects[1:]:
        pairs[subject] = load_subject(bids, subject, template_masker)[1]
    train_names = pairs[TEMPLATE]["Training"][0]
    test_names = pairs[TEMPLATE]["Test"][0]
    for subject in subjects:
        assert pairs[subject]["Training"][0] == train_names and pairs[subject]["Test"][0] == test_names, subject

    roi_path = os.path.join(bids, "derivatives", "ground_truth", "responsive_mask.nii.gz")
    selected = template_masker.transform(nibabel.load(roi_path)).ravel() > 0
    columns = np.flatnonzero(selected)

    feature_names, features, feature_columns = planted_features(bids)
    row = {name: i for i, name in enumerate(feature_names)}
    features64 = features.astype(np.float64)
    train_targets = features64[[row[n] for n in train_names]]
    test_targets = features64[[row[n] for n in test_names]]

    template_train = pairs[TEMPLATE]["Training"][1][:, selected]
    aligned_train, aligned_test, alignment_alphas = [], [], {}
    for subject in subjects:
        source_train = pairs[subject]["Training"][1][:, selected].astype(np.float64)
        source_test = pairs[subject]["Test"][1][:, selected].astype(np.float64)
        aligner = RidgeCV(alphas=ALIGNMENT_ALPHAS, fit_intercept=True).fit(source_train, template_train)
        alignment_alphas[subject[4:]] = float(aligner.alpha_)
        aligned_train.append(moment_match(aligner.predict(source_train), template_train))
        aligned_test.append(moment_match(aligner.predict(source_test), template_train))
    decoder = Ridge(alpha=DECODER_ALPHA).fit(np.vstack(aligned_train), np.vstack([train_targets] * len(subjects)))
    predictions = decoder.predict(np.vstack(aligned_test))

    per_subject, per_item, gaps = {}, {}, {}
    n = len(test_names)
    for index, subject in enumerate(subjects):
        items, _, gap = identification(predictions[index * n : (index + 1) * n], test_targets)
        per_subject[subject[4:]] = float(items.mean())
        per_item[subject[4:]] = items.tolist()
        gaps[subject[4:]] = gap
    accuracies = np.array(list(per_subject.values()))

    # Fixtures.
    np.save(os.path.join(out, "features.npy"), features)
    with open(os.path.join(out, "features.npy.stimuli.txt"), "w") as f:
        f.write("".join(name + "\n" for name in feature_names))
    detail = arguments.detail_subject
    np.save(os.path.join(out, f"pairs_train_{detail}.npy"), pairs[detail]["Training"][1][:, selected].astype(np.float32))
    np.save(os.path.join(out, f"pairs_test_{detail}.npy"), pairs[detail]["Test"][1][:, selected].astype(np.float32))
    np.save(os.path.join(out, "predictions.npy"), predictions.astype(np.float32))
    result = {
        "identificationAccuracy": {
            "perSubject": per_subject,
            "mean": float(accuracies.mean()),
            "std": float(accuracies.std()),
        },
        "perItem": per_item,
        "smallestCorrelationGap": gaps,
        "alignmentAlphas": alignment_alphas,
        "subjects": [s[4:] for s in subjects],
        "trainingStimuli": train_names,
        "testStimuli": test_names,
        "presentationCounts": {
            "training": pairs[TEMPLATE]["Training"][2],
            "test": pairs[TEMPLATE]["Test"][2],
        },
        "templateVoxelCount": int(selected.size),
        "selectedColumns": columns.tolist(),
        "featureColumns": feature_columns,
        "detailSubject": detail[4:],
        "options": {
            "repetitionTimeSeconds": TR,
            "shiftVolumes": SHIFT,
            "windowVolumes": WINDOW,
            "dropOnsetZeroEvents": False,
            "maskStrategy": "NiftiMasker(mask_strategy='epi') on the first run in sorted order",
            "cleaning": "nilearn.signal.clean(detrend=True, standardize=True, t_r=1.5)",
            "voxelMask": "derivatives/ground_truth/responsive_mask.nii.gz via the template masker",
            "alignment": "RidgeCV(alphas=[1e2, 1e3, 1e4, 5e4], fit_intercept=True) + moment matching",
            "decoder": "Ridge(alpha=20)",
            "identification": "strict, ties fail, n - 1 denominator",
        },
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "nilearn": nilearn.__version__,
            "nibabel": nibabel.__version__,
            "pandas": pd.__version__,
        },
    }
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(
        f"{len(subjects)} subjects, {len(train_names)} + {n} stimuli, {columns.size} of {selected.size} voxels; "
        f"identification {accuracies.mean():.4f} ± {accuracies.std():.4f} {per_subject}; "
        f"alphas {alignment_alphas}; smallest gap {min(gaps.values()):.2e}; {time.time() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
