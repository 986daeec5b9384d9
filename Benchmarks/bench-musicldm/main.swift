// `make bench` for MusicLDM: real-size UNet (batch-2 step at 10 s), VAE decode and vocoder with random
// weights, side by side with PyTorch on the same weights and inputs (run.sh), plus a full 50-step generation's
// wall time and peak memory. Usage: bench-musicldm MODEL_DIR JSON_OUT [--full-steps N] [--only unet|vae|vocoder|full]
// Every component reports its median wall time and, next to it, the process CPU time per repetition (both
// cores together), which stays comparable when other work shares the machine.

import Foundation
import LinearAlgebra
import MusicLDM
import NeuroIO
import TensorRuntime

func seconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

func processCPUSeconds() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
  let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
  return user + system
}

/// The median wall time of `repetitions` runs after one warm-up, and the mean CPU time per run.
func medianTime(_ repetitions: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
  let clock = ContinuousClock()
  body()
  let cpuStart = processCPUSeconds()
  let samples = (0..<repetitions).map { _ in seconds(clock.measure(body)) }.sorted()
  return (samples[samples.count / 2], (processCPUSeconds() - cpuStart) / Double(repetitions))
}

func peakResidentMegabytes() -> Double {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
    return kilobytes / 1024
  }
  return 0
}

func load(_ folder: URL, _ name: String) throws -> Tensor {
  let array = try NumPyArray.read(folder.appendingPathComponent("\(name).npy").path)
  return Tensor(shape: array.shape, elements: array.doubles.map(Float.init))
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
  print("usage: bench-musicldm MODEL_DIR JSON_OUT [--full-steps N]")
  exit(2)
}
let folder = URL(fileURLWithPath: arguments[1])
let fullSteps = arguments.firstIndex(of: "--full-steps").flatMap { Int(arguments[$0 + 1]) } ?? 50
let only = arguments.firstIndex(of: "--only").map { arguments[$0 + 1] }
let pipeline = try MusicLDMPipeline(folder: folder)
let sample = try load(folder, "unet_sample")
let labels = try load(folder, "class_labels")
let latents = try load(folder, "vae_latents")
let mel = try load(folder, "vocoder_mel")
var report: [String: Double] = [:]
@MainActor func measure(_ name: String, _ key: String, repetitions: Int, _ body: () -> Void) {
  guard only == nil || only == name else { return }
  let (wall, cpu) = medianTime(repetitions, body)
  report[key] = wall
  report[key.replacingOccurrences(of: "Seconds", with: "CPUSeconds")] = cpu
  print("\(name): \(wall) s wall, \(cpu) s CPU")
}
measure("unet", "unetBatch2StepSeconds", repetitions: 3) {
  _ = pipeline.unet(sample, timestep: 501, classLabels: labels)
}
measure("vae", "vaeDecodeSeconds", repetitions: 2) { _ = pipeline.decoder(latents) }
measure("vocoder", "vocoderSeconds", repetitions: 2) { _ = pipeline.vocoder(mel) }
if fullSteps > 0 && (only == nil || only == "full") {
  let request = GenerationRequest(
    conditioning: labels.narrowed(axis: 0, start: 1, length: 1),
    unconditional: labels.narrowed(axis: 0, start: 0, length: 1), steps: fullSteps, guidanceScale: 2, seconds: 10,
    seed: 1)
  let clock = ContinuousClock()
  let wall = clock.measure {
    _ = try? pipeline.generate(request) { progress in
      print(
        "  step \(progress.completedSteps)/\(progress.totalSteps), ~\(Int(progress.estimatedSecondsRemaining)) s left")
      return true
    }
  }
  report["fullGenerationSeconds"] = seconds(wall)
  report["fullGenerationSteps"] = Double(fullSteps)
}
report["peakResidentMegabytes"] = peakResidentMegabytes()
let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
try data.write(to: URL(fileURLWithPath: arguments[2]), options: .atomic)
print("OpenBLAS kernel: \(BLASRuntime.kernelName); Swift:", String(decoding: data, as: UTF8.self))
