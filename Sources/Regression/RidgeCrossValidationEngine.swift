import Dispatch
import Foundation
import LinearAlgebra

/// The chunked solver behind ``RidgeCrossValidation``.
///
/// Layout of the prediction buffer of one chunk of `c` targets: row `q` (the `q`-th test sample in fold
/// order) holds `alphas × c` values, alpha-major, so the GEMM of fold `f`, `M_f · Y_train` with
/// `M_f` of shape `(n_test · A) × n_train` (row `t · A + a`), writes its rows straight into place.
struct RidgeCrossValidationEngine<Scalar: LinearAlgebraScalar> {
  let configuration: RidgeCrossValidation
  let features: Matrix<Scalar>
  let targets: Matrix<Scalar>
  let sampleCount: Int
  let featureCount: Int
  let targetCount: Int
  let alphas: [Double]
  let isLeaveOneOut: Bool
  let testFolds: [[Int]]
  let trainFolds: [[Int]]
  let testOrder: [Int]
  /// Per fold, the row of the doubled chunk layout where its (rotated) training block starts; empty when the
  /// training rows are copied per fold instead (intercept, leave-one-out, folds that are not contiguous).
  let trainingBlockStart: [Int]
  /// How many leading rows each chunk stores a second time after row `n - 1` (0 without the doubled layout).
  let duplicatedRows: Int
  let foldStart: [Int]
  let featureMeans: [Double]
  var foldOperators: [[Scalar]] = []
  /// The fold operators packed for the fused fold-scoring kernel (`ridge_pack_operator`), when it is used (see
  /// ``usesFusedScoring``); empty otherwise.
  var packedFoldOperators: [[Float]] = []
  // Full-data spectrum, in the working precision.
  let rank: Int
  let eigenvalues: [Double]
  let basis: [Scalar]
  let left: [Scalar]
  var leaveOneOutLeverage: [Scalar] = []
  var leaveOneOutScale: [Scalar] = []
  /// The refit operators `P_a = left · diag(1/(λ + α_a)) · Uᵀ` (`p × n` each, alpha-major), when the
  /// per-target refit multiplies by them directly (see ``usesRefitOperators(configuration:samples:features:targets:)``);
  /// empty otherwise.
  var refitOperators: [Scalar] = []
  /// The refit operators packed for the fused kernels' product (``refitOperatorsPacked(_:features:samples:)``),
  /// alpha after alpha, when this CPU runs them in single precision; empty otherwise.
  var packedRefitOperators: [Float] = []

  // Score tables, alphas × targets, double precision.
  let tables: ScoreTables
  /// Every target's full-data mean, filled chunk by chunk (from several workers at once).
  let targetMeans: SharedDoubles
  var timings = RidgeTimings()

