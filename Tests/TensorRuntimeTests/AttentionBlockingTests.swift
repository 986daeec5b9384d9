import Foundation
import Testing

@testable import TensorRuntime

/// Attention over more queries than one score block holds (blocks of `2¹⁷ / keys` query rows) against a direct
/// double-precision evaluation of the formula, with a bias, a window mask and a key mask, so that a block reading
/// the wrong rows of any of them, of the queries or of the output shows.
///
/// Inputs are O(1) uniform values; outputs are convex combinations of values, so they are O(1) and the tolerance
/// is absolute, 1e-5 (float32 scores over 8-wide heads and 600-term softmax sums round to a few 1e-7).
@Suite("attention in query blocks matches direct evaluation")
struct AttentionBlockingTests {
  @Test("multi-head attention with bias and masks over several query blocks")
  func blockedAttention() {
    let (batch, queries, keys, heads, headDim) = (2, 300, 600, 2, 8)
    let width = heads * headDim
    let q = ConvolutionTilingTests.tensor([batch, queries, width], seed: 41)
    let k = ConvolutionTilingTests.tensor([batch, keys, width], seed: 42)
    let v = ConvolutionTilingTests.tensor([batch, keys, width], seed: 43)
    let bias = ConvolutionTilingTests.tensor([heads, queries, keys], seed: 44)
    let windowMask = ConvolutionTilingTests.tensor([2, queries, keys], seed: 45)
    let keyMask = ConvolutionTilingTests.tensor([batch, keys], seed: 46)
    let scale: Float = 0.35
    #expect(queries > (1 << 17) / keys, "the case must span more than one query block")
    let result = Attention.multiHead(
      query: q, key: k, value: v, heads: heads, scale: scale, bias: bias, windowMask: windowMask, keyMask: keyMask)
    var largest = 0.0
    for b in 0..<batch {
      for h in 0..<heads {
        for i in 0..<queries {
          var scores = [Double](repeating: 0, count: keys)
          for j in 0..<keys {
            var dot = 0.0
            for d in 0..<headDim {
              dot +=
                Double(q.elements[(b * queries + i) * width + h * headDim + d])
                * Double(k.elements[(b * keys + j) * width + h * headDim + d])
            }
            scores[j] =
              Double(scale) * dot + Double(bias.elements[(h * queries + i) * keys + j])
              + Double(windowMask.elements[((b % 2) * queries + i) * keys + j])
              + Double(keyMask.elements[b * keys + j])
          }
          let largestScore = scores.max()!
          let weights = scores.map { exp($0 - largestScore) }
          let total = weights.reduce(0, +)
          for d in 0..<headDim {
            var expected = 0.0
            for j in 0..<keys {
              expected += weights[j] / total * Double(v.elements[(b * keys + j) * width + h * headDim + d])
            }
            let actual = Double(result.elements[(b * queries + i) * width + h * headDim + d])
            largest = Swift.max(largest, abs(actual - expected))
          }
        }
      }
    }
    #expect(largest <= 1e-5)
  }
}
