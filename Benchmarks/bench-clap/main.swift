// bench-clap: real-size CLAP audio and text embedding timings (Swift side of Benchmarks/bench-clap/run.sh).
//
// Usage: bench-clap --model DIR --clip FILE.f32 [--repeats N] [--json OUT] [--audio-only]
// DIR is a Hugging Face CLAP folder (random real-size weights from Tools/reference/clap/bench_reference.py);
// FILE.f32 is 480 000 raw float32 samples at 48 kHz. Prints medians after one warm-up, the time per HTSAT stage,
// peak resident memory and the OpenBLAS kernel.
import CLAP
import Foundation
import LinearAlgebra
import TensorRuntime

#if canImport(Glibc)
  import Glibc
#endif

func argument(_ name: String) -> String? {
  let arguments = CommandLine.arguments
  guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
  return arguments[index + 1]
}

func now() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  return sorted.count % 2 == 1
    ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func timed(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
  try body()
  var samples: [Double] = []
  for _ in 0..<repeats {
    let start = now()
    try body()
    samples.append(now() - start)
  }
  return median(samples)
}

/// User + system CPU seconds consumed by the process so far (all threads).
func processCPUSeconds() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
    + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

func peakResidentBytes() -> Int {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Int(usage.ru_maxrss) * 1024
}

guard let modelDirectory = argument("--model"), let clipPath = argument("--clip") else {
  FileHandle.standardError.write(
    Data("usage: bench-clap --model DIR --clip FILE.f32 [--repeats N] [--json OUT]\n".utf8))
  exit(2)
}
let repeats = Int(argument("--repeats") ?? "5") ?? 5
BLASRuntime.setThreadCount(2)

do {
  let loadStart = now()
  let model = try CLAPModel(directory: URL(fileURLWithPath: modelDirectory, isDirectory: true))
  let loadSeconds = now() - loadStart
  let clipData = try Data(contentsOf: URL(fileURLWithPath: clipPath))
  let clip = clipData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
  let weightBytes =
    (try FileManager.default.attributesOfItem(atPath: modelDirectory + "/model.safetensors")[.size] as? Int) ?? 0
  let residentAfterLoad = peakResidentBytes()

  var features = try model.audioFeatures([clip])
  let extractorSeconds = try timed(repeats: Swift.max(1, repeats / 2)) { features = try model.audioFeatures([clip]) }
  var embedding = try model.audioEmbedding(features: features)
  let cpuStart = processCPUSeconds()
  let audioSeconds = try timed(repeats: repeats) { embedding = try model.audioEmbedding(features: features) }
  let audioCPUSeconds = (processCPUSeconds() - cpuStart) / Double(repeats + 1)

  // Where the time goes: one traced pass, time between consecutive trace points.
  var stages: [(String, Double)] = []
  var last = now()
  _ = model.audioEncoder(features) { name, _ in
    let time = now()
    stages.append((name, time - last))
    last = time
  }

  let caption = "A calm piano melody with soft strings in the background."
  // `--audio-only` skips the text timing (for profiling the audio tower with perf).
  let textSeconds =
    CommandLine.arguments.contains("--audio-only")
    ? 0 : try timed(repeats: repeats) { _ = try model.textEmbedding([caption]) }
  let peak = peakResidentBytes()

  print("model \(modelDirectory)  (OpenBLAS \(BLASRuntime.kernelChoice), \(BLASRuntime.threadCount) threads)")
  print(String(format: "audio CPU time %.4f core-seconds per clip", audioCPUSeconds))
  print(
    String(
      format: "load %.3f s, features %.4f s, audio embedding %.4f s, text embedding %.4f s", loadSeconds,
      extractorSeconds, audioSeconds, textSeconds))
  for (name, seconds) in stages { print(String(format: "  %-22@ %.4f s", name as NSString, seconds)) }
  print(
    "peak RSS \(peak / 1_000_000) MB (after load \(residentAfterLoad / 1_000_000) MB), weights \(weightBytes / 1_000_000) MB"
  )

  if let jsonPath = argument("--json") {
    let result: [String: Any] = [
      "model": modelDirectory, "blas_kernel": BLASRuntime.kernelName,
      "blas_kernel_choice": BLASRuntime.kernelChoice.jsonObject, "load_seconds": loadSeconds,
      "feature_extractor_seconds": extractorSeconds, "audio_seconds": audioSeconds, "text_seconds": textSeconds,
      "audio_cpu_seconds": audioCPUSeconds,
      "peak_rss_bytes": peak, "weight_bytes": weightBytes, "caption_tokens": model.tokenIDs(caption).count,
      "stages": Dictionary(uniqueKeysWithValues: stages.map { ($0.0, $0.1) }),
      "audio_embedding": embedding.elements.map(Double.init),
    ]
    let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: jsonPath))
  }
} catch {
  FileHandle.standardError.write(Data("bench-clap: \(error)\n".utf8))
  exit(1)
}
