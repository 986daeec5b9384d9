internal import CRidgeKernels
import LinearAlgebra

/// This CPU's fused-kernel support (`ridge_fused_available`: 0 none, 1 AVX2 + FMA, 2 also AVX-512F), read once:
/// the engine asks for every fold of every chunk.
private let fusedKernelSupport = Int(ridge_fused_available())

/// Work buffers of the fused fold scoring of one chunk
/// (``RidgeCrossValidationEngine/fusedFold(_:start:width:buffers:fused:)``).
struct FusedScoringBuffers {
  /// Targets per block of training panels, in the fold scoring and the packed products: a block
  /// (`n_train × 128` floats, 197 KB at 384 rows, 246 KB at 480) stays in L2 while every operator panel passes.
  static let blockColumns = 128

  /// The training panels of the fold being scored.
  var packedTraining: [Float]
  /// One fold's float accumulators: squared errors (`A` rows of ``stride`` floats), then Σc, Σc², Σc·(y − ȳ)
  /// (three such blocks), and each cell's reference value.
  var squaredErrors: [Float]
  var sums: [Float]
  var references: [Float]
  /// The chunk's correlation sums of every alpha over all folds, in double: Σc, Σc², Σc·(y − ȳ), each `A`
  /// rows of `width` doubles.
  var chunkSums: [Double]
  var means: [Float]
  var offsetShift: [Float]
  /// The accumulators' row stride: the chunk width plus a pad, so that the rows of different alphas do not
  /// fall on the same offset within a 4 KiB page (each load of the epilogue would otherwise wait on the store
  /// before it).
  let stride: Int
  let width: Int

  init(maxTrain: Int, alphaCount: Int, chunk: Int) {
    packedTraining = [Float](repeating: 0, count: ridge_packed_training_count(maxTrain, chunk))
    stride = chunk + 24
    width = chunk
    squaredErrors = [Float](repeating: 0, count: alphaCount * stride)
    sums = [Float](repeating: 0, count: 3 * alphaCount * stride)
    references = [Float](repeating: 0, count: alphaCount * stride)
    chunkSums = [Double](repeating: 0, count: 3 * alphaCount * chunk)
    means = [Float](repeating: 0, count: chunk)
    offsetShift = [Float](repeating: 0, count: chunk)
  }
}

extension RidgeCrossValidation {
  /// The fused fold-scoring kernel that `configuration` runs on this CPU in single precision (see
  /// ``RidgeCrossValidation`` and ``fusedTiles``): `"avx512"` (6 × 32 tiles), `"avx2"` (6 × 16 tiles) or
  /// `"none"` (OpenBLAS's GEMM and a scoring pass). Benchmarks print it beside the OpenBLAS kernel.
  public static func fusedScoringKernel(for configuration: RidgeCrossValidation = RidgeCrossValidation()) -> String {
    switch RidgeCrossValidationEngine<Float>.fusedLevel(configuration) {
    case 2: "avx512"
    case 1: "avx2"
    default: "none"
    }
  }
}

extension RidgeCrossValidationEngine {
  /// The fused kernels' level for `configuration` on this CPU: 2 (AVX-512 tiles), 1 (AVX2 tiles) or 0 (OpenBLAS).
  static func fusedLevel(_ configuration: RidgeCrossValidation) -> Int {
    guard Scalar.self == Float.self else { return 0 }
    let available = fusedKernelSupport
    switch configuration.fusedTiles {
    case .automatic: return available == 2 ? 2 : 0
    case .avx2: return available >= 1 ? 1 : 0
    case .none: return 0
    }
  }

  /// Whether this CPU has the fused kernels' AVX2 tiles, and their AVX-512 tiles.
  static var hasAVX2Tiles: Bool { fusedKernelSupport >= 1 }
  static var hasAVX512Tiles: Bool { fusedKernelSupport == 2 }

  /// Whether the K-fold scoring runs in the fused kernel: single precision, per-target alphas, squared-error
  /// selection, out-of-fold predictions not kept (the kernel never stores them), and tiles for this CPU.
  static func usesFusedScoring(configuration: RidgeCrossValidation) -> Bool {
    fusedLevel(configuration) > 0 && configuration.scheme != .leaveOneOut
      && configuration.alphaScope == .perTarget && configuration.selectionMetric == .negativeMeanSquaredError
      && !configuration.keepsCrossValidatedPredictions
  }

