import LinearAlgebra

/// How the targets are refitted on all samples once their alphas are chosen.
///
/// Chosen once per fit (``RidgeCrossValidationEngine``):
/// - ``grouped(_:)`` with per-target alphas, weights wanted, no in-sample scores and at least `2 · A · p` targets
///   (``groupsByAlpha(configuration:samples:features:targets:)``) when the spectrum has a direction: after every
///   chunk has chosen its alphas, pieces of targets are refitted by the alphas' `p × n` operators,
/// - ``spectral(_:)`` otherwise when weights or in-sample scores are wanted: each chunk right after its alphas are
///   chosen (a shared alpha: after every chunk has been scored),
/// - ``none`` when neither weights nor in-sample scores are wanted.
enum RefitStrategy<Scalar: LinearAlgebraScalar>: Sendable {
  case none
  case spectral(SpectralRefit<Scalar>)
  case grouped(GroupedRefit<Scalar>)

  /// Whether the per-target refit multiplies each target by its alpha's `p × n` operator `P_a` (one GEMM per
  /// alpha group, `2·p·n` FLOPs per target) instead of `Z = Uᵀ Y`, shrink, `W = left · Z` (`2·r·(n + p)`).
  /// Building the operators costs `2·A·p·r·n` once, so they pay off only for many targets; they are not used for
  /// a shared alpha (one refit), for in-sample scores (which need `Z`) or when they would take more than 64 MB.
  static func groupsByAlpha(configuration: RidgeCrossValidation, samples n: Int, features p: Int, targets: Int) -> Bool
  {
    let alphaCount = configuration.alphas.count
    return configuration.alphaScope == .perTarget && configuration.computesWeights
      && !configuration.computesInSampleScores && p > 0 && n > 0 && targets >= 2 * alphaCount * p
      && alphaCount * p * n * MemoryLayout<Scalar>.stride <= 64 << 20
  }
}

/// The refit by the spectrum: `W = left · diag(1/(λ + α_v)) · Uᵀ (Y − ȳ)` for a chunk of targets, each with its
/// own alpha, and their in-sample R² when asked for.
struct SpectralRefit<Scalar: LinearAlgebraScalar>: Sendable {
  /// One worker's buffers.
  final class Workspace {
    /// The chunk's centred targets (`n × width`).
    let centred: ScratchBuffer<Scalar>
    /// `Z = Uᵀ Y_c`, shrunk in place (`r × width`).
    let projection: ScratchBuffer<Scalar>

    init(samples n: Int, rank: Int, chunk: Int) {
      centred = ScratchBuffer(count: n * chunk)
      projection = ScratchBuffer(count: Swift.max(rank, n) * chunk)
    }
  }

  let full: FullSpectrum<Scalar>
  let alphas: [Double]
  let fitIntercept: Bool
  let sampleCount: Int
  let featureCount: Int
  /// `V`, the row stride of the weights.
  let targetCount: Int
  let targetMeans: SharedDoubles

  var rank: Int { full.rank }

  func makeWorkspace(chunk: Int) -> Workspace { Workspace(samples: sampleCount, rank: rank, chunk: chunk) }

  /// Refits the chunk's targets, target `v` with alpha index `best[v]`, into the columns of `outputs`' weights
  /// and in-sample R² (either may be absent).
  func refit(
    _ chunk: ChunkTargets<Scalar>, best: UnsafePointer<Int>, in workspace: Workspace, outputs: ChunkOutputs<Scalar>
  ) {
    let n = sampleCount
    let r = rank
    let p = featureCount
    let start = chunk.start
    let width = chunk.width
    let eigenvalues = full.spectrum.eigenvalues
    let means = (0..<width).map { fitIntercept ? Scalar(targetMeans[start + $0]) : 0 }
    let source = chunk.values.pointer
    let centred = workspace.centred.pointer
    for i in 0..<n {
      for v in 0..<width { centred[i * width + v] = source[i * width + v] - means[v] }
    }
    // 1/(λ_k + α_a) for every alpha (A × r), and each target's row of it.
    let alphaCount = alphas.count
    var table = [Scalar](repeating: 0, count: alphaCount * r)
    for a in 0..<alphaCount {
      for k in 0..<r { table[a * r + k] = Scalar(RidgeSpectrum.inverse(eigenvalues[k], alphas[a])) }
    }
    let rowOf = (0..<width).map { best[start + $0] * r }
    let z = workspace.projection.pointer
    full.basis.withUnsafeBufferPointer { u in
      Scalar.gemm(
        transposeA: .transpose, transposeB: .none, m: r, n: width, k: n, alpha: 1, a: u.baseAddress!, lda: r,
        b: centred, ldb: width, beta: 0, c: z, ldc: width)
    }
    table.withUnsafeBufferPointer { shrink in
      rowOf.withUnsafeBufferPointer { rows in
        for k in 0..<r {
          let zRow = z + k * width
          for v in 0..<width { zRow[v] *= shrink[rows[v] + k] }
        }
      }
    }
    if let w = outputs.weights, p > 0 && r > 0 {
      full.left.withUnsafeBufferPointer { left in
        Scalar.gemm(
          transposeA: .none, transposeB: .none, m: p, n: width, k: r, alpha: 1, a: left.baseAddress!, lda: r, b: z,
          ldb: width, beta: 0, c: w + start, ldc: targetCount)
      }
    }
    if let inSample = outputs.inSample {
      inSampleDetermination(chunk, means: means, in: workspace, into: inSample)
    }
  }

  /// The in-sample R² of the chunk's refitted targets, from the shrunk `Z` in the workspace: fitted values
  /// `Ŷ_c = U · diag(λ) · Z_shrunk`, `R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)²` (0 for constant targets).
  private func inSampleDetermination(
    _ chunk: ChunkTargets<Scalar>, means: [Scalar], in workspace: Workspace, into inSample: UnsafeMutablePointer<Double>
  ) {
    let n = sampleCount
    let r = rank
    let start = chunk.start
    let width = chunk.width
    let eigenvalues = full.spectrum.eigenvalues
    let z = workspace.projection.pointer
    let centred = workspace.centred.pointer
    for k in 0..<r {
      let factor = Scalar(eigenvalues[k])
      for v in 0..<width { z[k * width + v] *= factor }
    }
    var fitted = [Scalar](repeating: 0, count: n * width)
    fitted.withUnsafeMutableBufferPointer { fittedBuffer in
      full.basis.withUnsafeBufferPointer { u in
        if r > 0 {
          Scalar.gemm(
            transposeA: .none, transposeB: .none, m: n, n: width, k: r, alpha: 1, a: u.baseAddress!, lda: r, b: z,
            ldb: width, beta: 0, c: fittedBuffer.baseAddress!, ldc: width)
        }
      }
    }
    for v in 0..<width {
      var residual = 0.0
      var total = 0.0
      let mean = targetMeans[start + v]
      for i in 0..<n {
        let y = centred[i * width + v]
        let error = Double(y - fitted[i * width + v])
        residual += error * error
        let deviation = Double(y) + Double(means[v]) - mean
        total += deviation * deviation
      }
      inSample[start + v] = total > 0 ? 1 - residual / total : 0
    }
  }
}
