// tensor_gemm_nn of CTensorKernels.h: register tiles of AVX-512F (or AVX2) FMAs that read both operands where
// they lie.
//
// A tile is 8 rows × 32 columns of C (16 accumulators of 16 lanes). Each depth step loads one row of B's
// 32 columns (two vectors, masked at the right edge) and broadcasts one element from each of A's 8 rows, read
// through 8 row pointers that each advance by one float. Neither operand is copied into a packed layout: on
// the thin products of the Winograd convolutions (a weight transform of 384–1280 channels times a block of
// 16–64 tiles) OpenBLAS spends as long packing the weight as multiplying, and it packs it again on every
// call. A column remainder of at most 16 runs as 16 rows × 16 columns, so a 16-column product keeps every lane
// busy. Rows past the end repeat the last row's pointer and are not stored.
//
// Blocking: the depth runs in blocks of TILE_DEPTH (the later blocks add to C), and the columns in blocks of
// TILE_COLUMNS, so that a block of B (TILE_DEPTH × TILE_COLUMNS floats, 512 KB) stays in L2 while every row
// panel of A passes over it, and a panel of A (8 × TILE_DEPTH floats, 32 KB) stays in L1 across the block's
// column strips. Within a tile the depth is summed in order, one FMA per step.
//
// Level 1 (AVX2 + FMA, CPUs without AVX-512 such as Zen 2/3 or client Intel cores) has 16 vector registers of
// 8 lanes: its tile is 6 rows × 16 columns (12 accumulators, two B vectors, one broadcast), every column
// remainder of 1–15 runs as a masked 16-column strip, and the depth runs in blocks of TILE_DEPTH_AVX2 so that a
// block of B (128 KB) fits the 256–512 KB L2 of those cores.
#include "CTensorKernels.h"

#define TILE_DEPTH 1024
#define TILE_COLUMNS 128
#define TILE_DEPTH_AVX2 256

#if defined(__x86_64__)
#include <immintrin.h>

#define TILE_TARGET __attribute__((target("avx512f")))

// C (rows ≤ 8 of a tile, columns by mask0 / mask1) = [C +] A (8 rows, `lda` apart) · B (depth × 32, `ldb`).
TILE_TARGET static inline void tile8x32(
    ptrdiff_t depth, const float *a, ptrdiff_t lda, int rows, const float *b, ptrdiff_t ldb, float *c,
    ptrdiff_t ldc, __mmask16 mask0, __mmask16 mask1, int accumulate) {
  const float *row[8];
  __m512 sum0[8], sum1[8];
#pragma clang loop unroll(full)
  for (int i = 0; i < 8; i++) {
    row[i] = a + (i < rows ? i : rows - 1) * lda;
    sum0[i] = _mm512_setzero_ps();
    sum1[i] = _mm512_setzero_ps();
  }
  for (ptrdiff_t k = 0; k < depth; k++) {
    __m512 b0 = _mm512_maskz_loadu_ps(mask0, b + k * ldb);
    __m512 b1 = _mm512_maskz_loadu_ps(mask1, b + k * ldb + 16);
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i++) {
      __m512 x = _mm512_set1_ps(row[i][k]);
      sum0[i] = _mm512_fmadd_ps(x, b0, sum0[i]);
      sum1[i] = _mm512_fmadd_ps(x, b1, sum1[i]);
    }
  }
#pragma clang loop unroll(full)
  for (int i = 0; i < 8; i++) {
    if (i < rows) {
      float *line = c + i * ldc;
      if (accumulate) {
        sum0[i] = _mm512_add_ps(_mm512_maskz_loadu_ps(mask0, line), sum0[i]);
        sum1[i] = _mm512_add_ps(_mm512_maskz_loadu_ps(mask1, line + 16), sum1[i]);
      }
      _mm512_mask_storeu_ps(line, mask0, sum0[i]);
      _mm512_mask_storeu_ps(line + 16, mask1, sum1[i]);
    }
  }
}

