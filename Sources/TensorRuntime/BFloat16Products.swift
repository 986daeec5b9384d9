internal import CBF16Kernels
import LinearAlgebra

/// A matrix rounded to bfloat16 and packed once for the bfloat16 kernels, for operands that are reused (layer
/// weights): either the left factor `A` (`rows × depth`, panels of rows) or the right factor `B`
/// (`depth × columns`, panels of columns), possibly several matrices of one shape stacked (Winograd's 16).
///
/// Each element is the bfloat16 nearest to the float32 one (ties to even); half the memory of the float32
/// matrix, plus padding to whole panels (14 rows or 32 columns) and to an even depth.
struct BF16PackedMatrix: Sendable {
  /// Which factor of the product the matrix is.
  enum Side: Sendable { case rows, columns }

  let side: Side
  /// Rows of `A` or columns of `B`.
  let lines: Int
  /// The summed dimension.
  let depth: Int
  /// The number of stacked matrices.
  let matrices: Int
  /// 16-bit words per matrix.
  let matrixWords: Int
  let storage: [UInt16]

  /// Packs `matrices` stacked matrices (`matrixStride` floats apart) of `lines × depth` elements, element
  /// `(line, k)` at `source[line · lineStride + k · depthStride]`, in parallel over the cores.
  init(
    side: Side, lines: Int, depth: Int, lineStride: Int, depthStride: Int, matrices: Int = 1,
    matrixStride: Int = 0, source: UnsafePointer<Float>
  ) {
    (self.side, self.lines, self.depth, self.matrices) = (side, lines, depth, matrices)
    let words = BFloat16Products.packedCount(side: side, lines: lines, depth: depth)
    matrixWords = words
    let panels = BFloat16Products.panelCount(side: side, lines: lines)
    let sourceAddress = SendablePointer(source)
    storage = [UInt16](unsafeUninitializedCapacity: words * matrices) { buffer, initialized in
      let target = SendableMutablePointer(buffer.baseAddress!)
      TensorParallelism.forEachChunk(count: matrices * panels, costPerItem: 16 * depth) { range in
        for item in range {
          let (matrix, panel) = (item / panels, item % panels)
          BFloat16Products.pack(
            side: side, source: sourceAddress.pointer + matrix * matrixStride, lineStride: lineStride,
            depthStride: depthStride, lines: lines, depth: depth, panels: panel..<(panel + 1),
            into: target.pointer + matrix * words)
        }
      }
      initialized = words * matrices
    }
  }

  /// Calls `body` with the packed words of matrix `index`.
  func withMatrix<R>(_ index: Int, _ body: (UnsafePointer<UInt16>) -> R) -> R {
    precondition(index >= 0 && index < matrices)
    return storage.withUnsafeBufferPointer { body($0.baseAddress! + index * matrixWords) }
  }
}

/// The bfloat16 products of ``ComputePrecision/bfloat16``: operand packing and the tiles of CBF16Kernels, single
/// threaded or split over the cores like LinearAlgebra's `splitGEMM`.
enum BFloat16Products {
  /// Rows of an `A` panel.
  static let panelRows = Int(BF16_PANEL_ROWS)
  /// Columns of a `B` panel.
  static let panelColumns = Int(BF16_PANEL_COLUMNS)

  /// Whether the CPU runs the kernels.
  static var isAvailable: Bool { ComputePrecision.isBFloat16Supported }

  /// The panels of a side with `lines` rows (`A`) or columns (`B`).
  static func panelCount(side: BF16PackedMatrix.Side, lines: Int) -> Int {
    let width = side == .rows ? panelRows : panelColumns
    return (lines + width - 1) / width
  }

  /// The 16-bit words of one packed matrix.
  static func packedCount(side: BF16PackedMatrix.Side, lines: Int, depth: Int) -> Int {
    side == .rows ? bf16_packed_rows_count(lines, depth) : bf16_packed_columns_count(depth, lines)
  }

  /// Packs `panels` of a matrix (see ``BF16PackedMatrix``) into the packed buffer `target`.
  // swift-format-ignore: FunctionParameterCount
  static func pack(
    side: BF16PackedMatrix.Side, source: UnsafePointer<Float>, lineStride: Int, depthStride: Int, lines: Int,
    depth: Int, panels: Range<Int>, into target: UnsafeMutablePointer<UInt16>
  ) {
    switch side {
    case .rows:
      bf16_pack_rows(source, lineStride, depthStride, lines, depth, panels.lowerBound, panels.count, target)
    case .columns:
      bf16_pack_columns(source, depthStride, lineStride, depth, lines, panels.lowerBound, panels.count, target)
    }
  }

