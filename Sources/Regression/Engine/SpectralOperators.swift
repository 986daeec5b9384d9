import Dispatch
import LinearAlgebra

/// The decompositions of one fit and the operators built from them, computed once per fit in double precision
/// and stored in the working precision.
///
/// - The full-data spectrum (``full``): `U`, `λ` and `left = Xcᵀ U`, for the refit and leave-one-out.
/// - Per K-fold fold `f` (``foldOperators``), the map from training targets to every alpha's test predictions,
///   `M_f[(t·A + a), j] = Σ_k (X_te Xᵀ_tr U)[t,k] / (λ_k + α_a) · U[j,k]` (`(n_test·A) × n_train`, row-major,
///   columns in ``FoldPlan/trainFolds`` order): one GEMM `M_f · Y_train` gives every alpha's out-of-fold
///   predictions of a chunk, rows in (test row, alpha) order.
/// - When asked for (``RefitStrategy``), the refit operators `P_a = left · diag(1/(λ + α_a)) · Uᵀ` (`p × n` each,
///   alpha-major), empty when the rank is 0.
///
/// Wide designs (more features than the smallest training fold) use the kernel form: one Gram matrix `X Xᵀ` of
/// all samples, whose centred blocks give every fold's eigendecomposition and test projection. The full-data
/// decomposition and the folds' run side by side, one single-threaded BLAS call each.
///
/// The engine keeps no `SpectralOperators` past its set-up: the scorer and the refit strategy take the parts
/// they use (packing them for the fused kernels where those run), and the rest is released.
struct SpectralOperators<Scalar: LinearAlgebraScalar> {
  /// `x̄`, the features' full-data means (zeros without an intercept).
  let featureMeans: [Double]
  /// The full-data spectrum.
  let full: FullSpectrum<Scalar>
  /// Every K-fold fold's operator `M_f`; empty for leave-one-out.
  let foldOperators: [[Scalar]]
  /// The refit operators `P_a`, stacked alpha-major (`A·p × n`); empty unless requested and the rank is positive.
  let refitOperators: [Scalar]

  /// Decomposes `features` for `plan` and builds the operators for `alphas`.
  ///
  /// - Throws: ``RegressionError/linearAlgebra(_:)`` when a decomposition fails.
  init(
    features: Matrix<Scalar>, plan: FoldPlan, alphas: [Double], fitIntercept: Bool, buildsRefitOperators: Bool
  ) throws(RegressionError) {
    let n = features.rows
    let x = features.convertedLocally(to: Double.self)
    let means = fitIntercept ? x.columnMeans() : [Double](repeating: 0, count: x.columns)
    featureMeans = means
    // Wide designs (more features than training samples) are handled in the kernel form: one Gram matrix
    // of all samples serves every fold (its blocks, centred with the training-fold means).
    let usesGram = features.columns > plan.minimumTrainingRows || features.columns > n
    // The Gram matrix is split over the cores in Swift, one single-threaded BLAS call per block: waking
    // OpenBLAS's own pool leaves its threads spinning through the parallel decompositions that follow (at
    // 480 × 3,433 that slowed the decomposition batch by ≈ 15 %, 0.187 → 0.160 s on average).
    let gram: Matrix<Double>? = usesGram ? Self.gramMatrix(x) : nil
    if plan.isLeaveOneOut {
      full = try Self.fullSpectrum(x: x, features: features, gram: gram, means: means, fitIntercept: fitIntercept)
      foldOperators = []
      refitOperators =
        buildsRefitOperators && full.spectrum.rank > 0
        ? Self.refitOperators(full, alphas: alphas, samples: n, features: features.columns) : []
      return
    }
    // The full-data decomposition and the folds' smaller ones run side by side, one BLAS thread each
    // (parallel at one level only: LAPACK's eigensolvers scale poorly over threads, and badly on a busy
    // machine). Task 0, the largest (it also builds the refit operators), starts first.
    let foldCount = plan.foldCount
    let slots = SetupSlots<Scalar>(count: foldCount)
    BLASRuntime.withSingleThreadedCalls {
      ParallelMap.forEach(count: foldCount + 1) { task in
        do throws(RegressionError) {
          if task == 0 {
            let spectrum = try Self.fullSpectrum(
              x: x, features: features, gram: gram, means: means, fitIntercept: fitIntercept)
            slots.full.pointee = spectrum
            if buildsRefitOperators && spectrum.spectrum.rank > 0 {
              slots.refitOperators.pointee = Self.refitOperators(
                spectrum, alphas: alphas, samples: n, features: features.columns)
            }
          } else {
            let f = task - 1
            slots.operators[f] = try Self.foldOperator(
              x: x, gram: gram, train: plan.trainFolds[f], test: plan.testFolds[f], alphas: alphas,
              fitIntercept: fitIntercept)
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

  /// `P_a = left · diag(1/(λ + α_a)) · Uᵀ` for every alpha, stacked alpha-major (`A·p × n`), by one GEMM of
  /// the stacked scaled `left` blocks with `Uᵀ`.
  static func refitOperators(_ full: FullSpectrum<Scalar>, alphas: [Double], samples n: Int, features p: Int)
    -> [Scalar]
  {
    let eigenvalues = full.spectrum.eigenvalues
    let r = eigenvalues.count
    let alphaCount = alphas.count
    var scaled = [Scalar](repeating: 0, count: alphaCount * p * r)
    for (a, alpha) in alphas.enumerated() {
      let shrink = eigenvalues.map { Scalar(RidgeSpectrum.inverse($0, alpha)) }
      let block = a * p * r
      for j in 0..<p {
        for k in 0..<r { scaled[block + j * r + k] = full.left[j * r + k] * shrink[k] }
      }
    }
    // Every element is written by the GEMM (beta = 0; the operators are built only when the rank is positive).
    let count = alphaCount * p * n
    var result = [Scalar](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    scaled.withUnsafeBufferPointer { s in
      full.basis.withUnsafeBufferPointer { u in
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
}

/// The full-data spectrum in double precision, with `U` and `Xcᵀ U` converted to the working precision.
struct FullSpectrum<Scalar: LinearAlgebraScalar>: Sendable {
  let spectrum: RidgeSpectrum
  /// `U`, `n × r` row-major.
  let basis: [Scalar]
  /// `Xcᵀ U`, `p × r` row-major.
  let left: [Scalar]

  /// `r`, the number of directions kept.
  var rank: Int { spectrum.rank }
}

/// Set-up result slots written from concurrent iterations (each iteration writes only its own slot): the
/// full-data spectrum and the refit operators (task 0) and one operator per fold (task `f + 1`); `failures` has
/// one slot per task.
private struct SetupSlots<Scalar: LinearAlgebraScalar>: @unchecked Sendable {
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
