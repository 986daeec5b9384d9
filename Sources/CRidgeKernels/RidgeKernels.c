// The kernels of CRidgeKernels.h: a 6 × 32 (AVX-512) or 6 × 16 (AVX2 + FMA) register tile over the full depth
// (a block of training panels stays in L2, one operator panel in L1), then either an epilogue that folds the
// tile into the fold's accumulators (ridge_score_fold) or a store into C (ridge_multiply_packed). Compiled for
// baseline x86-64; only the functions marked with a target attribute use AVX2 / AVX-512, and callers check
// ridge_fused_available() first.
#include "CRidgeKernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define RIDGE_AVX2 __attribute__((target("avx2,fma")))

int ridge_fused_available(void) {
  __builtin_cpu_init();
  if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return 0;
  return __builtin_cpu_supports("avx512f") ? 2 : 1;
}
#define RIDGE_AVX512 __attribute__((target("avx512f,avx2,fma")))
#else
int ridge_fused_available(void) { return 0; }
#endif

ptrdiff_t ridge_packed_operator_count(ptrdiff_t rows, ptrdiff_t depth) {
  return (rows + RIDGE_PANEL_ROWS - 1) / RIDGE_PANEL_ROWS * RIDGE_PANEL_ROWS * depth;
}

void ridge_pack_operator(const float *a, ptrdiff_t rows, ptrdiff_t depth, float *out) {
  ptrdiff_t panels = (rows + RIDGE_PANEL_ROWS - 1) / RIDGE_PANEL_ROWS;
  for (ptrdiff_t p = 0; p < panels; p++) {
    float *panel = out + p * RIDGE_PANEL_ROWS * depth;
    for (ptrdiff_t k = 0; k < depth; k++) {
      for (ptrdiff_t i = 0; i < RIDGE_PANEL_ROWS; i++) {
        ptrdiff_t r = p * RIDGE_PANEL_ROWS + i;
        panel[k * RIDGE_PANEL_ROWS + i] = r < rows ? a[r * depth + k] : 0.0f;
      }
    }
  }
}

ptrdiff_t ridge_packed_training_count(ptrdiff_t depth, ptrdiff_t width) {
  return (width + RIDGE_WIDE_PANEL_COLUMNS - 1) / RIDGE_WIDE_PANEL_COLUMNS * RIDGE_WIDE_PANEL_COLUMNS * depth;
}

#if defined(__x86_64__)
// Panels of `panel` columns of the row-major `depth × width` matrix `source` (rows `stride` apart): for each
// panel, `depth` rows of `panel` floats (zero past `width`).
RIDGE_AVX2 static void pack_panels(
    const float *source, ptrdiff_t stride, ptrdiff_t depth, ptrdiff_t width, ptrdiff_t panel, float *out) {
  ptrdiff_t panels = (width + panel - 1) / panel;
  for (ptrdiff_t j = 0; j < panels; j++) {
    float *target = out + j * panel * depth;
    ptrdiff_t first = j * panel;
    ptrdiff_t columns = width - first < panel ? width - first : panel;
    const float *block = source + first;
    if (columns == panel) {
      for (ptrdiff_t k = 0; k < depth; k++) {
        const float *row = block + k * stride;
        for (ptrdiff_t c = 0; c < panel; c += 8) _mm256_storeu_ps(target + k * panel + c, _mm256_loadu_ps(row + c));
      }
    } else {
      for (ptrdiff_t k = 0; k < depth; k++) {
        const float *row = block + k * stride;
        for (ptrdiff_t c = 0; c < panel; c++) target[k * panel + c] = c < columns ? row[c] : 0.0f;
      }
    }
  }
}

// The training panels of a fold.
RIDGE_AVX2 static void pack_training(const RidgeFoldScoring *s, ptrdiff_t panel) {
  pack_panels(s->training, s->trainingStride, s->depth, s->width, panel, s->packedTraining);
}