  init(
    configuration: RidgeCrossValidation, features: Matrix<Scalar>, targets: Matrix<Scalar>
  ) throws(RegressionError) {
    self.configuration = configuration
    self.features = features
    self.targets = targets
    sampleCount = features.rows
    featureCount = features.columns
    targetCount = targets.columns
    alphas = configuration.alphas
    isLeaveOneOut = configuration.scheme == .leaveOneOut
    let folds = try configuration.scheme.testFolds(sampleCount: features.rows)
    testFolds = folds
    let n = features.rows
    // Contiguous test folds without an intercept: fold f's training rows, taken in the rotated order
    // `e..<n, 0..<b` around its test rows `b..<e`, are one contiguous block of a chunk stored twice over
    // (rows `0..<n`, then its first rows again), so the fold GEMMs read the chunk in place instead of a copy.
    let contiguous = folds.allSatisfy { fold in fold.indices.allSatisfy { fold[$0] == fold[0] + $0 } }
    let rotates = contiguous && !configuration.fitIntercept && configuration.scheme != .leaveOneOut
    trainFolds = folds.map { fold in
      if rotates, let first = fold.first {
        return Array((first + fold.count)..<n) + Array(0..<first)
      }
      var isTest = [Bool](repeating: false, count: n)
      for i in fold { isTest[i] = true }
      return (0..<n).filter { !isTest[$0] }
    }
    trainingBlockStart = rotates ? folds.map { ($0.first ?? 0) + $0.count } : []
    duplicatedRows = rotates ? folds.map { $0.first ?? 0 }.max() ?? 0 : 0
    for (f, train) in trainFolds.enumerated() where train.isEmpty {
      throw .invalidSplit("fold \(f) leaves no training samples")
    }
    testOrder = folds.flatMap { $0 }
    var starts = [0]
    for fold in folds { starts.append(starts.last! + fold.count) }
    foldStart = starts

    let x = features.convertedLocally(to: Double.self)
    featureMeans = configuration.fitIntercept ? x.columnMeans() : [Double](repeating: 0, count: x.columns)
    // Wide designs (more features than training samples) are handled in the kernel form: one Gram matrix
    // of all samples serves every fold (its blocks, centred with the training-fold means).
    let minimumTrain = trainFolds.map(\.count).min() ?? n
    let usesGram = features.columns > minimumTrain || features.columns > n
    // The Gram matrix is split over the cores in Swift, one single-threaded BLAS call per block: waking
    // OpenBLAS's own pool leaves its threads spinning through the parallel decompositions that follow (at
    // 480 × 3,433 that slowed the decomposition batch by ≈ 15 %, 0.187 → 0.160 s on average).
    let gram: Matrix<Double>? = usesGram ? Self.gramMatrix(x) : nil
    let full: FullSpectrum<Scalar>
    let intercept = configuration.fitIntercept
    let means = featureMeans
    let grid = alphas
    let buildsOperators = Self.usesRefitOperators(
      configuration: configuration, samples: n, features: features.columns, targets: targets.columns)
    if isLeaveOneOut {
      full = try Self.fullSpectrum(x: x, features: features, gram: gram, means: means, fitIntercept: intercept)
      if buildsOperators && full.spectrum.rank > 0 {
        refitOperators = Self.refitOperators(
          left: full.left, basis: full.basis, eigenvalues: full.spectrum.eigenvalues, alphas: grid, samples: n,
          features: features.columns)
      }
    } else {
      // The full-data decomposition and the folds' smaller ones run side by side, one BLAS thread each
      // (parallel at one level only: LAPACK's eigensolvers scale poorly over threads, and badly on a busy
      // machine). Task 0, the largest (it also builds the refit operators), starts first.
      let foldCount = folds.count
      let slots = FoldSlots<Scalar>(count: foldCount)
      let trains = trainFolds
      BLASRuntime.withSingleThreadedCalls {
        DispatchQueue.concurrentPerform(iterations: foldCount + 1) { task in
          do throws(RegressionError) {
            if task == 0 {
              let spectrum = try Self.fullSpectrum(
                x: x, features: features, gram: gram, means: means, fitIntercept: intercept)
              slots.full.pointee = spectrum
              if buildsOperators && spectrum.spectrum.rank > 0 {
                slots.refitOperators.pointee = Self.refitOperators(
                  left: spectrum.left, basis: spectrum.basis, eigenvalues: spectrum.spectrum.eigenvalues,
                  alphas: grid, samples: n, features: features.columns)
              }
            } else {
              let f = task - 1
              slots.operators[f] = try Self.foldOperator(
                x: x, gram: gram, train: trains[f], test: folds[f], alphas: grid, fitIntercept: intercept)
            }
          } catch {
            slots.failures[task] = error
          }
        }
      }
      let results = slots.take()
      if let failure = results.failures.compactMap({ $0 }).first { throw failure }
      // Without a failure, task 0 filled the full spectrum.
      guard let spectrum = results.full else { throw .invalidSplit("the full-data decomposition did not run") }
      full = spectrum
      foldOperators = results.operators
      refitOperators = results.refitOperators
      if !refitOperators.isEmpty && Self.usesPackedProducts(configuration: configuration) {
        packedRefitOperators = Self.refitOperatorsPacked(
          refitOperators, features: features.columns, samples: n)
      }
      if Self.usesFusedScoring(configuration: configuration) {
        packedFoldOperators = foldOperators.enumerated().map { f, operatorMatrix in
          Self.packFoldOperator(operatorMatrix, rows: folds[f].count * grid.count, depth: trains[f].count)
        }
        // The fused path never reads the row-major operators (only the BLAS path's GEMMs do): 7.4 MB less at
        // 480 samples and 10 alphas.
        foldOperators = []
      }
    }
    rank = full.spectrum.rank
    eigenvalues = full.spectrum.eigenvalues
    basis = full.basis
    left = full.left

    tables = ScoreTables(
      alphaCount: alphas.count, targetCount: targets.columns, sumsPerAlpha: configuration.alphaScope == .shared)
    targetMeans = SharedDoubles(count: targets.columns)
    if isLeaveOneOut {
      let leverage = Self.leaveOneOutLeverage(
        spectrum: full.spectrum, alphas: alphas, fitIntercept: configuration.fitIntercept)
      leaveOneOutLeverage = leverage.map { Scalar($0) }
      // 1/(1 − h); a leverage of 1 (a sample the model interpolates exactly) gives a zero prediction
      // weight instead of infinity.
      leaveOneOutScale = leverage.map { $0 < 1 - 1e-12 ? Scalar(1 / (1 - $0)) : 0 }
    }
  }

