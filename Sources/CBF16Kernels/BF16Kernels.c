// The kernels of CBF16Kernels.h: packing (vectorised with `vcvtne2ps2bf16` where the CPU has it, portable C
// otherwise) and a 14 × 32 register tile of `vdpbf16ps` over blocks of 128 depth pairs (one B panel block,
// 16 KB, stays in L1; a block of A panels in L2). Compiled for baseline x86-64; only the functions marked with
// BF16_TARGET use AVX-512.
#include "CBF16Kernels.h"

#include <string.h>

#define BF16_DEPTH_BLOCK 128
#define BF16_ROW_PANELS_PER_BLOCK 24

#if defined(__x86_64__)
#include <immintrin.h>
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

int bf16_gemm_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
}
#else
int bf16_gemm_available(void) { return 0; }
#endif

uint16_t bf16_round(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x0040u);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return (uint16_t)(bits >> 16);
}

static ptrdiff_t depth_pairs(ptrdiff_t depth) { return (depth + 1) / 2; }

ptrdiff_t bf16_packed_rows_count(ptrdiff_t rows, ptrdiff_t depth) {
  return (rows + BF16_PANEL_ROWS - 1) / BF16_PANEL_ROWS * BF16_PANEL_ROWS * 2 * depth_pairs(depth);
}

ptrdiff_t bf16_packed_columns_count(ptrdiff_t depth, ptrdiff_t columns) {
  return (columns + BF16_PANEL_COLUMNS - 1) / BF16_PANEL_COLUMNS * BF16_PANEL_COLUMNS * 2 * depth_pairs(depth);
}

// One panel of `width` lines (rows of A or columns of B) of which `valid` exist: line `l`, depth `k` is
// `source[l · lineStride + k · depthStride]`; writes `pairs · width` words of two bfloat16 each.
static void pack_panel_portable(
    const float *source, ptrdiff_t lineStride, ptrdiff_t depthStride, ptrdiff_t valid, ptrdiff_t width,
    ptrdiff_t depth, uint16_t *panel) {
  ptrdiff_t pairs = depth_pairs(depth);
  for (ptrdiff_t t = 0; t < pairs; t++) {
    uint16_t *target = panel + t * 2 * width;
    for (ptrdiff_t l = 0; l < width; l++) {
      uint16_t low = 0, high = 0;
      if (l < valid) {
        const float *line = source + l * lineStride;
        low = bf16_round(line[2 * t * depthStride]);
        if (2 * t + 1 < depth) high = bf16_round(line[(2 * t + 1) * depthStride]);
      }
      target[2 * l] = low;
      target[2 * l + 1] = high;
    }
  }
}

