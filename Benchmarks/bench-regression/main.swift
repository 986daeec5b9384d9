// bench-regression: voxel-wise cross-validated ridge (480 × 512 → V voxels, 10 alphas, 5 folds) and ridge
// functional alignment (480 × 3433 → 3433, 5 folds), timed with an SGEMM probe, GFLOP/s against the exact
// FLOP count, CPU seconds per fit, and peak memory. Prints one JSON object; `run.sh` runs himalaya on the same
// data beside it.
//
// Usage: bench-regression [--task encoding|alignment] [--voxels V] [--data DIR] [--repeats R] [--json PATH]
//   --data DIR reads DIR/X.f32 (480 × 512) and DIR/Y_<V>.f32 (480 × V), raw little-endian float32, as
//   written by run.sh; without it a seeded synthetic problem with planted signal is generated here.

import Foundation
import FunctionalAlignment
import LinearAlgebra
@_spi(Benchmarks) import Regression

struct Options {
  var task = "encoding"
  var voxels = 20_000
  var data: String?
  var repeats = 3
  var json: String?
  var samples = 480
  var features = 512
  var alignmentVoxels = 3433
  /// `--fused-tiles automatic|avx2|none`: which kernels the encoding fit uses (A/B on one machine).
  var fusedTiles = FusedTiles.automatic
}

func parseOptions() -> Options {
  var options = Options()
  var arguments = CommandLine.arguments.dropFirst().makeIterator()
  while let argument = arguments.next() {
    switch argument {
    case "--task": options.task = arguments.next() ?? options.task
    case "--voxels": options.voxels = Int(arguments.next() ?? "") ?? options.voxels
    case "--data": options.data = arguments.next()
    case "--repeats": options.repeats = Int(arguments.next() ?? "") ?? options.repeats
    case "--json": options.json = arguments.next()
    case "--alignment-voxels": options.alignmentVoxels = Int(arguments.next() ?? "") ?? options.alignmentVoxels
    case "--fused-tiles":
      switch arguments.next() {
      case "automatic": options.fusedTiles = .automatic
      case "avx2": options.fusedTiles = .avx2
      case "none": options.fusedTiles = .none
      default:
        FileHandle.standardError.write(Data("--fused-tiles takes automatic, avx2 or none\n".utf8))
        exit(2)
      }
    default:
      FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
      exit(2)
    }
  }
  return options
}

/// Seeded standard normal numbers (SplitMix64 + Box–Muller).
struct Gaussian {
  var state: UInt64
  mutating func next() -> Float {
    func step() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    let u1 = Double(step() >> 11) / Double(1 << 53) + 1e-300
    let u2 = Double(step() >> 11) / Double(1 << 53)
    return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
  }
}

func readRaw(_ path: String, rows: Int, columns: Int) throws -> Matrix<Float> {
  let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
  guard data.count == rows * columns * 4 else {
    throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(path): wrong size \(data.count)"])
  }
  var scalars = [Float](repeating: 0, count: rows * columns)
  _ = scalars.withUnsafeMutableBytes { data.copyBytes(to: $0) }
  return try Matrix(rows: rows, columns: columns, scalars: scalars)
}

/// A synthetic encoding problem: unit-norm feature rows (CLAP-like), 30 % of voxels driven by a random
/// linear map, the rest pure noise; all columns centred (himalaya's `fit_intercept=False` convention).
func syntheticEncoding(samples n: Int, features p: Int, voxels v: Int) throws -> (Matrix<Float>, Matrix<Float>) {
  var gaussian = Gaussian(state: 20_260_101)
  var x = Matrix<Float>(rows: n, columns: p) { _, _ in gaussian.next() }
  x = x.normalizedRows(centred: false)
  x = try x.zScoredColumns().normalizedRows(centred: false)
  let signal = 64
  let w = Matrix<Float>(rows: p, columns: signal) { _, _ in gaussian.next() }
  let drive = try x.multiplied(by: w)
  let y = Matrix<Float>(rows: n, columns: v) { i, j in
    (j % 10 < 3 ? drive[i, j % signal] : 0) + gaussian.next()
  }
  return (x, try y.zScoredColumns())
}

func peakResidentBytes() -> Int {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let digits = line.split(separator: " ").compactMap { Int($0) }
    return (digits.first ?? 0) * 1024
  }
  return 0
}

