#!/usr/bin/env bash
# The product-tile benchmark (product_tiles.c): compiled here with clang against CTensorKernels' C sources and
# Debian's OpenBLAS (it is C, so it is not a SwiftPM target). $1 (the SwiftPM binary path) is unused; $2 = JSON.
# TILE_LEVEL=1 runs the AVX2 tiles on an AVX-512 CPU; with OPENBLAS_CORETYPE=Haswell as well, both sides run what
# an AVX2-only CPU would (set here for the comparison only; the library never overrides a user's OpenBLAS choice).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
clang -O2 -I "$root/Sources/CTensorKernels/include" "$here/product_tiles.c" "$root/Sources/CTensorKernels/ProductTiles.c" \
  "$root/Sources/CTensorKernels/TensorKernels.c" -o "$build/bench-product-tiles" -lopenblas -lm
uptime
"$build/bench-product-tiles" "$2"