  /// `X Xᵀ` (`n × n`), split over the cores with single-threaded BLAS calls.
  static func gramMatrix(_ x: Matrix<Double>) -> Matrix<Double> {
    let n = x.rows
    let p = x.columns
    var product = Matrix<Double>(rows: n, columns: n)
    guard n > 0 && p > 0 else { return product }
    x.withUnsafeBufferPointer { a in
      product.withUnsafeMutableBufferPointer { c in
        Double.splitGEMM(
          transposeA: .none, transposeB: .transpose, m: n, n: n, k: p, alpha: 1, a: a.baseAddress!, lda: p,
          b: a.baseAddress!, ldb: p, beta: 0, c: c.baseAddress!, ldc: n)
      }
    }
    return product
  }

  /// The full-data spectrum, with `U` and `left = Xcᵀ U` in the working precision.
  static func fullSpectrum(
    x: Matrix<Double>, features: Matrix<Scalar>, gram: Matrix<Double>?, means: [Double], fitIntercept: Bool
  ) throws(RegressionError) -> FullSpectrum<Scalar> {
    let n = x.rows
    if let gram, x.columns > n {
      let all = Array(0..<n)
      let spectrum = try RidgeSpectrum(
        gram: RidgeSpectrum.gramBlock(gram, rows: all, columns: all, centre: fitIntercept ? all : nil))
      let basis = spectrum.basis.scalars.map { Scalar($0) }
      // Xcᵀ U (p × n) in the working precision: the largest product of the set-up.
      let left = transposedProduct(features, means: means, basis: basis, rank: spectrum.rank)
      return FullSpectrum(spectrum: spectrum, basis: basis, left: left)
    }
    let spectrum = try RidgeSpectrum(design: fitIntercept ? x.subtractingRowVector(means) : x)
    return FullSpectrum(
      spectrum: spectrum, basis: spectrum.basis.scalars.map { Scalar($0) },
      left: spectrum.left.scalars.map { Scalar($0) })
  }

