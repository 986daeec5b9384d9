/// A 4×4 affine transform from voxel indices `(i, j, k)` to world coordinates `(x, y, z)` in millimetres.
///
/// `world = A · [i, j, k, 1]ᵀ`; element `(r, c)` is `elements[r * 4 + c]` and the last row is `0 0 0 1`.
/// This is the `affine` of nibabel.
public struct Affine: Sendable, Hashable, CustomStringConvertible {
  /// The 16 elements in row-major order.
  public var elements: [Double]

  /// Creates an affine from 16 row-major elements.
  public init(elements: [Double]) {
    precondition(elements.count == 16, "An affine has 16 elements")
    self.elements = elements
  }

  /// Creates an affine from four rows of four elements.
  public init(rows: [[Double]]) {
    precondition(rows.count == 4 && rows.allSatisfy { $0.count == 4 }, "An affine has 4 rows of 4 elements")
    self.elements = rows.flatMap { $0 }
  }

  /// The identity transform.
  public static let identity = Affine(elements: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])

  /// A diagonal scaling by `voxelSizes` followed by a translation by `origin`.
  public static func scaling(_ voxelSizes: [Double], origin: [Double] = [0, 0, 0]) -> Affine {
    precondition(voxelSizes.count == 3 && origin.count == 3, "Scaling needs three sizes and a 3-D origin")
    return Affine(elements: [
      voxelSizes[0], 0, 0, origin[0], 0, voxelSizes[1], 0, origin[1], 0, 0, voxelSizes[2], origin[2], 0, 0, 0, 1,
    ])
  }

  /// Element `(row, column)`.
  public subscript(row: Int, column: Int) -> Double {
    get { elements[row * 4 + column] }
    set { elements[row * 4 + column] = newValue }
  }

  /// The four rows, as nibabel prints them.
  public var rows: [[Double]] { (0..<4).map { Array(elements[($0 * 4)..<($0 * 4 + 4)]) } }

  /// The voxel sizes implied by the affine: the Euclidean norms of the first three columns of the 3×3 part.
  public var voxelSizes: [Double] {
    (0..<3).map { c in ((0..<3).reduce(0.0) { $0 + self[$1, c] * self[$1, c] }).squareRoot() }
  }

  /// Maps a voxel position (fractional indices allowed) to world coordinates.
  public func apply(_ point: (Double, Double, Double)) -> (Double, Double, Double) {
    let e = elements
    return (
      e[0] * point.0 + e[1] * point.1 + e[2] * point.2 + e[3],
      e[4] * point.0 + e[5] * point.1 + e[6] * point.2 + e[7],
      e[8] * point.0 + e[9] * point.1 + e[10] * point.2 + e[11]
    )
  }

  /// The matrix product `self · other` (apply `other` first).
  public func composed(with other: Affine) -> Affine {
    var result = [Double](repeating: 0, count: 16)
    for r in 0..<4 {
      for c in 0..<4 {
        var sum = 0.0
        for k in 0..<4 { sum += self[r, k] * other[k, c] }
        result[r * 4 + c] = sum
      }
    }
    return Affine(elements: result)
  }

  /// The inverse transform, or `nil` when the 3×3 part is singular (determinant magnitude below 1e-12).
  public var inverse: Affine? {
    let a = self[0, 0]
    let b = self[0, 1]
    let c = self[0, 2]
    let d = self[1, 0]
    let e = self[1, 1]
    let f = self[1, 2]
    let g = self[2, 0]
    let h = self[2, 1]
    let i = self[2, 2]
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    guard abs(det) > 1e-12, det.isFinite else { return nil }
    let m: [Double] = [
      (e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
      (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
      (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
    ]
    let t = (self[0, 3], self[1, 3], self[2, 3])
    let tx = -(m[0] * t.0 + m[1] * t.1 + m[2] * t.2)
    let ty = -(m[3] * t.0 + m[4] * t.1 + m[5] * t.2)
    let tz = -(m[6] * t.0 + m[7] * t.1 + m[8] * t.2)
    return Affine(elements: [m[0], m[1], m[2], tx, m[3], m[4], m[5], ty, m[6], m[7], m[8], tz, 0, 0, 0, 1])
  }

  /// Whether every element differs from `other`'s by at most `tolerance` (absolute).
  public func isApproximatelyEqual(to other: Affine, tolerance: Double = 1e-5) -> Bool {
    zip(elements, other.elements).allSatisfy { abs($0 - $1) <= tolerance }
  }

  /// The four rows, one per line.
  public var description: String {
    rows.map { "[" + $0.map { String($0) }.joined(separator: ", ") + "]" }.joined(separator: "\n")
  }
}