  /// Whether the fused kernel uses its AVX-512 tiles (6 × 32; else AVX2 tiles of 6 × 16).
  var usesWideTiles: Bool { Self.fusedLevel(configuration) == 2 }

  /// Whether products with constant operators run in the fused kernels' packed GEMM: the grouped refit's
  /// `P_a · Y_group`.
  static func usesPackedProducts(configuration: RidgeCrossValidation) -> Bool { fusedLevel(configuration) > 0 }

  /// The `A` refit operators (`p × n` each, alpha-major) packed one after the other.
  static func refitOperatorsPacked(_ operators: [Scalar], features p: Int, samples n: Int) -> [Float] {
    let alphaCount = operators.count / Swift.max(1, p * n)
    let size = ridge_packed_operator_count(p, n)
    var packed = [Float](repeating: 0, count: alphaCount * size)
    operators.withUnsafeBufferPointer { source in
      source.withMemoryRebound(to: Float.self) { floats in
        packed.withUnsafeMutableBufferPointer { out in
          for a in 0..<alphaCount {
            ridge_pack_operator(floats.baseAddress! + a * p * n, p, n, out.baseAddress! + a * size)
          }
        }
      }
    }
    return packed
  }

  /// `C = P_a · B` for alpha `a` with the packed refit operators: `B` is `n × columns` (rows `ldb` apart), `C`
  /// is `p × columns` (rows `ldc` apart); `scratch` holds `ridge_packed_training_count(n, 128)` floats.
  func multiplyRefitOperator(
    alpha a: Int, b: UnsafePointer<Scalar>, ldb: Int, columns: Int, c: UnsafeMutablePointer<Scalar>, ldc: Int,
    scratch: UnsafeMutablePointer<Float>
  ) {
    let n = sampleCount
    let p = featureCount
    let size = ridge_packed_operator_count(p, n)
    packedRefitOperators.withUnsafeBufferPointer { packed in
      b.withMemoryRebound(to: Float.self, capacity: n * ldb) { bFloats in
        c.withMemoryRebound(to: Float.self, capacity: p * ldc) { cFloats in
          var product = RidgeProduct(
            rows: p, depth: n, columns: columns, packedA: packed.baseAddress! + a * size, b: bFloats, bStride: ldb,
            packedB: scratch, c: cFloats, cStride: ldc, blockColumns: FusedScoringBuffers.blockColumns,
            useWideTiles: usesWideTiles ? 1 : 0)
          ridge_multiply_packed(&product)
        }
      }
    }
  }

