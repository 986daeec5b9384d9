import Dispatch

/// The one parallel map of the project: runs independent work items on the cores and returns their results in
/// order.
///
/// Every parallel loop of the library goes through it (``forEach(count:_:)`` for loops that write disjoint
/// memory, ``map(count:_:)`` for results) instead of `DispatchQueue.concurrentPerform` with hand-made result
/// slots. Items run on the calling thread and ``SpinningWorkers`` (on `concurrentPerform`'s threads when those
/// are busy with another loop); results (or the first error, by item order) come back once every item has
/// finished. Numeric kernels that call BLAS from the items should do so inside
/// ``BLASRuntime/withSingleThreadedCalls(_:)`` so the cores are not oversubscribed.
public enum ParallelMap {
  /// Applies `transform` to `0..<count` in parallel and returns the results in index order.
  ///
  /// - Parameters:
  ///   - count: The number of items.
  ///   - transform: The work for one item; called exactly once per index, from several threads at once.
  /// - Returns: `[transform(0), transform(1), …]`.
  /// - Throws: The error of the lowest-numbered item that failed (every item still runs to completion).
  public static func map<Result: Sendable, Failure: Error>(
    count: Int, _ transform: @Sendable (Int) throws(Failure) -> Result
  ) throws(Failure) -> [Result] {
    guard count > 0 else { return [] }
    if count == 1 { return [try transform(0)] }
    let slots = UnsafeMutableBufferPointer<Swift.Result<Result, Failure>?>.allocate(capacity: count)
    slots.initialize(repeating: nil)
    defer {
      // Release the results before freeing the buffer, or they would leak.
      slots.deinitialize()
      slots.deallocate()
    }
    nonisolated(unsafe) let results = slots
    forEach(count: count) { index in
      results[index] = Swift.Result { () throws(Failure) -> Result in try transform(index) }
    }
    var values: [Result] = []
    values.reserveCapacity(count)
    for slot in slots {
      // Every index ran exactly once, so every slot holds a result.
      values.append(try slot!.get())
    }
    return values
  }

  /// Runs `body(index)` for every index of `0..<count` in parallel, for loops whose items write disjoint memory.
  public static func forEach(count: Int, _ body: @Sendable (Int) -> Void) {
    guard count > 0 else { return }
    if count == 1 { return body(0) }
    let workers = SpinningWorkers.shared
    if workers.run(count: count, body) { return }
    if workers.isInsideLoop {
      for index in 0..<count { body(index) }
      return
    }
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
  }

  /// Applies `transform` to each element of `items` in parallel and returns the results in order.
  ///
  /// - Throws: The error of the first element (by position) whose transform failed.
  public static func map<Item: Sendable, Result: Sendable, Failure: Error>(
    _ items: [Item], _ transform: @Sendable (Item) throws(Failure) -> Result
  ) throws(Failure) -> [Result] {
    try map(count: items.count) { (index) throws(Failure) in try transform(items[index]) }
  }
}
