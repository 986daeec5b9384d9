internal import CBF16Kernels

/// The arithmetic of the runtime's large products (linear layers, convolutions, attention).
///
/// ``float32`` (the default) runs every product as an OpenBLAS SGEMM. ``bfloat16`` is opt-in: on a CPU with
/// AVX-512 BF16 (`vdpbf16ps`), the operands of those products are rounded to bfloat16 (8 significant bits,
/// round to nearest even) and the products are summed in float32 by the runtime's own kernels; every other
/// operation (normalisation, softmax, activations, the Winograd transforms) stays float32. A product's relative
/// error then grows from float32's ~1e-7 to bfloat16's ~4e-3 per operand, partly averaging out over the
/// depth of the sum.
///
/// The precision in force is a task-local value: bind it around a block of work with
/// `ComputePrecision.$current.withValue(.bfloat16) { … }` (synchronous or `async`), or give a model its own
/// (MusicLDM's `UNet.precision`), which binds it during that model's forward pass. It is read once per
/// operation on the calling thread. On a CPU without AVX-512 BF16 a ``bfloat16`` request runs in float32; use
/// ``resolve(_:bfloat16Supported:)`` to learn that and tell the user.
public enum ComputePrecision: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// float32 operands and sums (OpenBLAS SGEMM).
  case float32
  /// bfloat16 operands, float32 sums (AVX-512 BF16 kernels); opt-in.
  case bfloat16

  /// The precision of the operations started in the current task (or synchronous scope); ``float32`` unless
  /// bound with `$current.withValue(_:operation:)`.
  @TaskLocal public static var current: ComputePrecision = .float32

  /// Whether this CPU has the instructions of the bfloat16 kernels (AVX-512 F, BW, VL and BF16), read with
  /// `cpuid` once per process.
  public static let isBFloat16Supported: Bool = bf16_gemm_available() != 0

  /// `"float32"` or `"bfloat16"`.
  public var description: String { rawValue }

  /// The precision a request runs with on this CPU, and a one-line notice when that differs from the request.
  ///
  /// - Parameters:
  ///   - requested: the precision asked for.
  ///   - bfloat16Supported: whether the CPU runs the bfloat16 kernels (tests pass `false` to exercise the
  ///     fallback on any CPU).
  /// - Returns: `requested`, or ``float32`` with a notice naming the missing instructions when ``bfloat16`` was
  ///   requested on a CPU without AVX-512 BF16.
  public static func resolve(
    _ requested: ComputePrecision, bfloat16Supported: Bool = isBFloat16Supported
  ) -> (precision: ComputePrecision, notice: String?) {
    guard requested == .bfloat16, !bfloat16Supported else { return (requested, nil) }
    return (
      .float32,
      "bfloat16 was requested, but this CPU lacks AVX-512 BF16 (vdpbf16ps); running in float32 instead."
    )
  }

  /// Whether the operation starting now on this thread runs its products in bfloat16: ``current`` is
  /// ``bfloat16`` and the CPU supports it.
  static var usesBFloat16: Bool { current == .bfloat16 && isBFloat16Supported }
}
