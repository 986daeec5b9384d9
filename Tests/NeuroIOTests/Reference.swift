import Foundation

/// The parity fixtures recorded by `Tools/reference/neuroio/make_fixtures.py` (nibabel 5.3.2, nilearn 0.11.1).
struct Reference: Decodable {
  struct Image: Decodable {
    let version: Int
    let shape: [Int]
    let datatype: String
    let pixdim: [Double]
    let affine: [[Double]]
    let qform_code: Int
    let sform_code: Int
    let scl_slope: Double
    let scl_inter: Double
    let zoom_t: Double?
    let sum: Double
    let sum_of_squares: Double
    let min: Double
    let max: Double
    let nonzero: Int
    let samples: [[Double]]
  }

  struct EPIMask: Decodable {
    let file: String
    let opening: Int
    let output: String
    let count: Int
  }

  struct MaskerRecord: Decodable {
    let file: String
    let shape: [Int]
    let row_sums: [Double]
    let entries: [[Double]]
  }

  struct Smooth: Decodable {
    let file: String
    let fwhm: Double
    let sum: Double
    let sum_of_squares: Double
    let samples: [[Double]]
  }

  struct Threshold: Decodable {
    let file: String
    let threshold: Double
    let cluster_threshold: Int
    let two_sided: Bool
    let output: String
    let nonzero: Int
    let sum: Double
  }

  struct Resample: Decodable {
    let file: String
    let interpolation: String
    let affine: [[Double]]
    let shape: [Int]
    let sum: Double
    let samples: [[Double]]
  }

  struct NPY: Decodable {
    let shape: [Int]
    let values: [Double]
  }

  let images: [String: Image]
  let epi_mask: [EPIMask]
  let masker: MaskerRecord
  let smooth: [Smooth]
  let threshold: [Threshold]
  let resample: [Resample]
  let npy: [String: NPY]

  /// The decoded `reference.json`.
  static let shared: Reference = {
    let data = try! Data(contentsOf: TestSupport.fixture("reference.json"))
    return try! JSONDecoder().decode(Reference.self, from: data)
  }()
}