#if defined(__x86_64__)
// Transposes the 16 × 16 matrix of 32-bit words `r` (row `i` in `r[i]`) in place: afterwards `r[c]` holds
// column `c`. Three rounds: 32-bit and 64-bit interleaves within 128-bit lanes, then two 128-bit lane shuffles.
BF16_TARGET static void transpose16x16(__m512i r[16]) {
  __m512i a[16], b[16];
  for (int i = 0; i < 8; i++) {
    a[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // b[4i + j], 128-bit lane L: rows 4i ..< 4i + 4 of column 4L + j.
  for (int i = 0; i < 4; i++) {
    b[4 * i] = _mm512_unpacklo_epi64(a[4 * i], a[4 * i + 2]);
    b[4 * i + 1] = _mm512_unpackhi_epi64(a[4 * i], a[4 * i + 2]);
    b[4 * i + 2] = _mm512_unpacklo_epi64(a[4 * i + 1], a[4 * i + 3]);
    b[4 * i + 3] = _mm512_unpackhi_epi64(a[4 * i + 1], a[4 * i + 3]);
  }
  for (int j = 0; j < 4; j++) {
    __m512i c0 = _mm512_shuffle_i32x4(b[j], b[4 + j], 0x44), c1 = _mm512_shuffle_i32x4(b[j], b[4 + j], 0xee);
    __m512i d0 = _mm512_shuffle_i32x4(b[8 + j], b[12 + j], 0x44), d1 = _mm512_shuffle_i32x4(b[8 + j], b[12 + j], 0xee);
    r[j] = _mm512_shuffle_i32x4(c0, d0, 0x88);
    r[4 + j] = _mm512_shuffle_i32x4(c0, d0, 0xdd);
    r[8 + j] = _mm512_shuffle_i32x4(c1, d1, 0x88);
    r[12 + j] = _mm512_shuffle_i32x4(c1, d1, 0xdd);
  }
}

// A panel whose lines are contiguous along depth (`depthStride == 1`): 16 lines × 32 depth values at a time
// are rounded (one zmm of 16 pairs per line), transposed to 16 pairs × 16 lines, and stored `width` words
// apart (lines past `valid` and depth past `depth` are zero).
BF16_TARGET static void pack_panel_contiguous_depth(
    const float *source, ptrdiff_t lineStride, ptrdiff_t valid, ptrdiff_t width, ptrdiff_t depth, uint16_t *panel) {
  ptrdiff_t pairs = depth_pairs(depth);
  uint32_t *words = (uint32_t *)panel;
  for (ptrdiff_t k = 0; k < depth; k += 32) {
    ptrdiff_t rest = depth - k;
    __mmask16 low = rest >= 16 ? 0xffff : (__mmask16)((1u << rest) - 1u);
    __mmask16 high = rest >= 32 ? 0xffff : rest <= 16 ? 0 : (__mmask16)((1u << (rest - 16)) - 1u);
    ptrdiff_t chunkPairs = pairs - k / 2 < 16 ? pairs - k / 2 : 16;
    for (ptrdiff_t group = 0; group < width; group += 16) {
      ptrdiff_t lines = width - group < 16 ? width - group : 16;
      __m512i r[16];
      for (int i = 0; i < 16; i++) {
        ptrdiff_t l = group + i;
        if (l >= valid || i >= lines) {
          r[i] = _mm512_setzero_si512();
          continue;
        }
        const float *line = source + l * lineStride + k;
        r[i] = (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(high, line + 16), _mm512_maskz_loadu_ps(low, line));
      }
      transpose16x16(r);
      __mmask16 store = (__mmask16)((1u << lines) - 1u);
      for (ptrdiff_t p = 0; p < chunkPairs; p++) {
        _mm512_mask_storeu_epi32(words + (k / 2 + p) * width + group, store, r[p]);
      }
    }
  }
}

// A B panel whose columns are contiguous (`columnStride == 1`), of which `valid` exist: rows `2t` and `2t + 1`
// are rounded together (columns past `valid` read as zero) and interleaved with `vpermw`.
BF16_TARGET static void pack_columns_contiguous(
    const float *source, ptrdiff_t depthStride, ptrdiff_t valid, ptrdiff_t depth, uint16_t *panel) {
  const __m512i interleave = _mm512_set_epi16(
      31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1,
      16, 0);
  uint32_t bits = valid >= 32 ? 0xffffffffu : (1u << valid) - 1u;
  const __mmask16 masks[2] = {(__mmask16)(bits & 0xffffu), (__mmask16)(bits >> 16)};
  ptrdiff_t pairs = depth_pairs(depth);
  for (ptrdiff_t t = 0; t < pairs; t++) {
    const float *even = source + 2 * t * depthStride;
    uint16_t *target = panel + t * 2 * BF16_PANEL_COLUMNS;
    for (int half = 0; half < 2; half++) {
      __mmask16 mask = masks[half];
      __m512 low = _mm512_maskz_loadu_ps(mask, even + 16 * half);
      __m512 high = 2 * t + 1 < depth ? _mm512_maskz_loadu_ps(mask, even + depthStride + 16 * half) : _mm512_setzero_ps();
      __m512i rounded = (__m512i)_mm512_cvtne2ps_pbh(high, low);
      _mm512_storeu_si512(target + 32 * half, _mm512_permutexvar_epi16(interleave, rounded));
    }
  }
}
#endif

static void pack_panels(
    const float *source, ptrdiff_t lineStride, ptrdiff_t depthStride, ptrdiff_t lines, ptrdiff_t depth,
    ptrdiff_t width, ptrdiff_t firstPanel, ptrdiff_t panelCount, int columnsSide, uint16_t *out) {
  ptrdiff_t panelWords = width * 2 * depth_pairs(depth);
#if defined(__x86_64__)
  int vector = bf16_gemm_available();
#endif
  for (ptrdiff_t p = firstPanel; p < firstPanel + panelCount; p++) {
    ptrdiff_t first = p * width;
    ptrdiff_t valid = lines - first < width ? lines - first : width;
    const float *start = source + first * lineStride;
    uint16_t *panel = out + p * panelWords;
#if defined(__x86_64__)
    if (vector && depthStride == 1) {
      pack_panel_contiguous_depth(start, lineStride, valid, width, depth, panel);
      continue;
    }
    if (vector && columnsSide && lineStride == 1) {
      pack_columns_contiguous(start, depthStride, valid, depth, panel);
      continue;
    }
#else
    (void)columnsSide;
#endif
    pack_panel_portable(start, lineStride, depthStride, valid, width, depth, panel);
  }
}

void bf16_pack_rows(
    const float *source, ptrdiff_t rowStride, ptrdiff_t depthStride, ptrdiff_t rows, ptrdiff_t depth,
    ptrdiff_t firstPanel, ptrdiff_t panelCount, uint16_t *out) {
  pack_panels(source, rowStride, depthStride, rows, depth, BF16_PANEL_ROWS, firstPanel, panelCount, 0, out);
}

void bf16_pack_columns(
    const float *source, ptrdiff_t depthStride, ptrdiff_t columnStride, ptrdiff_t depth, ptrdiff_t columns,
    ptrdiff_t firstPanel, ptrdiff_t panelCount, uint16_t *out) {
  pack_panels(source, columnStride, depthStride, columns, depth, BF16_PANEL_COLUMNS, firstPanel, panelCount, 1, out);
}

#if defined(__x86_64__)
// The 14 × 32 tile over `pairs` depth pairs: `a` holds 14 words per pair, `b` 32 words per pair. Rows
// `rowStart ..< rowEnd` of the tile are stored (row `i` at `c + i · ldc`), columns by `mask0` / `mask1`;
// `first` selects `alpha · AB + beta · C` (else `C + alpha · AB`).
BF16_TARGET static void micro_tile(
    ptrdiff_t pairs, const uint32_t *a, const uint16_t *b, float *c, ptrdiff_t ldc, int rowStart, int rowEnd,
    __mmask16 mask0, __mmask16 mask1, float alpha, float beta, int first) {
  __m512 acc0[BF16_PANEL_ROWS], acc1[BF16_PANEL_ROWS];
#pragma clang loop unroll(full)
  for (int i = 0; i < BF16_PANEL_ROWS; i++) {
    acc0[i] = _mm512_setzero_ps();
    acc1[i] = _mm512_setzero_ps();
  }
  for (ptrdiff_t t = 0; t < pairs; t++) {
    __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + t * 64);
    __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + t * 64 + 32);
    const uint32_t *row = a + t * BF16_PANEL_ROWS;
#pragma clang loop unroll(full)
    for (int i = 0; i < BF16_PANEL_ROWS; i++) {
      __m512bh broadcast = (__m512bh)_mm512_set1_epi32((int)row[i]);
      acc0[i] = _mm512_dpbf16_ps(acc0[i], b0, broadcast);
      acc1[i] = _mm512_dpbf16_ps(acc1[i], b1, broadcast);
    }
  }
  __m512 alphaVector = _mm512_set1_ps(alpha);
  __m512 betaVector = _mm512_set1_ps(beta);
#pragma clang loop unroll(full)
  for (int i = 0; i < BF16_PANEL_ROWS; i++) {
    if (i < rowStart || i >= rowEnd) continue;
    float *line = c + (ptrdiff_t)i * ldc;
    __m512 r0 = _mm512_mul_ps(acc0[i], alphaVector);
    __m512 r1 = _mm512_mul_ps(acc1[i], alphaVector);
    if (!first) {
      r0 = _mm512_add_ps(r0, _mm512_maskz_loadu_ps(mask0, line));
      r1 = _mm512_add_ps(r1, _mm512_maskz_loadu_ps(mask1, line + 16));
    } else if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask0, line), betaVector, r0);
      r1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask1, line + 16), betaVector, r1);
    }
    _mm512_mask_storeu_ps(line, mask0, r0);
    _mm512_mask_storeu_ps(line + 16, mask1, r1);
  }
}

