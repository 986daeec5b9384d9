import Foundation
import TensorRuntime

/// Paths and tensors of the committed reference fixtures (Tools/reference/clap/make_fixtures.py).
enum Fixtures {
  static var resources: String {
    Bundle.module.url(forResource: "Resources", withExtension: nil)!.path
  }

  static func directory(_ name: String) -> String {
    (resources as NSString).appendingPathComponent(name)
  }

  /// ``directory(_:)`` as a file URL.
  static func url(_ name: String) -> URL { URL(fileURLWithPath: directory(name)) }

  static func tensors(_ model: String) throws -> SafetensorsFile {
    try SafetensorsFile(
      url: URL(fileURLWithPath: (directory(model) as NSString).appendingPathComponent("fixtures.safetensors")))
  }
}

/// Comparison figures between a result and its reference.
struct Agreement: CustomStringConvertible {
  /// `max |a − b|`.
  var maximumAbsolute: Float
  /// `max |a − b| / max |b|` (error relative to the tensor's scale).
  var relativeToScale: Float

  init(_ actual: Tensor, _ expected: Tensor) {
    precondition(actual.shape == expected.shape, "shapes \(actual.shape) and \(expected.shape) differ")
    maximumAbsolute = actual.maximumAbsoluteDifference(to: expected)
    let scale = expected.elements.reduce(Float(0)) { Swift.max($0, abs($1)) }
    relativeToScale = maximumAbsolute / Swift.max(scale, .leastNormalMagnitude)
  }

  var description: String { "max abs \(maximumAbsolute), relative to scale \(relativeToScale)" }
}

/// Prints achieved tolerances when `CLAP_REPORT=1` (used to fill Docs/notes/clap.md).
func report(_ line: @autoclosure () -> String) {
  if ProcessInfo.processInfo.environment["CLAP_REPORT"] == "1" { print("[clap-report] \(line())") }
}
