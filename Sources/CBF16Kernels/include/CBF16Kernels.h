// bfloat16 GEMM tiles for AVX-512 BF16 (TensorRuntime's opt-in bfloat16 precision; its only C code).
//
// `C = alpha · A · B + beta · C` with float32 operands and result: A and B are rounded to bfloat16
// (round to nearest even) and packed, products are summed in float32 by `vdpbf16ps`, which adds the two
// products of a pair of consecutive depth indices to one float32 lane. Packed layouts:
// - rows (the A side): panels of `BF16_PANEL_ROWS` rows; a panel holds, for every depth pair `t`, the pairs
//   `(a[i][2t], a[i][2t + 1])` of its rows `i`, one 32-bit word per row (rows past the matrix and the odd
//   depth's missing partner are zero);
// - columns (the B side): panels of `BF16_PANEL_COLUMNS` columns; for every depth pair `t`, the pairs
//   `(b[2t][j], b[2t + 1][j])` of its columns `j`.
// A panel of either side occupies `panel width · 2 · ⌈depth / 2⌉` 16-bit words, so a block of depth pairs of
// any panel is contiguous. Single-threaded; callers split the rows or columns over threads.
// Compiled for baseline x86-64: only functions with a target attribute use AVX-512, and callers check
// `bf16_gemm_available()` before `bf16_gemm_packed` (the packing functions run on any CPU).
#ifndef CBF16KERNELS_H
#define CBF16KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Rows of a packed A panel (and of the register tile).
#define BF16_PANEL_ROWS 14
/// Columns of a packed B panel (and of the register tile: two zmm registers of float32 lanes).
#define BF16_PANEL_COLUMNS 32

/// 1 when this CPU runs AVX-512F, BW, VL and BF16 (`vdpbf16ps`, `vcvtne2ps2bf16`), else 0.
int bf16_gemm_available(void);

/// The bfloat16 nearest to `value` (ties to even; NaN stays NaN), as its 16 bits.
uint16_t bf16_round(float value);

/// The 16-bit words of a packed `rows × depth` A operand.
ptrdiff_t bf16_packed_rows_count(ptrdiff_t rows, ptrdiff_t depth);

/// The 16-bit words of a packed `depth × columns` B operand.
ptrdiff_t bf16_packed_columns_count(ptrdiff_t depth, ptrdiff_t columns);

/// Packs panels `firstPanel ..< firstPanel + panelCount` of the `rows × depth` matrix whose element `(i, k)` is
/// `source[i · rowStride + k · depthStride]` into `out` (the whole packed buffer; only those panels are written).
void bf16_pack_rows(
    const float *source, ptrdiff_t rowStride, ptrdiff_t depthStride, ptrdiff_t rows, ptrdiff_t depth,
    ptrdiff_t firstPanel, ptrdiff_t panelCount, uint16_t *out);

/// Packs panels `firstPanel ..< firstPanel + panelCount` of the `depth × columns` matrix whose element `(k, j)`
/// is `source[k · depthStride + j · columnStride]` into `out`.
void bf16_pack_columns(
    const float *source, ptrdiff_t depthStride, ptrdiff_t columnStride, ptrdiff_t depth, ptrdiff_t columns,
    ptrdiff_t firstPanel, ptrdiff_t panelCount, uint16_t *out);

/// `C[r][j] ← alpha · Σ_k A[r][k] · B[k][j] + beta · C[r][j]` for rows `firstRow ..< firstRow + rowCount` of
/// the packed A and columns `firstColumn ..< firstColumn + columnCount` of the packed B, both packed with the
/// same `depth`; `c` points at the element `(firstRow, firstColumn)`, rows `ldc` floats apart. `beta == 0`
/// never reads C. Requires `bf16_gemm_available()`.
void bf16_gemm_packed(
    ptrdiff_t depth, const uint16_t *packedRows, ptrdiff_t firstRow, ptrdiff_t rowCount,
    const uint16_t *packedColumns, ptrdiff_t firstColumn, ptrdiff_t columnCount, float alpha, float beta, float *c,
    ptrdiff_t ldc);

#endif
