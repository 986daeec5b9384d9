import LinearAlgebra
import Testing

@testable import TensorRuntime

/// Permutations, concatenation and sums large enough to be split over the cores, against element-by-element
/// index arithmetic (each chunk decodes its first row's multi-index itself; a wrong decode shifts whole rows).
@Suite("Layout copies split over the cores move every element to its place")
struct ParallelLayoutTests {
  func tensor(_ shape: [Int], seed: UInt64) -> Tensor { ConvolutionTilingTests.tensor(shape, seed: seed) }

  @Test("permutations of a 4-D tensor", arguments: [[0, 2, 3, 1], [0, 3, 1, 2], [3, 2, 1, 0], [1, 0, 2, 3]])
  func permutation(_ axes: [Int]) {
    let shape = [3, 37, 41, 29]
    let x = tensor(shape, seed: 5)
    let y = x.permuted(axes)
    #expect(y.shape == axes.map { shape[$0] })
    let strides = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1]
    var mismatches = 0
    y.withUnsafeBufferPointer { out in
      x.withUnsafeBufferPointer { input in
        var flat = 0
        for i0 in 0..<y.shape[0] {
          for i1 in 0..<y.shape[1] {
            for i2 in 0..<y.shape[2] {
              for i3 in 0..<y.shape[3] {
                var source = 0
                for (position, index) in [i0, i1, i2, i3].enumerated() { source += index * strides[axes[position]] }
                if out[flat] != input[source] { mismatches += 1 }
                flat += 1
              }
            }
          }
        }
      }
    }
    #expect(mismatches == 0)
  }

  @Test("concatenation along the channel axis of a batch, and a sum")
  func concatenationAndSum() {
    let (a, b) = (tensor([4, 96, 20, 16], seed: 1), tensor([4, 32, 20, 16], seed: 2))
    let joined = Tensor.concatenated([a, b], axis: 1)
    #expect(joined.shape == [4, 128, 20, 16])
    let plane = 20 * 16
    var mismatches = 0
    for sample in 0..<4 {
      for channel in 0..<128 {
        for position in 0..<plane {
          let expected =
            channel < 96
            ? a.elements[(sample * 96 + channel) * plane + position]
            : b.elements[(sample * 32 + channel - 96) * plane + position]
          if joined.elements[(sample * 128 + channel) * plane + position] != expected { mismatches += 1 }
        }
      }
    }
    #expect(mismatches == 0)
    let sum = a + a
    #expect(sum.elements == a.elements.map { $0 + $0 })
  }
}
