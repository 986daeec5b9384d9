import Dispatch
import LinearAlgebra

/// How the runtime spreads its own (non-BLAS) loops over the cores.
///
/// Large products go through `splitGEMM` (LinearAlgebra), which splits them over the cores as single-threaded
/// BLAS calls, so OpenBLAS's worker threads never busy-wait between layers; the element-wise, normalisation and
/// attention loops of this module split their work into ``workerCount`` contiguous chunks run with
/// LinearAlgebra's `ParallelMap.forEach`. The two never nest: loops that call BLAS from their chunks do it inside
/// `BLASRuntime.withSingleThreadedCalls`.
public enum TensorParallelism {
  /// The number of chunks a large loop is split into: the cores the process may use (`BLASRuntime.coreCount`:
  /// affinity mask and cgroup CPU quota), 2 on the project's reference machine.
  public static let workerCount: Int = BLASRuntime.coreCount

  /// Runs `body` over `0..<count` split into at most ``workerCount`` contiguous ranges, in parallel when the
  /// loop is worth it (`count × costPerItem ≥ 32 768`).
  public static func forEachChunk(
    count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void
  ) {
    let chunks = (count * costPerItem >= 32_768) ? Swift.min(workerCount, count) : 1
    if chunks <= 1 {
      if count > 0 { body(0..<count) }
      return
    }
    withoutActuallyEscaping(body) { body in
      let box = UncheckedBody(body: body)
      ParallelMap.forEach(count: chunks) { chunk in
        let start = count * chunk / chunks
        let end = count * (chunk + 1) / chunks
        if start < end { box.body(start..<end) }
      }
    }
  }
}

/// Lets a non-`Sendable` closure cross into the parallel loop; every chunk writes disjoint memory.
private struct UncheckedBody: @unchecked Sendable {
  let body: (Range<Int>) -> Void
}
