// The kernels of one vector width, written once over the V_* operations and stamped out twice by
// TensorKernels.c (16 lanes with AVX-512F, 8 lanes with AVX2 + FMA). Before each inclusion TensorKernels.c
// defines LANES, KERNEL (the target attribute), VECTOR and TAIL (the vector and tail-mask types) and the V_*
// operations; every function here gets the suffix LANES (exp16, softmax_row8, …). Not a public header.

#define KERNEL_CONCAT2(name, lanes) name##lanes
#define KERNEL_CONCAT(name, lanes) KERNEL_CONCAT2(name, lanes)
#define WIDE(name) KERNEL_CONCAT(name, LANES)

// c[0] · x^degree + … + c[degree] by Horner's rule with FMA (unrolled where `c` and `degree` are constants).
KERNEL static inline VECTOR WIDE(horner)(VECTOR x, const float *c, int degree) {
  VECTOR p = V_SET1(c[0]);
  for (int k = 1; k <= degree; k++) p = V_FMA(p, x, V_SET1(c[k]));
  return p;
}

// e^value (Cephes): clamp (keeping NaN: the clamp's min/max return their second operand when either is NaN),
// n = round(x · log₂ e) by the shifter, r = x − n · ln 2 in two parts, e^r by the degree-5 polynomial, times 2ⁿ
// assembled from the rounded sum's bits; inputs below the lowest give 0.
KERNEL static inline VECTOR WIDE(exp)(VECTOR value) {
  VECTOR x = V_MIN(V_SET1(EXP_HIGHEST), V_MAX(V_SET1(EXP_LOWEST), value));
  VECTOR shifter = V_SET1(EXP_SHIFTER);
  VECTOR rounded = V_FMA(x, V_SET1(EXP_LOG2E), shifter);
  VECTOR n = V_SUB(rounded, shifter);
  VECTOR r = V_FNMA(n, V_SET1(EXP_LN2_HIGH), x);
  r = V_FMA(n, V_SET1(EXP_LN2_LOW), r);
  VECTOR p = WIDE(horner)(r, exp_polynomial, 5);
  VECTOR y = V_ADD(V_FMA(V_MUL(p, r), r, r), V_SET1(1.0f));
  return V_ZERO_WHERE_BELOW(V_MUL(y, V_POWER_OF_TWO(rounded)), value, EXP_LOWEST);
}

// erf(value) ≈ x · P(x²) / Q(x²) with x clamped to [−4, 4] (NaN kept).
KERNEL static inline VECTOR WIDE(erf)(VECTOR value) {
  VECTOR x = V_MIN(V_SET1(ERF_CLAMP), V_MAX(V_SET1(-ERF_CLAMP), value));
  VECTOR x2 = V_MUL(x, x);
  return V_DIV(V_MUL(x, WIDE(horner)(x2, erf_numerator, 6)), WIDE(horner)(x2, erf_denominator, 4));
}

// ½ x (1 + erf(x / √2)).
KERNEL static inline VECTOR WIDE(gelu)(VECTOR x) {
  VECTOR e = WIDE(erf)(V_MUL(x, V_SET1(INV_SQRT2)));
  return V_MUL(V_MUL(V_SET1(0.5f), x), V_ADD(V_SET1(1.0f), e));
}

// y / (1 + e^(−y)).
KERNEL static inline VECTOR WIDE(silu)(VECTOR y) {
  return V_DIV(y, V_ADD(V_SET1(1.0f), WIDE(exp)(V_SUB(V_ZERO(), y))));
}

