"""nibabel + nilearn side of bench-neuroio: NiftiMasker(mask_img).fit_transform on the same files."""
import json
import resource
import sys
import time

import nibabel
import nilearn
import numpy as np
from nilearn.maskers import NiftiMasker


def main(directory: str, repeats: int) -> None:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        masker = NiftiMasker(mask_img=f"{directory}/mask.nii.gz").fit()
        series = masker.transform(f"{directory}/bold.nii.gz")
        times.append(time.perf_counter() - start)
    print(json.dumps({
        "implementation": f"nibabel {nibabel.__version__} + nilearn {nilearn.__version__} NiftiMasker",
        "rows": series.shape[0], "columns": series.shape[1], "dtype": str(series.dtype),
        "seconds": min(times), "allSeconds": times,
        "peakResidentBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "checksum": float(np.sum(series, dtype=np.float64)),
    }))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