  /// `M_f[(t·A + a), j] = Σ_k (X_te Xᵀ_tr U)[t,k] / (λ_k + α_a) · U[j,k]`: the map from training targets
  /// to test predictions of every alpha.
  static func foldOperator(
    x: Matrix<Double>, gram: Matrix<Double>?, train: [Int], test: [Int], alphas: [Double], fitIntercept: Bool
  ) throws(RegressionError) -> [Scalar] {
    let spectrum: RidgeSpectrum
    let projection: Matrix<Double>
    let centre = fitIntercept ? train : nil
    if let gram, x.columns > train.count {
      spectrum = try RidgeSpectrum(gram: RidgeSpectrum.gramBlock(gram, rows: train, columns: train, centre: centre))
      do {
        // X_te X_trᵀ U from the Gram block: no p-sized product per fold.
        projection = try RidgeSpectrum.gramBlock(gram, rows: test, columns: train, centre: centre)
          .multiplied(by: spectrum.basis)
      } catch {
        throw .linearAlgebra(error)
      }
    } else {
      var xTrain = x.rows(at: train)
      var xTest = x.rows(at: test)
      if fitIntercept {
        let means = xTrain.columnMeans()
        xTrain = xTrain.subtractingRowVector(means)
        xTest = xTest.subtractingRowVector(means)
      }
      spectrum = try RidgeSpectrum(design: xTrain)
      do {
        projection = try xTest.multiplied(by: spectrum.left)
      } catch {
        throw .linearAlgebra(error)
      }
    }
    let r = spectrum.rank
    let nTest = test.count
    let alphaCount = alphas.count
    // S[(t·A + a), k] = B[t, k] / (λ_k + α_a); then M = S · Uᵀ lands in the (test row, alpha) order in one GEMM.
    var stacked = Matrix<Double>(rows: nTest * alphaCount, columns: r)
    projection.withUnsafeBufferPointer { b in
      stacked.withUnsafeMutableBufferPointer { out in
        for t in 0..<nTest {
          for (a, alpha) in alphas.enumerated() {
            let row = (t * alphaCount + a) * r
            for k in 0..<r { out[row + k] = b[t * r + k] * RidgeSpectrum.inverse(spectrum.eigenvalues[k], alpha) }
          }
        }
      }
    }
    do {
      let product = try stacked.multiplied(by: spectrum.basis, transposeOther: .transpose)
      return product.withUnsafeBufferPointer { source in source.map { Scalar($0) } }
    } catch {
      throw .linearAlgebra(error)
    }
  }

  /// Whether the per-target refit multiplies each target by its alpha's `p × n` operator `P_a` (one GEMM per
  /// alpha group of a chunk, `2·p·n` FLOPs per target) instead of `Z = Uᵀ Y`, shrink, `W = left · Z`
  /// (`2·r·(n + p)`). Building the operators costs `2·A·p·r·n` once, so they pay off only for many targets;
  /// they are not used for a shared alpha (one refit), for in-sample scores (which need `Z`) or when they
  /// would take more than 64 MB.
  static func usesRefitOperators(
    configuration: RidgeCrossValidation, samples n: Int, features p: Int, targets: Int
  ) -> Bool {
    let alphaCount = configuration.alphas.count
    return configuration.alphaScope == .perTarget && configuration.computesWeights
      && !configuration.computesInSampleScores && p > 0 && n > 0 && targets >= 2 * alphaCount * p
      && alphaCount * p * n * MemoryLayout<Scalar>.stride <= 64 << 20
  }