/// SGEMM throughput right now (2048³, best of 3), to tell a busy machine from a slow kernel.
func sgemmProbe() -> Double {
  let n = 2048
  let a = [Float](repeating: 0.5, count: n * n)
  var c = [Float](repeating: 0, count: n * n)
  var best = Double.infinity
  for _ in 0..<3 {
    let start = DispatchTime.now().uptimeNanoseconds
    a.withUnsafeBufferPointer { pa in
      c.withUnsafeMutableBufferPointer { pc in
        Float.gemm(
          transposeA: .none, transposeB: .none, m: n, n: n, k: n, alpha: 1, a: pa.baseAddress!, lda: n,
          b: pa.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
      }
    }
    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  return 2 * pow(Double(n), 3) / best / 1e9
}

/// The exact FLOP count of K-fold ridge CV + per-voxel refit (ridge-anchors §1):
/// `Σ_f 2·A·n_test·n_train + 2·r·n + 2·p·r` per voxel.
func encodingFlops(samples n: Int, features p: Int, alphas: Int, folds: Int, voxels: Int) -> Double {
  var perVoxel = 0.0
  for f in 0..<folds {
    let nTest = n / folds + (f < n % folds ? 1 : 0)
    perVoxel += 2 * Double(alphas * nTest * (n - nTest))
  }
  let r = min(n, p)
  perVoxel += 2 * Double(r * n) + 2 * Double(p * r)
  return perVoxel * Double(voxels)
}

/// CPU seconds this process has used so far, all threads (user + system).
func processCPUSeconds() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  return sorted[sorted.count / 2]
}

func run() throws {
  let options = parseOptions()
  var report: [String: Any] = [
    "task": options.task, "kernel": BLASRuntime.kernelName, "kernel_choice": BLASRuntime.kernelChoice.jsonObject,
    "threads": BLASRuntime.threadCount,
    "sgemm_probe_gflops_before": sgemmProbe(),
  ]
  var times: [Double] = []
  /// CPU seconds of each encoding fit (both cores busy: up to twice the wall time).
  var cpuTimes: [Double] = []
  switch options.task {
  case "encoding":
    let (x, y): (Matrix<Float>, Matrix<Float>)
    if let directory = options.data {
      x = try readRaw("\(directory)/X.f32", rows: options.samples, columns: options.features)
      y = try readRaw("\(directory)/Y_\(options.voxels).f32", rows: options.samples, columns: options.voxels)
    } else {
      (x, y) = try syntheticEncoding(samples: options.samples, features: options.features, voxels: options.voxels)
    }
    var configuration = RidgeCrossValidation()
    configuration.fusedTiles = options.fusedTiles
    report["ridge_fused_kernel"] = RidgeCrossValidation.fusedScoringKernel(for: configuration)
    var last: RidgeCrossValidationResult<Float>?
    for _ in 0..<options.repeats {
      last = nil  // release the previous result first: peak memory is that of one fit
      let start = DispatchTime.now().uptimeNanoseconds
      let cpuStart = processCPUSeconds()
      last = try configuration.fit(features: x, targets: y)
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      cpuTimes.append(processCPUSeconds() - cpuStart)
    }
    let flops = encodingFlops(
      samples: x.rows, features: x.columns, alphas: configuration.alphas.count, folds: 5, voxels: y.columns)
    let seconds = median(times)
    report["voxels"] = y.columns
    report["cpu_seconds"] = cpuTimes
    report["gflop"] = flops / 1e9
    report["gflops_achieved"] = flops / seconds / 1e9
    if let result = last {
      let correlation = result.crossValidatedCorrelation
      report["mean_cv_score"] = result.bestScores.reduce(0, +) / Double(max(1, y.columns))
      report["mean_cv_correlation"] = correlation.reduce(0, +) / Double(max(1, y.columns))
      report["alphas_at_top"] = result.gridEdgeCounts.largest
      report["phase_seconds"] = [
        "setup": result.timings.setupSeconds, "cross_validation_gemm": result.timings.crossValidationSeconds,
        "scoring": result.timings.scoringSeconds, "refit": result.timings.refitSeconds,
      ]
      if let directory = options.data {
        let alphas = result.bestAlphas.map { Float($0) }
        try alphas.withUnsafeBytes { Data($0) }.write(
          to: URL(fileURLWithPath: "\(directory)/swift_alphas_\(y.columns).f32"))
      }
    }
  case "alignment":
    var gaussian = Gaussian(state: 7)
    let n = options.samples
    let v = options.alignmentVoxels
    let template = Matrix<Float>(rows: n, columns: v) { _, _ in gaussian.next() }
    let mixing = Matrix<Float>(rows: v, columns: v) { _, _ in gaussian.next() / Float(v).squareRoot() }
    var source = try template.multiplied(by: mixing)
    source.withUnsafeMutableBufferPointer { buffer in
      for i in buffer.indices { buffer[i] = 0.8 * buffer[i] + 0.6 * gaussian.next() }
    }
    for _ in 0..<options.repeats {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try RidgeAlignment(
        alphas: RidgeCrossValidation.defaultAlphas, method: .crossValidated(.kFold(5), alphaScope: .perTarget)
      )
      .fit(source: source, template: template)
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    var paperTimes: [Double] = []
    for _ in 0..<options.repeats {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = try RidgeAlignment().fit(source: source, template: template)
      paperTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    report["voxels"] = v
    report["paper_loo_shared_seconds"] = median(paperTimes)
  default:
    throw NSError(domain: "bench", code: 2, userInfo: [NSLocalizedDescriptionKey: "unknown task \(options.task)"])
  }
  report["seconds"] = median(times)
  report["all_seconds"] = times
  report["peak_rss_mib"] = Double(peakResidentBytes()) / 1_048_576
  report["sgemm_probe_gflops_after"] = sgemmProbe()
  let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
  print(String(decoding: json, as: UTF8.self))
  if let path = options.json {
    try json.write(to: URL(fileURLWithPath: path))
  }
}

do {
  try run()
} catch {
  FileHandle.standardError.write(Data("bench-regression: \(error)\n".utf8))
  exit(1)
}
