import LinearAlgebra

/// The refit by the alphas' operators `P_a = left · diag(1/(λ + α_a)) · Uᵀ` (`p × n` each), after every chunk has
/// chosen its alphas, over pieces of up to 8,192 targets (several cross-validation chunks, so that each alpha
/// group is wide): a piece's centred targets are gathered alpha group by alpha group (a counting sort of the
/// chosen alphas) straight from `Y`, each group is one product `P_a · Y_group` into a piece-local block, and the
/// block's columns are scattered back to their targets' columns of `W`. `2·p·n` FLOPs per target instead of the
/// spectral refit's `2·r·(n + p)`.
///
/// The products run in the fused kernels' packed GEMM (``TileKernels``, operators packed once per fit) where the
/// K-fold fit has tiles, else in OpenBLAS (which packs the `p × n` operator again for every call: wide groups
/// matter).
struct GroupedRefit<Scalar: LinearAlgebraScalar>: Sendable {
  /// Where the products `P_a · Y_group` run.
  enum Products: Sendable {
    /// OpenBLAS, with the operators stacked alpha-major (`A·p × n`, row-major).
    case blas(operators: [Scalar])
    /// The tiles, with the operators packed one after the other.
    case tiles(TileKernels, packedOperators: [Float])
  }

  /// One worker's buffers, for pieces of up to ``GroupedRefit/pieceWidth(chunk:workers:)`` targets.
  final class Workspace {
    /// The piece's centred targets, `n × width`, columns in alpha-group order.
    let grouped: ScratchBuffer<Scalar>
    /// The piece's weights, `p × width`, columns in alpha-group order, before they are scattered into `W`.
    let block: ScratchBuffer<Scalar>
    /// The right operand's panels of the packed product (tiles only).
    let packedPanels: ScratchBuffer<Float>

    init(samples n: Int, features p: Int, pieceWidth: Int, packsProducts: Bool) {
      grouped = ScratchBuffer(count: n * pieceWidth)
      block = ScratchBuffer(count: p * pieceWidth)
      packedPanels = ScratchBuffer(
        count: packsProducts ? TileKernels.packedTrainingCount(depth: n, width: TileKernels.blockColumns) : 0)
    }
  }

  let products: Products
  let alphaCount: Int
  let fitIntercept: Bool
  let sampleCount: Int
  let featureCount: Int
  /// `Y`, read column piece by column piece.
  let targets: Matrix<Scalar>
  let targetMeans: SharedDoubles

  /// Takes the operators (``SpectralOperators/refitOperators``), packing them for `tiles` when given (the caller
  /// releases the row-major ones then).
  init(
    operators: [Scalar], tiles: TileKernels?, alphaCount: Int, fitIntercept: Bool, features p: Int,
    targets: Matrix<Scalar>, targetMeans: SharedDoubles
  ) {
    let n = targets.rows
    if let tiles {
      precondition(Scalar.self == Float.self, "the fused tiles are single precision")
      let size = TileKernels.packedOperatorCount(rows: p, depth: n)
      var packed = [Float](repeating: 0, count: alphaCount * size)
      operators.withUnsafeBufferPointer { source in
        let floats = UnsafeRawPointer(source.baseAddress!).assumingMemoryBound(to: Float.self)
        packed.withUnsafeMutableBufferPointer { out in
          for a in 0..<alphaCount {
            TileKernels.packOperator(floats + a * p * n, rows: p, depth: n, into: out.baseAddress! + a * size)
          }
        }
      }
      products = .tiles(tiles, packedOperators: packed)
    } else {
      products = .blas(operators: operators)
    }
    self.alphaCount = alphaCount
    self.fitIntercept = fitIntercept
    sampleCount = n
    featureCount = p
    self.targets = targets
    self.targetMeans = targetMeans
  }

  /// The pieces' width: about eight pieces per worker (so that a slow piece at the end costs little), each at
  /// least one cross-validation chunk and at most 8,192 targets wide (`(n + p) · 8192` floats of buffers per
  /// worker), in multiples of 256.
  func pieceWidth(chunk: Int, workers: Int) -> Int {
    let targetCount = targets.columns
    let even = (targetCount / (8 * Swift.max(1, workers)) + 255) / 256 * 256
    return Swift.max(1, Swift.min(targetCount, Swift.max(chunk, Swift.min(8192, even))))
  }

  func makeWorkspace(pieceWidth: Int) -> Workspace {
    let packs: Bool
    if case .tiles = products { packs = true } else { packs = false }
    return Workspace(samples: sampleCount, features: featureCount, pieceWidth: pieceWidth, packsProducts: packs)
  }

  /// Refits the targets `start ..< start + width`, target `v` with alpha index `best[v]`, into `weights` (`p × V`).
  func refit(
    start: Int, width: Int, best: UnsafePointer<Int>, in workspace: Workspace, weights: UnsafeMutablePointer<Scalar>
  ) {
    let n = sampleCount
    let p = featureCount
    let total = targets.columns
    var groupStart = [Int](repeating: 0, count: alphaCount + 1)
    for v in 0..<width { groupStart[best[start + v] + 1] += 1 }
    for a in 0..<alphaCount { groupStart[a + 1] += groupStart[a] }
    var cursor = groupStart
    var position = [Int](repeating: 0, count: width)
    for v in 0..<width {
      let a = best[start + v]
      position[v] = cursor[a]
      cursor[a] += 1
    }
    let means = (0..<width).map { fitIntercept ? Scalar(targetMeans[start + $0]) : 0 }
    let grouped = workspace.grouped.pointer
    let block = workspace.block.pointer
    position.withUnsafeBufferPointer { slot in
      means.withUnsafeBufferPointer { mean in
        targets.withUnsafeBufferPointer { source in
          for i in 0..<n {
            let row = source.baseAddress! + i * total + start
            let target = grouped + i * width
            for v in 0..<width { target[slot[v]] = row[v] - mean[v] }
          }
        }
      }
      for a in 0..<alphaCount where groupStart[a + 1] > groupStart[a] {
        multiply(
          alpha: a, b: grouped + groupStart[a], ldb: width, columns: groupStart[a + 1] - groupStart[a],
          c: block + groupStart[a], ldc: width, in: workspace)
      }
      for j in 0..<p {
        let row = block + j * width
        let target = weights + j * total + start
        for v in 0..<width { target[v] = row[slot[v]] }
      }
    }
  }

  /// `C = P_a · B`: `B` is `n × columns` (rows `ldb` apart), `C` is `p × columns` (rows `ldc` apart).
  private func multiply(
    alpha a: Int, b: UnsafePointer<Scalar>, ldb: Int, columns: Int, c: UnsafeMutablePointer<Scalar>, ldc: Int,
    in workspace: Workspace
  ) {
    let n = sampleCount
    let p = featureCount
    switch products {
    case .blas(let operators):
      operators.withUnsafeBufferPointer { operators in
        Scalar.gemm(
          transposeA: .none, transposeB: .none, m: p, n: columns, k: n, alpha: 1, a: operators.baseAddress! + a * p * n,
          lda: n, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
      }
    case .tiles(let tiles, let packed):
      packed.withUnsafeBufferPointer { packed in
        tiles.multiply(
          alpha: a, rows: p, depth: n, packedOperators: packed.baseAddress!,
          b: UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb: ldb, columns: columns,
          c: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: ldc,
          scratch: workspace.packedPanels.pointer)
      }
    }
  }
}
