"""Confound fixtures: an fMRIPrep-style confounds table, what nilearn's load_confounds reads from it, and what
nilearn's signal.clean returns when regressing it out, for Tests/NeuroIOTests (ConfoundTests).

Regenerate (pins in requirements.txt, nilearn 0.11.1):
    python3 -m venv .venv-neuroio && .venv-neuroio/bin/pip install -r Tools/reference/neuroio/requirements.txt
    .venv-neuroio/bin/python Tools/reference/neuroio/make_confound_fixtures.py

Outputs in Tests/NeuroIOTests/Resources/confounds/:
    sub-01_task-rest_desc-confounds_timeseries.tsv   40 volumes; derivative and framewise_displacement columns
                                                     have n/a in the first row, as fMRIPrep writes them
    reference.json        the columns load_confounds(strategy=("motion", "wm_csf"), motion="derivatives") selects
    loaded.npy            those columns as load_confounds returns them (demean=False: first-row n/a filled)
    signals.npy           40 x 6 float64 signals with confound contamination, a trend and an offset
    cleaned.npy           signal.clean(signals, detrend=True, standardize="zscore", confounds=loaded, filter=False)
    cleaned_redundant.npy the same with a duplicated, a constant and a collinear confound appended (nilearn's QR rank
                          rule drops them: equal to cleaned.npy up to rounding)
    cleaned_sample.npy    signal.clean(signals, detrend=False, standardize="zscore_sample", confounds=loaded)
"""

import json
import tempfile
from pathlib import Path

import nibabel
import numpy as np
from nilearn import signal
from nilearn.interfaces.fmriprep import load_confounds

OUT = Path(__file__).resolve().parents[3] / "Tests" / "NeuroIOTests" / "Resources" / "confounds"
OUT.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(2024)
volumes = 40

columns = {}
for name in ["csf", "white_matter", "global_signal"]:
    columns[name] = 100 + rng.standard_normal(volumes).cumsum()
for name in ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]:
    series = 0.05 * rng.standard_normal(volumes).cumsum()
    columns[name] = series
    derivative = np.diff(series, prepend=np.nan)
    columns[f"{name}_derivative1"] = derivative
columns["framewise_displacement"] = np.concatenate([[np.nan], np.abs(rng.standard_normal(volumes - 1)) * 0.1])
names = list(columns)


def cell(value):
    return "n/a" if np.isnan(value) else repr(float(value))


table = OUT / "sub-01_task-rest_desc-confounds_timeseries.tsv"
with open(table, "w") as handle:
    handle.write("\t".join(names) + "\n")
    for row in range(volumes):
        handle.write("\t".join(cell(columns[name][row]) for name in names) + "\n")

with tempfile.TemporaryDirectory() as folder:
    image = Path(folder) / "sub-01_task-rest_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"
    nibabel.Nifti1Image(np.zeros((2, 2, 2, volumes), dtype=np.float32), np.eye(4)).to_filename(image)
    (Path(folder) / table.name).write_bytes(table.read_bytes())
    loaded, sample_mask = load_confounds(
        str(image), strategy=("motion", "wm_csf"), motion="derivatives", wm_csf="basic", demean=False)
assert sample_mask is None
selected = list(loaded.columns)
confounds = loaded.to_numpy(dtype=np.float64)
assert not np.isnan(confounds).any()

time = np.arange(volumes)
signals = rng.standard_normal((volumes, 6)) + 0.02 * time[:, None] + 50
signals += confounds[:, :4] @ rng.standard_normal((4, 6))

cleaned = signal.clean(signals, detrend=True, standardize="zscore", confounds=confounds, filter=False)
redundant = np.column_stack([confounds, confounds[:, 0], np.full(volumes, 3.0), confounds[:, 1] - 2 * confounds[:, 2]])
cleaned_redundant = signal.clean(signals, detrend=True, standardize="zscore", confounds=redundant, filter=False)
cleaned_sample = signal.clean(
    signals, detrend=False, standardize="zscore_sample", confounds=confounds, filter=False)

np.save(OUT / "loaded.npy", confounds)
np.save(OUT / "signals.npy", signals)
np.save(OUT / "cleaned.npy", cleaned)
np.save(OUT / "cleaned_redundant.npy", cleaned_redundant)
np.save(OUT / "cleaned_sample.npy", cleaned_sample)
with open(OUT / "reference.json", "w") as handle:
    json.dump({"columns": selected, "volumes": volumes}, handle, indent=1)
print(selected, np.abs(cleaned - cleaned_redundant).max())
