// `--only bf16`: float32 against the opt-in bfloat16 precision (TensorRuntime's ComputePrecision) on the
// real-size UNet and VAE, and on their products alone.

import Foundation
import LinearAlgebra
import MusicLDM
import TensorRuntime

/// The CPU's model name (`/proc/cpuinfo`).
func cpuModel() -> String {
  guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
  for line in text.split(separator: "\n") where line.hasPrefix("model name") {
    return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
  }
  return "unknown"
}

/// `Σ a·b / √(Σ a² · Σ b²)` over all elements, in double.
func cosine(_ a: Tensor, _ b: Tensor) -> Double {
  precondition(a.shape == b.shape)
  var (dot, normA, normB) = (0.0, 0.0, 0.0)
  for (x, y) in zip(a.elements, b.elements) {
    dot += Double(x) * Double(y)
    normA += Double(x) * Double(x)
    normB += Double(y) * Double(y)
  }
  return dot / (normA * normB).squareRoot()
}

/// `max |a − b| / max |b|`.
func relativeDifference(_ a: Tensor, _ b: Tensor) -> Double {
  Double(a.maximumAbsoluteDifference(to: b)) / Double(b.elements.map(abs).max() ?? 1)
}

/// Deterministic values in [−1, 1).
func benchTensor(_ shape: [Int], seed: UInt64) -> Tensor {
  var generator = SeededRandomNumberGenerator(seed: seed)
  let count = shape.reduce(1, *)
  return Tensor(shape: shape, elements: (0..<count).map { _ in Float.random(in: -1..<1, using: &generator) })
}

/// One wall and CPU time of `body`.
func timed(_ body: () -> Void) -> (wall: Double, cpu: Double) {
  let cpuStart = processCPUSeconds()
  let wall = seconds(ContinuousClock().measure(body))
  return (wall, processCPUSeconds() - cpuStart)
}

/// float32 and bfloat16 runs of `run(precision)` interleaved `rounds` times after one warm-up of each: every
/// wall and CPU time, the medians and the float32 / bfloat16 ratios.
func interleaved(_ rounds: Int, _ run: (ComputePrecision) -> Void) -> [String: Any] {
  run(.float32)
  run(.bfloat16)
  var times: [ComputePrecision: [(wall: Double, cpu: Double)]] = [.float32: [], .bfloat16: []]
  for _ in 0..<rounds {
    for precision in [ComputePrecision.float32, .bfloat16] { times[precision]!.append(timed { run(precision) }) }
  }
  func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
  var result: [String: Any] = [:]
  for (precision, samples) in times {
    result["\(precision)WallSeconds"] = samples.map(\.wall)
    result["\(precision)CPUSeconds"] = samples.map(\.cpu)
    result["\(precision)MedianWallSeconds"] = median(samples.map(\.wall))
    result["\(precision)MedianCPUSeconds"] = median(samples.map(\.cpu))
  }
  result["speedupWall"] = median(times[.float32]!.map(\.wall)) / median(times[.bfloat16]!.map(\.wall))
  result["speedupCPU"] = median(times[.float32]!.map(\.cpu)) / median(times[.bfloat16]!.map(\.cpu))
  return result
}

