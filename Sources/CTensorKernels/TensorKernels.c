// The kernels of CTensorKernels.h. Compiled for baseline x86-64: only the functions marked with a target
// attribute use AVX2 + FMA or AVX-512F, and the exported entry points pick one by the caller's `level`, which the
// caller bounds by tensor_kernels_level(). The kernels are written once, over vector operations, in
// VectorKernels.h, included once per width below with that width's operations defined. Tails shorter than a
// vector use masked loads and stores, so every element goes through the same arithmetic whatever the length.
#include "CTensorKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

// Cephes' expf constants: the clamp, 1.5 · 2²³ (adding and subtracting it rounds to nearest-even), log₂ e,
// ln 2 split in a part exact in few bits and a correction, and the degree-5 polynomial P with
// e^r ≈ 1 + r + r² P(r) on |r| ≤ ln 2 / 2 (highest degree first).
#define EXP_LOWEST -87.3f
#define EXP_HIGHEST 88.7f
#define EXP_SHIFTER 12582912.0f
#define EXP_LOG2E 1.44269504f
#define EXP_LN2_HIGH 0.693359375f
#define EXP_LN2_LOW 2.12194440e-4f
// The float bits of EXP_SHIFTER (whose low mantissa bits then hold n + 2²² after the rounding add).
#define EXP_SHIFTER_BITS 0x4B400000
static const float exp_polynomial[6] = {
    1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

// erf(x) ≈ x · P(x²) / Q(x²) on [−4, 4] (Eigen's and XLA's coefficients, highest degree first).
#define ERF_CLAMP 4.0f
static const float erf_numerator[7] = {
    -2.72614225801306e-10f, 2.77068142495902e-08f, -2.10102402082508e-06f, -5.69250639462346e-05f,
    -7.34990630326855e-04f, -2.95459980854025e-03f, -1.60960333262415e-02f};
static const float erf_denominator[5] = {
    -1.45660718464996e-05f, -2.13374055278905e-04f, -1.68282697438203e-03f, -7.37332916720468e-03f,
    -1.42647390514189e-02f};
#define INV_SQRT2 0.70710678118654752f

#define TK_AVX2 __attribute__((target("avx2,fma")))
#define TK_AVX512 __attribute__((target("avx512f,avx2,fma")))

int tensor_kernels_level(void) {
  __builtin_cpu_init();
  if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return 0;
  return __builtin_cpu_supports("avx512f") ? 2 : 1;
}

// The mean and the sum of centred squares of `count` floats, in double (four lanes each of two accumulators,
// then the scalar tail), for both widths' normalisation.
TK_AVX2 static void row_statistics(const float *row, ptrdiff_t count, double *mean, double *squares) {
  __m256d low = _mm256_setzero_pd(), high = _mm256_setzero_pd();
  ptrdiff_t i = 0;
  for (; i + 8 <= count; i += 8) {
    low = _mm256_add_pd(low, _mm256_cvtps_pd(_mm_loadu_ps(row + i)));
    high = _mm256_add_pd(high, _mm256_cvtps_pd(_mm_loadu_ps(row + i + 4)));
  }
  double lanes[4];
  _mm256_storeu_pd(lanes, _mm256_add_pd(low, high));
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (ptrdiff_t k = i; k < count; k++) sum += row[k];
  double m = sum / (double)count;
  __m256d centre = _mm256_set1_pd(m);
  low = _mm256_setzero_pd();
  high = _mm256_setzero_pd();
  for (i = 0; i + 8 <= count; i += 8) {
    __m256d a = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(row + i)), centre);
    __m256d b = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(row + i + 4)), centre);
    low = _mm256_fmadd_pd(a, a, low);
    high = _mm256_fmadd_pd(b, b, high);
  }
  _mm256_storeu_pd(lanes, _mm256_add_pd(low, high));
  double total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (ptrdiff_t k = i; k < count; k++) total += ((double)row[k] - m) * ((double)row[k] - m);
  *mean = m;
  *squares = total;
}

// AVX-512F: 16 lanes, tails by mask registers.
#define LANES 16
#define KERNEL TK_AVX512
#define VECTOR __m512
#define TAIL __mmask16
#define V_SET1 _mm512_set1_ps
#define V_ZERO _mm512_setzero_ps
#define V_ADD _mm512_add_ps
#define V_SUB _mm512_sub_ps
#define V_MUL _mm512_mul_ps
#define V_DIV _mm512_div_ps
#define V_MIN _mm512_min_ps
#define V_MAX _mm512_max_ps
#define V_FMA _mm512_fmadd_ps
#define V_FNMA _mm512_fnmadd_ps
#define V_LOAD _mm512_loadu_ps
#define V_STORE _mm512_storeu_ps
#define V_REDUCE_MAX _mm512_reduce_max_ps
#define V_REDUCE_ADD _mm512_reduce_add_ps
#define V_TAIL_MASK(remaining) ((__mmask16)((1u << (remaining)) - 1u))
#define V_LOAD_TAIL(pointer, tail) _mm512_maskz_loadu_ps(tail, pointer)
#define V_STORE_TAIL(pointer, tail, v) _mm512_mask_storeu_ps(pointer, tail, v)
#define V_FILL_OUTSIDE(v, tail, fill) _mm512_mask_blend_ps(tail, _mm512_set1_ps(fill), v)
#define V_POWER_OF_TWO(rounded) \
  _mm512_castsi512_ps(_mm512_slli_epi32( \
      _mm512_sub_epi32(_mm512_castps_si512(rounded), _mm512_set1_epi32(EXP_SHIFTER_BITS - 127)), 23))
