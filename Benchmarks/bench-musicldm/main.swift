// `make bench` for MusicLDM: real-size UNet (batch-2 step at 10 s), VAE decode and vocoder with random
// weights, side by side with PyTorch on the same weights and inputs (run.sh), plus a full 50-step generation's
// wall time and peak memory. Usage: bench-musicldm MODEL_DIR JSON_OUT [--full-steps N] [--full-clips N]
// [--only unet|vae|vocoder|full|batch|bf16] [--batch-sizes 1,2,4] [--cache-winograd] [--bf16]. --batch-sizes times the
// UNet step, VAE and vocoder per clip with that many clips batched; --full-clips generates that many clips in one
// batch; --cache-winograd keeps the UNet's Winograd weight transforms (memory reported before and after); --bf16
// runs the UNet in bfloat16 (ComputePrecision; the pipeline keeps the VAE float32). --only bf16 compares float32 and bfloat16 alone: products
// at the UNet's shapes (GFLOP/s), then the UNet step and the VAE decode, float32 and bfloat16 runs interleaved,
// with the cosine of their outputs.
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

/// A `/proc/self/status` memory line (`VmHWM:` peak, `VmRSS:` now) in megabytes.
func statusMegabytes(_ key: String) -> Double {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
  for line in status.split(separator: "\n") where line.hasPrefix(key) {
    let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
    return kilobytes / 1024
  }
  return 0
}

func peakResidentMegabytes() -> Double { statusMegabytes("VmHWM:") }

func residentMegabytes() -> Double { statusMegabytes("VmRSS:") }