// The same 6 × 32 tile with AVX-512 (rows of `tile` 32 floats apart).
RIDGE_AVX512 static void micro_tile_wide(ptrdiff_t depth, const float *a, const float *b, float *tile) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps();
  __m512 c11 = _mm512_setzero_ps(), c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
  __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps(), c40 = _mm512_setzero_ps();
  __m512 c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  for (ptrdiff_t k = 0; k < depth; k++) {
    __m512 b0 = _mm512_loadu_ps(b);
    __m512 b1 = _mm512_loadu_ps(b + 16);
    __m512 x = _mm512_set1_ps(a[0]);
    c00 = _mm512_fmadd_ps(x, b0, c00);
    c01 = _mm512_fmadd_ps(x, b1, c01);
    x = _mm512_set1_ps(a[1]);
    c10 = _mm512_fmadd_ps(x, b0, c10);
    c11 = _mm512_fmadd_ps(x, b1, c11);
    x = _mm512_set1_ps(a[2]);
    c20 = _mm512_fmadd_ps(x, b0, c20);
    c21 = _mm512_fmadd_ps(x, b1, c21);
    x = _mm512_set1_ps(a[3]);
    c30 = _mm512_fmadd_ps(x, b0, c30);
    c31 = _mm512_fmadd_ps(x, b1, c31);
    x = _mm512_set1_ps(a[4]);
    c40 = _mm512_fmadd_ps(x, b0, c40);
    c41 = _mm512_fmadd_ps(x, b1, c41);
    x = _mm512_set1_ps(a[5]);
    c50 = _mm512_fmadd_ps(x, b0, c50);
    c51 = _mm512_fmadd_ps(x, b1, c51);
    a += RIDGE_PANEL_ROWS;
    b += RIDGE_WIDE_PANEL_COLUMNS;
  }
  _mm512_store_ps(tile, c00);
  _mm512_store_ps(tile + 16, c01);
  _mm512_store_ps(tile + 32, c10);
  _mm512_store_ps(tile + 48, c11);
  _mm512_store_ps(tile + 64, c20);
  _mm512_store_ps(tile + 80, c21);
  _mm512_store_ps(tile + 96, c30);
  _mm512_store_ps(tile + 112, c31);
  _mm512_store_ps(tile + 128, c40);
  _mm512_store_ps(tile + 144, c41);
  _mm512_store_ps(tile + 160, c50);
  _mm512_store_ps(tile + 176, c51);
}

// tile[i][c] = Σ_k a[k][i] · b[k][c] for the 6 × 16 tile, over the whole depth.
RIDGE_AVX2 static void micro_tile(ptrdiff_t depth, const float *a, const float *b, float *tile) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();
  __m256 c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps();
  __m256 c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (ptrdiff_t k = 0; k < depth; k++) {
    __m256 b0 = _mm256_loadu_ps(b);
    __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 x = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(x, b0, c40);
    c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(x, b0, c50);
    c51 = _mm256_fmadd_ps(x, b1, c51);
    a += RIDGE_PANEL_ROWS;
    b += RIDGE_PANEL_COLUMNS;
  }
  _mm256_store_ps(tile, c00);
  _mm256_store_ps(tile + 8, c01);
  _mm256_store_ps(tile + 16, c10);
  _mm256_store_ps(tile + 24, c11);
  _mm256_store_ps(tile + 32, c20);
  _mm256_store_ps(tile + 40, c21);
  _mm256_store_ps(tile + 48, c30);
  _mm256_store_ps(tile + 56, c31);
  _mm256_store_ps(tile + 64, c40);
  _mm256_store_ps(tile + 72, c41);
  _mm256_store_ps(tile + 80, c50);
  _mm256_store_ps(tile + 88, c51);
}

