// Vectorised element loops of the tensor runtime (TensorRuntime's only C code): softmax of a row, SiLU after an
// affine map, exact (erf) GELU and GEGLU, normalisation of a row, each with an AVX-512F and an AVX2 + FMA variant.
//
// The package is compiled for baseline x86-64, where the Swift loops run 4 wide without FMA; these functions
// carry target attributes and are chosen at run time. Each takes the `level` to run (1 = AVX2 + FMA,
// 2 = AVX-512F), which must be at least 1 and at most `tensor_kernels_level()`; callers keep the portable Swift
// loops for level 0 (other CPUs and non-x86 builds, where every kernel traps if called).
//
// Accuracy: e^x is Cephes' `expf` (range reduction by ln 2 in two parts, degree-5 polynomial, evaluated with
// FMA), within 3e-7 relative of glibc's `expf` on [−87.3, 88.7]; inputs below −87.3 give 0, NaN stays NaN.
// erf is the rational function of Eigen and XLA (odd numerator of degree 13 over an even denominator of
// degree 8, argument clamped to [−4, 4]), within 5e-7 absolute of glibc's `erff`.
#ifndef CTENSORKERNELS_H
#define CTENSORKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// 2 when this CPU has AVX-512F, AVX2 and FMA, 1 when it has AVX2 and FMA only, else 0 (always 0 off x86-64).
int tensor_kernels_level(void);

/// Softmax of `count` floats in place: `y_j = e^(x_j − m) / Σ_k e^(x_k − m)` with `m` the largest element
/// (NaN elements do not take part in the maximum; `m = 0` when every element is −∞, which makes the row NaN,
/// as PyTorch's softmax does).
void tensor_softmax_row(int level, float *row, ptrdiff_t count);

/// `target[i] = y / (1 + e^(−y))` with `y = source[i] · scale + shift` (SiLU after an affine map; source and
/// target may be the same array).
void tensor_affine_silu(
    int level, const float *source, float *target, ptrdiff_t count, float scale, float shift);

/// Exact GELU in place: `x · ½ · (1 + erf(x / √2))`.
void tensor_gelu(int level, float *values, ptrdiff_t count);

/// GEGLU: `target[i] = values[i] · GELU(gates[i])` (exact GELU).
void tensor_geglu(int level, const float *values, const float *gates, float *target, ptrdiff_t count);

/// The mean of `count` floats and `1 / √(σ² + epsilon)` with σ² their biased variance, both summed in double
/// (two passes) and rounded to float at the end.
void tensor_row_moments(int level, const float *values, ptrdiff_t count, float epsilon, float *mean, float *inverse);

/// Normalisation of `count` floats (LayerNorm's row, GroupNorm's group): `target[i] = (source[i] − μ) · s ·
/// gamma[i] + beta[i]`, with the mean μ and the biased variance σ² of the row summed in double (two passes) and
/// `s = 1 / √(σ² + epsilon)` rounded to float; `gamma` and `beta` both NULL for no affine map. `source` may
/// equal `target`.
void tensor_normalize_row(
    int level, const float *source, float *target, ptrdiff_t count, const float *gamma, const float *beta,
    float epsilon);

/// `C ← A · B`, or `C ← C + A · B` when `accumulate` is nonzero: `A` is `m × k` (row `i` at `a + i · lda`), `B`
/// is `k × n` (row `k` at `b + k · ldb`), `C` is `m × n` (row `i` at `c + i · ldc`), all row-major float32, on the
/// calling thread. `level` 2 (AVX-512F) uses 8 × 32 tiles and depth blocks of 1024, `level` 1 (AVX2 + FMA) 6 × 16
/// tiles and depth blocks of 256; other levels trap. Each element of a depth block is summed in depth order with
/// FMA; later blocks are added to C.
void tensor_gemm_nn(
    int level, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
    float *c, ptrdiff_t ldc, int accumulate);

/// F(4×4, 3×3)'s input transform `V_ξ = (Bᵀ d B)[ξ]` of one channel for `count` tiles, 16 at a time: tile `k`'s
/// `6 × 6` patch is `padded[offsets[k] + a · paddedWidth + b]` (`a, b < 6`; the caller has zero-padded and
/// activated the input), and `V_ξ[k]` goes to `v[ξ · pointStride + k]` for `k < columns` (zeros past `count`).
/// The arithmetic is WinogradTileGrid4x4's portable transform, operation for operation (same bits). Only
/// `level` 2 (AVX-512F); other levels trap.
void tensor_winograd4x4_input(
    int level, const float *padded, ptrdiff_t paddedWidth, const int32_t *offsets, ptrdiff_t count,
    ptrdiff_t columns, float *v, ptrdiff_t pointStride);

/// F(2×2, 3×3)'s weight transform `U_ξ = (G g Gᵀ)[ξ]` of output channels `firstOut ..< firstOut + outCount` of an
/// `(O, C, 3, 3)` weight, sixteen input channels per vector: `U_ξ[o][c]` goes to `target[ξ · matrix + o · C + c]`.
/// WinogradConvolution's portable transform, operation for operation. Only `level` 2 (AVX-512F).
void tensor_winograd2x2_weights(
    int level, const float *weight, ptrdiff_t channels, ptrdiff_t firstOut, ptrdiff_t outCount, float *target,
    ptrdiff_t matrix);

/// F(4×4, 3×3)'s output transform `Y = Aᵀ M A + bias` of `channels` output channels for tiles `firstTile ..<
/// firstTile + count` of a grid `tilesX` tiles wide, sixteen tiles per vector: `M_ξ[o][k]` is
/// `m[ξ · pointStride + o · columns + k]`, and tile `t`'s outputs go to `out[o · outRows · outColumns + (4·⌊t /
/// tilesX⌋ + i) · outColumns + 4·(t mod tilesX) + j]` where they lie inside the map (`bias` may be NULL).
/// WinogradTileGrid4x4's portable transform, operation for operation. Only `level` 2 (AVX-512F).
void tensor_winograd4x4_output(
    int level, const float *m, ptrdiff_t columns, ptrdiff_t pointStride, ptrdiff_t channels, ptrdiff_t firstTile,
    ptrdiff_t count, ptrdiff_t tilesX, float *out, ptrdiff_t outRows, ptrdiff_t outColumns, const float *bias);

/// F(4×4, 3×3)'s weight transform: `U_ξ[o][c] = Σ_tap coefficients[9ξ + tap] · g[o][c][tap]` for the 36 points,
/// output channels `firstOut ..< firstOut + outCount`, sixteen input channels per vector, to
/// `target[ξ · matrix + o · C + c]`. WinogradConvolution4x4's portable transform, operation for operation. Only
/// `level` 2 (AVX-512F).
void tensor_winograd4x4_weights(
    int level, const float *weight, const float *coefficients, ptrdiff_t channels, ptrdiff_t firstOut,
    ptrdiff_t outCount, float *target, ptrdiff_t matrix);

#endif
