import Foundation
import Testing

@testable import Plotting

@Suite("Axis and colour-bar ticks")
struct AxisTicksTests {
  /// The checks every tick set must pass: increasing values inside the range, labels that all differ and that
  /// read back as their values.
  func checkTicks(_ ticks: AxisTicks, in range: ClosedRange<Double>) {
    #expect(ticks.values.count >= 2, "at least two ticks for \(range)")
    #expect(ticks.values == ticks.values.sorted())
    #expect(Set(ticks.labels).count == ticks.labels.count, "distinct labels for \(range): \(ticks.labels)")
    let span = range.upperBound - range.lowerBound
    for (value, label) in zip(ticks.values, ticks.labels) {
      // Inside the range up to the 1e-9 of the span that the tick search allows for rounding.
      #expect(value >= range.lowerBound - span * 1e-9 && value <= range.upperBound + span * 1e-9)
      // Nice values are written exactly: the label reads back as the value to 1e-9 of the span.
      let parsed = Double(label)
      #expect(parsed != nil && abs(parsed! - value) <= span * 1e-9, "\(label) reads as \(value)")
      #expect(!(label.hasPrefix("-") && Double(label) == 0), "no negative zero: \(label)")
    }
  }

  @Test("a range 0.9991…0.9999 (today's similarity heatmap) gets distinct four-decimal labels")
  func narrowRange() {
    let range = 0.9991...0.9999
    let ticks = AxisTicks.linear(in: range)
    checkTicks(ticks, in: range)
    #expect(ticks.labels == ["0.9992", "0.9994", "0.9996", "0.9998"])
  }

  @Test("a negative range and a range spanning zero get 1-2-5 steps, a plain 0 and no -0")
  func signedRanges() {
    let negative = AxisTicks.linear(in: -3.7 ... -0.2)
    checkTicks(negative, in: -3.7 ... -0.2)
    #expect(negative.labels == ["-3", "-2", "-1"])
    let spanning = AxisTicks.linear(in: -0.35...0.8)
    checkTicks(spanning, in: -0.35...0.8)
    #expect(spanning.labels == ["-0.2", "0.0", "0.2", "0.4", "0.6", "0.8"])
    let symmetric = AxisTicks.linear(in: -1e-3...1e-3, targetCount: 3)
    checkTicks(symmetric, in: -1e-3...1e-3)
    #expect(symmetric.labels.contains("0.0000") || symmetric.labels.contains("0.000"))
  }

  @Test(
    "any range gets at least two ticks with distinct labels",
    arguments: [
      0.0...1.0, 0.0...60.0, 0.123...0.124, 1e-9...3e-9, -7e-8...2e-8, 1e6...5e6, 123_456.0...123_457.0,
      -1000.0...1000.0, 0.5...0.5000001, 41.2...41.9, 1e-3...1e5,
    ])
  func anyRange(range: ClosedRange<Double>) {
    for target in [2, 5, 9] {
      checkTicks(AxisTicks.linear(in: range, targetCount: target), in: range)
    }
  }

  @Test("the step is 1, 2 or 5 times a power of ten and the count is near the target")
  func niceSteps() {
    let ticks = AxisTicks.linear(in: 0...1, targetCount: 5)
    #expect(ticks.labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    let steps = zip(ticks.values, ticks.values.dropFirst()).map { $1 - $0 }
    // Consecutive differences are equal to rounding (1e-12) and their mantissa is 1, 2 or 5.
    #expect(steps.allSatisfy { abs($0 - steps[0]) < 1e-12 })
    let mantissa = steps[0] / pow(10, floor(log10(steps[0])))
    #expect([1.0, 2.0, 5.0].contains { abs($0 - mantissa) < 1e-9 })
  }

  @Test("a zero-width range gets one tick at its value")
  func zeroWidth() {
    #expect(AxisTicks.linear(in: 0.5...0.5).values == [0.5])
    #expect(AxisTicks.linear(in: 0.5...0.5).labels == ["0.5"])
  }

  @Test("logarithmic ticks: 1-2-5 within two decades, powers of ten over many")
  func logarithmic() {
    let ways = AxisTicks.logarithmic(in: 1.8...66)
    #expect(ways.labels == ["2", "5", "10", "20", "50"])
    let wide = AxisTicks.logarithmic(in: 1e-3...1e5)
    #expect(wide.values.count >= 2 && wide.values.count <= 8)
    #expect(wide.labels == ["0.001", "0.1", "10", "1000", "100000"])
    checkTicks(wide, in: 1e-3...1e5)
    let narrow = AxisTicks.logarithmic(in: 1.1...1.9)
    checkTicks(narrow, in: 1.1...1.9)
  }

  @Test("labels take the decimals the values need, and no more")
  func labels() {
    #expect(AxisTicks.labels(for: [2, 5, 10, 50, 60]) == ["2", "5", "10", "50", "60"])
    #expect(AxisTicks.labels(for: [0, 0.5, 1]) == ["0.0", "0.5", "1.0"])
    #expect(AxisTicks.labels(for: [1.0 / 3, 2.0 / 3]) == ["0.333", "0.667"])
    #expect(AxisTicks.labels(for: [0.30000000000000004, 0.1]) == ["0.3", "0.1"])
    #expect(AxisTicks.labels(for: [-0.0, 1]) == ["0", "1"])
    // Labels that only differ by rounding to even at zero decimals still get the decimals that tell them apart.
    #expect(AxisTicks.labels(for: [0.5, 0.5000001]) == ["0.5000000", "0.5000001"])
    #expect(AxisTicks.labels(for: [2e-7, 4e-7]) == ["2e-07", "4e-07"])
    #expect(AxisTicks.labels(for: [1.2e7, 1.25e7]) == ["1.20e+07", "1.25e+07"])
  }
}
