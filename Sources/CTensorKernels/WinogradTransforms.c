// The Winograd transforms of CTensorKernels.h, 16 tiles (or 16 channels) per AVX-512F vector. Each mirrors the
// portable Swift transform it replaces operation for operation (no FMA contraction: separate multiplies and
// adds in the same order), so both give the same bits.
#include "CTensorKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TRANSFORM_TARGET __attribute__((target("avx512f")))

// F(4, 3)'s Bᵀ on six vectors, as WinogradTileGrid4x4.transformLines writes it.
TRANSFORM_TARGET static inline void input_lines4(const __m512 d[6], __m512 out[6]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f);
  __m512 sum12 = _mm512_add_ps(d[1], d[2]), difference12 = _mm512_sub_ps(d[1], d[2]);
  __m512 sum34 = _mm512_add_ps(d[3], d[4]), difference34 = _mm512_sub_ps(d[4], d[3]);
  __m512 twice13 = _mm512_mul_ps(two, _mm512_sub_ps(d[1], d[3])), difference42 = _mm512_sub_ps(d[4], d[2]);
  out[0] = _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(four, d[0]), _mm512_mul_ps(five, d[2])), d[4]);
  out[1] = _mm512_sub_ps(sum34, _mm512_mul_ps(four, sum12));
  out[2] = _mm512_add_ps(difference34, _mm512_mul_ps(four, difference12));
  out[3] = _mm512_sub_ps(difference42, twice13);
  out[4] = _mm512_add_ps(difference42, twice13);
  out[5] = _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(four, d[1]), _mm512_mul_ps(five, d[3])), d[5]);
}

TRANSFORM_TARGET static void winograd4x4_input16(
    const float *padded, ptrdiff_t paddedWidth, const int32_t *offsets, ptrdiff_t count, ptrdiff_t columns,
    float *v, ptrdiff_t pointStride) {
  for (ptrdiff_t k = 0; k < columns; k += 16) {
    ptrdiff_t valid = count - k < 16 ? (count - k > 0 ? count - k : 0) : 16;
    ptrdiff_t stored = columns - k < 16 ? columns - k : 16;
    __mmask16 load = (__mmask16)((1u << valid) - 1u), store = (__mmask16)((1u << stored) - 1u);
    __m512i base = _mm512_maskz_loadu_epi32(load, offsets + k);
    // rows[6a + ξx]: patch row a of each tile after the row transform.
    __m512 rows[36];
    for (int a = 0; a < 6; a++) {
      __m512i line = _mm512_add_epi32(base, _mm512_set1_epi32((int)(a * paddedWidth)));
      __m512 d[6];
      for (int b = 0; b < 6; b++) {
        d[b] = _mm512_mask_i32gather_ps(
            _mm512_setzero_ps(), load, _mm512_add_epi32(line, _mm512_set1_epi32(b)), padded, 4);
      }
      input_lines4(d, rows + 6 * a);
    }
    for (int xx = 0; xx < 6; xx++) {
      __m512 column[6], out[6];
      for (int a = 0; a < 6; a++) column[a] = rows[6 * a + xx];
      input_lines4(column, out);
      for (int xy = 0; xy < 6; xy++) _mm512_mask_storeu_ps(v + (6 * xy + xx) * pointStride + k, store, out[xy]);
    }
  }
}

// The nine taps of sixteen channels `c ..< c + valid` of one output channel's `C × 9` kernel `g`.
TRANSFORM_TARGET static inline void gather_taps(const float *g, ptrdiff_t c, __mmask16 mask, __m512 tap[9]) {
  const __m512i lanes = _mm512_mullo_epi32(
      _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(9));
  for (int t = 0; t < 9; t++) {
    tap[t] = _mm512_mask_i32gather_ps(
        _mm512_setzero_ps(), mask, _mm512_add_epi32(lanes, _mm512_set1_epi32(t)), g + c * 9, 4);
  }
}

// F(2, 3)'s G on a column (a, b, d) of three taps: (a, (a + b + d)/2, (a − b + d)/2, d), as
// WinogradConvolution.transformKernel writes it.
TRANSFORM_TARGET static inline void expand3(__m512 a, __m512 b, __m512 d, __m512 out[4]) {
  const __m512 half = _mm512_set1_ps(0.5f);
  out[0] = a;
  out[1] = _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(a, b), d), half);
  out[2] = _mm512_mul_ps(_mm512_add_ps(_mm512_sub_ps(a, b), d), half);
  out[3] = d;
}

// F(2×2)'s U of sixteen channels from their taps, stored `matrix` apart per point.
TRANSFORM_TARGET static inline void points2x2(
    const __m512 tap[9], const float *coefficients, float *u, ptrdiff_t matrix, __mmask16 mask) {
  (void)coefficients;
  // Column s of Gg, then each row i of Gg expanded along the kernel's columns.
  __m512 column[3][4];
  for (int s = 0; s < 3; s++) expand3(tap[s], tap[3 + s], tap[6 + s], column[s]);
  for (int i = 0; i < 4; i++) {
    __m512 row[4];
    expand3(column[0][i], column[1][i], column[2][i], row);
    for (int j = 0; j < 4; j++) _mm512_mask_storeu_ps(u + (4 * i + j) * matrix, mask, row[j]);
  }
}

