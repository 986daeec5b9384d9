"""Checks, with nibabel, the NIfTI files NeuroIOTests wrote into NEUROIO_EXPORT_DIR (CI cross-check).

Usage: NEUROIO_EXPORT_DIR=/tmp/x swift test --filter NIfTIExportTests && python check_written.py /tmp/x
Exits non-zero on any disagreement. Values must match the test's formula within half a scale step.
"""
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

AFFINE = np.array([[-2, 0, 0.1, 90], [0, 2, 0, -126], [0, 0.2, 2, -72], [0, 0, 0, 1]], dtype=float)


def main(directory: str) -> int:
    data = (np.arange(5 * 4 * 3 * 2, dtype=np.float64) * 0.5 - 20).reshape((2, 3, 4, 5)).transpose(3, 2, 1, 0)
    failures = 0
    files = sorted(Path(directory).glob("*.nii*"))
    if len(files) != 10:
        print(f"expected 10 files, found {len(files)}")
        return 1
    for path in files:
        img = nib.load(str(path))
        name = path.name.split(".")[0]
        expected = np.abs(data) if name == "uint8" else data
        values = img.get_fdata()
        slope = float(img.dataobj.slope)
        tolerance = (slope or 1) / 2 + 1e-6 if name.startswith(("uint", "int")) else 1e-6
        ok = (
            str(img.get_data_dtype()) == name
            and img.shape == (5, 4, 3, 2)
            and np.allclose(img.affine, AFFINE, atol=1e-4)
            and abs(img.header.get_zooms()[3] - 1.5) < 1e-6
            and img.header.get_xyzt_units() == ("mm", "sec")
            and np.max(np.abs(values - expected)) <= tolerance
        )
        print(f"{path.name}: {'ok' if ok else 'MISMATCH'} dtype={img.get_data_dtype()} slope={slope}")
        failures += not ok
    expected_arrays = {
        "float32": np.array([[1, 2, 3], [4, 5, -6.5]], dtype=np.float32),
        "float64": np.array([0.1, 1e300, -2], dtype=np.float64),
        "int32": np.array([[-(2**31), 2**31 - 1]], dtype=np.int32),
        "int64": np.array([-(2**63), 7], dtype=np.int64),
        "bool": np.array([[True, False], [False, True]]),
    }
    archive = np.load(Path(directory) / "arrays.npz")
    for name, expected in expected_arrays.items():
        for array in (np.load(Path(directory) / f"{name}.npy"), archive[name]):
            ok = array.dtype == expected.dtype and array.shape == expected.shape and np.array_equal(array, expected)
            print(f"{name}.npy/npz: {'ok' if ok else 'MISMATCH'}")
            failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