// Eight columns of one tile row: e = (y − ȳ) − (p + offset − ȳ), c = p + offset − ȳ − reference.
RIDGE_AVX2 static inline void epilogue_eight(
    const float *p, const float *y, const float *mean, const float *offsetShift, float *reference,
    int setsReference, float *sse, float *sp, float *spp, float *spy) {
  __m256 shiftedPrediction = _mm256_add_ps(_mm256_load_ps(p), _mm256_loadu_ps(offsetShift));
  __m256 target = _mm256_sub_ps(_mm256_loadu_ps(y), _mm256_loadu_ps(mean));
  __m256 error = _mm256_sub_ps(target, shiftedPrediction);
  _mm256_storeu_ps(sse, _mm256_fmadd_ps(error, error, _mm256_loadu_ps(sse)));
  if (setsReference) _mm256_storeu_ps(reference, shiftedPrediction);
  __m256 c = _mm256_sub_ps(shiftedPrediction, _mm256_loadu_ps(reference));
  _mm256_storeu_ps(sp, _mm256_add_ps(_mm256_loadu_ps(sp), c));
  _mm256_storeu_ps(spp, _mm256_fmadd_ps(c, c, _mm256_loadu_ps(spp)));
  _mm256_storeu_ps(spy, _mm256_fmadd_ps(c, target, _mm256_loadu_ps(spy)));
}

// Adds the tile's `rows` rows (operator rows `row0…`) and `columns` columns (targets `column0…`) to the
// accumulators.
RIDGE_AVX2 static void epilogue(
    const RidgeFoldScoring *s, const float *tile, ptrdiff_t tileStride, ptrdiff_t row0, ptrdiff_t rows,
    ptrdiff_t column0, ptrdiff_t columns) {
  ptrdiff_t alphaCount = s->alphaCount;
  ptrdiff_t stride = s->accumulatorStride;
  ptrdiff_t t = row0 / alphaCount;
  ptrdiff_t a = row0 - t * alphaCount;
  const float *mean = s->means + column0;
  const float *offsetShift = s->offsetShift + column0;
  for (ptrdiff_t i = 0; i < rows; i++) {
    const float *p = tile + i * tileStride;
    const float *y = s->targets + s->testOrder[t] * s->width + column0;
    ptrdiff_t cell = a * stride + column0;
    float *reference = s->references + cell;
    int setsReference = s->setsReferences && t == 0;
    float *sse = s->squaredErrors + cell;
    float *sp = s->sums + cell;
    float *spp = sp + alphaCount * stride;
    float *spy = spp + alphaCount * stride;
    if (columns % 8 == 0) {
      for (ptrdiff_t h = 0; h < columns; h += 8) {
        epilogue_eight(
            p + h, y + h, mean + h, offsetShift + h, reference + h, setsReference, sse + h, sp + h, spp + h,
            spy + h);
      }
    } else {
      for (ptrdiff_t c = 0; c < columns; c++) {
        float shiftedPrediction = p[c] + offsetShift[c];
        float target = y[c] - mean[c];
        float error = target - shiftedPrediction;
        sse[c] += error * error;
        if (setsReference) reference[c] = shiftedPrediction;
        float value = shiftedPrediction - reference[c];
        sp[c] += value;
        spp[c] += value * value;
        spy[c] += value * target;
      }
    }
    if (++a == alphaCount) {
      a = 0;
      t++;
    }
  }
}

