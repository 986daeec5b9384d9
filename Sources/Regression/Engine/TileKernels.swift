internal import CRidgeKernels

/// This CPU's fused-kernel support (`ridge_fused_available`: 0 none, 1 AVX2 + FMA, 2 also AVX-512F), read once.
private let fusedKernelSupport = Int(ridge_fused_available())

/// The register-tile kernels of `CRidgeKernels` at one tile width: the only Swift that calls them.
///
/// A 6 × 32 (AVX-512, 12 zmm accumulators) or 6 × 16 (AVX2 + FMA, 12 ymm) register tile runs over the whole
/// depth of a product whose left operand is packed once (``packOperator(_:rows:depth:)``, 6-row panels) and
/// whose right operand is packed per call into 16- or 32-column panels, a block of ``blockColumns`` columns at a
/// time. ``scoreFold(_:)`` folds each tile into a fold's squared errors and correlation sums
/// (``FusedTileScorer``); ``multiply(alpha:rows:depth:packedOperators:b:ldb:columns:c:ldc:scratch:)`` stores it
/// (the grouped refit's `P_a · Y_group`, ``GroupedRefit``). The package builds for baseline x86-64: the kernels
/// are compiled with target attributes and chosen at run time.
struct TileKernels: Sendable, Equatable {
  /// The AVX-512 tiles (6 × 32) when true, else the AVX2 tiles (6 × 16).
  let usesWideTiles: Bool

  /// Targets per block of training panels, in the fold scoring and the packed products: a block
  /// (`n_train × 128` floats, 197 KB at 384 rows, 246 KB at 480) stays in L2 while every operator panel passes.
  static let blockColumns = 128

  /// Whether this CPU has the AVX2 tiles (AVX2 and FMA).
  static var hasAVX2Tiles: Bool { fusedKernelSupport >= 1 }
  /// Whether this CPU has the AVX-512 tiles (AVX-512F).
  static var hasAVX512Tiles: Bool { fusedKernelSupport == 2 }

  /// The tiles that `choice` runs on this CPU for `scalar` (only single precision has tiles), or `nil` for
  /// OpenBLAS: ``FusedTiles/automatic`` takes the AVX-512 tiles where the CPU has them, ``FusedTiles/avx2``
  /// the AVX2 tiles where it has those.
  static func selected<Scalar>(by choice: FusedTiles, for _: Scalar.Type) -> TileKernels? {
    guard Scalar.self == Float.self else { return nil }
    switch choice {
    case .automatic: return hasAVX512Tiles ? TileKernels(usesWideTiles: true) : nil
    case .avx2: return hasAVX2Tiles ? TileKernels(usesWideTiles: false) : nil
    case .none: return nil
    }
  }

  /// The floats of a packed `rows × depth` operator (rows rounded up to whole 6-row panels).
  static func packedOperatorCount(rows: Int, depth: Int) -> Int { ridge_packed_operator_count(rows, depth) }

  /// The floats of the scratch that a call packs `depth × width` of its right operand into.
  static func packedTrainingCount(depth: Int, width: Int) -> Int { ridge_packed_training_count(depth, width) }

  /// The row-major `rows × depth` matrix at `source` in the kernels' 6-row panels, written to `out`
  /// (``packedOperatorCount(rows:depth:)`` floats).
  static func packOperator(_ source: UnsafePointer<Float>, rows: Int, depth: Int, into out: UnsafeMutablePointer<Float>)
  {
    ridge_pack_operator(source, rows, depth, out)
  }

  /// The row-major `rows × depth` matrix at `source` in the kernels' panels.
  static func packOperator(_ source: UnsafePointer<Float>, rows: Int, depth: Int) -> [Float] {
    let count = packedOperatorCount(rows: rows, depth: depth)
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      packOperator(source, rows: rows, depth: depth, into: out.baseAddress!)
      initialized = count
    }
  }

  /// Scores one fold of one chunk (the kernel's `RidgeFoldScoring`; its `useWideTiles` is set here).
  func scoreFold(_ fold: inout RidgeFoldScoring) {
    fold.blockColumns = Self.blockColumns
    fold.useWideTiles = usesWideTiles ? 1 : 0
    ridge_score_fold(&fold)
  }

  /// `C = P_a · B` for operator `a` of `packedOperators` (each `rows × depth`, packed one after the other): `B` is
  /// `depth × columns` (rows `ldb` apart), `C` is `rows × columns` (rows `ldc` apart, every element written);
  /// `scratch` holds ``packedTrainingCount(depth:width:)`` floats for ``blockColumns`` columns.
  func multiply(
    alpha a: Int, rows: Int, depth: Int, packedOperators: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int,
    columns: Int, c: UnsafeMutablePointer<Float>, ldc: Int, scratch: UnsafeMutablePointer<Float>
  ) {
    let size = Self.packedOperatorCount(rows: rows, depth: depth)
    var product = RidgeProduct(
      rows: rows, depth: depth, columns: columns, packedA: packedOperators + a * size, b: b, bStride: ldb,
      packedB: scratch, c: c, cStride: ldc, blockColumns: Self.blockColumns, useWideTiles: usesWideTiles ? 1 : 0)
    ridge_multiply_packed(&product)
  }
}

extension RidgeCrossValidation {
  /// The fused fold-scoring kernel that `configuration` runs on this CPU in single precision (see
  /// ``RidgeCrossValidation`` and ``fusedTiles``): `"avx512"` (6 × 32 tiles), `"avx2"` (6 × 16 tiles) or
  /// `"none"` (OpenBLAS's GEMM and a scoring pass). Benchmarks print it beside the OpenBLAS kernel.
  @_spi(Benchmarks)
  public static func fusedScoringKernel(for configuration: RidgeCrossValidation = RidgeCrossValidation()) -> String {
    switch TileKernels.selected(by: configuration.fusedTiles, for: Float.self)?.usesWideTiles {
    case true: "avx512"
    case false: "avx2"
    case nil: "none"
    }
  }
}
