import Audio
import Foundation
import LinearAlgebra
import TensorRuntime

/// How `ClapFeatureExtractor` fills a clip shorter than its window (`padding` in `preprocessor_config.json`).
public enum ClipPadding: String, Sendable, Hashable, Decodable, CaseIterable {
  /// Tile the clip as many whole times as fit, then zero-pad (transformers' default).
  case repeatpad
  /// Tile the clip until the window is full, cutting the last copy.
  case `repeat`
  /// Only zero-pad.
  case pad
}

/// The settings of `preprocessor_config.json` (transformers' `ClapFeatureExtractor`, unfused models).
///
/// Absent keys (and `null`) take the `ClapFeatureExtractor` constructor's defaults, the `laion/clap-htsat-unfused`
/// values, except `truncation`, whose default `"fusion"` is refused (only `"rand_trunc"` is implemented); ``init()``
/// is that configuration with `rand_trunc`. Sizes lie between their minimum and 2²⁰. `top_db` is ignored: the
/// reference's unfused path calls `power_to_db` without a range limit.
public struct FeatureExtractorConfiguration: Sendable, Hashable, Decodable {
  /// Mel bins (`feature_size`, default 64).
  public var melBinCount = 64
  /// Expected sampling rate in hertz (`sampling_rate`, default 48000).
  public var sampleRate = 48000
  /// Hop between frames (`hop_length`, default 480).
  public var hopLength = 480
  /// FFT and window length (`fft_window_size`, default 1024).
  public var fftLength = 1024
  /// Clip length in seconds (`max_length_s`, default 10).
  public var maximumSeconds = 10
  /// Lowest filter edge in hertz (`frequency_min`, default 0).
  public var minimumHertz = 0.0
  /// Highest filter edge in hertz (`frequency_max`, default 14000).
  public var maximumHertz = 14000.0
  /// How clips shorter than the window are filled (`padding`, default `"repeatpad"`).
  public var padding = ClipPadding.repeatpad

  /// The clip length in samples, `maximumSeconds × sampleRate`.
  public var maximumSamples: Int { maximumSeconds * sampleRate }

  /// The `laion/clap-htsat-unfused` extractor: transformers' defaults with `truncation: "rand_trunc"`.
  public init() {}

  enum CodingKeys: String, CodingKey {
    case melBinCount = "feature_size"
    case sampleRate = "sampling_rate"
    case hopLength = "hop_length"
    case fftLength = "fft_window_size"
    case maximumSeconds = "max_length_s"
    case minimumHertz = "frequency_min"
    case maximumHertz = "frequency_max"
    case padding
    case truncation
  }

  /// Decodes `preprocessor_config.json`, giving absent keys transformers' defaults.
  ///
  /// - Throws: ``TensorRuntime/UnsupportedConfigurationValue`` for fused extractors (`truncation` other than
  ///   `"rand_trunc"`, including the default `"fusion"`), `DecodingError` for a bad value, an unknown padding mode (not
  ///   ``ClipPadding``) or a band that does not fit below the Nyquist frequency.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let maximum = CLAPConfiguration.sizeRange.upperBound
    melBinCount = try c.decodeIfPresent(Int.self, forKey: .melBinCount, in: 1...maximum) ?? melBinCount
    sampleRate = try c.decodeIfPresent(Int.self, forKey: .sampleRate, in: 1...maximum) ?? sampleRate
    hopLength = try c.decodeIfPresent(Int.self, forKey: .hopLength, in: 1...maximum) ?? hopLength
    fftLength = try c.decodeIfPresent(Int.self, forKey: .fftLength, in: 2...maximum) ?? fftLength
    maximumSeconds = try c.decodeIfPresent(Int.self, forKey: .maximumSeconds, in: 1...maximum) ?? maximumSeconds
    minimumHertz = try c.decodeFiniteIfPresent(.minimumHertz) ?? minimumHertz
    maximumHertz = try c.decodeFiniteIfPresent(.maximumHertz) ?? maximumHertz
    padding = try c.decodeIfPresent(ClipPadding.self, forKey: .padding) ?? padding
    let truncation = try c.decodeIfPresent(String.self, forKey: .truncation) ?? "fusion"
    guard truncation == "rand_trunc" else {
      throw UnsupportedConfigurationValue(
        forKey: .truncation, in: c,
        reason: "truncation '\(truncation)' (only unfused 'rand_trunc' extractors are implemented)")
    }
    guard minimumHertz >= 0, maximumHertz > minimumHertz, maximumHertz <= Double(sampleRate) / 2 else {
      throw DecodingError.dataCorruptedError(
        forKey: .maximumHertz, in: c,
        debugDescription: "the band \(minimumHertz)–\(maximumHertz) Hz does not fit \(sampleRate) Hz")
    }
  }

  /// Reads `preprocessor_config.json` through ``TensorRuntime/ModelConfigurationFile``.
  ///
  /// - Parameters:
  ///   - url: the file (a file URL).
  ///   - limits: the ceilings (``TensorRuntime/ModelFileLimits/standard`` by default) on the file's size.
  /// - Throws: ``CLAPError/configuration(_:)`` naming the file and, for a bad value, its key path; fused
  ///   (`truncation: "fusion"`) extractors are ``TensorRuntime/ModelConfigurationError/unsupportedValue(path:keyPath:reason:)``.
  public init(contentsOf url: URL, limits: ModelFileLimits = .standard) throws(CLAPError) {
    do {
      self = try ModelConfigurationFile.read(FeatureExtractorConfiguration.self, at: url, limits: limits)
    } catch {
      throw .configuration(error)
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
      case .repeatpad: repeats = maximum / count
      case .repeat: repeats = maximum / count + 1
      case .pad: repeats = 1
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
