import Audio
import LinearAlgebra
import TensorRuntime

/// The settings of `preprocessor_config.json` (transformers' `ClapFeatureExtractor`, unfused models).
public struct FeatureExtractorConfiguration: Sendable, Hashable {
  /// Mel bins (`feature_size`).
  public var melBinCount: Int
  /// Expected sampling rate in hertz (`sampling_rate`).
  public var sampleRate: Int
  /// Hop between frames (`hop_length`).
  public var hopLength: Int
  /// FFT and window length (`fft_window_size`).
  public var fftLength: Int
  /// Clip length in seconds (`max_length_s`).
  public var maximumSeconds: Int
  /// Lowest filter edge in hertz (`frequency_min`).
  public var minimumHertz: Double
  /// Highest filter edge in hertz (`frequency_max`).
  public var maximumHertz: Double
  /// Whether shorter clips are tiled before zero padding (`padding == "repeatpad"`); `"repeat"` tiles to fill
  /// exactly, `"pad"` only zero-pads.
  public var padding: String

  /// The clip length in samples, `maximumSeconds × sampleRate`.
  public var maximumSamples: Int { maximumSeconds * sampleRate }

  /// Reads `preprocessor_config.json`; missing keys take the `laion/clap-htsat-unfused` values.
  ///
  /// - Parameters:
  ///   - path: the file.
  ///   - limits: the ceilings (``TensorRuntime/ModelFileLimits/standard`` by default) on the file's size.
  /// - Throws: ``CLAPError`` for unreadable or oversized files, bad values and fused (`truncation: "fusion"`)
  ///   extractors.
  public init(contentsOf path: String, limits: ModelFileLimits = .standard) throws(CLAPError) {
    let json = try JSONObject(contentsOf: path, limits: limits)
    melBinCount = try json.int("feature_size", default: 64, minimum: 1)
    sampleRate = try json.int("sampling_rate", default: 48000, minimum: 1)
    hopLength = try json.int("hop_length", default: 480, minimum: 1)
    fftLength = try json.int("fft_window_size", default: 1024, minimum: 2)
    maximumSeconds = try json.int("max_length_s", default: 10, minimum: 1)
    minimumHertz = try json.double("frequency_min", default: 0)
    maximumHertz = try json.double("frequency_max", default: 14000)
    padding = try json.string("padding", default: "repeatpad")
    let truncation = try json.string("truncation", default: "fusion")
    guard truncation == "rand_trunc" else {
      throw CLAPError.unsupportedConfiguration(
        path: path, reason: "truncation '\(truncation)' (only unfused 'rand_trunc' extractors are implemented)")
    }
    guard ["repeatpad", "repeat", "pad"].contains(padding) else {
      throw CLAPError.invalidConfiguration(path: path, key: "padding", reason: "unknown mode '\(padding)'")
    }
    // `top_db` is ignored: the reference's unfused path calls power_to_db without a range limit.
    guard minimumHertz >= 0, maximumHertz > minimumHertz, maximumHertz <= Double(sampleRate) / 2 else {
      throw CLAPError.invalidConfiguration(
        path: path, key: "frequency_max",
        reason: "the band \(minimumHertz)–\(maximumHertz) Hz does not fit \(sampleRate) Hz")
    }
  }
}

/// Turns waveforms into CLAP log-mel features exactly as transformers' `ClapFeatureExtractor` does for unfused
/// models (`truncation="rand_trunc"`), except that the crop of long clips is seeded.
///
/// For a mono waveform of `L` samples at the configured rate and `M = max_length_s · sampling_rate`:
/// - `L < M` with `"repeatpad"`: the clip is tiled `⌊M / L⌋` times, then zero-padded to `M`;
/// - `L > M`: a window of `M` samples starting at ``cropOffset(sampleCount:seed:)`` is kept;
/// - then a centred STFT (reflect padding, periodic Hann, `fft_window_size`, `hop_length`), the power spectrum,
///   the slaney mel filterbank with slaney normalisation, `max(·, 1e-10)` and `10·log10`.
/// The result is `(frames, mels)` float32 with `frames = 1 + M / hop` (1001 for the real model).
public struct CLAPFeatureExtractor: Sendable {
  /// The extractor settings.
  public let configuration: FeatureExtractorConfiguration
  /// The STFT.
  public let spectrogram: Spectrogram
  /// The slaney mel filterbank.
  public let filterbank: MelFilterbank

