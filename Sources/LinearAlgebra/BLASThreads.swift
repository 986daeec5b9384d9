internal import COpenBLAS

/// Process-wide controls and facts of the BLAS library (OpenBLAS).
///
/// Set the thread count once, before heavy work: OpenBLAS keeps it in global state. Inside a loop that is
/// already parallel in Swift, set one thread so the machine's cores are not oversubscribed.
public enum BLASRuntime {
  /// The number of threads OpenBLAS uses for one call.
  public static var threadCount: Int {
    Int(openblas_get_num_threads())
  }

  /// Sets the number of threads OpenBLAS uses for one call (at least 1).
  public static func setThreadCount(_ count: Int) {
    openblas_set_num_threads(Int32(Swift.max(1, count)))
  }

  /// The CPU kernel OpenBLAS selected at start-up, such as `"Haswell"` or `"SkylakeX"`.
  ///
  /// `OPENBLAS_CORETYPE` in the environment overrides the detection; benchmarks print this value so that
  /// figures from different machines can be compared honestly.
  public static var kernelName: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
  }

  /// OpenBLAS's build configuration string (version, threading, dynamic architecture).
  public static var configuration: String {
    guard let text = openblas_get_config() else { return "unknown" }
    return String(cString: text)
  }
}
