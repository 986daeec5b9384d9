"""Exact binomial test p-values from SciPy, the parity fixture of ListeningTest.BinomialTest.

Regenerate: python3 -m venv .venv-listening && .venv-listening/bin/pip install -r Tools/reference/listening-test/requirements.txt
            && .venv-listening/bin/python Tools/reference/listening-test/binomial_reference.py
"""

import json
import pathlib

import scipy
from scipy.stats import binomtest

CASES = [
    # (k, n, p0): the paper's pooled 512/600 and per-rater counts, edge cases, and p0 != 0.5.
    (512, 600, 0.5), (505, 600, 0.5), (55, 60, 0.5), (46, 60, 0.5), (30, 60, 0.5), (31, 60, 0.5),
    (29, 60, 0.5), (0, 60, 0.5), (60, 60, 0.5), (0, 1, 0.5), (1, 1, 0.5), (7, 10, 0.5), (3, 10, 0.5),
    (1600, 3000, 0.5), (1450, 3000, 0.5), (3, 10, 0.3), (9, 20, 0.3), (2, 20, 0.3), (40, 60, 0.75),
    (3000, 3000, 0.5),
]


def main() -> None:
    rows = []
    for k, n, p0 in CASES:
        rows.append({
            "successes": k, "trials": n, "nullProbability": p0,
            "greater": binomtest(k, n, p0, alternative="greater").pvalue,
            "less": binomtest(k, n, p0, alternative="less").pvalue,
            "twoSided": binomtest(k, n, p0, alternative="two-sided").pvalue,
        })
    out = pathlib.Path(__file__).resolve().parents[3] / "Tests/ListeningTestTests/Resources/binomial_reference.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"scipy": scipy.__version__, "cases": rows}, indent=1) + "\n")
    print(f"wrote {len(rows)} cases to {out}")


if __name__ == "__main__":
    main()
