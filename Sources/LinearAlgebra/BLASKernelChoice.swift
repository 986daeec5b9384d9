internal import CBLASRuntime

/// The OpenBLAS CPU kernel in use and why it was chosen.
///
/// OpenBLAS built with `DYNAMIC_ARCH` (Debian's) picks a kernel when the library loads. An OpenBLAS older than
/// the CPU may not know it and fall back to its SSE3 "Prescott" kernel even on a CPU with AVX-512 (3–6× slower
/// products). When the process starts, LinearAlgebra (a C constructor in its `CBLASRuntime` shim, run before
/// `main` and so before any BLAS call) compares OpenBLAS's choice with the CPU's features and, when the CPU
/// supports a kernel of a higher instruction-set tier, switches OpenBLAS to it through OpenBLAS's own
/// dynamic-arch entry points, keeping it only if a self-check of small SGEMM/SGEMV/SSYRK and DGEMM/DGEMV/DSYRK
/// problems matches plain reference loops; otherwise it switches back and prints one line on stderr.
///
/// The user's own `OPENBLAS_CORETYPE` (set at all, even empty) always wins and is never overridden. The feature
/// table: AVX-512 F/DQ/BW/VL/CD with BF16 → `Cooperlake`, without BF16 → `SkylakeX`, AVX2 + FMA → `Haswell`,
/// AVX → `Sandybridge` (OpenBLAS's own order for CPUs it does not know by model; features count only when the OS
/// saves their registers).
///
/// Two environment variables exist for testing and diagnosis on CPUs OpenBLAS recognises:
/// `RESONANCE_BLAS_SIMULATE_KERNEL=Prescott` makes the start-up selection act as if OpenBLAS had chosen that
/// kernel (it switches OpenBLAS to it first), and `RESONANCE_BLAS_SIMULATE_SELF_CHECK_FAILURE=1` perturbs the
/// self-check's first SGEMM result so that the check fails and the fallback runs.
public struct BLASKernelChoice: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The outcome of the start-up self-check of the kernel in ``kernel``'s place.
  public enum SelfCheck: String, Sendable, Hashable, Codable {
    /// Every product matched the reference loops (relative tolerance 1e-4 in single, 1e-11 in double precision).
    case passed
    /// A product did not match; ``BLASKernelChoice/reason`` names the routine and the element.
    case failed
    /// The check was not run.
    case notRun
  }

  /// The kernel OpenBLAS runs now, as `openblas_get_corename` names it (for example `"Cooperlake"`).
  public var kernel: String
  /// The kernel OpenBLAS chose by itself when it loaded; `"Prescott (simulated)"` under the test hook.
  public var openBLASDetected: String
  /// One sentence: why ``kernel`` runs, for example
  /// `"OpenBLAS chose Prescott; CPU has AVX-512 BF16 → Cooperlake after self-check"`.
  public var reason: String
  /// The self-check's outcome: of the switched-to kernel when the kernel was switched, else of OpenBLAS's own.
  public var selfCheck: SelfCheck

  /// Creates a record; ``BLASRuntime/kernelChoice`` gives the process's actual one.
  public init(kernel: String, openBLASDetected: String, reason: String, selfCheck: SelfCheck) {
    self.kernel = kernel
    self.openBLASDetected = openBLASDetected
    self.reason = reason
    self.selfCheck = selfCheck
  }

  /// `"Cooperlake (OpenBLAS recognised the CPU (…); self-check passed)"`.
  public var description: String {
    "\(kernel) (\(reason); self-check \(selfCheck.rawValue))"
  }

  /// The four fields as strings, for reports written with `JSONSerialization`.
  public var jsonObject: [String: String] {
    ["kernel": kernel, "openBLASDetected": openBLASDetected, "reason": reason, "selfCheck": selfCheck.rawValue]
  }

  init(_ choice: blas_kernel_choice) {
    var copy = choice
    kernel = withUnsafeBytes(of: &copy.kernel) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    openBLASDetected = withUnsafeBytes(of: &copy.detected) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    reason = withUnsafeBytes(of: &copy.reason) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    switch Int(choice.self_check) {
    case Int(BLAS_SELF_CHECK_PASSED): selfCheck = .passed
    case Int(BLAS_SELF_CHECK_FAILED): selfCheck = .failed
    default: selfCheck = .notRun
    }
  }
}

