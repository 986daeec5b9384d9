import LinearAlgebra

/// Leave-one-out scoring in scikit-learn's closed form (`RidgeCV(cv=None)`, `_RidgeGCV`).
///
/// Per chunk: `Z = Uᵀ Y_c`, then `U · diag(λ/(λ + α_a)) · Z` stacks the in-sample fits `ŷ` of every alpha, and
/// the leave-one-out prediction of sample `i` is `(ŷ_i − h_i y_i)/(1 − h_i)` with the leverages `h` (see
/// ``leverages(_:alphas:fitIntercept:)``). The block is then scored like a K-fold block of `n` one-row folds.
struct LeaveOneOutScorer<Scalar: LinearAlgebraScalar>: PredictionBlockScorer {
  /// One worker's buffers: the prediction block and the spectral products that form it.
  final class Workspace {
    let block: PredictionBlockWorkspace<Scalar>
    /// The chunk's centred targets (`n × width`).
    let centred: ScratchBuffer<Scalar>
    /// `Z = Uᵀ Y_c` (`r × width`).
    let projection: ScratchBuffer<Scalar>
    /// `Z` scaled by `λ/(λ + α_a)` for every alpha (`r × A·width`).
    let stacked: ScratchBuffer<Scalar>

    init(block: PredictionBlockWorkspace<Scalar>, samples n: Int, rank: Int, alphaCount: Int, chunk: Int) {
      self.block = block
      centred = ScratchBuffer(count: n * chunk)
      projection = ScratchBuffer(count: Swift.max(rank, n) * chunk)
      stacked = ScratchBuffer(count: rank * alphaCount * chunk)
    }
  }

  let scoring: PredictionBlockScoring
  let alphas: [Double]
  let eigenvalues: [Double]
  /// `U` (`n × r`), in the working precision.
  let basis: [Scalar]
  /// `h_a[i]`, `A × n`.
  let leverage: [Scalar]
  /// `1/(1 − h_a[i])`, 0 where `h = 1`, `A × n`.
  let scale: [Scalar]

  init(scoring: PredictionBlockScoring, full: FullSpectrum<Scalar>, alphas: [Double]) {
    self.scoring = scoring
    self.alphas = alphas
    eigenvalues = full.spectrum.eigenvalues
    basis = full.basis
    let leverage = Self.leverages(full.spectrum, alphas: alphas, fitIntercept: scoring.fitIntercept)
    self.leverage = leverage.map { Scalar($0) }
    // 1/(1 − h); a leverage of 1 (a sample the model interpolates exactly) gives a zero prediction
    // weight instead of infinity.
    scale = leverage.map { $0 < 1 - 1e-12 ? Scalar(1 / (1 - $0)) : 0 }
  }

  var rank: Int { eigenvalues.count }

  func makeWorkspace(chunk: Int) -> Workspace {
    Workspace(
      block: scoring.makeWorkspace(chunk: chunk), samples: scoring.plan.sampleCount, rank: rank,
      alphaCount: alphas.count, chunk: chunk)
  }

  func scoreChunk(_ chunk: ChunkTargets<Scalar>, in workspace: Workspace, splitsColumns: Bool, timer: inout PhaseTimer)
  {
    predict(chunk, in: workspace)
    timer.charge(\.crossValidationSeconds)
    scoring.accumulateScores(chunk, folds: scoring.plan.folds, in: workspace.block, splitColumns: splitsColumns)
    timer.charge(\.scoringSeconds)
  }

  func recordChosenSums(_ chunk: ChunkTargets<Scalar>, best: UnsafePointer<Int>, in workspace: Workspace) {
    scoring.accumulateChosenSums(chunk, best: best, in: workspace.block)
  }

  func writeChosenPredictions(
    _ chunk: ChunkTargets<Scalar>, best: UnsafePointer<Int>, in workspace: Workspace,
    into predictions: UnsafeMutablePointer<Scalar>
  ) {
    scoring.writeChosenPredictions(chunk, best: best, in: workspace.block, into: predictions)
  }

  /// Every alpha's leave-one-out predictions of the chunk (centred: the offset row holds the full-data means
  /// with an intercept, zeros without).
  func predict(_ chunk: ChunkTargets<Scalar>, in workspace: Workspace) {
    let n = scoring.plan.sampleCount
    let width = chunk.width
    let r = rank
    let alphaCount = alphas.count
    let source = chunk.values.pointer
    let centred = workspace.centred.pointer
    let o = chunk.offsets.pointer
    // Centre with the full-data means (the intercept direction is handled by the diagonal correction).
    if scoring.fitIntercept {
      for v in 0..<width {
        var sum = 0.0
        for i in 0..<n { sum += Double(source[i * width + v]) }
        o[v] = Scalar(sum / Double(n))
      }
    } else {
      for v in 0..<width { o[v] = 0 }
    }
    for i in 0..<n {
      for v in 0..<width { centred[i * width + v] = source[i * width + v] - o[v] }
    }
    let z = workspace.projection.pointer
    let t = workspace.stacked.pointer
    let predictions = workspace.block.predictions.pointer
    basis.withUnsafeBufferPointer { u in
      // Z = Uᵀ Y_c (r × width)
      Scalar.gemm(
        transposeA: .transpose, transposeB: .none, m: r, n: width, k: n, alpha: 1, a: u.baseAddress!, lda: r,
        b: centred, ldb: width, beta: 0, c: z, ldc: width)
      // T[k, a·w + v] = Z[k, v] · λ_k / (λ_k + α_a), so U · T stacks the in-sample fits of every alpha.
      for k in 0..<r {
        for (a, alpha) in alphas.enumerated() {
          let factor = Scalar(eigenvalues[k] / (eigenvalues[k] + alpha))
          let target = t + (k * alphaCount + a) * width
          let row = z + k * width
          for v in 0..<width { target[v] = row[v] * factor }
        }
      }
      Scalar.gemm(
        transposeA: .none, transposeB: .none, m: n, n: alphaCount * width, k: r, alpha: 1, a: u.baseAddress!, lda: r,
        b: t, ldb: alphaCount * width, beta: 0, c: predictions, ldc: alphaCount * width)
    }
    // Leave-one-out prediction (centred) = (ŷ − h y)/(1 − h).
    leverage.withUnsafeBufferPointer { leverage in
      scale.withUnsafeBufferPointer { scale in
        for i in 0..<n {
          let y = centred + i * width
          for a in 0..<alphaCount {
            let row = predictions + (i * alphaCount + a) * width
            let h = leverage[a * n + i]
            let s = scale[a * n + i]
            for v in 0..<width { row[v] = (row[v] - h * y[v]) * s }
          }
        }
      }
    }
  }

  /// The leverages `h_a[i] = Σ_k U_ik² λ_k / (λ_k + α_a)` (plus `1/n` with an intercept), `A × n`.
  ///
  /// scikit-learn writes the leave-one-out residual as `c / diag(G⁻¹)` with `G = X Xᵀ + α I`; since
  /// `G⁻¹ = (I − H)/α` with the hat matrix `H = U diag(λ/(λ+α)) Uᵀ`, that is `(y − ŷ)/(1 − h)`, and the
  /// leave-one-out prediction is `(ŷ − h y)/(1 − h)`, which avoids the cancellation of `y − looe` when
  /// alpha is large (float32 would lose four digits there). The intercept correction `−1/(n α)` of
  /// `diag(G⁻¹)` becomes `+1/n` in `h`.
  static func leverages(_ spectrum: RidgeSpectrum, alphas: [Double], fitIntercept: Bool) -> [Double] {
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