  /// `P_a = left · diag(1/(λ + α_a)) · Uᵀ` for every alpha, stacked alpha-major (`A·p × n`), by one GEMM of
  /// the stacked scaled `left` blocks with `Uᵀ` (multi-threaded BLAS: this runs before the chunk workers).
  static func refitOperators(
    left: [Scalar], basis: [Scalar], eigenvalues: [Double], alphas: [Double], samples n: Int, features p: Int
  ) -> [Scalar] {
    let r = eigenvalues.count
    let alphaCount = alphas.count
    var scaled = [Scalar](repeating: 0, count: alphaCount * p * r)
    for (a, alpha) in alphas.enumerated() {
      let shrink = eigenvalues.map { Scalar(RidgeSpectrum.inverse($0, alpha)) }
      let block = a * p * r
      for j in 0..<p {
        for k in 0..<r { scaled[block + j * r + k] = left[j * r + k] * shrink[k] }
      }
    }
    // Every element is written by the GEMM (beta = 0; the operators are built only when the rank is positive).
    let count = alphaCount * p * n
    var result = [Scalar](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    scaled.withUnsafeBufferPointer { s in
      basis.withUnsafeBufferPointer { u in
        result.withUnsafeMutableBufferPointer { out in
          Scalar.gemm(
            transposeA: .none, transposeB: .transpose, m: alphaCount * p, n: n, k: r, alpha: 1, a: s.baseAddress!,
            lda: r, b: u.baseAddress!, ldb: r, beta: 0, c: out.baseAddress!, ldc: n)
        }
      }
    }
    return result
  }

  /// `(X − 1 x̄)ᵀ · U` (`p × rank`) in the working precision, `U` row-major `n × rank`.
  static func transposedProduct(_ x: Matrix<Scalar>, means: [Double], basis: [Scalar], rank: Int) -> [Scalar] {
    let n = x.rows
    let p = x.columns
    var centred = [Scalar](repeating: 0, count: n * p)
    let shift = means.map { Scalar($0) }
    x.withUnsafeBufferPointer { source in
      for i in 0..<n {
        for j in 0..<p { centred[i * p + j] = source[i * p + j] - shift[j] }
      }
    }
    var result = [Scalar](repeating: 0, count: p * rank)
    guard n > 0 && p > 0 && rank > 0 else { return result }
    centred.withUnsafeBufferPointer { a in
      basis.withUnsafeBufferPointer { b in
        result.withUnsafeMutableBufferPointer { c in
          Scalar.gemm(
            transposeA: .transpose, transposeB: .none, m: p, n: rank, k: n, alpha: 1, a: a.baseAddress!, lda: p,
            b: b.baseAddress!, ldb: rank, beta: 0, c: c.baseAddress!, ldc: rank)
        }
      }
    }
    return result
  }

  /// The leverages `h_a[i] = Σ_k U_ik² λ_k / (λ_k + α_a)` (plus `1/n` with an intercept), `A × n`.
  ///
  /// scikit-learn writes the leave-one-out residual as `c / diag(G⁻¹)` with `G = X Xᵀ + α I`; since
  /// `G⁻¹ = (I − H)/α` with the hat matrix `H = U diag(λ/(λ+α)) Uᵀ`, that is `(y − ŷ)/(1 − h)`, and the
  /// leave-one-out prediction is `(ŷ − h y)/(1 − h)`, which avoids the cancellation of `y − looe` when
  /// alpha is large (float32 would lose four digits there). The intercept correction `−1/(n α)` of
  /// `diag(G⁻¹)` becomes `+1/n` in `h`.
  static func leaveOneOutLeverage(
    spectrum: RidgeSpectrum, alphas: [Double], fitIntercept: Bool
  ) -> [Double] {
    let n = spectrum.basis.rows
    let r = spectrum.rank
    var result = [Double](repeating: 0, count: alphas.count * n)
    spectrum.basis.withUnsafeBufferPointer { u in
      for (a, alpha) in alphas.enumerated() {
        for i in 0..<n {
          var leverage = fitIntercept ? 1 / Double(n) : 0
          for k in 0..<r {
            let lambda = spectrum.eigenvalues[k]
            leverage += u[i * r + k] * u[i * r + k] * lambda / (lambda + alpha)
          }
          result[a * n + i] = leverage
        }
      }
    }
    return result
  }
}

/// The per-(alpha, target) accumulators of one fit, in double precision, `alphas × targets` row-major
/// (the target sums are `targets` long). Raw storage so that disjoint column ranges can be filled from
/// two threads at once.
final class ScoreTables: @unchecked Sendable {
  let alphaCount: Int
  let targetCount: Int
  /// Mean over folds of the per-fold score.
  let scores: UnsafeMutablePointer<Double>
  /// Σ (y − ŷ)² pooled over folds.
  let squaredErrors: UnsafeMutablePointer<Double>
  /// Σ ŷ (shifted), Σ ŷ², Σ ŷ y: for every alpha when ``sumsPerAlpha``, otherwise only at each target's chosen
  /// alpha (`targets` long; see ``sumCell(alpha:target:)``).
  let sumPrediction: UnsafeMutablePointer<Double>
  let sumPredictionSquared: UnsafeMutablePointer<Double>
  let sumPredictionTarget: UnsafeMutablePointer<Double>
  /// Σ y, Σ y² (shifted by the full-data mean).
  let sumTarget: UnsafeMutablePointer<Double>
  let sumTargetSquared: UnsafeMutablePointer<Double>
  /// Whether the correlation sums are kept for every alpha (a shared alpha) or for the chosen one only (per
  /// target: `A − 1` fewer cells, which at 100,000 targets and 10 alphas is 22 MB less memory to fault in).
  let sumsPerAlpha: Bool