  /// `operatorMatrix` (`rows × depth`, row-major) in the kernel's panels.
  static func packFoldOperator(_ operatorMatrix: [Scalar], rows: Int, depth: Int) -> [Float] {
    precondition(Scalar.self == Float.self && operatorMatrix.count == rows * depth)
    let count = ridge_packed_operator_count(rows, depth)
    return operatorMatrix.withUnsafeBufferPointer { source in
      source.withMemoryRebound(to: Float.self) { floats in
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
          ridge_pack_operator(floats.baseAddress, rows, depth, out.baseAddress)
          initialized = count
        }
      }
    }
  }

  func makeFusedBuffers(chunk: Int) -> FusedScoringBuffers? {
    guard !packedFoldOperators.isEmpty else { return nil }
    return FusedScoringBuffers(
      maxTrain: trainFolds.map(\.count).max() ?? 0, alphaCount: alphaCount, chunk: chunk)
  }

  /// Scores fold `f` of the chunk in `buffers` with the fused kernel and adds the fold's squared errors and
  /// target sums to the score tables (the correlation sums go to `fused.chunkSums` until the chunk's alphas are
  /// chosen). The chunk's targets must be gathered, and `fused.chunkSums` zeroed before its first fold.
  func fusedFold(
    _ f: Int, start: Int, width: Int, buffers: inout ChunkBuffers<Scalar>, fused: inout FusedScoringBuffers
  ) {
    let nTest = testFolds[f].count
    let nTrain = trainFolds[f].count
    let inPlace = !trainingBlockStart.isEmpty
    if inPlace {
      buffers.offsets.withUnsafeMutableBufferPointer { offsets in
        (offsets.baseAddress! + f * width).update(repeating: 0, count: width)
      }
    } else {
      copyTrainingRows(fold: f, width: width, buffers: &buffers)
    }
    for v in 0..<width {
      let mean = Scalar(targetMeans[start + v])
      fused.means[v] = Float(mean)
      fused.offsetShift[v] = Float(buffers.offsets[f * width + v] - mean)
    }
    // The fold's target sums (the same for every alpha).
    buffers.targets.withUnsafeBufferPointer { block in
      for q in foldStart[f]..<foldStart[f + 1] {
        let row = block.baseAddress! + testOrder[q] * width
        for v in 0..<width {
          let value = Double(row[v] - Scalar(fused.means[v]))
          tables.sumTarget[start + v] += value
          tables.sumTargetSquared[start + v] += value * value
        }
      }
    }
    let stride = fused.stride
    fused.squaredErrors.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    fused.sums.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    let source = inPlace ? buffers.targets : buffers.train
    let trainingStart = inPlace ? trainingBlockStart[f] * width : 0
    source.withUnsafeBufferPointer { sourceBuffer in
      sourceBuffer.withMemoryRebound(to: Float.self) { training in
        buffers.targets.withUnsafeBufferPointer { targetsBuffer in
          targetsBuffer.withMemoryRebound(to: Float.self) { targetFloats in
            testOrder.withUnsafeBufferPointer { order in
              packedFoldOperators[f].withUnsafeBufferPointer { packed in
                fused.packedTraining.withUnsafeMutableBufferPointer { packedTraining in
                  fused.squaredErrors.withUnsafeMutableBufferPointer { errors in
                    fused.sums.withUnsafeMutableBufferPointer { sums in
                      fused.references.withUnsafeMutableBufferPointer { references in
                        fused.means.withUnsafeBufferPointer { means in
                          fused.offsetShift.withUnsafeBufferPointer { offsetShift in
                            var fold = RidgeFoldScoring(
                              depth: nTrain, testRows: nTest, alphaCount: alphaCount, width: width,
                              packedOperator: packed.baseAddress, training: training.baseAddress! + trainingStart,
                              trainingStride: width, packedTraining: packedTraining.baseAddress,
                              targets: targetFloats.baseAddress, testOrder: order.baseAddress! + foldStart[f],
                              means: means.baseAddress, offsetShift: offsetShift.baseAddress,
                              squaredErrors: errors.baseAddress, sums: sums.baseAddress,
                              references: references.baseAddress, setsReferences: f == 0 ? 1 : 0,
                              accumulatorStride: stride, blockColumns: FusedScoringBuffers.blockColumns,
                              useWideTiles: usesWideTiles ? 1 : 0)
                            ridge_score_fold(&fold)
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let weight = 1 / (Double(nTest) * Double(testFolds.count))
    let block = alphaCount * stride
    for a in 0..<alphaCount {
      let tableBase = a * targetCount + start
      for v in 0..<width {
        let error = Double(fused.squaredErrors[a * stride + v])
        tables.scores[tableBase + v] -= weight * error
        tables.squaredErrors[tableBase + v] += error
        for k in 0..<3 {
          fused.chunkSums[(k * alphaCount + a) * fused.width + v] += Double(fused.sums[k * block + a * stride + v])
        }
      }
    }
  }

  /// Copies the chunk's correlation sums at each target's chosen alpha from the fused kernel's every-alpha
  /// sums into the score tables.
  func keepChosenSums(start: Int, width: Int, best: UnsafeMutablePointer<Int>, fused: FusedScoringBuffers) {
    let block = alphaCount * fused.width
    for v in 0..<width {
      let index = best[start + v] * fused.width + v
      let cell = tables.sumCell(alpha: best[start + v], target: start + v)
      tables.sumPrediction[cell] = fused.chunkSums[index]
      tables.sumPredictionSquared[cell] = fused.chunkSums[block + index]
      tables.sumPredictionTarget[cell] = fused.chunkSums[2 * block + index]
    }
  }
}