// The columns of panel-relative range [start, end) of a 32-column panel as the masks of its two halves.
static void column_masks(ptrdiff_t start, ptrdiff_t end, __mmask16 *mask0, __mmask16 *mask1) {
  uint32_t bits = 0;
  for (ptrdiff_t j = start; j < end; j++) bits |= 1u << j;
  *mask0 = (__mmask16)(bits & 0xffffu);
  *mask1 = (__mmask16)(bits >> 16);
}

BF16_TARGET void bf16_gemm_packed(
    ptrdiff_t depth, const uint16_t *packedRows, ptrdiff_t firstRow, ptrdiff_t rowCount,
    const uint16_t *packedColumns, ptrdiff_t firstColumn, ptrdiff_t columnCount, float alpha, float beta, float *c,
    ptrdiff_t ldc) {
  if (rowCount <= 0 || columnCount <= 0) return;
  ptrdiff_t pairs = depth_pairs(depth);
  if (pairs == 0) {
    for (ptrdiff_t r = 0; r < rowCount; r++) {
      for (ptrdiff_t j = 0; j < columnCount; j++) c[r * ldc + j] = beta == 0.0f ? 0.0f : beta * c[r * ldc + j];
    }
    return;
  }
  ptrdiff_t lastRow = firstRow + rowCount, lastColumn = firstColumn + columnCount;
  ptrdiff_t firstRowPanel = firstRow / BF16_PANEL_ROWS, endRowPanel = (lastRow - 1) / BF16_PANEL_ROWS + 1;
  ptrdiff_t firstColumnPanel = firstColumn / BF16_PANEL_COLUMNS;
  ptrdiff_t endColumnPanel = (lastColumn - 1) / BF16_PANEL_COLUMNS + 1;
  for (ptrdiff_t t0 = 0; t0 < pairs; t0 += BF16_DEPTH_BLOCK) {
    ptrdiff_t blockPairs = pairs - t0 < BF16_DEPTH_BLOCK ? pairs - t0 : BF16_DEPTH_BLOCK;
    int first = t0 == 0;
    for (ptrdiff_t p0 = firstRowPanel; p0 < endRowPanel; p0 += BF16_ROW_PANELS_PER_BLOCK) {
      ptrdiff_t p1 = p0 + BF16_ROW_PANELS_PER_BLOCK < endRowPanel ? p0 + BF16_ROW_PANELS_PER_BLOCK : endRowPanel;
      for (ptrdiff_t q = firstColumnPanel; q < endColumnPanel; q++) {
        ptrdiff_t panelColumn = q * BF16_PANEL_COLUMNS;
        ptrdiff_t start = firstColumn > panelColumn ? firstColumn - panelColumn : 0;
        ptrdiff_t end = lastColumn - panelColumn < BF16_PANEL_COLUMNS ? lastColumn - panelColumn : BF16_PANEL_COLUMNS;
        __mmask16 mask0, mask1;
        column_masks(start, end, &mask0, &mask1);
        const uint16_t *bBlock = packedColumns + (q * pairs + t0) * 2 * BF16_PANEL_COLUMNS;
        for (ptrdiff_t p = p0; p < p1; p++) {
          ptrdiff_t panelRow = p * BF16_PANEL_ROWS;
          int rowStart = firstRow > panelRow ? (int)(firstRow - panelRow) : 0;
          int rowEnd = lastRow - panelRow < BF16_PANEL_ROWS ? (int)(lastRow - panelRow) : BF16_PANEL_ROWS;
          const uint32_t *aBlock = (const uint32_t *)packedRows + (p * pairs + t0) * BF16_PANEL_ROWS;
          // The tile's origin in C may lie before `c` (a panel that starts above firstRow or left of
          // firstColumn); only rows and lanes inside the requested range are read or written.
          float *tile = c + (panelRow - firstRow) * ldc + (panelColumn - firstColumn);
          micro_tile(blockPairs, aBlock, bBlock, tile, ldc, rowStart, rowEnd, mask0, mask1, alpha, beta, first);
        }
      }
    }
  }
}
#else
void bf16_gemm_packed(
    ptrdiff_t depth, const uint16_t *packedRows, ptrdiff_t firstRow, ptrdiff_t rowCount,
    const uint16_t *packedColumns, ptrdiff_t firstColumn, ptrdiff_t columnCount, float alpha, float beta, float *c,
    ptrdiff_t ldc) {
  (void)depth, (void)packedRows, (void)firstRow, (void)rowCount, (void)packedColumns, (void)firstColumn;
  (void)columnCount, (void)alpha, (void)beta, (void)c, (void)ldc;
}
#endif
