/// A dense, row-major float32 CPU tensor: a shape and its elements.
///
/// Elements are stored contiguously in row-major (C) order, so the element at index `(i₀, …, iₙ₋₁)` lives at
/// offset `Σ iₖ · strides[k]` with `strides[n−1] = 1` and `strides[k] = strides[k+1] · shape[k+1]`. Layout
/// changing operations (``permuted(_:)``, ``rolled(shifts:axes:)``, ``concatenated(_:axis:)``) produce a new
/// contiguous tensor; ``reshaped(_:)`` is free. The storage is a Swift array, so copies are copy-on-write and a
/// tensor is `Sendable`. A tensor of rank 0 (shape `[]`) holds one scalar.
public struct Tensor: Sendable, Equatable {
  /// The extent of every axis, outermost first.
  public private(set) var shape: [Int]
  /// The elements in row-major order; `elements.count` equals the product of ``shape``. Mutate them through
  /// ``subscript(flat:)`` or ``withUnsafeMutableBufferPointer(_:)``, which keep the count fixed.
  public private(set) var elements: [Float]

  /// Creates a tensor from a shape and its row-major elements.
  ///
  /// - Precondition: `elements.count` equals the product of `shape` and no extent is negative.
  public init(shape: [Int], elements: [Float]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor extents must be non-negative, got \(shape).")
    precondition(
      elements.count == shape.reduce(1, *),
      "A tensor of shape \(shape) needs \(shape.reduce(1, *)) elements, got \(elements.count).")
    self.shape = shape
    self.elements = elements
  }

  /// Creates a tensor of the given shape filled with `value`.
  public init(shape: [Int], repeating value: Float = 0) {
    self.init(shape: shape, elements: [Float](repeating: value, count: shape.reduce(1, *)))
  }

  /// Creates a tensor of the given shape whose elements are written by `body` into uninitialised storage.
  ///
  /// `body` must initialise every element of the buffer it receives (its count is the product of `shape`).
  public init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
    let count = shape.reduce(1, *)
    let elements = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      try body(buffer)
      initialized = count
    }
    self.init(shape: shape, elements: elements)
  }

  /// The number of axes.
  public var rank: Int { shape.count }

  /// The number of elements (the product of ``shape``).
  public var count: Int { elements.count }

  /// Row-major element strides: `strides[k]` is the distance between neighbours along axis `k`.
  public var strides: [Int] { Tensor.contiguousStrides(for: shape) }

  /// Row-major strides for `shape`.
  public static func contiguousStrides(for shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[axis] = running
      running *= shape[axis]
    }
    return strides
  }

  /// The element at a row-major flat offset (`0..<count`).
  public subscript(flat offset: Int) -> Float {
    get { elements[offset] }
    set { elements[offset] = newValue }
  }

  /// The element at a full multi-index (slow; for tests and debugging).
  public subscript(_ index: Int...) -> Float {
    get { elements[offset(of: index)] }
    set { elements[offset(of: index)] = newValue }
  }

  private func offset(of index: [Int]) -> Int {
    precondition(index.count == shape.count, "Index \(index) does not match the rank of shape \(shape).")
    var offset = 0
    for (axis, value) in index.enumerated() {
      precondition(value >= 0 && value < shape[axis], "Index \(index) is outside shape \(shape).")
      offset = offset * shape[axis] + value
    }
    return offset
  }

  /// The same elements viewed with another shape of equal element count; one extent may be `-1` (inferred).
  public func reshaped(_ newShape: [Int]) -> Tensor {
    var resolved = newShape
    if let inferred = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
      precondition(known > 0 && count % known == 0, "Cannot infer an axis reshaping \(shape) to \(newShape).")
      resolved[inferred] = count / known
    }
    var copy = self
    copy.reshape(resolved)
    return copy
  }

  /// Reshapes in place; the element count must not change.
  public mutating func reshape(_ newShape: [Int]) {
    precondition(
      newShape.reduce(1, *) == count && newShape.allSatisfy { $0 >= 0 },
      "Cannot reshape \(shape) (\(count) elements) to \(newShape).")
    shape = newShape
  }

  /// Calls `body` with a read-only pointer to the row-major elements.
  @inlinable
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try elements.withUnsafeBufferPointer(body)
  }

  /// Calls `body` with a mutable pointer to the row-major elements.
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    try elements.withUnsafeMutableBufferPointer(body)
  }

  /// The largest absolute element-wise difference to `other` (same shape required).
  public func maximumAbsoluteDifference(to other: Tensor) -> Float {
    precondition(shape == other.shape, "Cannot compare shapes \(shape) and \(other.shape).")
    var largest: Float = 0
    for index in 0..<count {
      largest = Swift.max(largest, abs(elements[index] - other.elements[index]))
    }
    return largest
  }

  /// Whether every element satisfies `|a − b| ≤ absoluteTolerance + relativeTolerance · |b|`, where `b` is
  /// `other` (the reference), as in NumPy's `allclose`.
  public func isApproximatelyEqual(
    to other: Tensor, relativeTolerance: Float, absoluteTolerance: Float = 0
  ) -> Bool {
    guard shape == other.shape else { return false }
    for index in 0..<count {
      let a = elements[index]
      let b = other.elements[index]
      if !(abs(a - b) <= absoluteTolerance + relativeTolerance * abs(b)) { return false }
    }
    return true
  }
}
