// Fused kernels of the K-fold ridge cross-validation (Regression's only C code).
//
// `ridge_score_fold` scores one fold of one chunk of targets: it forms the out-of-fold predictions of every
// alpha, `P = M_f · Y_train` (`(n_test · A) × width`), one 6 × 32 (AVX-512) or 6 × 16 (AVX2) register tile at a
// time, and adds each tile's squared errors and correlation sums to per-(alpha, target) accumulators at once, so
// `P` is never stored. The operator `M_f` is packed once per fit (`ridge_pack_operator`), the training block once
// per call. `ridge_multiply_packed` is the same tile loop storing `C = A · B` (the grouped refit).
#ifndef CRIDGEKERNELS_H
#define CRIDGEKERNELS_H

#include <stddef.h>

/// Rows of an operator panel (and of a register tile).
#define RIDGE_PANEL_ROWS 6
/// Columns of a training panel (and of a register tile): AVX2 tiles.
#define RIDGE_PANEL_COLUMNS 16
/// Columns of the AVX-512 tiles.
#define RIDGE_WIDE_PANEL_COLUMNS 32

/// 0 when this CPU lacks AVX2 or FMA (the fused kernels' instruction set), 2 when it also has AVX-512F (the
/// wide tiles), else 1.
int ridge_fused_available(void);

/// The floats `ridge_pack_operator` writes for a `rows × depth` operator: rows rounded up to whole panels.
ptrdiff_t ridge_packed_operator_count(ptrdiff_t rows, ptrdiff_t depth);

/// Packs the row-major `rows × depth` matrix `a` into panels of `RIDGE_PANEL_ROWS` rows (`depth` groups of
/// six consecutive floats, one per row; rows past `rows` are zero).
void ridge_pack_operator(const float *a, ptrdiff_t rows, ptrdiff_t depth, float *out);

/// The floats of the training-panel scratch of a call: `depth` rows, `width` rounded up to whole panels.
ptrdiff_t ridge_packed_training_count(ptrdiff_t depth, ptrdiff_t width);

/// One fold of one chunk. Row `r = t · alphaCount + a` of the operator predicts test row `t` at alpha `a`.
typedef struct {
  /// Training rows of the fold (the operator's columns).
  ptrdiff_t depth;
  /// Test rows of the fold.
  ptrdiff_t testRows;
  ptrdiff_t alphaCount;
  /// Targets in the chunk.
  ptrdiff_t width;
  /// The fold operator, packed by `ridge_pack_operator` (`testRows · alphaCount` rows).
  const float *packedOperator;
  /// The training targets, `depth` rows of `width` floats, `trainingStride` floats apart.
  const float *training;
  ptrdiff_t trainingStride;
  /// Scratch of `ridge_packed_training_count(depth, width)` floats (every training panel of the chunk).
  float *packedTraining;
  /// The chunk's targets, row-major, rows `width` floats apart.
  const float *targets;
  /// For each test row `t`, its row in `targets`.
  const ptrdiff_t *testOrder;
  /// Per target: the full-data mean `ȳ` and `offset − ȳ`, `offset` being the fold's prediction offset.
  const float *means;
  const float *offsetShift;
  /// Float accumulators, `alphaCount` rows `accumulatorStride` floats apart each:
  /// `squaredErrors += Σ_t e²` with `e = (y − ȳ) − (p + offset − ȳ)`; `sums` holds three such blocks,
  /// `+= Σ c`, `Σ c²`, `Σ c · (y − ȳ)` with `c = p + offset − ȳ − reference`.
  float *squaredErrors;
  float *sums;
  /// Each (alpha, target) cell's reference value: written from the first test row when `setsReferences`
  /// (fold 0), read otherwise. Subtracting it keeps the float sums free of cancellation whatever the
  /// predictions' offset (Pearson r does not change under a constant shift).
  float *references;
  int setsReferences;
  ptrdiff_t accumulatorStride;
  /// Targets per cache block of training panels (a multiple of `RIDGE_PANEL_COLUMNS`; 128 keeps a 384-deep
  /// block, 197 KB, in L2).
  ptrdiff_t blockColumns;
  /// Nonzero for the AVX-512 tiles (`ridge_fused_available() == 2`).
  int useWideTiles;
} RidgeFoldScoring;

/// Scores one fold (see `RidgeFoldScoring`); requires `ridge_fused_available()`.
void ridge_score_fold(const RidgeFoldScoring *fold);

/// `C = A · B` with `A` packed by `ridge_pack_operator` (`rows × depth`), `B` row-major `depth × columns` (rows
/// `bStride` apart) and `C` row-major `rows × columns` (rows `cStride` apart, every element written).
typedef struct {
  ptrdiff_t rows;
  ptrdiff_t depth;
  ptrdiff_t columns;
  const float *packedA;
  const float *b;
  ptrdiff_t bStride;
  /// Scratch of `ridge_packed_training_count(depth, blockColumns)` floats.
  float *packedB;
  float *c;
  ptrdiff_t cStride;
  /// Columns of B packed at a time (a block stays in L2 while every panel of A passes over it).
  ptrdiff_t blockColumns;
  /// Nonzero for the AVX-512 tiles (`ridge_fused_available() == 2`).
  int useWideTiles;
} RidgeProduct;

/// Computes `C = A · B` (see `RidgeProduct`); requires `ridge_fused_available()`.
void ridge_multiply_packed(const RidgeProduct *product);

#endif