// C (rows ≤ 16, columns by mask) = [C +] A (16 rows) · B (depth × 16).
TILE_TARGET static inline void tile16x16(
    ptrdiff_t depth, const float *a, ptrdiff_t lda, int rows, const float *b, ptrdiff_t ldb, float *c,
    ptrdiff_t ldc, __mmask16 mask, int accumulate) {
  const float *row[16];
  __m512 sum[16];
#pragma clang loop unroll(full)
  for (int i = 0; i < 16; i++) {
    row[i] = a + (i < rows ? i : rows - 1) * lda;
    sum[i] = _mm512_setzero_ps();
  }
  for (ptrdiff_t k = 0; k < depth; k++) {
    __m512 b0 = _mm512_maskz_loadu_ps(mask, b + k * ldb);
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i++) sum[i] = _mm512_fmadd_ps(_mm512_set1_ps(row[i][k]), b0, sum[i]);
  }
#pragma clang loop unroll(full)
  for (int i = 0; i < 16; i++) {
    if (i < rows) {
      float *line = c + i * ldc;
      if (accumulate) sum[i] = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, line), sum[i]);
      _mm512_mask_storeu_ps(line, mask, sum[i]);
    }
  }
}

// One depth block over one block of at most TILE_COLUMNS columns.
TILE_TARGET static void product_block(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t depth, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
    float *c, ptrdiff_t ldc, int accumulate) {
  // Full 32-column strips, and a last strip of 17–31 columns as a masked 32-column one.
  ptrdiff_t wide = n % 32 > 16 ? n : n - n % 32;
  for (ptrdiff_t i = 0; i < m; i += 8) {
    int rows = m - i < 8 ? (int)(m - i) : 8;
    for (ptrdiff_t j = 0; j < wide; j += 32) {
      ptrdiff_t width = wide - j;
      unsigned bits = width >= 32 ? 0xffffffffu : (1u << width) - 1u;
      tile8x32(
          depth, a + i * lda, lda, rows, b + j, ldb, c + i * ldc + j, ldc, (__mmask16)(bits & 0xffffu),
          (__mmask16)(bits >> 16), accumulate);
    }
  }
  if (wide == n) return;
  __mmask16 mask = (__mmask16)((1u << (n - wide)) - 1u);
  for (ptrdiff_t i = 0; i < m; i += 16) {
    int rows = m - i < 16 ? (int)(m - i) : 16;
    tile16x16(depth, a + i * lda, lda, rows, b + wide, ldb, c + i * ldc + wide, ldc, mask, accumulate);
  }
}

#define TILE2_TARGET __attribute__((target("avx2,fma")))

// One depth step of a 6 × 16 tile: each of A's 6 rows' element `k`, broadcast, times B's row (b0, b1).
TILE2_TARGET static inline __attribute__((always_inline)) void step6x16(
    const float *const *row, ptrdiff_t k, __m256 b0, __m256 b1, __m256 *sum0, __m256 *sum1) {
#pragma clang loop unroll(full)
  for (int i = 0; i < 6; i++) {
    __m256 x = _mm256_broadcast_ss(row[i] + k);
    sum0[i] = _mm256_fmadd_ps(x, b0, sum0[i]);
    sum1[i] = _mm256_fmadd_ps(x, b1, sum1[i]);
  }
}

