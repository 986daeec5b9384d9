import Foundation

/// The mel frequency scale used to place filter centres.
public enum MelScale: String, Sendable, Hashable {
  /// HTK: `m = 2595 · log10(1 + f/700)`.
  case htk
  /// Slaney (librosa's default): linear `3f/200` below 1 kHz, `15 + ln(f/1000) · 27/ln 6.4` above.
  case slaney

  /// Hertz to mels.
  public func mel(fromHertz hertz: Double) -> Double {
    switch self {
    case .htk:
      return 2595 * log10(1 + hertz / 700)
    case .slaney:
      return hertz >= 1000 ? 15 + log(hertz / 1000) * (27 / log(6.4)) : 3 * hertz / 200
    }
  }

  /// Mels to hertz.
  public func hertz(fromMel mel: Double) -> Double {
    switch self {
    case .htk:
      return 700 * (pow(10, mel / 2595) - 1)
    case .slaney:
      return mel >= 15 ? 1000 * exp(log(6.4) / 27 * (mel - 15)) : 200 * mel / 3
    }
  }
}

/// A triangular mel filterbank, `binCount × melCount` (row-major), as `transformers.audio_utils.mel_filter_bank`
/// and librosa build it.
///
/// Filter edges are `melCount + 2` points equally spaced in mel between `minimumHertz` and `maximumHertz`,
/// converted back to hertz; FFT bin `k` sits at `k · ⌊sampleRate/2⌋ / (binCount − 1)` Hz; filter `m` rises
/// linearly from edge `m` to edge `m+1` and falls to edge `m+2` (triangles built in hertz). With slaney
/// normalisation each filter is scaled by `2 / (edge[m+2] − edge[m])` (constant area).
public struct MelFilterbank: Sendable {
  /// Number of FFT bins (rows).
  public let binCount: Int
  /// Number of mel filters (columns).
  public let melCount: Int
  /// The weights, row-major `binCount × melCount`.
  public let weights: [Double]

  /// Builds the filterbank.
  ///
  /// - Parameters:
  ///   - binCount: FFT bins, `fftLength / 2 + 1`.
  ///   - melCount: number of filters.
  ///   - sampleRate: sampling rate in hertz.
  ///   - minimumHertz: lower edge of the first filter.
  ///   - maximumHertz: upper edge of the last filter.
  ///   - scale: mel scale for the edges.
  ///   - slaneyNormalized: scale each filter to constant area (`norm="slaney"`).
  public init(
    binCount: Int, melCount: Int, sampleRate: Int, minimumHertz: Double, maximumHertz: Double,
    scale: MelScale = .slaney, slaneyNormalized: Bool = true
  ) {
    precondition(binCount >= 2 && melCount >= 1 && minimumHertz <= maximumHertz, "Invalid mel filterbank parameters.")
    self.binCount = binCount
    self.melCount = melCount
    let low = scale.mel(fromHertz: minimumHertz)
    let high = scale.mel(fromHertz: maximumHertz)
    let edges = (0..<(melCount + 2)).map { index -> Double in
      let mel = low + (high - low) * Double(index) / Double(melCount + 1)
      return scale.hertz(fromMel: mel)
    }
    let nyquist = Double(sampleRate / 2)
    let binHertz = (0..<binCount).map { nyquist * Double($0) / Double(binCount - 1) }
    var weights = [Double](repeating: 0, count: binCount * melCount)
    for bin in 0..<binCount {
      for filter in 0..<melCount {
        let down = (binHertz[bin] - edges[filter]) / (edges[filter + 1] - edges[filter])
        let up = (edges[filter + 2] - binHertz[bin]) / (edges[filter + 2] - edges[filter + 1])
        var value = Swift.max(0, Swift.min(down, up))
        if slaneyNormalized { value *= 2 / (edges[filter + 2] - edges[filter]) }
        weights[bin * melCount + filter] = value
      }
    }
    self.weights = weights
  }

  /// Applies the filterbank to a `frames × binCount` power spectrogram: `frames × melCount`, each value
  /// `max(Σ_k power[t, k] · weights[k, m], floor)`.
  public func apply(toPower power: [Double], frames: Int, floor: Double = 1e-10) -> [Double] {
    precondition(power.count == frames * binCount, "The spectrogram must be \(frames) × \(binCount).")
    // Each bin feeds at most two neighbouring triangles: visit only its non-zero filter range.
    let ranges = (0..<binCount).map { bin -> Range<Int> in
      let row = weights[(bin * melCount)..<((bin + 1) * melCount)]
      guard let first = row.firstIndex(where: { $0 != 0 }), let last = row.lastIndex(where: { $0 != 0 }) else {
        return 0..<0
      }
      return (first - bin * melCount)..<(last - bin * melCount + 1)
    }
    var result = [Double](repeating: 0, count: frames * melCount)
    for frame in 0..<frames {
      for bin in 0..<binCount where !ranges[bin].isEmpty {
        let value = power[frame * binCount + bin]
        let row = bin * melCount
        for filter in ranges[bin] { result[frame * melCount + filter] += value * weights[row + filter] }
      }
      for filter in 0..<melCount {
        result[frame * melCount + filter] = Swift.max(result[frame * melCount + filter], floor)
      }
    }
    return result
  }
}