  /// `C[r][j] ← alpha · Σ_k A[r][k] B[k][j] + beta · C[r][j]` on the current thread for rows `rows` of the packed
  /// `A` and all `columns` columns of `B` (float32, element `(k, j)` at `b[k · ldb + j]`), which is packed into
  /// `scratch` (``packedCount(side:lines:depth:)`` words for `.columns`); `c` points at row `rows.lowerBound`.
  // swift-format-ignore: FunctionParameterCount
  static func multiply(
    packedRows: UnsafePointer<UInt16>, rows: Range<Int>, depth: Int, b: UnsafePointer<Float>, ldb: Int,
    columns: Int, alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    scratch: UnsafeMutablePointer<UInt16>
  ) {
    guard !rows.isEmpty, columns > 0 else { return }
    pack(
      side: .columns, source: b, lineStride: 1, depthStride: ldb, lines: columns, depth: depth,
      panels: 0..<panelCount(side: .columns, lines: columns), into: scratch)
    bf16_gemm_packed(depth, packedRows, rows.lowerBound, rows.count, scratch, 0, columns, alpha, beta, c, ldc)
  }

  /// One factor of ``gemm(m:n:k:alpha:a:b:beta:c:ldc:parallel:)``: float32 elements at
  /// `pointer[line · lineStride + k · depthStride]` (packed on each call), or a packed matrix of the right side.
  enum Operand {
    case floats(UnsafePointer<Float>, lineStride: Int, depthStride: Int)
    case packed(UnsafePointer<UInt16>)
  }

  /// `C (m × n) ← alpha · A · B + beta · C` (row-major `C`, rows `ldc` apart) in bfloat16 products with float32
  /// sums. Float operands are packed on each call; with `parallel`, packing and the product are split over
  /// the cores (by column panels when `n ≥ m`, else by row panels), otherwise everything runs on the calling
  /// thread. Requires ``isAvailable``.
  // swift-format-ignore: FunctionParameterCount
  static func gemm(
    m: Int, n: Int, k: Int, alpha: Float, a: Operand, b: Operand, beta: Float, c: UnsafeMutablePointer<Float>,
    ldc: Int, parallel: Bool
  ) {
    guard m > 0, n > 0 else { return }
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    let workers = parallel && flops >= 4e6 ? TensorParallelism.workerCount : 1
    var jobs: [PackJob] = []
    var owned: [UnsafeMutablePointer<UInt16>] = []
    defer { for buffer in owned { buffer.deallocate() } }
    /// The packed words of an operand: its own, or a new buffer that a pack job fills.
    func packed(_ operand: Operand, side: BF16PackedMatrix.Side, lines: Int) -> UnsafePointer<UInt16> {
      switch operand {
      case .packed(let pointer): return pointer
      case .floats(let pointer, let lineStride, let depthStride):
        let buffer = UnsafeMutablePointer<UInt16>.allocate(capacity: packedCount(side: side, lines: lines, depth: k))
        owned.append(buffer)
        jobs.append(
          PackJob(
            side: side, source: SendablePointer(pointer), lineStride: lineStride, depthStride: depthStride,
            lines: lines, target: SendableMutablePointer(buffer)))
        return UnsafePointer(buffer)
      }
    }
    let packedA = packed(a, side: .rows, lines: m)
    let packedB = packed(b, side: .columns, lines: n)
    // Every (job, panel) pair is independent.
    let items = jobs.flatMap { job in (0..<panelCount(side: job.side, lines: job.lines)).map { (job, $0) } }
    let packItem: @Sendable (Int) -> Void = { [items] index in
      let (job, panel) = items[index]
      pack(
        side: job.side, source: job.source.pointer, lineStride: job.lineStride, depthStride: job.depthStride,
        lines: job.lines, depth: k, panels: panel..<(panel + 1), into: job.target.pointer)
    }
    if workers <= 1 {
      for index in items.indices { packItem(index) }
      bf16_gemm_packed(k, packedA, 0, m, packedB, 0, n, alpha, beta, c, ldc)
      return
    }
    ParallelMap.forEach(count: workers) { worker in
      for index in stride(from: worker, to: items.count, by: workers) { packItem(index) }
    }
    let rowPanels = panelCount(side: .rows, lines: m)
    let columnPanels = panelCount(side: .columns, lines: n)
    let result = SendableMutablePointer(c)
    let (sharedA, sharedB) = (SendablePointer(packedA), SendablePointer(packedB))
    let splitColumns = n >= m
    let panels = splitColumns ? columnPanels : rowPanels
    let blocks = Swift.min(workers, panels)
    ParallelMap.forEach(count: blocks) { block in
      let first = panels * block / blocks
      let last = panels * (block + 1) / blocks
      if splitColumns {
        let start = first * panelColumns
        let end = Swift.min(n, last * panelColumns)
        guard start < end else { return }
        bf16_gemm_packed(
          k, sharedA.pointer, 0, m, sharedB.pointer, start, end - start, alpha, beta, result.pointer + start, ldc)
      } else {
        let start = first * panelRows
        let end = Swift.min(m, last * panelRows)
        guard start < end else { return }
        bf16_gemm_packed(
          k, sharedA.pointer, start, end - start, sharedB.pointer, 0, n, alpha, beta, result.pointer + start * ldc,
          ldc)
      }
    }
  }

