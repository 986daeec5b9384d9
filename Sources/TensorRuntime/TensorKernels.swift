internal import CTensorKernels
import Foundation

/// The vectorised element loops of `CTensorKernels` at one instruction-set level: the only Swift that calls them.
///
/// The package builds for baseline x86-64, where the Swift loops of softmax, SiLU, GELU and layer normalisation
/// run four lanes wide
/// without FMA; the C kernels are compiled with target attributes (AVX2 + FMA, AVX-512F) and chosen at run time.
/// ``active`` is the level this process uses, read once: the widest this CPU has, unless the environment
/// variable `RESONANCE_TENSOR_KERNELS` is `portable` (no kernels: the Swift loops everywhere, e.g. to compare
/// or on a CPU suspected of a fault) or `avx2` (at most the AVX2 kernels). Tests call both paths explicitly
/// through ``available``.
///
/// Accuracy of the kernels (CTensorKernels.h): e^x within 3e-7 relative of `expf` (the same Cephes polynomial
/// and clamping as ``Tensor/fastExp(_:)``: inputs below −87.3 give 0), erf within 5e-7 absolute of `erff` (the
/// rational function of ``Tensor/fastErf(_:)``).
struct TensorKernels: Sendable, Equatable {
  /// The instruction-set level passed to the C kernels: 1 AVX2 + FMA, 2 AVX-512F.
  let level: Int32

  /// Every level this CPU supports, narrowest first (empty off x86-64 or without AVX2 and FMA).
  static let available: [TensorKernels] = {
    let supported = tensor_kernels_level()
    return supported < 1 ? [] : (1...supported).map { TensorKernels(level: $0) }
  }()

  /// The kernels this process uses, or `nil` for the portable Swift loops (see the type's description for
  /// `RESONANCE_TENSOR_KERNELS`).
  static let active: TensorKernels? = {
    switch ProcessInfo.processInfo.environment["RESONANCE_TENSOR_KERNELS"] {
    case "portable": return nil
    case "avx2": return available.first
    default: return available.last
    }
  }()

  /// Softmax of `count` floats in place (see ``Tensor/softmaxLastAxis()``).
  func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
    tensor_softmax_row(level, row, count)
  }

  /// `target[i] = SiLU(source[i] · scale + shift)`; `source` and `target` may be the same array.
  func affineSiLU(
    _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float
  ) {
    tensor_affine_silu(level, source, target, count, scale, shift)
  }

  /// Exact (erf) GELU of `count` floats in place.
  func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
    tensor_gelu(level, values, count)
  }

  /// The mean of `count` (> 0) values and `1/√(variance + epsilon)` (biased variance), summed in double.
  func moments(_ values: UnsafePointer<Float>, count: Int, epsilon: Float) -> (mean: Float, inverse: Float) {
    var (mean, inverse): (Float, Float) = (0, 0)
    tensor_row_moments(level, values, count, epsilon, &mean, &inverse)
    return (mean, inverse)
  }

  /// `target[i] = (source[i] − μ) · s · gamma[i] + beta[i]` (no affine map when `gamma` and `beta` are nil) with
  /// the row's mean μ and biased variance σ² summed in double, `s = 1/√(σ² + epsilon)`; `source` may be `target`.
  func normalizeRow(
    _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int,
    gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, epsilon: Float
  ) {
    tensor_normalize_row(level, source, target, count, gamma, beta, epsilon)
  }

  /// `target[i] = values[i] · GELU(gates[i])` (exact GELU).
  func geglu(
    values: UnsafePointer<Float>, gates: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int
  ) {
    tensor_geglu(level, values, gates, target, count)
  }
}