// C (rows ≤ 6, 16 columns by mask0 / mask1, or all 16 when `full`) = [C +] A (6 rows) · B (depth × 16).
TILE2_TARGET static inline void tile6x16(
    ptrdiff_t depth, const float *a, ptrdiff_t lda, int rows, const float *b, ptrdiff_t ldb, float *c,
    ptrdiff_t ldc, __m256i mask0, __m256i mask1, int full, int accumulate) {
  const float *row[6];
  __m256 sum0[6], sum1[6];
#pragma clang loop unroll(full)
  for (int i = 0; i < 6; i++) {
    row[i] = a + (i < rows ? i : rows - 1) * lda;
    sum0[i] = _mm256_setzero_ps();
    sum1[i] = _mm256_setzero_ps();
  }
  if (full) {
    for (ptrdiff_t k = 0; k < depth; k++) {
      step6x16(row, k, _mm256_loadu_ps(b + k * ldb), _mm256_loadu_ps(b + k * ldb + 8), sum0, sum1);
    }
  } else {
    // Masked-off lanes are neither read nor faulted on, so the strip may end anywhere.
    for (ptrdiff_t k = 0; k < depth; k++) {
      step6x16(
          row, k, _mm256_maskload_ps(b + k * ldb, mask0), _mm256_maskload_ps(b + k * ldb + 8, mask1), sum0, sum1);
    }
  }
#pragma clang loop unroll(full)
  for (int i = 0; i < 6; i++) {
    if (i < rows) {
      float *line = c + i * ldc;
      if (accumulate) {
        sum0[i] = _mm256_add_ps(_mm256_maskload_ps(line, mask0), sum0[i]);
        sum1[i] = _mm256_add_ps(_mm256_maskload_ps(line + 8, mask1), sum1[i]);
      }
      _mm256_maskstore_ps(line, mask0, sum0[i]);
      _mm256_maskstore_ps(line + 8, mask1, sum1[i]);
    }
  }
}

// One depth block over one block of at most TILE_COLUMNS columns, in 6 × 16 tiles.
TILE2_TARGET static void product_block8(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t depth, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
    float *c, ptrdiff_t ldc, int accumulate) {
  static const int lanes[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  __m256i first = _mm256_loadu_si256((const __m256i *)lanes);
  __m256i second = _mm256_loadu_si256((const __m256i *)(lanes + 8));
  for (ptrdiff_t j = 0; j < n; j += 16) {
    int width = n - j < 16 ? (int)(n - j) : 16;
    __m256i limit = _mm256_set1_epi32(width);
    __m256i mask0 = _mm256_cmpgt_epi32(limit, first);
    __m256i mask1 = _mm256_cmpgt_epi32(limit, second);
    for (ptrdiff_t i = 0; i < m; i += 6) {
      int rows = m - i < 6 ? (int)(m - i) : 6;
      tile6x16(
          depth, a + i * lda, lda, rows, b + j, ldb, c + i * ldc + j, ldc, mask0, mask1, width == 16, accumulate);
    }
  }
}

// The depth in blocks of `depth_block` (later blocks add to C), the columns in blocks of TILE_COLUMNS, each pair
// of blocks by `block` (one level's tiles).
typedef void (*product_block_function)(
    ptrdiff_t m, ptrdiff_t n, ptrdiff_t depth, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
    float *c, ptrdiff_t ldc, int accumulate);

static void gemm_blocked(
    product_block_function block, ptrdiff_t depth_block, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a,
    ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, int accumulate) {
  if (k == 0) {
    if (!accumulate) {
      for (ptrdiff_t i = 0; i < m; i++) {
        for (ptrdiff_t j = 0; j < n; j++) c[i * ldc + j] = 0.0f;
      }
    }
    return;
  }
  for (ptrdiff_t k0 = 0; k0 < k; k0 += depth_block) {
    ptrdiff_t depth = k - k0 < depth_block ? k - k0 : depth_block;
    for (ptrdiff_t j0 = 0; j0 < n; j0 += TILE_COLUMNS) {
      ptrdiff_t columns = n - j0 < TILE_COLUMNS ? n - j0 : TILE_COLUMNS;
      block(m, columns, depth, a + k0, lda, b + k0 * ldb + j0, ldb, c + j0, ldc, accumulate || k0 > 0);
    }
  }
}

void tensor_gemm_nn(
    int level, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
    float *c, ptrdiff_t ldc, int accumulate) {
  if (level != 1 && level != 2) __builtin_trap();
  if (m <= 0 || n <= 0) return;
  if (level == 2) {
    gemm_blocked(product_block, TILE_DEPTH, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
  } else {
    gemm_blocked(product_block8, TILE_DEPTH_AVX2, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
  }
}

#else

void tensor_gemm_nn(
    int level, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
    float *c, ptrdiff_t ldc, int accumulate) {
  __builtin_trap();
}

#endif