#define V_ZERO_WHERE_BELOW(result, value, limit) \
  _mm512_maskz_mov_ps((__mmask16)~_mm512_cmp_ps_mask(value, _mm512_set1_ps(limit), _CMP_LT_OQ), result)
#include "VectorKernels.h"
#include "UndefineVectorOperations.h"

// AVX2 + FMA: 8 lanes, tails by maskload / maskstore with an all-ones lane mask.
TK_AVX2 static inline float reduce_max8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

TK_AVX2 static inline float reduce_add8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

#define LANES 8
#define KERNEL TK_AVX2
#define VECTOR __m256
#define TAIL __m256i
#define V_SET1 _mm256_set1_ps
#define V_ZERO _mm256_setzero_ps
#define V_ADD _mm256_add_ps
#define V_SUB _mm256_sub_ps
#define V_MUL _mm256_mul_ps
#define V_DIV _mm256_div_ps
#define V_MIN _mm256_min_ps
#define V_MAX _mm256_max_ps
#define V_FMA _mm256_fmadd_ps
#define V_FNMA _mm256_fnmadd_ps
#define V_LOAD _mm256_loadu_ps
#define V_STORE _mm256_storeu_ps
#define V_REDUCE_MAX reduce_max8
#define V_REDUCE_ADD reduce_add8
#define V_TAIL_MASK(remaining) \
  _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(remaining)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define V_LOAD_TAIL(pointer, tail) _mm256_maskload_ps(pointer, tail)
#define V_STORE_TAIL(pointer, tail, v) _mm256_maskstore_ps(pointer, tail, v)
#define V_FILL_OUTSIDE(v, tail, fill) _mm256_blendv_ps(_mm256_set1_ps(fill), v, _mm256_castsi256_ps(tail))
#define V_POWER_OF_TWO(rounded) \
  _mm256_castsi256_ps(_mm256_slli_epi32( \
      _mm256_sub_epi32(_mm256_castps_si256(rounded), _mm256_set1_epi32(EXP_SHIFTER_BITS - 127)), 23))
#define V_ZERO_WHERE_BELOW(result, value, limit) \
  _mm256_andnot_ps(_mm256_cmp_ps(value, _mm256_set1_ps(limit), _CMP_LT_OQ), result)
#include "VectorKernels.h"
#include "UndefineVectorOperations.h"

// ---------------------------------------------------------------------------------------------------------------
// Entry points.

void tensor_softmax_row(int level, float *row, ptrdiff_t count) {
  if (count <= 0) return;
  if (level == 2) softmax_row16(row, count);
  else if (level == 1) softmax_row8(row, count);
  else __builtin_trap();
}

void tensor_normalize_row(
    int level, const float *source, float *target, ptrdiff_t count, const float *gamma, const float *beta,
    float epsilon) {
  if (count <= 0) return;
  float mean, inverse;
  tensor_row_moments(level, source, count, epsilon, &mean, &inverse);
  if (level == 2) normalize_row16(source, target, count, mean, inverse, gamma, beta);
  else normalize_row8(source, target, count, mean, inverse, gamma, beta);
}

void tensor_row_moments(int level, const float *values, ptrdiff_t count, float epsilon, float *mean, float *inverse) {
  if (level < 1 || level > 2 || count <= 0) __builtin_trap();
  double m, squares;
  row_statistics(values, count, &m, &squares);
  *mean = (float)m;
  *inverse = (float)(1.0 / sqrt(squares / (double)count + (double)epsilon));
}

void tensor_affine_silu(int level, const float *source, float *target, ptrdiff_t count, float scale, float shift) {
  if (count <= 0) return;
  if (level == 2) affine_silu16(source, target, count, scale, shift);
  else if (level == 1) affine_silu8(source, target, count, scale, shift);
  else __builtin_trap();
}

void tensor_gelu(int level, float *values, ptrdiff_t count) {
  if (count <= 0) return;
  if (level == 2) gelu_in_place16(values, count);
  else if (level == 1) gelu_in_place8(values, count);
  else __builtin_trap();
}

void tensor_geglu(int level, const float *values, const float *gates, float *target, ptrdiff_t count) {
  if (count <= 0) return;
  if (level == 2) geglu16(values, gates, target, count);
  else if (level == 1) geglu8(values, gates, target, count);
  else __builtin_trap();
}

#else

// Not x86-64: no vector kernels; callers see level 0 and keep their portable loops.
int tensor_kernels_level(void) { return 0; }
void tensor_softmax_row(int level, float *row, ptrdiff_t count) { __builtin_trap(); }
void tensor_affine_silu(int level, const float *source, float *target, ptrdiff_t count, float scale, float shift) {
  __builtin_trap();
}
void tensor_gelu(int level, float *values, ptrdiff_t count) { __builtin_trap(); }
void tensor_normalize_row(
    int level, const float *source, float *target, ptrdiff_t count, const float *gamma, const float *beta,
    float epsilon) {
  __builtin_trap();
}
void tensor_row_moments(int level, const float *values, ptrdiff_t count, float epsilon, float *mean, float *inverse) {
  __builtin_trap();
}
void tensor_geglu(int level, const float *values, const float *gates, float *target, ptrdiff_t count) {
  __builtin_trap();
}

#endif
