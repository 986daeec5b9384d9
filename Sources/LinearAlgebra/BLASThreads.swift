internal import CBLASRuntime
internal import COpenBLAS
import Foundation

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

  /// Nesting depth of ``withSingleThreadedCalls(_:)`` scopes and the thread count to restore after the last one,
  /// guarded by a pthread mutex (`NSLock`): ThreadSanitizer follows it, whereas it cannot see the standard
  /// library's `Mutex` (not built with ThreadSanitizer), which made concurrent scopes look like a data race.
  nonisolated(unsafe) private static var singleThreadScope = (depth: 0, saved: 1)
  private static let singleThreadLock = NSLock()

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
    singleThreadLock.withLock {
      if singleThreadScope.depth == 0 {
        singleThreadScope.saved = threadCount
        setThreadCount(1)
      }
      singleThreadScope.depth += 1
    }
    defer {
      singleThreadLock.withLock {
        singleThreadScope.depth -= 1
        if singleThreadScope.depth == 0 { setThreadCount(singleThreadScope.saved) }
      }
    }
    return try body()
  }

  /// The cores this process may use, counted when it started: the CPUs in its affinity mask
  /// (`sched_getaffinity`, as `taskset` or a container's cpuset sets it), limited by the CPU quota of its control
  /// groups (cgroup v2 `cpu.max` or v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`, the tightest of its group and
  /// their ancestors) rounded up to whole cores; at least 1.
  ///
  /// ``LinearAlgebraScalar/splitGEMM(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:workers:)``, the
  /// ridge engine and TensorRuntime split their work into this many parts. At start-up OpenBLAS's own thread count
  /// (which follows the affinity mask only) is lowered to it too, unless `OPENBLAS_NUM_THREADS`,
  /// `GOTO_NUM_THREADS` or `OMP_NUM_THREADS` is set.
  public static var coreCount: Int {
    Int(blas_core_budget_at_start().usable)
  }

  /// How ``coreCount`` came about, for `--version` and reports: `"2 usable (affinity 2, no cgroup CPU quota)"`.
  static var coreCountDescription: String {
    let budget = blas_core_budget_at_start()
    let quota =
      budget.cpu_limit > 0
      ? "cgroup CPU quota \((budget.cpu_limit * 100).rounded() / 100)" : "no cgroup CPU quota"
    return "\(budget.usable) usable (affinity \(budget.affinity), \(quota))"
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

/// The parts of ``BLASRuntime/coreCount`` exposed to tests: the cgroup file parsers and the rule.
enum UsableCores {
  /// CPUs allowed by a cgroup v2 `cpu.max` text; `0` for `"max …"` (no limit), `nil` when malformed.
  static func cgroup2Limit(cpuMax: String) -> Double? {
    let limit = blas_parse_cgroup2_cpu_max(cpuMax)
    return limit < 0 ? nil : limit
  }

  /// CPUs allowed by cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` texts; `0` for quota −1, `nil` when
  /// malformed.
  static func cgroup1Limit(quota: String, period: String) -> Double? {
    let limit = blas_parse_cgroup1_cpu_quota(quota, period)
    return limit < 0 ? nil : limit
  }

  /// The tightest cgroup CPU limit (0: none) read below `root` (`""`: the real `/proc` and `/sys`).
  static func cgroupLimit(root: String) -> Double {
    blas_cgroup_cpu_limit(root)
  }

  /// min(affinity, ⌈limit⌉), at least 1; a limit ≤ 0 means none.
  static func usable(affinity: Int, cpuLimit: Double) -> Int {
    Int(blas_usable_core_count(Int32(affinity), cpuLimit))
  }

  /// The CPUs in this process's affinity mask now.
  static var affinity: Int { Int(blas_affinity_core_count()) }
}