  init(alphaCount: Int, targetCount: Int, sumsPerAlpha: Bool) {
    self.alphaCount = alphaCount
    self.targetCount = targetCount
    self.sumsPerAlpha = sumsPerAlpha
    func make(_ count: Int) -> UnsafeMutablePointer<Double> { zeroedDoubles(count) }
    let size = alphaCount * targetCount
    scores = make(size)
    squaredErrors = make(size)
    let sumSize = sumsPerAlpha ? size : targetCount
    sumPrediction = make(sumSize)
    sumPredictionSquared = make(sumSize)
    sumPredictionTarget = make(sumSize)
    sumTarget = make(targetCount)
    sumTargetSquared = make(targetCount)
  }

  /// The cell of the correlation sums of target `v` at alpha index `a` (which, without ``sumsPerAlpha``, must be
  /// the target's chosen alpha).
  func sumCell(alpha a: Int, target v: Int) -> Int { sumsPerAlpha ? a * targetCount + v : v }

  deinit {
    for pointer in [
      scores, squaredErrors, sumPrediction, sumPredictionSquared, sumPredictionTarget, sumTarget, sumTargetSquared,
    ] {
      free(pointer)
    }
  }
}

/// `count` (at least one) zeroed doubles from `calloc`, released with `free`: large blocks come from fresh
/// zero pages, so the pages are touched first by the workers that fill them (in parallel) instead of by a
/// serial zero fill. Allocation failure is fatal, as for every Swift allocation.
func zeroedDoubles(_ count: Int) -> UnsafeMutablePointer<Double> {
  guard let raw = calloc(Swift.max(count, 1), MemoryLayout<Double>.stride) else {
    fatalError("out of memory for \(count) doubles")
  }
  return raw.bindMemory(to: Double.self, capacity: Swift.max(count, 1))
}

/// A fixed-size `Double` buffer that chunks processed side by side fill at disjoint indices.
final class SharedDoubles: @unchecked Sendable {
  let count: Int
  let pointer: UnsafeMutablePointer<Double>

  init(count: Int) {
    self.count = count
    pointer = zeroedDoubles(count)
  }

  subscript(index: Int) -> Double {
    get { pointer[index] }
    set { pointer[index] = newValue }
  }

  deinit { free(pointer) }
}

/// The full-data spectrum in double precision, with `U` and `Xcᵀ U` converted to the working precision.
struct FullSpectrum<Scalar: LinearAlgebraScalar> {
  let spectrum: RidgeSpectrum
  let basis: [Scalar]
  let left: [Scalar]
}

/// Set-up result slots written from concurrent iterations (each iteration writes only its own slot): the
/// full-data spectrum and the refit operators (task 0) and one operator per fold (task `f + 1`); `failures` has one slot per task.
struct FoldSlots<Scalar: LinearAlgebraScalar>: @unchecked Sendable {
  let count: Int
  let operators: UnsafeMutablePointer<[Scalar]>
  let full: UnsafeMutablePointer<FullSpectrum<Scalar>?>
  let refitOperators: UnsafeMutablePointer<[Scalar]>
  let failures: UnsafeMutablePointer<RegressionError?>

  init(count: Int) {
    self.count = count
    operators = .allocate(capacity: Swift.max(count, 1))
    operators.initialize(repeating: [], count: Swift.max(count, 1))
    full = .allocate(capacity: 1)
    full.initialize(to: nil)
    refitOperators = .allocate(capacity: 1)
    refitOperators.initialize(to: [])
    failures = .allocate(capacity: count + 1)
    failures.initialize(repeating: nil, count: count + 1)
  }

  /// Moves the results out and frees the slots.
  func take() -> (
    operators: [[Scalar]], full: FullSpectrum<Scalar>?, refitOperators: [Scalar], failures: [RegressionError?]
  ) {
    let result = (
      Array(UnsafeBufferPointer(start: operators, count: count)), full.pointee, refitOperators.pointee,
      Array(UnsafeBufferPointer(start: failures, count: count + 1))
    )
    operators.deinitialize(count: Swift.max(count, 1))
    operators.deallocate()
    full.deinitialize(count: 1)
    full.deallocate()
    refitOperators.deinitialize(count: 1)
    refitOperators.deallocate()
    failures.deinitialize(count: count + 1)
    failures.deallocate()
    return result
  }
}
