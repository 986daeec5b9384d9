// bench-neuroio: read + mask a 4-D float32 .nii.gz into time × voxels (the paper-size run by default).
//
//   bench-neuroio generate DIR [--small]   writes DIR/bold.nii.gz and DIR/mask.nii.gz (seeded)
//   bench-neuroio mask DIR [--repeats N]   times NeuroIO's streaming Masker; prints one JSON object
//   bench-neuroio --json OUT               generate + mask in a temporary folder, JSON to OUT (no Python side)
// Benchmarks/bench-neuroio/run.sh runs the nibabel + nilearn NiftiMasker side by side and prints ratios.
import Foundation
import LinearAlgebra
import NeuroIO

/// Peak resident memory of this process in bytes (`getrusage`, Linux reports kilobytes).
func peakResidentBytes() -> Int {
  var usage = rusage()
  getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
  return usage.ru_maxrss * 1024
}

/// A seeded SplitMix64 generator.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Writes a synthetic BOLD run (an ellipsoidal "brain" with smooth baseline and Gaussian noise) and its mask.
func generate(directory: String, small: Bool) throws {
  let shape = small ? [20, 24, 20] : [77, 95, 82]
  let volumes = small ? 30 : 410
  let affine = Affine.scaling([2, 2, 2], origin: [-76, -112, -76])
  var inside = [Bool](repeating: false, count: shape.reduce(1, *))
  var baseline = [Float](repeating: 0, count: inside.count)
  for k in 0..<shape[2] {
    for j in 0..<shape[1] {
      for i in 0..<shape[0] {
        let x = (Double(i) - Double(shape[0]) / 2) / (0.42 * Double(shape[0]))
        let y = (Double(j) - Double(shape[1]) / 2) / (0.45 * Double(shape[1]))
        let z = (Double(k) - Double(shape[2]) / 2) / (0.42 * Double(shape[2]))
        let index = i + shape[0] * (j + shape[1] * k)
        if x * x + y * y + z * z <= 1 {
          inside[index] = true
          baseline[index] = Float(800 + 200 * sin(Double(i) / 6) * cos(Double(j) / 7) + 50 * sin(Double(k) / 5))
        }
      }
    }
  }
  try BrainMask(shape: shape, affine: affine, voxels: inside).write(
    to: URL(fileURLWithPath: directory + "/mask.nii.gz"))
  let header = NIfTIHeader(dimensions: shape + [volumes], affine: affine, repetitionTime: 1.5)
  let writer = try NIfTIVolumeWriter(url: URL(fileURLWithPath: directory + "/bold.nii.gz"), header: header)
  var generator = SplitMix64(state: 20_240_601)
  var volume = [Float](repeating: 0, count: inside.count)
  for _ in 0..<volumes {
    for index in volume.indices where inside[index] {
      // Sum of 4 uniforms: a cheap, seeded, roughly Gaussian noise of standard deviation ~11.5.
      var noise: Float = 0
      for _ in 0..<4 { noise += Float(generator.next() >> 40) / Float(1 << 24) - 0.5 }
      volume[index] = baseline[index] + 20 * noise
    }
    try writer.append(volume)
  }
  try writer.finish()
}

/// Times the streaming masker and returns a JSON object.
func mask(directory: String, repeats: Int) throws -> String {
  var times: [Double] = []
  var shape = (0, 0)
  var checksum = 0.0
  for _ in 0..<repeats {
    let start = Date()
    let masker = Masker(mask: try BrainMask.read(URL(fileURLWithPath: directory + "/mask.nii.gz")))
    let matrix: Matrix<Float> = try masker.transform(url: URL(fileURLWithPath: directory + "/bold.nii.gz"))
    times.append(Date().timeIntervalSince(start))
    shape = (matrix.rows, matrix.columns)
    checksum = matrix.withUnsafeBufferPointer { $0.reduce(0.0) { $0 + Double($1) } }
  }
  let best = times.min() ?? 0
  return """
    {"implementation": "NeuroIO Masker.transform(path:)", "rows": \(shape.0), "columns": \(shape.1), \
    "seconds": \(best), "allSeconds": \(times), "peakResidentBytes": \(peakResidentBytes()), \
    "checksum": \(checksum), "blasKernel": "\(BLASRuntime.kernelName)", "blasKernelChoice": \(kernelChoiceJSON())}
    """
}

/// ``BLASRuntime/kernelChoice`` as a JSON object.
func kernelChoiceJSON() -> String {
  let data = try? JSONSerialization.data(withJSONObject: BLASRuntime.kernelChoice.jsonObject, options: [.sortedKeys])
  return data.map { String(decoding: $0, as: UTF8.self) } ?? "null"
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
  switch arguments.first {
  case "generate" where arguments.count >= 2:
    try generate(directory: arguments[1], small: arguments.contains("--small"))
  case "mask" where arguments.count >= 2:
    let repeats = arguments.firstIndex(of: "--repeats").flatMap { Int(arguments[$0 + 1]) } ?? 3
    print(try mask(directory: arguments[1], repeats: repeats))
  case "--json" where arguments.count >= 2:
    let directory = NSTemporaryDirectory() + "bench-neuroio-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try generate(directory: directory, small: arguments.contains("--small"))
    let json = try mask(directory: directory, repeats: 3)
    try json.write(toFile: arguments[1], atomically: true, encoding: .utf8)
    print(json)
  default:
    print("usage: bench-neuroio generate DIR [--small] | mask DIR [--repeats N] | --json OUT [--small]")
    exit(2)
  }
} catch {
  FileHandle.standardError.write(Data("bench-neuroio: \(error)\n".utf8))
  exit(1)
}