  /// Creates an extractor.
  public init(configuration: FeatureExtractorConfiguration) {
    self.configuration = configuration
    spectrogram = Spectrogram(fftLength: configuration.fftLength, hopLength: configuration.hopLength)
    filterbank = MelFilterbank(
      binCount: configuration.fftLength / 2 + 1, melCount: configuration.melBinCount,
      sampleRate: configuration.sampleRate, minimumHertz: configuration.minimumHertz,
      maximumHertz: configuration.maximumHertz, scale: .slaney, slaneyNormalized: true)
  }

  /// The number of feature frames per clip, `1 + M / hop`.
  public var frameCount: Int { spectrogram.frameCount(sampleCount: configuration.maximumSamples) }

  /// The start of the `M`-sample window kept from a clip of `sampleCount > M` samples: the first
  /// `integer(below: sampleCount − M + 1)` of LinearAlgebra's `SeededRandomNumberGenerator(seed: seed)` (the
  /// library's one seeded generator). Clips of at most `M` samples are not cropped (offset 0).
  public func cropOffset(sampleCount: Int, seed: UInt64) -> Int {
    let overflow = sampleCount - configuration.maximumSamples
    guard overflow > 0 else { return 0 }
    var generator = SeededRandomNumberGenerator(seed: seed)
    return generator.integer(below: overflow + 1)
  }

  /// The fixed-length waveform (`M` samples, in double precision) the spectrogram is computed on.
  public func fittedWaveform(_ waveform: [Float], seed: UInt64) -> [Double] {
    let maximum = configuration.maximumSamples
    let count = waveform.count
    if count > maximum {
      let start = cropOffset(sampleCount: count, seed: seed)
      return waveform[start..<(start + maximum)].map(Double.init)
    }
    var result: [Double] = []
    result.reserveCapacity(maximum)
    if count > 0 && count < maximum {
      let repeats: Int
      switch configuration.padding {
      case "repeatpad": repeats = maximum / count
      case "repeat": repeats = maximum / count + 1
      default: repeats = 1
      }
      for _ in 0..<repeats { result.append(contentsOf: waveform.lazy.map(Double.init)) }
      if result.count > maximum { result.removeLast(result.count - maximum) }
    } else {
      result.append(contentsOf: waveform.lazy.map(Double.init))
    }
    result.append(contentsOf: repeatElement(0, count: maximum - result.count))
    return result
  }

  /// The log-mel features `(frames, mels)` of one mono waveform at the configured rate.
  ///
  /// - Throws: ``CLAPError/invalidAudio(index:reason:)`` (with `index` 0) for an empty or non-finite waveform.
  public func features(of waveform: [Float], seed: UInt64 = 0) throws(CLAPError) -> Tensor {
    try validate(waveform, index: 0)
    let fitted = fittedWaveform(waveform, seed: seed)
    let power = spectrogram.power(of: fitted)
    let frames = spectrogram.frameCount(sampleCount: fitted.count)
    var mel = filterbank.apply(toPower: power, frames: frames)
    Spectrogram.powerToDecibels(&mel)
    return Tensor(shape: [frames, configuration.melBinCount], elements: mel.map(Float.init))
  }

  func validate(_ waveform: [Float], index: Int) throws(CLAPError) {
    guard !waveform.isEmpty else { throw CLAPError.invalidAudio(index: index, reason: "it has no samples") }
    if let bad = waveform.firstIndex(where: { !$0.isFinite }) {
      throw CLAPError.invalidAudio(index: index, reason: "sample \(bad) is \(waveform[bad])")
    }
  }
}