// F(4×4)'s U of sixteen channels: Σ_tap coefficient · tap per point, summed from zero in tap order with separate
// multiplies and adds.
TRANSFORM_TARGET static inline void points4x4(
    const __m512 tap[9], const float *coefficients, float *u, ptrdiff_t matrix, __mmask16 mask) {
  for (int xi = 0; xi < 36; xi++) {
    __m512 sum = _mm512_setzero_ps();
    for (int t = 0; t < 9; t++) {
      sum = _mm512_add_ps(sum, _mm512_mul_ps(_mm512_set1_ps(coefficients[xi * 9 + t]), tap[t]));
    }
    _mm512_mask_storeu_ps(u + xi * matrix, mask, sum);
  }
}

// A weight transform over output channels `firstOut ..< firstOut + outCount`, sixteen input channels at a time.
TRANSFORM_TARGET static inline void weights16(
    const float *weight, const float *coefficients, ptrdiff_t channels, ptrdiff_t firstOut, ptrdiff_t outCount,
    float *target, ptrdiff_t matrix, int fourByFour) {
  for (ptrdiff_t o = firstOut; o < firstOut + outCount; o++) {
    const float *g = weight + o * channels * 9;
    float *u = target + o * channels;
    for (ptrdiff_t c = 0; c < channels; c += 16) {
      ptrdiff_t valid = channels - c < 16 ? channels - c : 16;
      __mmask16 mask = (__mmask16)((1u << valid) - 1u);
      __m512 tap[9];
      gather_taps(g, c, mask, tap);
      if (fourByFour) points4x4(tap, coefficients, u + c, matrix, mask);
      else points2x2(tap, coefficients, u + c, matrix, mask);
    }
  }
}

void tensor_winograd4x4_weights(
    int level, const float *weight, const float *coefficients, ptrdiff_t channels, ptrdiff_t firstOut,
    ptrdiff_t outCount, float *target, ptrdiff_t matrix) {
  if (level != 2) __builtin_trap();
  weights16(weight, coefficients, channels, firstOut, outCount, target, matrix, 1);
}

void tensor_winograd2x2_weights(
    int level, const float *weight, ptrdiff_t channels, ptrdiff_t firstOut, ptrdiff_t outCount, float *target,
    ptrdiff_t matrix) {
  if (level != 2) __builtin_trap();
  weights16(weight, NULL, channels, firstOut, outCount, target, matrix, 0);
}

// F(4, 3)'s Aᵀ on six vectors, as WinogradTileGrid4x4.outputTransform writes it.
TRANSFORM_TARGET static inline void output_lines4(
    __m512 m0, __m512 m1, __m512 m2, __m512 m3, __m512 m4, __m512 m5, __m512 out[4]) {
  __m512 sum12 = _mm512_add_ps(m1, m2), difference12 = _mm512_sub_ps(m1, m2);
  __m512 sum34 = _mm512_add_ps(m3, m4), difference34 = _mm512_sub_ps(m3, m4);
  out[0] = _mm512_add_ps(_mm512_add_ps(m0, sum12), sum34);
  out[1] = _mm512_add_ps(difference12, _mm512_mul_ps(_mm512_set1_ps(2.0f), difference34));
  out[2] = _mm512_add_ps(sum12, _mm512_mul_ps(_mm512_set1_ps(4.0f), sum34));
  out[3] = _mm512_add_ps(_mm512_add_ps(difference12, _mm512_mul_ps(_mm512_set1_ps(8.0f), difference34)), m5);
}

// Transposes 16 vectors of 16 floats in place (afterwards r[j] holds what was lane j of every vector): four
// rounds that exchange the off-diagonal blocks of 8, 4, 2 and 1 lanes between vectors i and i + h.
// For round h (8, 4, 2, 1): lane j of the new vector i takes lane j of vector i or lane j − h of vector i + h
// (`low`), and of the new vector i + h lane j + h of vector i or lane j of vector i + h (`high`); indices of
// `_mm512_permutex2var_ps`, where 16 + j is lane j of the second operand.
static const int32_t transpose_low[4][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23},
    {0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27},
    {0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29},
    {0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30}};
static const int32_t transpose_high[4][16] = {
    {8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31},
    {4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31},
    {2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31},
    {1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31}};

TRANSFORM_TARGET static void transpose16(__m512 r[16]) {
  for (int round = 0, h = 8; round < 4; round++, h /= 2) {
    __m512i lowIndex = _mm512_loadu_si512(transpose_low[round]);
    __m512i highIndex = _mm512_loadu_si512(transpose_high[round]);
    for (int i = 0; i < 16; i++) {
      if (i & h) continue;
      __m512 a = r[i], b = r[i + h];
      r[i] = _mm512_permutex2var_ps(a, lowIndex, b);
      r[i + h] = _mm512_permutex2var_ps(a, highIndex, b);
    }
  }
}

