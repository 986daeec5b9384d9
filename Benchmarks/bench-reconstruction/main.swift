// bench-reconstruction: wall time and peak memory of the reconstruction pipeline's stages at the paper's
// scale (issue 8).
//
//   (a) loading, cleaning and epoching one paper-scale subject (18 runs × 410 volumes, 194,131 voxels) from
//       NIfTI through `MusicGenreDataset`, as `reconstruct` does. The one-subject `paper` dataset is generated
//       on first use into ${RECON_BENCH_DIR:-/tmp/resonance-recon-bench} (≈ 6.3 GB, ≈ 3–9 minutes) and reused.
//   (b) everything after loading, on the generator's full-scale in-memory pairs of 5 subjects: embedding
//       bridge, voxel selection (encoding CV + threshold sweep), alignment, decoder, identification metrics.
//
// Usage: bench-reconstruction [--json PATH] [--stage a|b] [--subjects N] [--preset paper|demo|tiny]
// (--preset changes stage (b) only and is for smoke tests.)
// Without --stage, each stage runs in its own child process (so each process's peak memory is its own) and
// the results are merged. Inside a stage, each step's peak is the process's VmHWM after resetting it through
// /proc/self/clear_refs. Progress goes to stderr; the goal is 5 × (a) + template mask + (b) < 600 s, < 4 GB.

import Foundation
import LinearAlgebra
import SyntheticDataset

var jsonPath: String?
var stage: String?
var subjects = 5
var preset = DatasetPreset.paper
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
  switch argument {
  case "--json": jsonPath = arguments.next()
  case "--stage": stage = arguments.next()
  case "--subjects": subjects = arguments.next().flatMap { Int($0) } ?? 0
  case "--preset": preset = arguments.next().flatMap(DatasetPreset.init(rawValue:)) ?? .paper
  default:
    FileHandle.standardError.write(Data("bench-reconstruction: unknown argument \(argument)\n".utf8))
    exit(2)
  }
}
guard subjects >= 1, stage == nil || stage == "a" || stage == "b" else {
  FileHandle.standardError.write(Data("bench-reconstruction: --stage takes a or b, --subjects a positive count\n".utf8))
  exit(2)
}
let folder = URL(
  fileURLWithPath: ProcessInfo.processInfo.environment["RECON_BENCH_DIR"] ?? "/tmp/resonance-recon-bench",
  isDirectory: true)

/// Writes `object` as pretty JSON to `path` through a temporary file renamed into place.
func writeJSON(_ object: [String: Any], to path: String) throws {
  let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
  let url = URL(fileURLWithPath: path)
  let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
  try data.write(to: temporary)
  guard rename(temporary.path, url.path) == 0 else {
    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
  }
}

/// Runs one stage in a child process of this executable and returns its JSON.
func runChild(stage: String, subjects: Int) throws -> [String: Any] {
  let output = FileManager.default.temporaryDirectory.appendingPathComponent(
    "bench-reconstruction-\(getpid())-\(stage).json")
  let process = Process()
  process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
  process.arguments = ["--stage", stage, "--subjects", String(subjects), "--json", output.path]
  try process.run()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw CocoaError(
      .executableLoad, userInfo: [NSLocalizedDescriptionKey: "stage \(stage) exited with \(process.terminationStatus)"])
  }
  defer { try? FileManager.default.removeItem(at: output) }
  let object = try JSONSerialization.jsonObject(with: Data(contentsOf: output))
  return object as? [String: Any] ?? [:]
}

func seconds(_ object: [String: Any]?, _ step: String) -> Double {
  ((object?["steps"] as? [String: Any])?[step] as? [String: Any])?["seconds"] as? Double ?? 0
}

func peak(_ object: [String: Any]?) -> Int {
  guard let steps = object?["steps"] as? [String: Any] else { return 0 }
  return steps.values.compactMap { ($0 as? [String: Any])?["peakResidentBytes"] as? Int }.max() ?? 0
}

do {
  if let stage {
    let meter = StageMeter()
    let details =
      stage == "a"
      ? try runLoadingStage(meter: meter, folder: folder)
      : try runAnalysisStage(meter: meter, subjects: subjects, preset: preset)
    var result: [String: Any] = ["stage": stage, "steps": meter.json, "details": details]
    result["peakResetWorks"] = meter.resetWorks
    if let jsonPath { try writeJSON(result, to: jsonPath) }
  } else {
    let uptime = { () -> String in
      let process = Process()
      let pipe = Pipe()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/uptime")
      process.standardOutput = pipe
      try? process.run()
      process.waitUntilExit()
      return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }
    let before = uptime()
    let loading = try runChild(stage: "a", subjects: subjects)
    let analysis = try runChild(stage: "b", subjects: subjects)
    let loadingSeconds = seconds(loading, "(a) load + clean + epoch sub-001, 18 runs")
    let maskSeconds = seconds(loading, "template mask (EPI mask of sub-001's first run)")
    let analysisSteps = (analysis["steps"] as? [String: Any])?["order"] as? [String] ?? []
    let analysisSeconds = analysisSteps.filter { $0.hasPrefix("(b)") }.map { seconds(analysis, $0) }.reduce(0, +)
    let total = maskSeconds + 5 * loadingSeconds + analysisSeconds
    let peakBytes = max(peak(loading), peak(analysis))
    let summary: [String: Any] = [
      "loadingOneSubjectSeconds": loadingSeconds, "templateMaskSeconds": maskSeconds,
      "analysisSeconds": analysisSeconds, "estimatedPipelineSeconds": total, "peakResidentBytes": peakBytes,
      "goalSeconds": 600, "goalBytes": 4_000_000_000, "goalMet": total < 600 && peakBytes < 4_000_000_000,
    ]
    let results: [String: Any] = [
      "benchmark": "bench-reconstruction", "blasKernel": BLASRuntime.kernelName,
      "blasKernelChoice": BLASRuntime.kernelChoice.jsonObject, "usableCores": BLASRuntime.coreCount,
      "uptimeBefore": before,
      "uptimeAfter": uptime(), "date": ISO8601DateFormatter().string(from: Date()),
      "cores": ProcessInfo.processInfo
        .activeProcessorCount, "loading": loading, "analysis": analysis, "summary": summary,
    ]
    print(
      String(
        format: "template mask %.1f s + 5 × (a) %.1f s + (b) %.1f s = %.1f s (goal < 600 s); peak RSS %.2f GB "
          + "(goal < 4 GB): goal %@", maskSeconds, loadingSeconds, analysisSeconds, total, Double(peakBytes) / 1e9,
        total < 600 && peakBytes < 4_000_000_000 ? "met" : "missed"))
    print("OpenBLAS kernel: \(BLASRuntime.kernelChoice)")
    print("uptime before: \(before)\nuptime after:  \(uptime())")
    if let jsonPath { try writeJSON(results, to: jsonPath) }
  }
} catch {
  FileHandle.standardError.write(Data("bench-reconstruction: \(error)\n".utf8))
  exit(1)
}
