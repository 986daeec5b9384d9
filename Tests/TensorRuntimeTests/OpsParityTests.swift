import Foundation
import Testing

@testable import TensorRuntime

/// Ops against PyTorch 2.13 on small random inputs (Tools/reference/clap/make_op_fixtures.py). Inputs are O(1);
/// float32 reassociation keeps differences below 1e-5, so every comparison uses atol 1e-5 + rtol 1e-5.
@Suite("TensorRuntime ops match PyTorch")
struct OpsParityTests {
  let fixtures: SafetensorsFile
  let workspace = Workspace()

  init() throws {
    let path = Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent(
      "ops.safetensors")
    fixtures = try SafetensorsFile(url: path)
  }

  func t(_ name: String) throws -> Tensor { try fixtures.tensor(named: name) }

  func expectClose(_ actual: Tensor, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let expected = try t(name)
    #expect(actual.shape == expected.shape, sourceLocation: sourceLocation)
    #expect(
      actual.isApproximatelyEqual(to: expected, relativeTolerance: 1e-5, absoluteTolerance: 1e-5),
      "\(name): max abs \(actual.shape == expected.shape ? actual.maximumAbsoluteDifference(to: expected) : .nan)",
      sourceLocation: sourceLocation)
  }

  @Test("conv2d with stride, padding and dilation, and a patch-embedding conv")
  func conv2d() throws {
    let y = try t("conv2d_x").convolved2D(
      weight: t("conv2d_w"), bias: t("conv2d_b"),
      geometry: ConvolutionGeometry(stride: (2, 1), padding: (1, 2), dilation: (2, 1)), workspace: workspace)
    try expectClose(y, "conv2d_y")
    let patch = try t("patch_x").convolved2D(
      weight: t("patch_w"), bias: t("patch_b"), geometry: ConvolutionGeometry(stride: (4, 4)), workspace: workspace)
    try expectClose(patch, "patch_y")
  }

  @Test("dilated conv1d and transposed conv1d (vocoder shapes)")
  func conv1d() throws {
    let y = try t("conv1d_x").convolved1D(
      weight: t("conv1d_w"), bias: t("conv1d_b"), padding: 9, dilation: 3, workspace: workspace)
    try expectClose(y, "conv1d_y")
    let up = try t("convt_x").transposeConvolved1D(
      weight: t("convt_w"), bias: t("convt_b"), stride: 5, padding: 5, workspace: workspace)
    try expectClose(up, "convt_y")
  }

  @Test("group norm and layer norm")
  func norms() throws {
    var x = try t("norm_x")
    x.groupNormalize(groups: 4, weight: try t("gn_w"), bias: try t("gn_b"), epsilon: 1e-6)
    try expectClose(x, "gn_y")
    try expectClose(try t("norm_x").layerNormalized(weight: t("ln_w"), bias: t("ln_b"), epsilon: 1e-5), "ln_y")
  }

  @Test("GELU (erf), SiLU and leaky ReLU")
  func activations() throws {
    let x = try t("act_x")
    try expectClose(x.applying(.gelu), "gelu_y")
    try expectClose(x.applying(.silu), "silu_y")
    try expectClose(x.applying(.leakyReLU(slope: 0.1)), "leaky_y")
  }

  @Test("bicubic (align_corners, A = -0.75) and legacy nearest resize")
  func resize() throws {
    let x = try t("resize_x")
    try expectClose(x.resizedBicubic(height: 10, width: 8), "bicubic_y")
    try expectClose(x.resizedNearest(height: 13, width: 9), "nearest_y")
  }

  @Test("multi-head attention with a key padding mask")
  func attention() throws {
    let y = Attention.multiHead(
      query: try t("attn_q"), key: try t("attn_k"), value: try t("attn_v"), heads: 2, scale: 1 / Float(3).squareRoot(),
      keyMask: try t("attn_mask"))
    try expectClose(y, "attn_y")
    let packed = Tensor.concatenated([try t("attn_q"), try t("attn_k"), try t("attn_v")], axis: 2)
    let fused = Attention.multiHead(
      packed: packed, heads: 2, scale: 1 / Float(3).squareRoot(), keyMask: try t("attn_mask"))
    try expectClose(fused, "attn_y")
  }

  @Test("the softmax exponential stays within 3e-7 relative of expf on [-87, 88] and flushes below")
  func fastExp() {
    var largest: Float = 0
    for step in -8700...8800 {
      let x = Float(step) / 100
      largest = Swift.max(largest, abs(Tensor.fastExp(x) - expf(x)) / expf(x))
    }
    #expect(largest < 3e-7)
    #expect(Tensor.fastExp(-100) == 0)
    #expect(Tensor.fastExp(0) == 1)
  }

  @Test("the vectorised erf inside GELU stays within 5e-7 of erff on [-6, 6]")
  func fastErf() {
    var largest: Float = 0
    for step in -6000...6000 {
      let x = Float(step) / 1000
      largest = Swift.max(largest, abs(Tensor.fastErf(x) - erff(x)))
    }
    #expect(largest < 5e-7)
  }

  @Test("roll and permute")
  func layout() throws {
    let x = try t("roll_x")
    try expectClose(x.rolled(shifts: [-2, 3], axes: [1, 2]), "roll_y")
    try expectClose(x.permuted([0, 2, 3, 1]), "permute_y")
  }

  @Test("concatenate, narrow and reshape round-trip")
  func concatNarrow() throws {
    let x = try t("roll_x")
    let parts = [x.narrowed(axis: 2, start: 0, length: 2), x.narrowed(axis: 2, start: 2, length: 3)]
    #expect(Tensor.concatenated(parts, axis: 2) == x)
    #expect(x.reshaped([-1, 3]).shape == [40, 3])
    #expect(x.strides == [60, 15, 3, 1])
  }
}
