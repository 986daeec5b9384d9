internal import COpenBLAS
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

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

  /// Nesting depth of ``withSingleThreadedCalls(_:)`` scopes and the thread count to restore after the last one.
  private static let singleThreadScope = Mutex<(depth: Int, saved: Int)>((0, 1))

  /// Runs `body` with OpenBLAS limited to one thread per call, then restores the previous count.
  ///
  /// Use it around code that parallelises in Swift (for example ``LinearAlgebraScalar/splitGEMM(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:workers:)``
  /// or a `concurrentPerform` loop that calls BLAS). Besides avoiding oversubscription, it keeps OpenBLAS's
  /// worker threads asleep: after every multithreaded call they busy-wait for new work for a long time
  /// (OpenBLAS's `THREAD_TIMEOUT`), which on a 2-core machine takes the second core away from the Swift
  /// loops that follow. Scopes nest and may be entered from several threads: the count is set to one on the
  /// first entry and restored on the last exit. The setting is process-wide, so BLAS calls made elsewhere
  /// during the scope also run on one thread. (With the pthreads build of OpenBLAS, which `install-deps.sh`
  /// installs, changing the count while other threads run BLAS calls is safe; the OpenMP build frees per-thread
  /// buffers when the count drops, so do not mix it with concurrent BLAS work.)
  public static func withSingleThreadedCalls<Result, Failure: Error>(
    _ body: () throws(Failure) -> Result
  ) throws(Failure) -> Result {
    singleThreadScope.withLock { scope in
      if scope.depth == 0 {
        scope.saved = threadCount
        setThreadCount(1)
      }
      scope.depth += 1
    }
    defer {
      singleThreadScope.withLock { scope in
        scope.depth -= 1
        if scope.depth == 0 { setThreadCount(scope.saved) }
      }
    }
    return try body()
  }

  /// The number of workers ``LinearAlgebraScalar/splitGEMM(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:workers:)``
  /// uses by default: the number of online CPU cores.
  public static var coreCount: Int {
    Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
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
