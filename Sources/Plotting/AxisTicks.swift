import Foundation

/// Tick positions and their labels for an axis or a colour bar.
///
/// Labels are chosen so that consecutive ticks never read the same: the number of decimals comes from the
/// values themselves (a range 0.9991…0.9999 is labelled 0.9992, 0.9994, 0.9996, 0.9998, not "1" twice).
public struct AxisTicks: Sendable, Equatable {
  /// Tick values, increasing.
  public let values: [Double]
  /// One label per value, as drawn.
  public let labels: [String]

  /// Ticks at the given values, labelled by ``labels(for:)``.
  public init(values: [Double]) {
    self.values = values
    self.labels = Self.labels(for: values)
  }

  private init(values: [Double], labels: [String]) {
    self.values = values
    self.labels = labels
  }

  /// "Nice" ticks inside `range`: the multiples of a step `m × 10^k` (`m` ∈ {1, 2, 5}) that fall in the range.
  ///
  /// The step is the one whose tick count is closest to `targetCount` among the steps giving at least two ticks
  /// (the larger step on a tie), so even a range of width 0.0008 gets at least two distinct ticks. A range of
  /// zero width gets a single tick at its value.
  ///
  /// - Parameters:
  ///   - range: The interval to cover; both ends finite.
  ///   - targetCount: The number of ticks wanted (at least 2).
  public static func linear(in range: ClosedRange<Double>, targetCount: Int = 5) -> AxisTicks {
    precondition(range.lowerBound.isFinite && range.upperBound.isFinite, "Tick ranges must be finite")
    let span = range.upperBound - range.lowerBound
    let magnitude = max(abs(range.lowerBound), abs(range.upperBound))
    guard span > magnitude * 1e-12, span > 0 else { return AxisTicks(values: [range.lowerBound]) }
    let target = max(2, targetCount)
    let top = Int(floor(log10(span)))
    var best: (values: [Double], score: Int)?
    // From the largest candidate step down, so the larger step wins a tie.
    for exponent in stride(from: top + 1, through: top - 2, by: -1) {
      for mantissa in [5, 2, 1] {
        let values = multiples(of: mantissa, exponent: exponent, in: range)
        guard values.count >= 2 else { continue }
        let score = abs(values.count - target)
        if best == nil || score < best!.score { best = (values, score) }
      }
    }
    return AxisTicks(values: best?.values ?? [range.lowerBound, range.upperBound])
  }

  /// Ticks for a logarithmic axis over `range` (both ends positive).
  ///
  /// Uses 1, 2 and 5 times the powers of ten inside the range when that gives two to eight ticks, else powers of
  /// ten (every second, third … decade when there are more than eight); a range narrower than that falls back to
  /// ``linear(in:targetCount:)``. Each label takes the decimals its own value needs (0.001, 0.1, 10, 1000).
  public static func logarithmic(in range: ClosedRange<Double>) -> AxisTicks {
    precondition(range.lowerBound > 0 && range.upperBound.isFinite, "A logarithmic axis needs a positive range")
    let low = Int(floor(log10(range.lowerBound))) - 1
    let high = Int(ceil(log10(range.upperBound))) + 1
    let tolerance = 1e-9
    func inside(_ value: Double) -> Bool {
      value >= range.lowerBound * (1 - tolerance) && value <= range.upperBound * (1 + tolerance)
    }
    let fine = (low...high).flatMap { exponent in [1, 2, 5].map { power(of: $0, exponent: exponent) } }.filter(inside)
    func individuallyLabelled(_ values: [Double]) -> AxisTicks {
      AxisTicks(values: values, labels: values.map { labels(for: [$0])[0] })
    }
    if (2...8).contains(fine.count) { return individuallyLabelled(fine) }
    let decades = (low...high).map { power(of: 1, exponent: $0) }.filter(inside)
    if decades.count >= 2 {
      let every = (decades.count + 7) / 8
      return individuallyLabelled(decades.enumerated().filter { $0.offset % every == 0 }.map(\.element))
    }
    return linear(in: range, targetCount: 4)
  }

  /// Labels for `values` with a shared number of decimals, so nice values read exactly and distinct values
  /// read differently.
  ///
  /// The decimals are the fewest that write every value exactly (to 10⁻⁹ of the largest magnitude), but no
  /// more than needed for three significant digits of the largest value or for consecutive labels to differ
  /// (with that many decimals and any more), whichever is more. Values of magnitude 10⁶ and above, or below 10⁻⁴, use scientific notation chosen the
  /// same way. Zero never reads "-0" (it reads "0", "0.0", … with the shared decimals).
  public static func labels(for values: [Double]) -> [String] {
    let finite = values.filter(\.isFinite)
    guard let largest = finite.map(abs).max(), largest > 0 else {
      return values.map { $0.isFinite ? "0" : String(describing: $0) }
    }
    let scientific = largest >= 1e6 || largest < 1e-4
    func format(_ value: Double, _ digits: Int) -> String {
      guard value.isFinite else { return String(describing: value) }
      if value == 0 { return scientific ? "0" : String(format: "%.\(digits)f", 0.0) }
      let text = String(format: scientific ? "%.\(digits)e" : "%.\(digits)f", value)
      return Double(text) == 0 ? format(0, digits) : text
    }
    func exact(_ digits: Int) -> Bool {
      finite.allSatisfy { abs((Double(format($0, digits)) ?? .infinity) - $0) <= largest * 1e-9 }
    }
    func distinct(_ digits: Int) -> Bool {
      let sorted = Array(Set(finite)).sorted()
      return zip(sorted, sorted.dropFirst()).allSatisfy { format($0, digits) != format($1, digits) }
    }
    let maximum = 15
    let exactDigits = (0...maximum).first(where: exact) ?? maximum
    let threeSignificant = scientific ? 2 : max(0, 2 - Int(floor(log10(largest))))
    // Rounding is not monotone (0.5 and 0.5000001 differ at 0 decimals but not at 3), so take the fewest decimals
    // from which every larger number of decimals also keeps the labels apart.
    var distinctDigits = maximum
    while distinctDigits > 0 && distinct(distinctDigits - 1) { distinctDigits -= 1 }
    let digits = min(exactDigits, max(threeSignificant, distinctDigits))
    return values.map { format($0, digits) }
  }

  /// `mantissa × 10^exponent`, computed so that the result is the double nearest the decimal value.
  static func power(of mantissa: Int, exponent: Int) -> Double {
    exponent >= 0
      ? Double(mantissa) * pow(10, Double(exponent)) : Double(mantissa) / pow(10, Double(-exponent))
  }

  private static func multiples(of mantissa: Int, exponent: Int, in range: ClosedRange<Double>) -> [Double] {
    let step = power(of: mantissa, exponent: exponent)
    let first = (range.lowerBound / step - 1e-9).rounded(.up)
    let last = (range.upperBound / step + 1e-9).rounded(.down)
    guard first <= last, last - first < 1000 else { return [] }
    return stride(from: first, through: last, by: 1).map { power(of: Int($0) * mantissa, exponent: exponent) }
  }
}
