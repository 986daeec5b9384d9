import Foundation

/// The stimulus feature that drives the planted responses: five acoustic descriptors per 1.5 s frame of a
/// presented clip, computed from its samples.
///
/// For a frame `x` (n samples) the descriptors are:
/// - `loudness` = 20·log10(rms(x) + 1e-6) in dB;
/// - `brightness` = rms(Δx) / rms(x), with Δx[i] = x[i] − x[i−1] (≈ 2·sin(π·f/fs) for a tone of frequency f, so
///   it grows with the spectral centroid);
/// - `onsetStrength` = Σ_m max(0, e_m − e_{m−1}) / Σ_m e_m, where e_m is the RMS of the m-th 512-sample block
///   (half-wave rectified envelope flux: rhythmic density);
/// - `lowBandFraction` = rms(lowpass₂₀₀(x)) / rms(x), a one-pole low-pass at 200 Hz (bass and kick weight);
/// - `zeroCrossingRate` = fraction of consecutive samples whose signs differ (noisiness).
/// Frames of a silent input give 0 for the ratios.
public enum StimulusFeatures {
  /// The descriptor names, in column order.
  public static let names = ["loudness", "brightness", "onsetStrength", "lowBandFraction", "zeroCrossingRate"]
  /// Number of descriptors per frame.
  public static let dimension = 5

  /// The descriptors of each consecutive `frameSeconds` frame of `samples` (the last partial frame is dropped).
  ///
  /// - Returns: `frames × 5` values, row-major.
  public static func compute(samples: [Float], sampleRate: Double, frameSeconds: Double) -> [[Double]] {
    let frameLength = Int((frameSeconds * sampleRate).rounded())
    guard frameLength > 0 else { return [] }
    let frames = samples.count / frameLength
    let lowPassCoefficient = 1 - exp(-2 * Double.pi * 200 / sampleRate)
    var result: [[Double]] = []
    result.reserveCapacity(frames)
    samples.withUnsafeBufferPointer { x in
      var lowState = 0.0
      for frame in 0..<frames {
        let first = frame * frameLength
        var energy = 0.0
        var differenceEnergy = 0.0
        var lowEnergy = 0.0
        var crossings = 0
        var previous = first > 0 ? Double(x[first - 1]) : 0
        for i in first..<(first + frameLength) {
          let value = Double(x[i])
          energy += value * value
          let difference = value - previous
          differenceEnergy += difference * difference
          lowState += lowPassCoefficient * (value - lowState)
          lowEnergy += lowState * lowState
          if (value >= 0) != (previous >= 0) { crossings += 1 }
          previous = value
        }
        var blockSum = 0.0
        var flux = 0.0
        var previousBlock = -1.0
        var start = first
        while start + 512 <= first + frameLength {
          var blockEnergy = 0.0
          for i in start..<(start + 512) { blockEnergy += Double(x[i]) * Double(x[i]) }
          let block = (blockEnergy / 512).squareRoot()
          if previousBlock >= 0 { flux += max(0, block - previousBlock) }
          blockSum += block
          previousBlock = block
          start += 512
        }
        let rms = (energy / Double(frameLength)).squareRoot()
        let ratio = { (value: Double) -> Double in energy > 0 ? (value / energy).squareRoot() : 0 }
        result.append([
          20 * log10(rms + 1e-6),
          ratio(differenceEnergy),
          blockSum > 0 ? flux / blockSum : 0,
          ratio(lowEnergy),
          Double(crossings) / Double(frameLength),
        ])
      }
    }
    return result
  }
}
