import Dispatch
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
  let foldStart: [Int]
  let featureMeans: [Double]
  var foldOperators: [[Scalar]] = []
  // Full-data spectrum, in the working precision.
  let rank: Int
  let eigenvalues: [Double]
  let basis: [Scalar]
  let left: [Scalar]
  var leaveOneOutLeverage: [Scalar] = []
  var leaveOneOutScale: [Scalar] = []

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
    trainFolds = folds.map { fold in
      var isTest = [Bool](repeating: false, count: n)
      for i in fold { isTest[i] = true }
      return (0..<n).filter { !isTest[$0] }
    }
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
    let gram: Matrix<Double>?
    do {
      gram = usesGram ? try x.multiplied(by: x, transposeOther: .transpose) : nil
    } catch {
      throw .linearAlgebra(error)
    }
    let spectrum: RidgeSpectrum
    if let gram, features.columns > n {
      let all = Array(0..<n)
      spectrum = try RidgeSpectrum(
        gram: RidgeSpectrum.gramBlock(gram, rows: all, columns: all, centre: configuration.fitIntercept ? all : nil))
      basis = spectrum.basis.scalars.map { Scalar($0) }
      // Xcᵀ U (p × n) in the working precision: the largest product of the set-up.
      left = Self.transposedProduct(features, means: featureMeans, basis: basis, rank: spectrum.rank)
    } else {
      spectrum = try RidgeSpectrum(
        design: configuration.fitIntercept ? x.subtractingRowVector(featureMeans) : x)
      basis = spectrum.basis.scalars.map { Scalar($0) }
      left = spectrum.left.scalars.map { Scalar($0) }
    }
    rank = spectrum.rank
    eigenvalues = spectrum.eigenvalues

    tables = ScoreTables(alphaCount: alphas.count, targetCount: targets.columns)
    targetMeans = SharedDoubles(count: targets.columns)

    if isLeaveOneOut {
      let leverage = Self.leaveOneOutLeverage(
        spectrum: spectrum, alphas: alphas, fitIntercept: configuration.fitIntercept)
      leaveOneOutLeverage = leverage.map { Scalar($0) }
      // 1/(1 − h); a leverage of 1 (a sample the model interpolates exactly) gives a zero prediction
      // weight instead of infinity.
      leaveOneOutScale = leverage.map { $0 < 1 - 1e-12 ? Scalar(1 / (1 - $0)) : 0 }
    } else {
      // The folds' small decompositions run side by side, one BLAS thread each (parallel at one level only:
      // LAPACK's eigensolvers scale poorly over threads, and badly on a busy machine).
      let foldCount = folds.count
      let slots = FoldSlots<Scalar>(count: foldCount)
      let trains = trainFolds
      let intercept = configuration.fitIntercept
      let grid = alphas
      BLASRuntime.withSingleThreadedCalls {
        DispatchQueue.concurrentPerform(iterations: foldCount) { f in
          do throws(RegressionError) {
            slots.operators[f] = try Self.foldOperator(
              x: x, gram: gram, train: trains[f], test: folds[f], alphas: grid, fitIntercept: intercept)
          } catch {
            slots.failures[f] = error
          }
        }
      }
      let results = slots.take()
      if let failure = results.failures.compactMap({ $0 }).first { throw failure }
      foldOperators = results.operators
    }
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
            for k in 0..<r { out[row + k] = b[t * r + k] / (spectrum.eigenvalues[k] + alpha) }
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
  /// Σ ŷ (shifted), Σ ŷ², Σ ŷ y.
  let sumPrediction: UnsafeMutablePointer<Double>
  let sumPredictionSquared: UnsafeMutablePointer<Double>
  let sumPredictionTarget: UnsafeMutablePointer<Double>
  /// Σ y, Σ y² (shifted by the full-data mean).
  let sumTarget: UnsafeMutablePointer<Double>
  let sumTargetSquared: UnsafeMutablePointer<Double>

  init(alphaCount: Int, targetCount: Int) {
    self.alphaCount = alphaCount
    self.targetCount = targetCount
    func make(_ count: Int) -> UnsafeMutablePointer<Double> {
      let pointer = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(count, 1))
      pointer.initialize(repeating: 0, count: Swift.max(count, 1))
      return pointer
    }
    let size = alphaCount * targetCount
    scores = make(size)
    squaredErrors = make(size)
    sumPrediction = make(size)
    sumPredictionSquared = make(size)
    sumPredictionTarget = make(size)
    sumTarget = make(targetCount)
    sumTargetSquared = make(targetCount)
  }

  deinit {
    for pointer in [
      scores, squaredErrors, sumPrediction, sumPredictionSquared, sumPredictionTarget, sumTarget, sumTargetSquared,
    ] {
      pointer.deallocate()
    }
  }
}

/// A fixed-size `Double` buffer that chunks processed side by side fill at disjoint indices.
final class SharedDoubles: @unchecked Sendable {
  let count: Int
  let pointer: UnsafeMutablePointer<Double>

  init(count: Int) {
    self.count = count
    pointer = .allocate(capacity: Swift.max(count, 1))
    pointer.initialize(repeating: 0, count: Swift.max(count, 1))
  }

  subscript(index: Int) -> Double {
    get { pointer[index] }
    set { pointer[index] = newValue }
  }

  deinit { pointer.deallocate() }
}

/// Per-fold result slots written from concurrent iterations (each iteration writes only its own index).
struct FoldSlots<Scalar: LinearAlgebraScalar>: @unchecked Sendable {
  let count: Int
  let operators: UnsafeMutablePointer<[Scalar]>
  let failures: UnsafeMutablePointer<RegressionError?>

  init(count: Int) {
    self.count = count
    operators = .allocate(capacity: Swift.max(count, 1))
    operators.initialize(repeating: [], count: Swift.max(count, 1))
    failures = .allocate(capacity: Swift.max(count, 1))
    failures.initialize(repeating: nil, count: Swift.max(count, 1))
  }

  /// Moves the results out and frees the slots.
  func take() -> (operators: [[Scalar]], failures: [RegressionError?]) {
    let result = (
      Array(UnsafeBufferPointer(start: operators, count: count)),
      Array(UnsafeBufferPointer(start: failures, count: count))
    )
    operators.deinitialize(count: Swift.max(count, 1))
    operators.deallocate()
    failures.deinitialize(count: Swift.max(count, 1))
    failures.deallocate()
    return result
  }
}