  /// A float operand to pack into `target`.
  struct PackJob: Sendable {
    let side: BF16PackedMatrix.Side
    let source: SendablePointer<Float>
    let lineStride: Int
    let depthStride: Int
    let lines: Int
    let target: SendableMutablePointer<UInt16>
  }
}

/// A read-only pointer shared by parallel chunks.
struct SendablePointer<Element>: @unchecked Sendable {
  let pointer: UnsafePointer<Element>
  init(_ pointer: UnsafePointer<Element>) { self.pointer = pointer }
}

/// A pointer shared by parallel chunks that write disjoint elements.
struct SendableMutablePointer<Element>: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Element>
  init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
}

extension BF16PackedMatrix {
  /// A linear layer's `(out, in)` weight as the right factor `Wᵀ` (`in × out`) of `x · Wᵀ`.
  init(linearWeight weight: Tensor) {
    precondition(weight.rank == 2, "A linear weight must be (out, in), got \(weight.shape).")
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    self = weight.withUnsafeBufferPointer { w in
      BF16PackedMatrix(
        side: .columns, lines: outFeatures, depth: inFeatures, lineStride: inFeatures, depthStride: 1,
        source: w.baseAddress!)
    }
  }

  /// A convolution's `(O, C, kh, kw)` weight as the left factor (`O × C·kh·kw`) of the im2col product.
  init(convolutionWeight weight: Tensor) {
    let (outChannels, patch) = (weight.shape[0], weight.count / Swift.max(weight.shape[0], 1))
    self = weight.withUnsafeBufferPointer { w in
      BF16PackedMatrix(
        side: .rows, lines: outChannels, depth: patch, lineStride: patch, depthStride: 1, source: w.baseAddress!)
    }
  }

  /// The Winograd matrices `U_ξ` (`O × C` each, `points·O·C` floats from `transformed`: 16 for F(2×2, 3×3), 36
  /// for F(4×4, 3×3)) as left factors.
  init(winogradWeights transformed: UnsafePointer<Float>, outChannels: Int, channels: Int, points: Int = 16) {
    self.init(
      side: .rows, lines: outChannels, depth: channels, lineStride: channels, depthStride: 1, matrices: points,
      matrixStride: outChannels * channels, source: transformed)
  }

  /// The words of scratch ``multiply(matrix:rows:b:ldb:columns:beta:c:ldc:scratch:)`` needs for a right factor
  /// of up to `columns` columns.
  func scratchCount(columns: Int) -> Int {
    BFloat16Products.packedCount(side: .columns, lines: columns, depth: depth)
  }

  /// `C ← A_matrix[rows] · B + beta · C` on the calling thread, `B` being `depth × columns` float32 (rows `ldb`
  /// apart) packed into `scratch`; `c` points at the row `rows.lowerBound`. The matrix must be a left factor.
  // swift-format-ignore: FunctionParameterCount
  func multiply(
    matrix: Int = 0, rows: Range<Int>, b: UnsafePointer<Float>, ldb: Int, columns: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int, scratch: UnsafeMutablePointer<UInt16>
  ) {
    precondition(side == .rows && rows.lowerBound >= 0 && rows.upperBound <= lines)
    withMatrix(matrix) { packed in
      BFloat16Products.multiply(
        packedRows: packed, rows: rows, depth: depth, b: b, ldb: ldb, columns: columns, alpha: 1, beta: beta, c: c,
        ldc: ldc, scratch: scratch)
    }
  }
}

/// A convolution layer's weights packed once for ``ComputePrecision/bfloat16`` (``Conv2D/cacheBFloat16Weights()``):
/// the Winograd matrices for `3 × 3` stride-1 kernels, the im2col weight for the others.
struct BF16ConvolutionWeights: Sendable {
  /// `(O × C·kh·kw)` for the im2col product, or nil.
  var im2col: BF16PackedMatrix?
  /// The 16 `U_ξ` of Winograd F(2×2, 3×3), or nil.
  var winograd: BF16PackedMatrix?
  /// The 36 `U_ξ` of Winograd F(4×4, 3×3), or nil (kept for narrow layers only: see ``Conv2D/prepare(for:)``).
  var winograd4x4: BF16PackedMatrix? = nil
}
