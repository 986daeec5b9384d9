import Foundation
import LinearAlgebra
import NeuroIO

@testable import SyntheticDataset

/// The `tiny` dataset (seed 7), written once per test process and shared by the dataset tests.
struct TinyDataset: Sendable {
  let root: URL
  let generator: DatasetGenerator
  let summary: DatasetSummary

  static let seed: UInt64 = 7
  static let prefix = "resonance-synthetic-tiny-"

  static let shared: Result<TinyDataset, SyntheticDatasetError> = {
    let temporary = FileManager.default.temporaryDirectory
    // Remove what earlier, finished test processes of this suite left behind (only this suite's own prefix, and
    // only when the process named by the suffix is gone: a concurrent test run on the machine keeps its copy).
    if let old = try? FileManager.default.contentsOfDirectory(atPath: temporary.path) {
      for name in old where name.hasPrefix(prefix) {
        if let pid = Int32(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) == 0 || errno == EPERM {
          continue
        }
        try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
      }
    }
    let root = temporary.appendingPathComponent("\(prefix)\(getpid())")
    // Delete this process's copy when the test process exits (a C callback cannot capture, so rebuild the path).
    atexit {
      let path = FileManager.default.temporaryDirectory.appendingPathComponent("resonance-synthetic-tiny-\(getpid())")
      try? FileManager.default.removeItem(at: path)
    }
    do throws(SyntheticDatasetError) {
      let generator = try DatasetGenerator(configuration: .preset(.tiny, seed: seed))
      let summary = try generator.write(to: root)
      return .success(TinyDataset(root: root, generator: generator, summary: summary))
    } catch {
      return .failure(error)
    }
  }()

  static func get() throws -> TinyDataset { try shared.get() }

  func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

  func text(_ relative: String) throws -> String { try String(contentsOf: url(relative), encoding: .utf8) }
}

/// Linear detrend then population z-score of every column (the reference pipeline's cleaning).
func cleanedColumns(_ matrix: LinearAlgebra.Matrix<Float>) throws -> LinearAlgebra.Matrix<Float> {
  try matrix.linearlyDetrendedColumns().zScoredColumns(.population)
}
