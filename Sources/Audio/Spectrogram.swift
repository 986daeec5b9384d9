internal import CFFTW
import Foundation

/// A short-time Fourier transform power spectrogram, computed with FFTW in double precision.
///
/// With `centered` true the signal is first padded by `fftLength / 2` samples on both sides with NumPy's
/// `"reflect"` rule (the edge sample is not repeated: `…, x₂, x₁, x₀, x₁, x₂, …`). Frame `t` covers padded
/// samples `t·hop ..< t·hop + fftLength`, is multiplied by the window and transformed with a real FFT of
/// `fftLength` points; the result holds `1 + ⌊(paddedLength − fftLength) / hop⌋` frames of `fftLength/2 + 1`
/// bins. Matches `transformers.audio_utils.spectrogram(..., power=2.0, center=True, pad_mode="reflect")`,
/// including its rounding of each complex bin to single precision before the magnitude is squared.
public struct Spectrogram: Sendable {
  /// FFT length in samples (also the frame length).
  public let fftLength: Int
  /// Samples between frame starts.
  public let hopLength: Int
  /// The analysis window, `fftLength` values.
  public let window: [Double]
  /// Whether the signal is reflect-padded by `fftLength / 2` on both sides.
  public let centered: Bool

  /// The number of frequency bins per frame, `fftLength / 2 + 1`.
  public var binCount: Int { fftLength / 2 + 1 }

  /// Creates a spectrogram configuration.
  ///
  /// - Parameters:
  ///   - fftLength: frame and FFT length (at least 2).
  ///   - hopLength: hop between frames (at least 1).
  ///   - window: `fftLength` window values; defaults to the periodic Hann window.
  ///   - centered: reflect-pad by `fftLength / 2` on both sides first.
  public init(fftLength: Int, hopLength: Int, window: [Double]? = nil, centered: Bool = true) {
    precondition(fftLength >= 2 && hopLength >= 1, "Spectrogram needs fftLength ≥ 2 and hopLength ≥ 1.")
    let window = window ?? Spectrogram.hannWindow(length: fftLength, periodic: true)
    precondition(window.count == fftLength, "The window must have \(fftLength) values, got \(window.count).")
    self.fftLength = fftLength
    self.hopLength = hopLength
    self.window = window
    self.centered = centered
  }

  /// The Hann window `w[n] = ½ − ½·cos(2πn / N)` with `N = length` (periodic) or `length − 1` (symmetric),
  /// as `np.hanning(length + 1)[:-1]` and `np.hanning(length)`.
  public static func hannWindow(length: Int, periodic: Bool) -> [Double] {
    let denominator = Double(periodic ? length : length - 1)
    if denominator <= 0 { return [Double](repeating: 1, count: length) }
    return (0..<length).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / denominator) }
  }

  /// The number of frames produced for a signal of `sampleCount` samples.
  public func frameCount(sampleCount: Int) -> Int {
    let padded = sampleCount + (centered ? 2 * (fftLength / 2) : 0)
    return padded < fftLength ? 0 : 1 + (padded - fftLength) / hopLength
  }

  /// The power spectrogram `|X[t, f]|²` of `signal`, row-major `frames × binCount`.
  ///
  /// - Precondition: when `centered`, the signal has at least 2 samples (reflection needs a neighbour).
  public func power(of signal: [Double]) -> [Double] {
    let pad = centered ? fftLength / 2 : 0
    precondition(!centered || signal.count >= 2, "A centred spectrogram needs at least 2 samples.")
    let padded: [Double]
    if pad > 0 {
      padded = (0..<(signal.count + 2 * pad)).map { signal[Spectrogram.reflectIndex($0 - pad, count: signal.count)] }
    } else {
      padded = signal
    }
    let frames = frameCount(sampleCount: signal.count)
    let bins = binCount
    var result = [Double](repeating: 0, count: frames * bins)
    guard frames > 0 else { return result }
    let transform = RealFFT(length: fftLength)
    padded.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { output in
        for frame in 0..<frames {
          let start = frame * hopLength
          for index in 0..<fftLength { transform.input[index] = source[start + index] * window[index] }
          transform.execute()
          for bin in 0..<bins {
            // transformers stores the complex spectrum as complex64 before taking the magnitude.
            let real = Double(Float(transform.output[2 * bin]))
            let imaginary = Double(Float(transform.output[2 * bin + 1]))
            output[frame * bins + bin] = real * real + imaginary * imaginary
          }
        }
      }
    }
    return result
  }

  /// NumPy `"reflect"` index mapping for any offset (repeated reflection for long pads).
  static func reflectIndex(_ index: Int, count: Int) -> Int {
    if count == 1 { return 0 }
    let period = 2 * (count - 1)
    var value = index % period
    if value < 0 { value += period }
    return value < count ? value : period - value
  }

  /// Converts power values to decibels in place: `10 · log10(max(x, minimum))` (reference 1, no range limit).
  public static func powerToDecibels(_ values: inout [Double], minimum: Double = 1e-10) {
    for index in values.indices { values[index] = 10 * log10(Swift.max(values[index], minimum)) }
  }
}

/// Owns one FFTW double-precision real-to-complex plan and its aligned buffers.
final class RealFFT {
  let length: Int
  let input: UnsafeMutablePointer<Double>
  /// Interleaved (real, imaginary) pairs, `length / 2 + 1` of them.
  let output: UnsafeMutablePointer<Double>
  private let complexOutput: UnsafeMutablePointer<fftw_complex>
  private let plan: fftw_plan

  /// FFTW's planner is not thread-safe; every plan creation and destruction holds this lock.
  private static let plannerLock = NSLock()

  init(length: Int) {
    self.length = length
    input = fftw_alloc_real(length)!
    complexOutput = fftw_alloc_complex(length / 2 + 1)!
    output = UnsafeMutableRawPointer(complexOutput).assumingMemoryBound(to: Double.self)
    RealFFT.plannerLock.lock()
    plan = fftw_plan_dft_r2c_1d(
      Int32(length), input, complexOutput, UInt32(FFTW_ESTIMATE))!
    RealFFT.plannerLock.unlock()
  }

  deinit {
    RealFFT.plannerLock.lock()
    fftw_destroy_plan(plan)
    RealFFT.plannerLock.unlock()
    fftw_free(input)
    fftw_free(complexOutput)
  }

  func execute() {
    fftw_execute(plan)
  }
}