// The fold loop for a tile kernel of `panel` columns: a block of training panels stays in L2 while every
// operator panel (L1) passes over it once.
RIDGE_AVX2 static void score_fold(
    const RidgeFoldScoring *s, ptrdiff_t panel, void (*tileKernel)(ptrdiff_t, const float *, const float *, float *)) {
  pack_training(s, panel);
  ptrdiff_t rows = s->testRows * s->alphaCount;
  ptrdiff_t rowPanels = (rows + RIDGE_PANEL_ROWS - 1) / RIDGE_PANEL_ROWS;
  ptrdiff_t columnPanels = (s->width + panel - 1) / panel;
  ptrdiff_t blockPanels = s->blockColumns / panel > 0 ? s->blockColumns / panel : 1;
  float tile[RIDGE_PANEL_ROWS * RIDGE_WIDE_PANEL_COLUMNS] __attribute__((aligned(64)));
  for (ptrdiff_t block = 0; block < columnPanels; block += blockPanels) {
    ptrdiff_t end = block + blockPanels < columnPanels ? block + blockPanels : columnPanels;
    for (ptrdiff_t p = 0; p < rowPanels; p++) {
      const float *a = s->packedOperator + p * RIDGE_PANEL_ROWS * s->depth;
      ptrdiff_t row0 = p * RIDGE_PANEL_ROWS;
      ptrdiff_t valid = rows - row0 < RIDGE_PANEL_ROWS ? rows - row0 : RIDGE_PANEL_ROWS;
      for (ptrdiff_t j = block; j < end; j++) {
        tileKernel(s->depth, a, s->packedTraining + j * panel * s->depth, tile);
        ptrdiff_t column0 = j * panel;
        ptrdiff_t columns = s->width - column0 < panel ? s->width - column0 : panel;
        epilogue(s, tile, panel, row0, valid, column0, columns);
      }
    }
  }
}

// The product loop for a tile kernel of `panel` columns: blocks of B's panels are packed just before use (they
// stay in L2), every panel of A passes over each block, and each tile is stored into C.
RIDGE_AVX2 static void multiply_packed(
    const RidgeProduct *m, ptrdiff_t panel, void (*tileKernel)(ptrdiff_t, const float *, const float *, float *)) {
  ptrdiff_t rowPanels = (m->rows + RIDGE_PANEL_ROWS - 1) / RIDGE_PANEL_ROWS;
  ptrdiff_t blockColumns = m->blockColumns / panel > 0 ? m->blockColumns / panel * panel : panel;
  float tile[RIDGE_PANEL_ROWS * RIDGE_WIDE_PANEL_COLUMNS] __attribute__((aligned(64)));
  for (ptrdiff_t first = 0; first < m->columns; first += blockColumns) {
    ptrdiff_t width = m->columns - first < blockColumns ? m->columns - first : blockColumns;
    pack_panels(m->b + first, m->bStride, m->depth, width, panel, m->packedB);
    ptrdiff_t panels = (width + panel - 1) / panel;
    for (ptrdiff_t p = 0; p < rowPanels; p++) {
      ptrdiff_t row0 = p * RIDGE_PANEL_ROWS;
      ptrdiff_t rows = m->rows - row0 < RIDGE_PANEL_ROWS ? m->rows - row0 : RIDGE_PANEL_ROWS;
      for (ptrdiff_t j = 0; j < panels; j++) {
        tileKernel(m->depth, m->packedA + p * RIDGE_PANEL_ROWS * m->depth, m->packedB + j * panel * m->depth, tile);
        ptrdiff_t column0 = j * panel;
        ptrdiff_t columns = width - column0 < panel ? width - column0 : panel;
        for (ptrdiff_t i = 0; i < rows; i++) {
          memcpy(m->c + (row0 + i) * m->cStride + first + column0, tile + i * panel, (size_t)columns * sizeof(float));
        }
      }
    }
  }
}

void ridge_multiply_packed(const RidgeProduct *product) {
  if (product->useWideTiles) {
    multiply_packed(product, RIDGE_WIDE_PANEL_COLUMNS, micro_tile_wide);
  } else {
    multiply_packed(product, RIDGE_PANEL_COLUMNS, micro_tile);
  }
}

void ridge_score_fold(const RidgeFoldScoring *s) {
  if (s->useWideTiles) {
    score_fold(s, RIDGE_WIDE_PANEL_COLUMNS, micro_tile_wide);
  } else {
    score_fold(s, RIDGE_PANEL_COLUMNS, micro_tile);
  }
}
#else
void ridge_score_fold(const RidgeFoldScoring *s) { (void)s; }
void ridge_multiply_packed(const RidgeProduct *product) { (void)product; }
#endif
