import Foundation

/// The canonical (SPM) double-gamma haemodynamic response, integrated over volume-long bins.
///
/// `h(t) = t⁵·e^(−t)/Γ(6) − (1/6)·t¹⁵·e^(−t)/Γ(16)` for `t` in seconds (peak near 5 s, undershoot near 15 s),
/// truncated at 32 s. A feature held constant over one volume and sampled at volume onsets responds with the
/// kernel `H_k = ∫_{k·TR}^{(k+1)·TR} h(τ) dτ`, normalised so that `Σ_k H_k = 1` (a sustained unit input gives a
/// unit response). The integral uses the midpoint rule on a 10 ms grid.
public enum HemodynamicResponse {
  /// The canonical response `h(t)` at `seconds` (0 for negative times).
  public static func canonical(_ seconds: Double) -> Double {
    guard seconds > 0 else { return 0 }
    let t = seconds
    return pow(t, 5) * exp(-t) / 120 - pow(t, 15) * exp(-t) / (6 * 1_307_674_368_000)
  }

  /// The unit-sum kernel `H_0 … H_{K−1}` for volumes of `repetitionTime` seconds, `K = ceil(32 / TR)`.
  public static func kernel(repetitionTime: Double, lengthSeconds: Double = 32) -> [Double] {
    let count = Int((lengthSeconds / repetitionTime).rounded(.up))
    let step = 0.01
    let perBin = max(1, Int((repetitionTime / step).rounded()))
    var kernel = [Double](repeating: 0, count: count)
    for k in 0..<count {
      var sum = 0.0
      for i in 0..<perBin {
        sum += canonical(Double(k) * repetitionTime + (Double(i) + 0.5) * repetitionTime / Double(perBin))
      }
      kernel[k] = sum
    }
    let total = kernel.reduce(0, +)
    return kernel.map { $0 / total }
  }

  /// The causal convolution `y[t] = Σ_k kernel[k] · x[t − k]`, with `x` zero before the first sample.
  public static func convolve(_ x: [Double], kernel: [Double]) -> [Double] {
    var y = [Double](repeating: 0, count: x.count)
    for t in 0..<x.count {
      var sum = 0.0
      for k in 0..<min(kernel.count, t + 1) { sum += kernel[k] * x[t - k] }
      y[t] = sum
    }
    return y
  }
}
