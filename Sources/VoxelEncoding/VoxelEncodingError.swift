public import DecodingMetrics
public import NeuroIO
public import Regression

/// Errors thrown by the `VoxelEncoding` module.
public enum VoxelEncodingError: Error, Sendable, CustomStringConvertible {
  /// The response matrix does not have one column per mask voxel.
  case maskMismatch(maskVoxels: Int, responseColumns: Int)
  /// A row count disagrees (features, responses, decoding targets).
  case sampleCountMismatch(String)
  /// A threshold selected no voxel, or every threshold of a sweep did.
  case emptySelection(String)
  /// An argument is outside its valid range.
  case invalidArgument(String)
  /// The ridge encoding or decoding model failed.
  case regression(RegressionError)
  /// An image operation (smoothing, thresholding, masking) failed.
  case image(NIfTIError)
  /// Identification scoring failed.
  case metrics(MetricsError)

  /// A full sentence naming the offending shapes or values.
  public var description: String {
    switch self {
    case .maskMismatch(let maskVoxels, let responseColumns):
      return "The mask has \(maskVoxels) voxels but the responses have \(responseColumns) columns; they must match."
    case .sampleCountMismatch(let detail):
      return "Row counts disagree: \(detail)."
    case .emptySelection(let detail):
      return "No voxel was selected: \(detail)."
    case .invalidArgument(let detail):
      return "Invalid argument: \(detail)."
    case .regression(let error):
      return "The ridge model failed: \(error.description)"
    case .image(let error):
      return "An image operation failed: \(error.description)"
    case .metrics(let error):
      return "Identification scoring failed: \(error.description)"
    }
  }
}