extension BLASRuntime {
  /// The kernel OpenBLAS runs and why, as decided when the process started (see ``BLASKernelChoice``).
  public static var kernelChoice: BLASKernelChoice {
    BLASKernelChoice(blas_kernel_choice_current())
  }

  /// Three lines for a program's `--version`: OpenBLAS's build, the kernel and why, and the cores in use.
  ///
  /// For example:
  /// ```
  /// OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64
  /// BLAS kernel: Cooperlake (OpenBLAS recognised the CPU (Cooperlake; CPU has AVX-512 BF16); self-check passed)
  /// cores: 2 usable (affinity 2, no cgroup CPU quota), OpenBLAS threads: 2
  /// ```
  public static var versionDescription: String {
    """
    \(configuration)
    BLAS kernel: \(kernelChoice)
    cores: \(coreCountDescription), OpenBLAS threads: \(threadCount)
    """
  }
}

/// The CPU feature → OpenBLAS kernel table and the decision rule of the start-up selection, exposed to tests.
enum BLASKernelTable {
  /// CPU features the table reads (the bits of `blas_cpu_features`).
  struct Features: OptionSet, Hashable {
    let rawValue: UInt32
    static let avx = Features(rawValue: UInt32(BLAS_CPU_AVX))
    static let avx2 = Features(rawValue: UInt32(BLAS_CPU_AVX2))
    static let fma = Features(rawValue: UInt32(BLAS_CPU_FMA))
    static let avx512f = Features(rawValue: UInt32(BLAS_CPU_AVX512F))
    static let avx512dq = Features(rawValue: UInt32(BLAS_CPU_AVX512DQ))
    static let avx512bw = Features(rawValue: UInt32(BLAS_CPU_AVX512BW))
    static let avx512vl = Features(rawValue: UInt32(BLAS_CPU_AVX512VL))
    static let avx512cd = Features(rawValue: UInt32(BLAS_CPU_AVX512CD))
    static let avx512bf16 = Features(rawValue: UInt32(BLAS_CPU_AVX512BF16))

    /// The features of this CPU (with OS support), as the start-up selection reads them.
    static var current: Features { Features(rawValue: blas_cpu_features()) }
  }

  /// The kernel the table prefers for `features`, or `nil` when nothing beyond the SSE3 baseline fits.
  static func preferredKernel(for features: Features) -> String? {
    blas_preferred_kernel(features.rawValue).map { String(cString: $0) }
  }

  /// The instruction-set tier of an OpenBLAS kernel name (0 SSE … 4 AVX-512 BF16), `nil` when unknown.
  static func tier(of kernel: String) -> Int? {
    let tier = Int(blas_kernel_tier(kernel))
    return tier < 0 ? nil : tier
  }

  /// The start-up rule: the kernel to switch to (`nil`: keep OpenBLAS's) and the reason.
  static func decide(userCoreType: String?, detected: String, features: Features) -> (
    switchTo: String?, reason: String
  ) {
    var decision = blas_decide_kernel(userCoreType, detected, features.rawValue)
    let target = withUnsafeBytes(of: &decision.switch_to) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let reason = withUnsafeBytes(of: &decision.reason) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    return (target.isEmpty ? nil : target, reason)
  }

  /// Runs the start-up selection again with the test hooks and returns the new current choice; `userCoreType`
  /// stands for the user's `OPENBLAS_CORETYPE` (`nil`: unset), so tests never set the variable itself.
  ///
  /// Switching kernels while another thread runs BLAS is unsafe: call this only in a process of its own (an
  /// exit test), never among concurrently running tests.
  static func reselect(userCoreType: String?, simulatingDetected kernel: String?, failingSelfCheck: Bool)
    -> BLASKernelChoice
  {
    BLASKernelChoice(blas_select_kernel(userCoreType, kernel, failingSelfCheck ? 1 : 0))
  }

  /// Runs the self-check on the current kernel; `nil` when it passes, else the first mismatch.
  static func selfCheckFailure(perturbing: Bool) -> String? {
    var message = [CChar](repeating: 0, count: 160)
    let passed = blas_self_check(perturbing ? 1 : 0, &message, UInt(message.count))
    return passed != 0 ? nil : String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
