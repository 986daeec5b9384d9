public import LinearAlgebra

/// Per-voxel moment matching of aligned data to the template's training statistics (the authors' formula).
///
/// `adjusted = (P − mean(P)) / (ε + std(P)) · std(T_train) + mean(T_train)` column by column, with
/// population standard deviations (NumPy's `std`) and `ε = 1e-8`. In the authors' code `P`'s statistics
/// come from the same split being adjusted, so test data are z-scored with their own 60-sample statistics
/// (transductive); ``apply(to:statisticsFrom:)`` offers the inductive alternative.
public struct MomentMatching: Sendable {
  /// The template's training mean per voxel.
  public var targetMeans: [Double]
  /// The template's training population standard deviation per voxel.
  public var targetStandardDeviations: [Double]
  /// The constant added to the data's standard deviation before dividing (`1e-8`).
  public var epsilon: Double

  /// Records the template's training statistics.
  ///
  /// - Throws: ``AlignmentError/nonFiniteInput(operation:row:column:)``.
  public init(template: Matrix<Float>, epsilon: Double = 1e-8) throws(AlignmentError) {
    try template.requireFiniteForAlignment("MomentMatching (template)")
    let t = template.converted(to: Double.self)
    targetMeans = t.columnMeans()
    targetStandardDeviations = t.columnStandardDeviations(.population)
    self.epsilon = epsilon
  }

  /// Adjusts `data` using its own column statistics (the authors' behaviour).
  public func apply(to data: Matrix<Float>) throws(AlignmentError) -> Matrix<Float> {
    try apply(to: data, statisticsFrom: data)
  }

  /// Adjusts `data` using the column statistics of `reference` (for example the aligned training data
  /// when adjusting test data, which avoids using test statistics).
  ///
  /// - Throws: ``AlignmentError/voxelCountMismatch(expected:actual:)`` or non-finite input.
  public func apply(to data: Matrix<Float>, statisticsFrom reference: Matrix<Float>) throws(AlignmentError)
    -> Matrix<Float>
  {
    guard data.columns == targetMeans.count else {
      throw .voxelCountMismatch(expected: targetMeans.count, actual: data.columns)
    }
    guard reference.columns == targetMeans.count else {
      throw .voxelCountMismatch(expected: targetMeans.count, actual: reference.columns)
    }
    try data.requireFiniteForAlignment("MomentMatching.apply (data)")
    try reference.requireFiniteForAlignment("MomentMatching.apply (reference)")
    let r = reference.converted(to: Double.self)
    let means = r.columnMeans()
    let deviations = r.columnStandardDeviations(.population)
    let width = data.columns
    let factor = (0..<width).map { targetStandardDeviations[$0] / (epsilon + deviations[$0]) }
    var result = data
    result.withUnsafeMutableBufferPointer { buffer in
      for i in 0..<data.rows {
        for j in 0..<width {
          let value = (Double(buffer[i * width + j]) - means[j]) * factor[j] + targetMeans[j]
          buffer[i * width + j] = Float(value)
        }
      }
    }
    return result
  }
}
