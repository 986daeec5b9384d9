import Foundation

@testable import NeuroIO

/// Shared helpers for NeuroIO tests: fixture paths and scratch directories.
enum TestSupport {
  /// The file URL of a committed fixture under `Resources/`.
  static func fixture(_ name: String) -> URL {
    Bundle.module.resourceURL!.appendingPathComponent(name)
  }

  /// The file URL of `path` (the readers and writers take URLs; the tests build paths in scratch folders).
  static func url(_ path: String) -> URL {
    URL(fileURLWithPath: path)
  }

  /// A fresh temporary directory, unique per call.
  static func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "neuroio-tests-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// A seeded SplitMix64 generator, so every random test input is reproducible.
  struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }
}
