import DecodingMetrics
import Foundation

/// The human-readable report of one evaluation.
enum Table {
  static func render(
    _ result: ReconstructionEvaluationResult, names: [String]?, source: EvaluateReconstructions.Inputs
  ) -> String {
    let percent = Int((result.nWayIdentificationInterval.values.first?.level ?? 0.95) * 100)
    var lines = [
      "evaluate-reconstructions: \(result.items) items × \(result.dimensions) dimensions, "
        + "\(result.similarity) similarity",
      "  originals:       \(source.originalSource)",
      "  reconstructions: \(source.reconstructionSource)",
      "  p-values: "
        + (result.permutationsExact
          ? "exact, all \(result.permutations) pairings" : "\(result.permutations) random pairings") + "; "
        + "intervals: \(result.bootstrapResamples) bootstrap resamples of items; seed \(result.seed)",
      "",
      row("metric", "value", "\(percent) % interval", "p-value", "chance"),
      row(String(repeating: "-", count: 28), "--------", "-------------------", "---------", "--------"),
    ]
    for n in result.nWayIdentification.keys.compactMap(Int.init).sorted() {
      let key = String(n)
      lines.append(
        row(
          "\(n)-way identification", format(result.nWayIdentification[key]!),
          interval(result.nWayIdentificationInterval[key]), pValue(result.nWayIdentificationPValue[key]),
          format(result.nWayChance[key]!)))
    }
    for k in result.topK.keys.compactMap(Int.init).sorted() {
      lines.append(
        row(
          "top-\(k) retrieval", format(result.topK[String(k)]!), "", pValue(result.topKPValue[String(k)]),
          format(Double(k) / Double(result.items))))
    }
    lines.append(
      row(
        "mean rank (1 = best)", format(result.meanRank, digits: 2), "", pValue(result.meanRankPValue),
        format(result.meanRankChance, digits: 2)))
    lines.append(
      row("Fréchet distance", format(result.frechetDistance), interval(result.frechetDistanceInterval), "", ""))
    lines.append(
      row(
        "CLAP score (mean cosine)", format(result.clapScore), interval(result.clapScoreInterval),
        pValue(result.clapScorePValue), ""))
    if let caption = result.captionScore {
      lines.append(row("caption score (mean cosine)", format(caption), interval(result.captionScoreInterval), "", ""))
    }
    if let genre = result.genre {
      lines.append(
        row(
          "genre agreement", format(genre.result.agreement), interval(genre.agreementInterval),
          pValue(genre.agreementPValue), format(genre.result.chanceAgreement)))
      if let accuracy = genre.result.reconstructionAccuracy, let ceiling = genre.result.originalAccuracy {
        lines.append(row("genre accuracy, reconstructions", format(accuracy), "", "", ""))
        lines.append(row("genre accuracy, originals", format(ceiling), "", "", ""))
      }
    }
    if !result.skippedWays.isEmpty {
      lines.append("")
      lines.append(
        "skipped: " + result.skippedWays.map { "\($0)-way" }.joined(separator: ", ")
          + " (only \(result.items) items)")
    }
    if let names {
      lines.append("")
      lines.append("rank of each item's original (0 = first):")
      for (name, rank) in zip(names, result.ranks) { lines.append("  \(name): \(rank)") }
    }
    return lines.joined(separator: "\n")
  }

  static func row(_ name: String, _ value: String, _ interval: String, _ p: String, _ chance: String) -> String {
    [pad(name, 32), pad(value, 10), pad(interval, 21), pad(p, 11), chance].joined()
  }

  static func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
  }

  static func format(_ value: Double, digits: Int = 4) -> String { String(format: "%.\(digits)f", value) }

  static func interval(_ value: ConfidenceInterval?) -> String {
    guard let value else { return "" }
    return "[\(format(value.lower)), \(format(value.upper))]"
  }

  static func pValue(_ value: Double?) -> String {
    guard let value else { return "" }
    return value < 1e-3 ? String(format: "%.1e", value) : format(value)
  }
}
