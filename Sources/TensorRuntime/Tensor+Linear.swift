import LinearAlgebra

extension Tensor {
  /// A fully connected layer over the last axis: `y = x · Wᵀ + b` (PyTorch's `F.linear`).
  ///
  /// - Parameters:
  ///   - weight: `W`, shape `(out, in)` as stored by PyTorch.
  ///   - bias: `b`, `out` elements, or `nil`.
  /// - Returns: a tensor whose last extent is `out`; the other extents are unchanged. One SGEMM of
  ///   `rows × out × in`, split over the cores by `splitGEMM` (single-threaded BLAS calls, so OpenBLAS's
  ///   worker threads do not spin between layers).
  public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
    linear(weight: weight, bias: bias, packedWeight: nil)
  }

  /// ``linear(weight:bias:)`` with `Wᵀ` optionally already packed for ``ComputePrecision/bfloat16`` (used only
  /// when that precision is in force and the CPU supports it; the product is then bfloat16 with float32 sums).
  func linear(weight: Tensor, bias: Tensor?, packedWeight: BF16PackedMatrix?) -> Tensor {
    precondition(weight.rank == 2, "A linear weight must be (out, in), got \(weight.shape).")
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    precondition(shape.last == inFeatures, "Linear expects rows of \(inFeatures), got shape \(shape).")
    let rows = count / Swift.max(inFeatures, 1)
    var outputShape = shape
    outputShape[outputShape.count - 1] = outFeatures
    return Tensor(shape: outputShape) { output in
      let c = output.baseAddress!
      if let bias {
        precondition(bias.count == outFeatures, "A linear bias must have \(outFeatures) elements.")
        bias.withUnsafeBufferPointer { b in
          for row in 0..<rows { (c + row * outFeatures).update(from: b.baseAddress!, count: outFeatures) }
        }
      } else {
        output.initialize(repeating: 0)
      }
      guard rows > 0, outFeatures > 0, inFeatures > 0 else { return }
      if ComputePrecision.usesBFloat16 {
        withUnsafeBufferPointer { x in
          weight.withUnsafeBufferPointer { w in
            let product = { (weightOperand: BFloat16Products.Operand) in
              BFloat16Products.gemm(
                m: rows, n: outFeatures, k: inFeatures, alpha: 1,
                a: .floats(x.baseAddress!, lineStride: inFeatures, depthStride: 1), b: weightOperand, beta: 1, c: c,
                ldc: outFeatures, parallel: true)
            }
            if let packedWeight {
              precondition(packedWeight.lines == outFeatures && packedWeight.depth == inFeatures)
              packedWeight.withMatrix(0) { product(.packed($0)) }
            } else {
              product(.floats(w.baseAddress!, lineStride: inFeatures, depthStride: 1))
            }
          }
        }
        return
      }
      withUnsafeBufferPointer { x in
        weight.withUnsafeBufferPointer { w in
          Float.splitGEMM(
            transposeA: .none, transposeB: .transpose, m: rows, n: outFeatures, k: inFeatures,
            alpha: 1, a: x.baseAddress!, lda: inFeatures, b: w.baseAddress!, ldb: inFeatures,
            beta: 1, c: c, ldc: outFeatures)
        }
      }
    }
  }

  /// Batched matrix product over the last two axes: `(…, m, k) · (…, k, n) → (…, m, n)`; leading extents
  /// must be equal. Several items run side by side, one single-threaded BLAS call each; a single item is split
  /// by `splitGEMM`.
  public func matmul(_ other: Tensor) -> Tensor {
    precondition(rank >= 2 && other.rank == rank, "matmul needs equal ranks ≥ 2, got \(shape) and \(other.shape).")
    let (m, k, n) = (shape[rank - 2], shape[rank - 1], other.shape[rank - 1])
    precondition(
      other.shape[rank - 2] == k && shape.dropLast(2) == other.shape.dropLast(2), "matmul: \(shape) · \(other.shape).")
    let batch = shape.dropLast(2).reduce(1, *)
    var outputShape = shape
    outputShape[rank - 1] = n
    return Tensor(shape: outputShape) { output in
      output.initialize(repeating: 0)
      guard m > 0, n > 0, k > 0 else { return }
      withUnsafeBufferPointer { a in
        other.withUnsafeBufferPointer { b in
          let operands = MatmulOperands(a: a.baseAddress!, b: b.baseAddress!, c: output.baseAddress!)
          if batch == 1 {
            Float.splitGEMM(
              transposeA: .none, transposeB: .none, m: m, n: n, k: k, alpha: 1, a: operands.a, lda: k,
              b: operands.b, ldb: n, beta: 0, c: operands.c, ldc: n)
            return
          }
          BLASRuntime.withSingleThreadedCalls {
            TensorParallelism.forEachChunk(count: batch, costPerItem: m * n * k) { items in
              for item in items {
                Float.gemm(
                  transposeA: .none, transposeB: .none, m: m, n: n, k: k, alpha: 1,
                  a: operands.a + item * m * k, lda: k, b: operands.b + item * k * n, ldb: n,
                  beta: 0, c: operands.c + item * m * n, ldc: n)
              }
            }
          }
        }
      }
    }
  }
}

/// The raw operands of a batched product, shared by the parallel chunks; each chunk writes its own items.
private struct MatmulOperands: @unchecked Sendable {
  let a: UnsafePointer<Float>
  let b: UnsafePointer<Float>
  let c: UnsafeMutablePointer<Float>
}
