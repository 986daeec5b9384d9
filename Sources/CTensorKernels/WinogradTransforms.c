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

// F(2, 3)'s G on a column (a, b, d) of three taps: (a, (a + b + d)/2, (a − b + d)/2, d), as
// WinogradConvolution.transformKernel writes it.
TRANSFORM_TARGET static inline void expand3(__m512 a, __m512 b, __m512 d, __m512 out[4]) {
  const __m512 half = _mm512_set1_ps(0.5f);
  out[0] = a;
  out[1] = _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(a, b), d), half);
  out[2] = _mm512_mul_ps(_mm512_add_ps(_mm512_sub_ps(a, b), d), half);
  out[3] = d;
}

TRANSFORM_TARGET static void winograd2x2_weights16(
    const float *weight, ptrdiff_t channels, ptrdiff_t firstOut, ptrdiff_t outCount, float *target,
    ptrdiff_t matrix) {
  const __m512i lanes = _mm512_mullo_epi32(
      _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(9));
  for (ptrdiff_t o = firstOut; o < firstOut + outCount; o++) {
    const float *g = weight + o * channels * 9;
    float *u = target + o * channels;
    for (ptrdiff_t c = 0; c < channels; c += 16) {
      ptrdiff_t valid = channels - c < 16 ? channels - c : 16;
      __mmask16 mask = (__mmask16)((1u << valid) - 1u);
      __m512 tap[9];
      for (int t = 0; t < 9; t++) {
        tap[t] = _mm512_mask_i32gather_ps(
            _mm512_setzero_ps(), mask, _mm512_add_epi32(lanes, _mm512_set1_epi32(t)), g + c * 9, 4);
      }
      // Column s of Gg, then each row i of Gg expanded along the kernel's columns.
      __m512 column[3][4];
      for (int s = 0; s < 3; s++) expand3(tap[s], tap[3 + s], tap[6 + s], column[s]);
      for (int i = 0; i < 4; i++) {
        __m512 row[4];
        expand3(column[0][i], column[1][i], column[2][i], row);
        for (int j = 0; j < 4; j++) _mm512_mask_storeu_ps(u + (4 * i + j) * matrix + c, mask, row[j]);
      }
    }
  }
}

void tensor_winograd2x2_weights(
    int level, const float *weight, ptrdiff_t channels, ptrdiff_t firstOut, ptrdiff_t outCount, float *target,
    ptrdiff_t matrix) {
  if (level != 2) __builtin_trap();
  winograd2x2_weights16(weight, channels, firstOut, outCount, target, matrix);
}

void tensor_winograd4x4_input(
    int level, const float *padded, ptrdiff_t paddedWidth, const int32_t *offsets, ptrdiff_t count,
    ptrdiff_t columns, float *v, ptrdiff_t pointStride) {
  if (level != 2) __builtin_trap();
  winograd4x4_input16(padded, paddedWidth, offsets, count, columns, v, pointStride);
}

#else

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
