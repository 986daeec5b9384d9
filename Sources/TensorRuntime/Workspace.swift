/// Reusable scratch memory for one forward pass (im2col columns, attention scores).
///
/// Ops that need temporary storage take a workspace and ask it for a buffer by slot number; the buffer only
/// grows, so a forward pass that repeats the same shapes allocates once. A workspace is owned by one pass at
/// a time: create one per call (or per thread) and do not share it between concurrent calls.
public final class Workspace {
  private var buffers: [UnsafeMutableBufferPointer<Float>] = []

  /// Creates an empty workspace.
  public init() {}

  deinit {
    for buffer in buffers { buffer.deallocate() }
  }

  /// The total number of floats held (for memory reports).
  public var capacity: Int { buffers.reduce(0) { $0 + $1.count } }

  /// A buffer of at least `count` floats in `slot`, reused across calls; its contents are unspecified.
  public func buffer(slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
    while buffers.count <= slot {
      buffers.append(UnsafeMutableBufferPointer<Float>.allocate(capacity: 0))
    }
    if buffers[slot].count < count {
      buffers[slot].deallocate()
      buffers[slot] = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
    }
    return buffers[slot].baseAddress!
  }
}
