import Dispatch
import Foundation
import Synchronization
import Testing

@testable import LinearAlgebra

/// ``ParallelMap`` on ``SpinningWorkers``: every index runs exactly once, loop after loop (the generation
/// protocol), inside loops (nested calls fall back to Dispatch), and from several threads at once.
@Suite("Spinning workers run every item exactly once")
struct SpinningWorkersTests {
  /// Runs `loops` loops of varying sizes back to back and counts how often each item ran.
  func countRuns(loops: Int, largest: Int) -> [Int] {
    let counts = (0..<loops).map { 1 + ($0 * 7919) % largest }
    let runs = UnsafeMutableBufferPointer<Atomic<Int>>.allocate(capacity: loops * largest)
    for index in runs.indices { (runs.baseAddress! + index).initialize(to: Atomic(0)) }
    defer { runs.deallocate() }
    nonisolated(unsafe) let slots = runs
    for (loop, count) in counts.enumerated() {
      ParallelMap.forEach(count: count) { item in
        slots[loop * largest + item].add(1, ordering: .relaxed)
      }
    }
    var wrong: [Int] = []
    for (loop, count) in counts.enumerated() {
      for item in 0..<largest {
        let expected = item < count ? 1 : 0
        if runs[loop * largest + item].load(ordering: .relaxed) != expected { wrong.append(loop * largest + item) }
      }
    }
    return wrong
  }

  @Test("thousands of short loops back to back: each item once, none of a finished loop again")
  func consecutiveLoops() {
    #expect(countRuns(loops: 4000, largest: 5).isEmpty)
    // Loops far apart in time, so that the workers park between them and are woken.
    for _ in 0..<20 {
      #expect(countRuns(loops: 2, largest: 3).isEmpty)
      Thread.sleep(forTimeInterval: 0.001)
    }
  }

  @Test("a loop started inside an item runs its items on that item's thread, and the outer loop completes")
  func nestedLoops() {
    let total = Atomic<Int>(0)
    let foreignThreads = Atomic<Int>(0)
    let outerBody: @Sendable (Int) -> Void = { _ in
      let outer = pthread_self()
      ParallelMap.forEach(count: 3) { _ in
        total.add(1, ordering: .relaxed)
        if pthread_equal(pthread_self(), outer) == 0 { foreignThreads.add(1, ordering: .relaxed) }
      }
    }
    // On the workers when they are free (other tests may hold them), else through ParallelMap's fallback.
    let onWorkers = SpinningWorkers.shared.run(count: 4, outerBody)
    if !onWorkers { ParallelMap.forEach(count: 4) { outerBody($0) } }
    #expect(total.load(ordering: .relaxed) == 12)
    if onWorkers { #expect(foreignThreads.load(ordering: .relaxed) == 0) }
  }

  @Test("loops from several threads at once all complete with the right results")
  func concurrentCallers() {
    let sums = ParallelMap.map(count: 6) { caller in
      (0..<200).reduce(0) { partial, round in
        partial + ParallelMap.map(count: 1 + (caller + round) % 4) { $0 + 1 }.reduce(0, +)
      }
    }
    let expected = (0..<6).map { caller in
      (0..<200).reduce(0) { partial, round in
        let n = 1 + (caller + round) % 4
        return partial + n * (n + 1) / 2
      }
    }
    #expect(sums == expected)
  }

  @Test("the workers are the usable cores but the caller's")
  func threadCount() {
    #expect(SpinningWorkers.shared.threads == BLASRuntime.coreCount - 1)
  }
}
