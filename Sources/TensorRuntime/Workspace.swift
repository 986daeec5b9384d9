/// Reusable scratch memory for one forward pass (im2col columns, attention scores).
///
/// Ops that need temporary storage take a workspace and ask it for a buffer by slot number; the buffer only
/// grows, so a forward pass that repeats the same shapes allocates once. A workspace is owned by one pass at
/// a time: create one per call (or per thread) and do not share it between concurrent calls.
public final class Workspace {
  private var buffers: [UnsafeMutableBufferPointer<Float>] = []
  /// Packed bfloat16 operands (``ComputePrecision/bfloat16``), by slot.
  private var packedBuffers: [UnsafeMutableBufferPointer<UInt16>] = []

  /// Creates an empty workspace.
  public init() {}

  deinit {
    for buffer in buffers { buffer.deallocate() }
    for buffer in packedBuffers { buffer.deallocate() }
  }

  /// The total number of floats held (for memory reports; two bfloat16 words count as one float).
  public var capacity: Int { buffers.reduce(0) { $0 + $1.count } + packedBuffers.reduce(0) { $0 + $1.count } / 2 }

  /// A buffer of at least `count` floats in `slot`, reused across calls; its contents are unspecified.
  public func buffer(slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
    Self.buffer(in: &buffers, slot: slot, count: count)
  }

  /// A buffer of at least `count` 16-bit words in `slot` for packed bfloat16 operands, reused across calls
  /// (slots separate from ``buffer(slot:count:)``'s); its contents are unspecified.
  func packedBuffer(slot: Int, count: Int) -> UnsafeMutablePointer<UInt16> {
    Self.buffer(in: &packedBuffers, slot: slot, count: count)
  }

  /// Slot `slot` of `buffers`, grown to at least `count` elements.
  private static func buffer<Element>(
    in buffers: inout [UnsafeMutableBufferPointer<Element>], slot: Int, count: Int
  ) -> UnsafeMutablePointer<Element> {
    while buffers.count <= slot {
      buffers.append(UnsafeMutableBufferPointer<Element>.allocate(capacity: 0))
    }
    if buffers[slot].count < count {
      buffers[slot].deallocate()
      buffers[slot] = UnsafeMutableBufferPointer<Element>.allocate(capacity: count)
    }
    return buffers[slot].baseAddress!
  }
}
