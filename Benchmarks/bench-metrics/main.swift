// `make bench` for DecodingMetrics (issue 21): 10,000 permutations of a 60 × 60 identification (N = 2, 5, 10, 50
// at once, the p-values' cost), the Fréchet distance of two 60 × 512 sets (and 480 × 512, the eigendecomposition
// path), and a whole ReconstructionEvaluation of 60 × 512 embeddings with its defaults. Human-readable on stdout,
// JSON with `--json PATH`; `--data DIR` writes the inputs as .npy for the NumPy/SciPy side (run.sh).

import DecodingMetrics
import Foundation
import LinearAlgebra
import NeuroIO

struct Measurement: Codable {
  var name: String
  var medianSeconds: Double
  var repetitions: Int
}

struct Report: Codable {
  var module = "DecodingMetrics"
  var cpu: String
  var kernel: String
  var blasThreads: Int
  var measurements: [Measurement]
}

func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  return sorted.count % 2 == 1
    ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func time(repetitions: Int, _ body: () throws -> Void) rethrows -> Double {
  let clock = ContinuousClock()
  try body()  // warm-up
  var seconds: [Double] = []
  for _ in 0..<repetitions {
    let elapsed = try clock.measure(body)
    seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
  }
  return median(seconds)
}

func cpuModel() -> String {
  guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
  for line in text.split(separator: "\n") where line.hasPrefix("model name") {
    return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
  }
  return "unknown"
}

var jsonPath: String?
var dataFolder: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
  if argument == "--json" { jsonPath = arguments.next() }
  if argument == "--data" { dataFolder = arguments.next() }
}

var generator = SeededRandomNumberGenerator(seed: 21)
let originals = Matrix<Double>.randomNormal(rows: 60, columns: 512, using: &generator)
let reconstructions = originals + 3 * Matrix<Double>.randomNormal(rows: 60, columns: 512, using: &generator)
let training = Matrix<Double>.randomNormal(rows: 480, columns: 512, using: &generator)
let similarity = try Similarity.definedMatrix(reconstructions: reconstructions, originals: originals)
if let dataFolder {
  try FileManager.default.createDirectory(atPath: dataFolder, withIntermediateDirectories: true)
  try NumPyArray(originals).write(to: URL(fileURLWithPath: dataFolder + "/originals.npy"))
  try NumPyArray(reconstructions).write(to: URL(fileURLWithPath: dataFolder + "/reconstructions.npy"))
  try NumPyArray(training).write(to: URL(fileURLWithPath: dataFolder + "/training.npy"))
  try NumPyArray(similarity).write(to: URL(fileURLWithPath: dataFolder + "/similarity.npy"))
}

var measurements: [Measurement] = []
var checks: [String: Double] = [:]
@MainActor func measure(_ name: String, repetitions: Int, _ body: () throws -> Void) rethrows {
  measurements.append(
    Measurement(name: name, medianSeconds: try time(repetitions: repetitions, body), repetitions: repetitions))
}
try measure("10,000 permutations of 60x60, N = 2", repetitions: 7) {
  checks["p2"] = try SignificanceTests.nWayPermutationTest(
    similarity: similarity, ways: [2], permutations: 10_000, seed: 1)[0].pValue
}
try measure("10,000 permutations of 60x60, N = 2, 5, 10, 50", repetitions: 7) {
  _ = try SignificanceTests.nWayPermutationTest(
    similarity: similarity, ways: [2, 5, 10, 50], permutations: 10_000, seed: 1)
}
try measure("Frechet distance 60x512 vs 60x512", repetitions: 21) {
  checks["frechet60"] = try FrechetDistance.distance(reconstructions, originals)
}
try measure("Frechet distance 480x512 vs 60x512", repetitions: 5) {
  checks["frechet480"] = try FrechetDistance.distance(training, originals)
}
try measure(
  "ReconstructionEvaluation 60x512 (defaults: 10,000 permutations, 1,000 bootstrap resamples)", repetitions: 3
) {
  _ = try ReconstructionEvaluation().evaluate(originals: originals, reconstructions: reconstructions)
}

let report = Report(
  cpu: cpuModel(), kernel: BLASRuntime.kernelName, blasThreads: BLASRuntime.threadCount, measurements: measurements)
print("DecodingMetrics on \(report.cpu), OpenBLAS kernel \(report.kernel), \(report.blasThreads) BLAS threads")
for measurement in measurements {
  print(
    "  \(measurement.name): \(String(format: "%.4f", measurement.medianSeconds)) s "
      + "(median of \(measurement.repetitions))"
  )
}
print("  checks: \(checks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
if let jsonPath {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  var object = try JSONSerialization.jsonObject(with: encoder.encode(report)) as! [String: Any]
  object["checks"] = checks
  try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(
    to: URL(fileURLWithPath: jsonPath))
}