/// The products alone (linear layers and Winograd convolutions at the UNet's shapes, weights packed once), then
/// the UNet batch-2 step and the VAE decode, float32 against bfloat16, interleaved three times.
func compareBFloat16(_ pipeline: MusicLDMPipeline, sample: Tensor, labels: Tensor, latents: Tensor) -> [String: Any] {
  guard ComputePrecision.isBFloat16Supported else {
    print(ComputePrecision.resolve(.bfloat16).notice ?? "")
    return ["skipped": "this CPU lacks AVX-512 BF16"]
  }
  var result: [String: Any] = [:]
  func run<T>(_ precision: ComputePrecision, _ body: () -> T) -> T {
    ComputePrecision.$current.withValue(precision, operation: body)
  }
  // Linear layers: rows × in → out is one GEMM of m = rows, n = out, k = in.
  var products: [[String: Any]] = []
  for (rows, inFeatures, outFeatures) in [(2048, 1024, 1024), (2000, 256, 2048), (2000, 1024, 256), (128, 640, 5120)] {
    let x = benchTensor([rows, inFeatures], seed: 1)
    var layer = Linear(weight: benchTensor([outFeatures, inFeatures], seed: 2), bias: nil)
    layer.prepare(for: .bfloat16)
    let flops = 2 * Double(rows * inFeatures * outFeatures)
    var entry = interleaved(5) { precision in _ = run(precision) { layer(x) } }
    entry["shape"] = "linear m \(rows) n \(outFeatures) k \(inFeatures)"
    entry["float32GFLOPs"] = flops / (entry["float32MedianWallSeconds"] as! Double) / 1e9
    entry["bfloat16GFLOPs"] = flops / (entry["bfloat16MedianWallSeconds"] as! Double) / 1e9
    entry["cosine"] = cosine(run(.bfloat16) { layer(x) }, run(.float32) { layer(x) })
    print(
      "bf16 \(entry["shape"]!): float32 \(entry["float32GFLOPs"]!) GFLOP/s, bfloat16 \(entry["bfloat16GFLOPs"]!)"
        + " GFLOP/s (×\(entry["speedupWall"]!))")
    products.append(entry)
  }
  // The UNet's 3 × 3 convolutions at 10 s, batch 2 (Winograd), per level.
  let workspace = Workspace()
  for (channels, height, width) in [(128, 250, 16), (256, 125, 8), (384, 63, 4), (640, 32, 2)] {
    let x = benchTensor([2, channels, height, width], seed: 3)
    var layer = Conv2D(
      weight: benchTensor([channels, channels, 3, 3], seed: 4), bias: nil,
      geometry: ConvolutionGeometry(padding: (1, 1)))
    layer.cacheWinogradWeights()
    layer.prepare(for: .bfloat16)
    let flops = 2 * Double(2 * channels * channels * 9 * height * width)
    var entry = interleaved(5) { precision in _ = run(precision) { layer(x, workspace: workspace) } }
    entry["shape"] = "conv3x3 (2, \(channels), \(height), \(width)) → \(channels), Winograd weights cached"
    entry["float32DirectGFLOPs"] = flops / (entry["float32MedianWallSeconds"] as! Double) / 1e9
    entry["bfloat16DirectGFLOPs"] = flops / (entry["bfloat16MedianWallSeconds"] as! Double) / 1e9
    entry["cosine"] = cosine(
      run(.bfloat16) { layer(x, workspace: workspace) }, run(.float32) { layer(x, workspace: workspace) })
    print("bf16 \(entry["shape"]!): ×\(entry["speedupWall"]!) wall, ×\(entry["speedupCPU"]!) CPU")
    products.append(entry)
  }
  result["products"] = products

  var bfloat16 = pipeline
  let before = residentMegabytes()
  bfloat16.setPrecision(.bfloat16)
  bfloat16.setDecoderPrecision(.bfloat16)
  result["bfloat16PackingMegabytes"] = residentMegabytes() - before
  func unet(_ precision: ComputePrecision) -> Tensor {
    (precision == .float32 ? pipeline : bfloat16).unet(sample, timestep: 501, classLabels: labels)
  }
  func vae(_ precision: ComputePrecision) -> Tensor {
    (precision == .float32 ? pipeline : bfloat16).decoder(latents)
  }
  var unetEntry = interleaved(3) { _ = unet($0) }
  let (unet32, unet16) = (unet(.float32), unet(.bfloat16))
  unetEntry["outputCosine"] = cosine(unet16, unet32)
  unetEntry["outputRelativeDifference"] = relativeDifference(unet16, unet32)
  print("bf16 UNet batch-2 step: \(unetEntry)")
  var vaeEntry = interleaved(3) { _ = vae($0) }
  let (vae32, vae16) = (vae(.float32), vae(.bfloat16))
  vaeEntry["melCosine"] = cosine(vae16, vae32)
  vaeEntry["melRelativeDifference"] = relativeDifference(vae16, vae32)
  print("bf16 VAE decode: \(vaeEntry)")
  result["unetBatch2Step"] = unetEntry
  result["vaeDecode"] = vaeEntry
  return result
}
