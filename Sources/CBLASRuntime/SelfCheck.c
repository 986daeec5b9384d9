// The start-up self-check of CBLASRuntime.h: small GEMM, GEMV and SYRK problems in single and double precision
// through the current OpenBLAS kernel, compared element by element with plain loops accumulated in double.
//
// Sizes keep every GEMM at m·n·k ≤ 64³, under OpenBLAS's threading threshold, so the check runs on the calling
// thread and does not wake OpenBLAS's workers; it takes about 0.3 ms optimised (a few ms in a debug build). They are not multiples of the kernels' register tiles (edges are
// where wrong kernels go wrong) and cover every transpose combination, alpha ≠ 1 and beta ≠ 0.
#include "CBLASRuntime.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Deterministic values in [-1, 1) (a 64-bit LCG; the check must not depend on a seed the caller sets).
static double next_value(unsigned long long *state) {
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/// Element (i, p) of op(A) for a row-major A that is `rows × columns` before the transpose.
static double element(const double *a, int transpose, int columns, int i, int p) {
  return transpose ? a[(long)p * columns + i] : a[(long)i * columns + p];
}

typedef struct {
  int m, n, k, transpose_a, transpose_b;
  double alpha, beta;
} gemm_case;

static const gemm_case gemm_cases[] = {
    {37, 29, 41, 0, 0, 1.0, 0.0},
    {24, 40, 70, 1, 0, 0.5, 1.5},
    {17, 33, 29, 0, 1, -1.25, 0.5},
    {9, 5, 130, 1, 1, 1.0, 1.0},
};

typedef struct {
  int m, n, transpose;
  double alpha, beta;
} gemv_case;

static const gemv_case gemv_cases[] = {{67, 53, 0, 1.25, -0.5}, {67, 53, 1, 0.75, 0.0}};

typedef struct {
  int n, k, upper, transpose;
  double alpha, beta;
} syrk_case;

static const syrk_case syrk_cases[] = {{33, 27, 1, 0, 1.0, 0.0}, {33, 27, 0, 1, -0.5, 2.0}};

/// Relative tolerance of the comparison: |x − ref| ≤ tol · (|α| Σ|a||b| + |β||c₀|). Rounding of a length-k
/// float sum stays below k·2⁻²⁴ ≈ 8e-6 of that bound for k ≤ 130 (2e-14 in double); a wrong kernel misses by O(1).
#define FLOAT_TOLERANCE 1e-4
#define DOUBLE_TOLERANCE 1e-11

typedef struct {
  int failed;
  char *message;
  unsigned long message_size;
} check_state;

static void fail(check_state *state, const char *message) {
  if (state->failed) return;
  state->failed = 1;
  if (state->message != NULL && state->message_size > 0) snprintf(state->message, state->message_size, "%s", message);
}

static void compare(check_state *state, const char *routine, int index, double value, double reference,
                    double scale, double tolerance) {
  if (state->failed) return;
  if (fabs(value - reference) <= tolerance * scale + 1e-300 && isfinite(value)) return;
  state->failed = 1;
  if (state->message != NULL && state->message_size > 0) {
    snprintf(state->message, state->message_size, "%s element %d is %.9g, expected %.9g", routine, index, value,
             reference);
  }
}

/// Scratch for one problem: the scalars in the precision under test and the same values in double.
typedef struct {
  int single;
  long count;
  void *values;
  double *exact;
} operands;

static int make_operands(operands *o, int single, long count, unsigned long long *seed) {
  o->single = single;
  o->count = count;
  o->values = malloc((single ? sizeof(float) : sizeof(double)) * count);
  o->exact = malloc(sizeof(double) * count);
  if (o->values == NULL || o->exact == NULL) {
    free(o->values);
    free(o->exact);
    return 0;
  }
  for (long i = 0; i < count; i++) {
    double v = next_value(seed);
    if (single) {
      ((float *)o->values)[i] = (float)v;
      o->exact[i] = (float)v;
    } else {
      ((double *)o->values)[i] = v;
      o->exact[i] = v;
    }
  }
  return 1;
}

static void free_operands(operands *o) {
  free(o->values);
  free(o->exact);
}

/// Element `i` of the scalars under test, starting `offset` elements in.
static double value_at(const operands *o, long offset, long i) {
  return o->single ? ((const float *)o->values)[offset + i] : ((const double *)o->values)[offset + i];
}

static void *pointer_at(const operands *o, long offset) {
  return o->single ? (void *)((float *)o->values + offset) : (void *)((double *)o->values + offset);
}

static void check_gemm(check_state *state, int single, unsigned long long *seed, int perturb) {
  const char *name = single ? "sgemm" : "dgemm";
  double tolerance = single ? FLOAT_TOLERANCE : DOUBLE_TOLERANCE;
  for (size_t c = 0; c < sizeof gemm_cases / sizeof gemm_cases[0]; c++) {
    gemm_case g = gemm_cases[c];
    int a_columns = g.transpose_a ? g.m : g.k, b_columns = g.transpose_b ? g.k : g.n;
    long a_count = (long)g.m * g.k, b_count = (long)g.k * g.n;
    operands o;
    if (!make_operands(&o, single, a_count + b_count + (long)g.m * g.n, seed)) {
      fail(state, "out of memory");
      return;
    }
    enum CBLAS_TRANSPOSE ta = g.transpose_a ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = g.transpose_b ? CblasTrans : CblasNoTrans;
    long c_offset = a_count + b_count;
    if (single) {
      cblas_sgemm(CblasRowMajor, ta, tb, g.m, g.n, g.k, (float)g.alpha, pointer_at(&o, 0), a_columns,
                  pointer_at(&o, a_count), b_columns, (float)g.beta, pointer_at(&o, c_offset), g.n);
      if (perturb && c == 0) ((float *)o.values)[c_offset] += 1;
    } else {
      cblas_dgemm(CblasRowMajor, ta, tb, g.m, g.n, g.k, g.alpha, pointer_at(&o, 0), a_columns,
                  pointer_at(&o, a_count), b_columns, g.beta, pointer_at(&o, c_offset), g.n);
    }
    const double *a = o.exact, *b = o.exact + a_count, *c0 = o.exact + c_offset;
    for (int i = 0; i < g.m; i++) {
      for (int j = 0; j < g.n; j++) {
        double sum = 0, magnitude = 0;
        for (int p = 0; p < g.k; p++) {
          double x = element(a, g.transpose_a, a_columns, i, p) * element(b, g.transpose_b, b_columns, p, j);
          sum += x;
          magnitude += fabs(x);
        }
        double initial = c0[i * g.n + j];
        compare(state, name, i * g.n + j, value_at(&o, c_offset, i * g.n + j), g.alpha * sum + g.beta * initial,
                fabs(g.alpha) * magnitude + fabs(g.beta * initial), tolerance);
      }
    }
    free_operands(&o);
  }
}

static void check_gemv(check_state *state, int single, unsigned long long *seed) {
  const char *name = single ? "sgemv" : "dgemv";
  double tolerance = single ? FLOAT_TOLERANCE : DOUBLE_TOLERANCE;
  for (size_t c = 0; c < sizeof gemv_cases / sizeof gemv_cases[0]; c++) {
    gemv_case g = gemv_cases[c];
    int out = g.transpose ? g.n : g.m, in = g.transpose ? g.m : g.n;
    long a_count = (long)g.m * g.n, y_offset = a_count + in;
    operands o;
    if (!make_operands(&o, single, a_count + in + out, seed)) {
      fail(state, "out of memory");
      return;
    }
    enum CBLAS_TRANSPOSE t = g.transpose ? CblasTrans : CblasNoTrans;
    if (single) {
      cblas_sgemv(CblasRowMajor, t, g.m, g.n, (float)g.alpha, pointer_at(&o, 0), g.n, pointer_at(&o, a_count), 1,
                  (float)g.beta, pointer_at(&o, y_offset), 1);
    } else {
      cblas_dgemv(CblasRowMajor, t, g.m, g.n, g.alpha, pointer_at(&o, 0), g.n, pointer_at(&o, a_count), 1, g.beta,
                  pointer_at(&o, y_offset), 1);
    }
    const double *a = o.exact, *x = o.exact + a_count, *y0 = o.exact + y_offset;
    for (int i = 0; i < out; i++) {
      double sum = 0, magnitude = 0;
      for (int p = 0; p < in; p++) {
        double v = element(a, g.transpose, g.n, i, p) * x[p];
        sum += v;
        magnitude += fabs(v);
      }
      compare(state, name, i, value_at(&o, y_offset, i), g.alpha * sum + g.beta * y0[i],
              fabs(g.alpha) * magnitude + fabs(g.beta * y0[i]), tolerance);
    }
    free_operands(&o);
  }
}

static void check_syrk(check_state *state, int single, unsigned long long *seed) {
  const char *name = single ? "ssyrk" : "dsyrk";
  double tolerance = single ? FLOAT_TOLERANCE : DOUBLE_TOLERANCE;
  for (size_t c = 0; c < sizeof syrk_cases / sizeof syrk_cases[0]; c++) {
    syrk_case g = syrk_cases[c];
    int a_columns = g.transpose ? g.n : g.k;
    long a_count = (long)g.n * g.k;
    operands o;
    if (!make_operands(&o, single, a_count + (long)g.n * g.n, seed)) {
      fail(state, "out of memory");
      return;
    }
    enum CBLAS_UPLO uplo = g.upper ? CblasUpper : CblasLower;
    enum CBLAS_TRANSPOSE t = g.transpose ? CblasTrans : CblasNoTrans;
    if (single) {
      cblas_ssyrk(CblasRowMajor, uplo, t, g.n, g.k, (float)g.alpha, pointer_at(&o, 0), a_columns, (float)g.beta,
                  pointer_at(&o, a_count), g.n);
    } else {
      cblas_dsyrk(CblasRowMajor, uplo, t, g.n, g.k, g.alpha, pointer_at(&o, 0), a_columns, g.beta,
                  pointer_at(&o, a_count), g.n);
    }
    const double *a = o.exact, *c0 = o.exact + a_count;
    for (int i = 0; i < g.n; i++) {
      for (int j = 0; j < g.n; j++) {
        double reference = c0[i * g.n + j], scale = 0;  // outside the triangle: the input, untouched (exact)
        if (g.upper ? j >= i : j <= i) {
          double sum = 0, magnitude = 0;
          for (int p = 0; p < g.k; p++) {
            double v = element(a, g.transpose, a_columns, i, p) * element(a, g.transpose, a_columns, j, p);
            sum += v;
            magnitude += fabs(v);
          }
          scale = fabs(g.alpha) * magnitude + fabs(g.beta * reference);
          reference = g.alpha * sum + g.beta * reference;
        }
        compare(state, name, i * g.n + j, value_at(&o, a_count, i * g.n + j), reference, scale, tolerance);
      }
    }
    free_operands(&o);
  }
}

int blas_self_check(int perturb, char *failure, unsigned long failure_size) {
  check_state state = {0, failure, failure_size};
  unsigned long long seed = 0x9e3779b97f4a7c15ULL;
  for (int single = 1; single >= 0; single--) {
    check_gemm(&state, single, &seed, perturb);
    check_gemv(&state, single, &seed);
    check_syrk(&state, single, &seed);
  }
  return !state.failed;
}
