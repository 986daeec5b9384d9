// `make bench` for LinearAlgebra: SGEMM/DGEMM throughput on 2048² matrices, the 480×512 thin SVD that
// every ridge fold needs, and the active OpenBLAS kernel. Human-readable on stdout, JSON with `--json PATH`.

import Foundation
import LinearAlgebra

struct Measurement: Codable {
  var name: String
  var medianSeconds: Double
  var gflopsPerSecond: Double?
  var repetitions: Int
}

struct Report: Codable {
  var module = "LinearAlgebra"
  var kernel: String
  var kernelChoice = BLASRuntime.kernelChoice
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
  try body()  // warm-up: thread pool start, page faults
  var seconds: [Double] = []
  for _ in 0..<repetitions {
    let elapsed = try clock.measure(body)
    seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
  }
  return median(seconds)
}

func gemmBenchmark<S: LinearAlgebraScalar>(_: S.Type, size: Int, repetitions: Int) throws -> Measurement {
  var generator = SeededRandomNumberGenerator(seed: 1)
  let a = Matrix<S>.randomNormal(rows: size, columns: size, using: &generator)
  let b = Matrix<S>.randomNormal(rows: size, columns: size, using: &generator)
  var c = Matrix<S>(rows: size, columns: size)
  let seconds = try time(repetitions: repetitions) { try Matrix.gemm(a, b, into: &c) }
  let flops = 2 * Double(size) * Double(size) * Double(size)
  return Measurement(
    name: "\(S.self == Float.self ? "sgemm" : "dgemm") \(size)x\(size)", medianSeconds: seconds,
    gflopsPerSecond: flops / seconds / 1e9, repetitions: repetitions)
}

var jsonPath: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
  if argument == "--json" { jsonPath = arguments.next() }
}

var measurements: [Measurement] = []
measurements.append(try gemmBenchmark(Float.self, size: 2048, repetitions: 7))
measurements.append(try gemmBenchmark(Double.self, size: 2048, repetitions: 5))
var generator = SeededRandomNumberGenerator(seed: 2)
let design = Matrix<Float>.randomNormal(rows: 480, columns: 512, using: &generator)
let svdSeconds = try time(repetitions: 9) { _ = try design.singularValueDecomposition() }
measurements.append(Measurement(name: "sgesdd 480x512 thin SVD", medianSeconds: svdSeconds, repetitions: 9))

let report = Report(kernel: BLASRuntime.kernelName, blasThreads: BLASRuntime.threadCount, measurements: measurements)
print("OpenBLAS kernel: \(report.kernelChoice), threads: \(report.blasThreads)")
for measurement in measurements {
  let rate = measurement.gflopsPerSecond.map { String(format: "  %.1f GFLOP/s", $0) } ?? ""
  print(String(format: "%-28@ median %.4f s", measurement.name as NSString, measurement.medianSeconds) + rate)
}
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
let data = try encoder.encode(report)
if let jsonPath {
  try data.write(to: URL(fileURLWithPath: jsonPath), options: .atomic)
} else {
  print(String(decoding: data, as: UTF8.self))
}