func load(_ folder: URL, _ name: String) throws -> Tensor {
  let array = try NumPyArray.read(folder.appendingPathComponent("\(name).npy"))
  return Tensor(array)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
  print(
    "usage: bench-musicldm MODEL_DIR JSON_OUT [--full-steps N] [--full-clips N]"
      + " [--only unet|vae|vocoder|full|batch|bf16] [--batch-sizes 1,2,4] [--cache-winograd] [--bf16]")
  exit(2)
}
func option(_ name: String) -> String? {
  arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let folder = URL(fileURLWithPath: arguments[1])
let fullSteps = option("--full-steps").flatMap { Int($0) } ?? 50
let fullClips = option("--full-clips").flatMap { Int($0) } ?? 1
let only = option("--only")
let batchSizes = (option("--batch-sizes") ?? "").split(separator: ",").compactMap { Int($0) }
var pipeline = try MusicLDMPipeline(folder: folder)
var report: [String: Any] = [
  "blasKernel": BLASRuntime.kernelName, "blasKernelChoice": BLASRuntime.kernelChoice.jsonObject,
  "usableCores": BLASRuntime.coreCount, "residentAfterLoadMegabytes": residentMegabytes(),
]
report["cpuModel"] = cpuModel()
report["bfloat16Supported"] = ComputePrecision.isBFloat16Supported
if arguments.contains("--bf16") {
  if let notice = pipeline.setPrecision(.bfloat16) { print(notice) }
  report["precision"] = pipeline.unet.precision?.description ?? "float32"
  report["residentAfterBFloat16PackingMegabytes"] = residentMegabytes()
}
if arguments.contains("--cache-winograd") {
  pipeline.cacheWinogradWeights()
  report["cacheWinogradWeights"] = true
  report["residentAfterWinogradCacheMegabytes"] = residentMegabytes()
}
let sample = try load(folder, "unet_sample")
let labels = try load(folder, "class_labels")
let latents = try load(folder, "vae_latents")
let mel = try load(folder, "vocoder_mel")
/// Times `body` (median wall, mean CPU) and, when the reference script saved PyTorch's output of the same
/// component (`reference_<name>.npy`), records how far ours is from it: the largest absolute difference, relative
/// to the reference's largest magnitude and to its spread around its mean (a bias-dominated output of random
/// weights can have a large magnitude and a small spread).
@MainActor func measure(_ name: String, _ key: String, repetitions: Int, _ body: () -> Tensor) {
  guard only == nil || only == name else { return }
  var output: Tensor?
  let (wall, cpu) = medianTime(repetitions) { output = body() }
  report[key] = wall
  report[key.replacingOccurrences(of: "Seconds", with: "CPUSeconds")] = cpu
  print("\(name): \(wall) s wall, \(cpu) s CPU")
  guard let output, let reference = try? load(folder, "reference_\(name)") else { return }
  guard reference.count == output.count else {
    print("\(name): PyTorch's output has \(reference.shape), ours \(output.shape); not compared")
    return
  }
  let difference = zip(output.elements, reference.elements).reduce(Float(0)) { Swift.max($0, abs($1.0 - $1.1)) }
  let magnitude = reference.elements.reduce(Float(0)) { Swift.max($0, abs($1)) }
  let mean = reference.elements.reduce(Float(0), +) / Float(reference.count)
  let spread = reference.elements.reduce(Float(0)) { Swift.max($0, abs($1 - mean)) }
  report["\(name)OutputParity"] = [
    "maxAbsoluteDifference": Double(difference), "relativeToMaxMagnitude": Double(difference / magnitude),
    "relativeToSpread": Double(difference / spread),
  ]
  print(
    "\(name): largest difference to PyTorch \(difference) (\(difference / magnitude) of |max|, \(difference / spread) of spread)"
  )
}
if only == "bf16" { report["bfloat16"] = compareBFloat16(pipeline, sample: sample, labels: labels, latents: latents) }
// One workspace across the repetitions, as the denoising loop keeps one across its steps.
let unetWorkspace = Workspace()
measure("unet", "unetBatch2StepSeconds", repetitions: 3) {
  pipeline.unet(sample, timestep: 501, classLabels: labels, workspace: unetWorkspace)
}
measure("vae", "vaeDecodeSeconds", repetitions: 2) { pipeline.decoder(latents) }
measure("vocoder", "vocoderSeconds", repetitions: 2) { pipeline.vocoder(mel) }

/// `count` copies of a tensor's rows stacked along the batch axis.
func repeated(_ tensor: Tensor, _ count: Int) -> Tensor {
  Tensor.concatenated(Array(repeating: tensor, count: count), axis: 0)
}
// Per-clip time against the number of clips batched: the UNet step runs 2·clips rows (guidance), the VAE and
// the vocoder one row per clip.
if !batchSizes.isEmpty && (only == nil || only == "batch") {
  var perClip: [String: [String: Double]] = [:]
  for clips in batchSizes {
    let unetSample = repeated(sample, clips)
    let unetLabels = repeated(labels, clips)
    let vaeLatents = repeated(latents, clips)
    let vocoderMel = repeated(mel, clips)
    let unet = medianTime(2) { _ = pipeline.unet(unetSample, timestep: 501, classLabels: unetLabels) }
    let vae = medianTime(1) { _ = pipeline.decoder(vaeLatents) }
    let vocoder = medianTime(1) { _ = pipeline.vocoder(vocoderMel) }
    perClip["\(clips)"] = [
      "unetStepSecondsPerClip": unet.wall / Double(clips), "unetStepCPUSecondsPerClip": unet.cpu / Double(clips),
      "vaeDecodeSecondsPerClip": vae.wall / Double(clips), "vaeDecodeCPUSecondsPerClip": vae.cpu / Double(clips),
      "vocoderSecondsPerClip": vocoder.wall / Double(clips), "vocoderCPUSecondsPerClip": vocoder.cpu / Double(clips),
    ]
    print(
      "batch of \(clips) clips: UNet step \(unet.wall / Double(clips)) s/clip (CPU \(unet.cpu / Double(clips))),"
        + " VAE \(vae.wall / Double(clips)) s/clip (CPU \(vae.cpu / Double(clips))), vocoder"
        + " \(vocoder.wall / Double(clips)) s/clip (CPU \(vocoder.cpu / Double(clips)))")
  }
  report["perClipByBatchSize"] = perClip
}
if fullSteps > 0 && (only == nil || only == "full") {
  let requests = (0..<fullClips).map { clip in
    GenerationRequest(
      conditioning: labels.narrowed(axis: 0, start: 1, length: 1),
      unconditional: labels.narrowed(axis: 0, start: 0, length: 1), steps: fullSteps, guidanceScale: 2, seconds: 10,
      seed: UInt64(1 + clip))
  }
  let clock = ContinuousClock()
  let wall = clock.measure {
    _ = try? pipeline.generate(requests, batchSize: fullClips) { progress in
      print(
        "  step \(progress.completedSteps)/\(progress.totalSteps), ~\(Int(progress.estimatedSecondsRemaining)) s left")
      return true
    }
  }
  report["fullGenerationSeconds"] = seconds(wall)
  report["fullGenerationClips"] = fullClips
  report["fullGenerationSecondsPerClip"] = seconds(wall) / Double(fullClips)
  report["fullGenerationSteps"] = Double(fullSteps)
}
report["peakResidentMegabytes"] = peakResidentMegabytes()
let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
try data.write(to: URL(fileURLWithPath: arguments[2]), options: .atomic)
print("OpenBLAS kernel: \(BLASRuntime.kernelChoice); Swift:", String(decoding: data, as: UTF8.self))