// Maximum (NaN lanes ignored: max returns its second operand, the running maximum), exponentials stored and
// summed in one pass, then the scale by 1 / sum.
KERNEL static void WIDE(softmax_row)(float *row, ptrdiff_t count) {
  ptrdiff_t i = 0;
  VECTOR largest = V_SET1(-INFINITY);
  for (; i + LANES <= count; i += LANES) largest = V_MAX(V_LOAD(row + i), largest);
  ptrdiff_t remaining = count - i;
  TAIL tail = V_TAIL_MASK(remaining);
  if (remaining) largest = V_MAX(V_FILL_OUTSIDE(V_LOAD_TAIL(row + i, tail), tail, -INFINITY), largest);
  float m = V_REDUCE_MAX(largest);
  if (m == -INFINITY) m = 0;
  VECTOR shift = V_SET1(m);
  VECTOR sum = V_ZERO();
  for (i = 0; i + LANES <= count; i += LANES) {
    VECTOR e = WIDE(exp)(V_SUB(V_LOAD(row + i), shift));
    V_STORE(row + i, e);
    sum = V_ADD(sum, e);
  }
  if (remaining) {
    VECTOR e = WIDE(exp)(V_SUB(V_LOAD_TAIL(row + i, tail), shift));
    V_STORE_TAIL(row + i, tail, e);
    sum = V_ADD(sum, V_FILL_OUTSIDE(e, tail, 0.0f));
  }
  VECTOR inverse = V_SET1(1.0f / V_REDUCE_ADD(sum));
  for (i = 0; i + LANES <= count; i += LANES) V_STORE(row + i, V_MUL(V_LOAD(row + i), inverse));
  if (remaining) V_STORE_TAIL(row + i, tail, V_MUL(V_LOAD_TAIL(row + i, tail), inverse));
}

KERNEL static void WIDE(affine_silu)(const float *source, float *target, ptrdiff_t count, float scale, float shift) {
  VECTOR a = V_SET1(scale), b = V_SET1(shift);
  ptrdiff_t i = 0;
  for (; i + LANES <= count; i += LANES) V_STORE(target + i, WIDE(silu)(V_FMA(V_LOAD(source + i), a, b)));
  if (i < count) {
    TAIL tail = V_TAIL_MASK(count - i);
    V_STORE_TAIL(target + i, tail, WIDE(silu)(V_FMA(V_LOAD_TAIL(source + i, tail), a, b)));
  }
}

KERNEL static void WIDE(gelu_in_place)(float *values, ptrdiff_t count) {
  ptrdiff_t i = 0;
  for (; i + LANES <= count; i += LANES) V_STORE(values + i, WIDE(gelu)(V_LOAD(values + i)));
  if (i < count) {
    TAIL tail = V_TAIL_MASK(count - i);
    V_STORE_TAIL(values + i, tail, WIDE(gelu)(V_LOAD_TAIL(values + i, tail)));
  }
}

KERNEL static void WIDE(geglu)(const float *values, const float *gates, float *target, ptrdiff_t count) {
  ptrdiff_t i = 0;
  for (; i + LANES <= count; i += LANES) {
    V_STORE(target + i, V_MUL(V_LOAD(values + i), WIDE(gelu)(V_LOAD(gates + i))));
  }
  if (i < count) {
    TAIL tail = V_TAIL_MASK(count - i);
    VECTOR v = V_LOAD_TAIL(values + i, tail);
    V_STORE_TAIL(target + i, tail, V_MUL(v, WIDE(gelu)(V_LOAD_TAIL(gates + i, tail))));
  }
}

// (x − mean) · inverse · gamma + beta, or (x − mean) · inverse without gamma and beta.
KERNEL static void WIDE(normalize_row)(
    const float *source, float *target, ptrdiff_t count, float mean, float inverse, const float *gamma,
    const float *beta) {
  VECTOR m = V_SET1(mean), s = V_SET1(inverse);
  ptrdiff_t i = 0;
  if (gamma && beta) {
    for (; i + LANES <= count; i += LANES) {
      VECTOR y = V_MUL(V_SUB(V_LOAD(source + i), m), s);
      V_STORE(target + i, V_FMA(y, V_LOAD(gamma + i), V_LOAD(beta + i)));
    }
    if (i < count) {
      TAIL tail = V_TAIL_MASK(count - i);
      VECTOR y = V_MUL(V_SUB(V_LOAD_TAIL(source + i, tail), m), s);
      V_STORE_TAIL(target + i, tail, V_FMA(y, V_LOAD_TAIL(gamma + i, tail), V_LOAD_TAIL(beta + i, tail)));
    }
  } else {
    for (; i + LANES <= count; i += LANES) V_STORE(target + i, V_MUL(V_SUB(V_LOAD(source + i), m), s));
    if (i < count) {
      TAIL tail = V_TAIL_MASK(count - i);
      V_STORE_TAIL(target + i, tail, V_MUL(V_SUB(V_LOAD_TAIL(source + i, tail), m), s));
    }
  }
}

#undef WIDE
#undef KERNEL_CONCAT
#undef KERNEL_CONCAT2
