// bench-dataset: time, disk size and peak memory to write one `paper`-preset subject of the synthetic dataset,
// and the time to compute one subject's full-scale in-memory epoch pairs (480/60 × ≈194k voxels).
//
// Usage: bench-dataset [--json PATH] [--write-only] [--pairs-only] [--keep DIR]
// The dataset is written under a temporary directory (≈ 10 GB at paper scale) and deleted afterwards.

import Foundation
import LinearAlgebra
import SyntheticDataset

/// Peak resident set size of this process in bytes (`getrusage`, Linux reports kilobytes).
func peakResidentBytes() -> Int {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Int(usage.ru_maxrss) * 1024
}

var jsonPath: String?
var writeDataset = true
var computePairs = true
var keep: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
  switch argument {
  case "--json": jsonPath = arguments.next()
  case "--write-only": computePairs = false
  case "--pairs-only": writeDataset = false
  case "--keep": keep = arguments.next()
  default:
    FileHandle.standardError.write(Data("bench-dataset: unknown argument \(argument)\n".utf8))
    exit(2)
  }
}

var results: [String: Any] = [
  "benchmark": "bench-dataset", "blasKernel": BLASRuntime.kernelName,
  "blasKernelChoice": BLASRuntime.kernelChoice.jsonObject,
]
let configuration = DatasetConfiguration.preset(.paper, seed: 7, subjects: 1)
do {
  let generator = try DatasetGenerator(configuration: configuration)
  results["gridDimensions"] = generator.geometry.grid.dimensions
  results["brainVoxels"] = generator.geometry.brainVoxels.count
  results["responsiveVoxels"] = generator.geometry.responsivePositions.count
  if writeDataset {
    let root =
      keep.map { URL(fileURLWithPath: $0) }
      ?? FileManager.default.temporaryDirectory.appendingPathComponent("bench-dataset-\(getpid())")
    let start = Date()
    let summary = try generator.write(to: root) { line in
      print(String(format: "[%7.1f s] ", Date().timeIntervalSince(start)) + line)
    }
    let seconds = Date().timeIntervalSince(start)
    let stimulusBytes = DatasetGenerator.directorySize(root.appendingPathComponent("stimuli"))
    results["writeOneSubjectSeconds"] = seconds
    results["diskBytes"] = summary.bytes
    results["stimulusBytes"] = stimulusBytes
    results["files"] = summary.files
    results["peakResidentBytesAfterWrite"] = peakResidentBytes()
    print(
      String(
        format: "paper preset, 1 subject (18 runs × 410 volumes, %d brain voxels): %.1f s, %.2f GB on disk "
          + "(%.2f GB stimuli), peak RSS %.2f GB",
        generator.geometry.brainVoxels.count, seconds, Double(summary.bytes) / 1e9, Double(stimulusBytes) / 1e9,
        Double(peakResidentBytes()) / 1e9))
    if keep == nil { try? FileManager.default.removeItem(at: root) }
  }
  if computePairs {
    let start = Date()
    let model = try generator.plantedModel()
    let modelSeconds = Date().timeIntervalSince(start)
    let pairsStart = Date()
    let pairs = try generator.epochPairs(subject: 1, model: model)
    let seconds = Date().timeIntervalSince(pairsStart)
    results["plantedModelSeconds"] = modelSeconds
    results["epochPairsOneSubjectSeconds"] = seconds
    results["epochPairsShape"] = [
      pairs.training.responses.rows, pairs.test.responses.rows, pairs.training.responses.columns,
    ]
    results["peakResidentBytes"] = peakResidentBytes()
    print(
      String(
        format: "in-memory pairs, 1 subject: model (540 tracks synthesized) %.1f s, pairs %d/%d × %d in %.1f s, "
          + "peak RSS %.2f GB", modelSeconds, pairs.training.responses.rows, pairs.test.responses.rows,
        pairs.training.responses.columns, seconds,
        Double(peakResidentBytes()) / 1e9))
  }
  print("OpenBLAS kernel: \(BLASRuntime.kernelChoice)")
} catch {
  FileHandle.standardError.write(Data("bench-dataset: \(error)\n".utf8))
  exit(1)
}
if let jsonPath {
  let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
  try data.write(to: URL(fileURLWithPath: jsonPath), options: .atomic)
}
