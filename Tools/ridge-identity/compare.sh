#!/usr/bin/env bash
# Byte-identity check of RidgeCrossValidation between a base commit and the working tree: builds main.swift (next
# to this script) in release against both, runs it (2,032 seeded fits over every path of the engine: K-fold,
# shuffled, grouped and custom folds, leave-one-out; intercept on and off; 10 and 3 alphas; per-target and shared
# alphas; MSE and R² selection; kept predictions, in-sample scores, no weights; AVX-512 tiles, AVX2 tiles and
# OpenBLAS; the spectral and grouped refits; float and double), and compares the two dumps of every output's bit
# patterns with cmp. Each float fit runs twice in one process, so the dump also shows a fit is deterministic.
#
# Usage: Tools/ridge-identity/compare.sh [BASE]   (BASE defaults to HEAD; needs about 1 GB of disk and, on two
# busy cores, 10 minutes). The tool is not a target of Package.swift: the script adds it to temporary copies only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(git -C "$here" rev-parse --show-toplevel)"
base="${1:-HEAD}"
work="$(mktemp -d)"
cleanup() {
  git -C "$root" worktree remove --force "$work/base" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
git -C "$root" worktree add --quiet --detach "$work/base" "$base"
mkdir -p "$work/new"
# The working tree as it is: tracked files and untracked ones git does not ignore.
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -cf - -T - 2>/dev/null) |
  tar -C "$work/new" -xf -
build_and_dump() {
  local tree="$1" dump="$2"
  mkdir -p "$tree/Tools/ridge-identity"
  cp "$here/main.swift" "$here/compare.sh" "$tree/Tools/ridge-identity/"
  if [ -f "$root/Package.resolved" ]; then cp "$root/Package.resolved" "$tree/"; fi
  python3 - "$tree/Package.swift" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
# Prepend the tool to the target list of the Package(...) call, whatever the manifest's layout.
target = ('[.executableTarget(name: "ridge-identity", dependencies: ["Regression", "LinearAlgebra"], '
          'path: "Tools/ridge-identity", exclude: ["compare.sh"])] + ')
start = text.index("let package = Package(")
at = text.index("\n  targets: ", start) + len("\n  targets: ")  # the Package(...) argument, not a product's
open(path, "w").write(text[:at] + target + text[at:])
PY
  (cd "$tree" && swift build --quiet -c release --product ridge-identity && .build/release/ridge-identity "$dump" >/dev/null)
}
build_and_dump "$work/base" "$work/base.txt"
build_and_dump "$work/new" "$work/new.txt"
echo "$(wc -l <"$work/new.txt") fits dumped on each side"
if cmp "$work/base.txt" "$work/new.txt"; then
  echo "identical: every output of every fit has the same bits at $base and in the working tree"
else
  python3 - "$work/base.txt" "$work/new.txt" <<'PY'
import sys
a, b = (open(p).read().splitlines() for p in sys.argv[1:3])
for x, y in zip(a, b):
    if x != y:
        print("first difference:", x.split(" weights")[0])
        break
PY
  exit 1
fi