TRANSFORM_TARGET static void winograd4x4_output16(
    const float *m, ptrdiff_t columns, ptrdiff_t pointStride, ptrdiff_t channels, ptrdiff_t firstTile,
    ptrdiff_t count, ptrdiff_t tilesX, float *out, ptrdiff_t outRows, ptrdiff_t outColumns, const float *bias) {
  for (ptrdiff_t o = 0; o < channels; o++) {
    float *plane = out + o * outRows * outColumns;
    __m512 start = _mm512_set1_ps(bias ? bias[o] : 0.0f);
    for (ptrdiff_t k = 0; k < count; k += 16) {
      ptrdiff_t valid = count - k < 16 ? count - k : 16;
      __mmask16 load = (__mmask16)((1u << valid) - 1u);
      const float *p = m + o * columns + k;
      // Column ξx of Aᵀ M (over ξy), then each row i of that through Aᵀ again: tile[4i + j].
      __m512 column[6][4];
      for (int xx = 0; xx < 6; xx++) {
        const float *q = p + xx * pointStride;
        output_lines4(
            _mm512_maskz_loadu_ps(load, q), _mm512_maskz_loadu_ps(load, q + 6 * pointStride),
            _mm512_maskz_loadu_ps(load, q + 12 * pointStride), _mm512_maskz_loadu_ps(load, q + 18 * pointStride),
            _mm512_maskz_loadu_ps(load, q + 24 * pointStride), _mm512_maskz_loadu_ps(load, q + 30 * pointStride),
            column[xx]);
      }
      __m512 tile[16];
      for (int i = 0; i < 4; i++) {
        __m512 y[4];
        output_lines4(column[0][i], column[1][i], column[2][i], column[3][i], column[4][i], column[5][i], y);
        for (int j = 0; j < 4; j++) tile[4 * i + j] = _mm512_add_ps(y[j], start);
      }
      transpose16(tile);
      // tile[lane] now holds that tile's 4 × 4 outputs, row-major; store the rows inside the map.
      for (ptrdiff_t lane = 0; lane < valid; lane++) {
        ptrdiff_t t = firstTile + k + lane;
        ptrdiff_t y = 4 * (t / tilesX), x = 4 * (t % tilesX);
        ptrdiff_t rows = outRows - y < 4 ? outRows - y : 4, width = outColumns - x < 4 ? outColumns - x : 4;
        unsigned rowMask = (1u << width) - 1u;
        for (ptrdiff_t i = 0; i < rows; i++) {
          // Lanes 4i ..< 4i + width land at plane[(y + i) · Wo + x ...]: the vector is stored 4i lanes early.
          _mm512_mask_storeu_ps(plane + (y + i) * outColumns + x - 4 * i, (__mmask16)(rowMask << (4 * i)), tile[lane]);
        }
      }
    }
  }
}

void tensor_winograd4x4_output(
    int level, const float *m, ptrdiff_t columns, ptrdiff_t pointStride, ptrdiff_t channels, ptrdiff_t firstTile,
    ptrdiff_t count, ptrdiff_t tilesX, float *out, ptrdiff_t outRows, ptrdiff_t outColumns, const float *bias) {
  if (level != 2) __builtin_trap();
  winograd4x4_output16(m, columns, pointStride, channels, firstTile, count, tilesX, out, outRows, outColumns, bias);
}

void tensor_winograd4x4_input(
    int level, const float *padded, ptrdiff_t paddedWidth, const int32_t *offsets, ptrdiff_t count,
    ptrdiff_t columns, float *v, ptrdiff_t pointStride) {
  if (level != 2) __builtin_trap();
  winograd4x4_input16(padded, paddedWidth, offsets, count, columns, v, pointStride);
}

#else

void tensor_winograd4x4_weights(
    int level, const float *weight, const float *coefficients, ptrdiff_t channels, ptrdiff_t firstOut,
    ptrdiff_t outCount, float *target, ptrdiff_t matrix) {
  __builtin_trap();
}

void tensor_winograd4x4_output(
    int level, const float *m, ptrdiff_t columns, ptrdiff_t pointStride, ptrdiff_t channels, ptrdiff_t firstTile,
    ptrdiff_t count, ptrdiff_t tilesX, float *out, ptrdiff_t outRows, ptrdiff_t outColumns, const float *bias) {
  __builtin_trap();
}

void tensor_winograd2x2_weights(
    int level, const float *weight, ptrdiff_t channels, ptrdiff_t firstOut, ptrdiff_t outCount, float *target,
    ptrdiff_t matrix) {
  __builtin_trap();
}

void tensor_winograd4x4_input(
    int level, const float *padded, ptrdiff_t paddedWidth, const int32_t *offsets, ptrdiff_t count,
    ptrdiff_t columns, float *v, ptrdiff_t pointStride) {
  __builtin_trap();
}

#endif
