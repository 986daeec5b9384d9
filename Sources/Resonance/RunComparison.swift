import DecodingMetrics
import Foundation
import Plotting

/// Several finished runs side by side — for example the same subjects decoded into different feature spaces — with
/// their null models: which feature space the brain predicts, and how far each stands above what no brain data gives.
///
/// Each row is one run's template subject (its N-way identification of the decoded embeddings, with the 95 % interval
/// and p-value), the mean over its subjects, and its three null models.
public struct RunComparison: Sendable, Codable, Equatable {
  /// One run.
  public struct Entry: Sendable, Codable, Equatable {
    /// The label shown (for example the feature space).
    public var label: String
    /// The run directory.
    public var directory: String
    /// The feature space the run decoded into.
    public var featureSpace: String
    /// Strict pairwise identification, mean and population standard deviation over subjects.
    public var identification: AccuracySummary
    /// N-way identification of the decoded embeddings across subjects (mean, std, interval), by N.
    public var nWayAcrossSubjects: [String: SubjectStatistic]
    /// The null models' N-way identification (from the template subject's predictions), by model and N.
    public var nullModels: [String: [String: Double]]
    /// The generated audio's N-way identification (template subject), by N, when the run generated audio.
    public var audio: [String: Double]?
  }

  /// The runs, in the order given.
  public var entries: [Entry]

  /// Reads the `results.json` of each run directory.
  ///
  /// - Parameter runs: `(label, run directory)` pairs.
  /// - Throws: ``PipelineError/io(path:reason:)`` for a missing or unreadable `results.json`.
  public init(runs: [(label: String, directory: URL)]) throws(PipelineError) {
    entries = try runs.map { (label, url) throws(PipelineError) in
      let results = try RunDirectory(url).readJSON(ReconstructionResults.self, from: "results.json")
      let embeddings = results.evaluation.embeddings
      var nulls: [String: [String: Double]] = [:]
      for (model, result) in embeddings.nullModels { nulls[model] = result.nWayIdentification }
      var across: [String: SubjectStatistic] = [:]
      for (key, value) in embeddings.acrossSubjects where key.hasPrefix("nWayIdentification.") {
        across[String(key.dropFirst("nWayIdentification.".count))] = value
      }
      return Entry(
        label: label, directory: url.path, featureSpace: results.featureSpace,
        identification: results.identificationAccuracy, nWayAcrossSubjects: across, nullModels: nulls,
        audio: results.evaluation.audio?.perSubject[results.subjects[0]]?.nWayIdentification)
    }
  }

  /// The N values every run reports, ascending.
  public var ways: [Int] {
    let sets = entries.map { Set($0.nWayAcrossSubjects.keys.compactMap(Int.init)) }
    return Array(sets.dropFirst().reduce(sets.first ?? []) { $0.intersection($1) }).sorted()
  }

  /// One line per run and per null model: N-way identification (mean over subjects) for every N, tab-separated.
  public var table: String {
    let ways = self.ways
    var lines = ["run\tsource\t" + ways.map { "\($0)-way" }.joined(separator: "\t") + "\tstrict pairwise"]
    for entry in entries {
      let brain = ways.map { n in entry.nWayAcrossSubjects[String(n)].map { String(format: "%.3f", $0.mean) } ?? "" }
      lines.append(
        "\(entry.label)\tbrain (mean over subjects)\t" + brain.joined(separator: "\t")
          + String(format: "\t%.3f ± %.3f", entry.identification.mean, entry.identification.std))
      for model in entry.nullModels.keys.sorted() {
        let values = ways.map { n in entry.nullModels[model]?[String(n)].map { String(format: "%.3f", $0) } ?? "" }
        lines.append("\(entry.label)\tnull: \(model)\t" + values.joined(separator: "\t") + "\t")
      }
    }
    lines.append("chance\t\t" + ways.map { String(format: "%.3f", 1 / Double($0)) }.joined(separator: "\t") + "\t0.500")
    return lines.joined(separator: "\n") + "\n"
  }

  /// The comparison as one figure: each run's N-way identification against N (mean over subjects, 95 % interval
  /// over subjects, solid, in the run's colour), its strongest null model at each N (dashed, same colour), and chance.
  ///
  /// - Throws: ``PlottingError`` when there are fewer than two N values in common.
  public func figure() throws(PlottingError) -> LinePlot {
    let ways = self.ways
    let x = ways.map(Double.init)
    var series: [LinePlot.Series] = []
    for (index, entry) in entries.enumerated() {
      let color = LinePlot.palette[index % LinePlot.palette.count]
      let brain = ways.compactMap { entry.nWayAcrossSubjects[String($0)] }
      guard brain.count == ways.count else { continue }
      series.append(
        .init(
          name: "\(entry.label): brain", x: x, y: brain.map(\.mean), lower: brain.map(\.interval.lower),
          upper: brain.map(\.interval.upper), color: color))
      if !entry.nullModels.isEmpty {
        let strongest = ways.map { n in entry.nullModels.values.compactMap { $0[String(n)] }.max() ?? .nan }
        series.append(
          .init(
            name: "\(entry.label): strongest null model", x: x, y: strongest, color: color, style: .dashed,
            showsMarkers: false))
      }
    }
    series.append(
      .init(name: "chance (1/N)", x: x, y: x.map { 1 / $0 }, color: .grey, style: .dashed, showsMarkers: false))
    return try LinePlot(
      title: "Brain-driven decoding against null models", xCaption: "N (alternatives)",
      yCaption: "N-way identification", series: series, xScale: .logarithmic, xTicks: x, yRange: 0...1)
  }

  /// Writes `comparison.json`, `comparison.tsv`, the figure (`comparison.png`, `comparison.svg`; left out when the
  /// runs share fewer than two N values) and `comparison.html` into `folder`.
  ///
  /// - Throws: ``PipelineError/io(path:reason:)`` when a file cannot be written, ``PipelineError/figure(name:_:)``
  ///   when the figure cannot be drawn.
  public func write(to folder: URL) throws(PipelineError) {
    let directory = RunDirectory(folder)
    try directory.writeJSON(self, to: "comparison.json")
    try directory.write(Data(table.utf8), to: "comparison.tsv")
    var image = ""
    if ways.count >= 2 {
      do {
        let plot = try figure()
        try PNGFile.write(plot.render(), to: directory.url("comparison.png"))
        try SVGFile.write(try plot.svg(), to: directory.url("comparison.svg"))
      } catch {
        throw .figure(name: "comparison", error)
      }
      image = "<p><img src=comparison.svg alt='N-way identification against N per run, with null models' width=800></p>"
    }
    let rows = table.split(separator: "\n").map { line in
      "<tr>" + line.split(separator: "\t", omittingEmptySubsequences: false).map { "<td>\($0)</td>" }.joined() + "</tr>"
    }.joined()
    let html = """
      <!doctype html><html lang=en><head><meta charset=utf-8><title>Resonance: runs compared</title>
      <style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}td{padding:2px 10px}</style></head><body>
      <h1>Runs compared: brain-driven decoding against null models</h1>
      <p>N-way identification of the decoded embeddings (exact, ties count against), mean over subjects; null models
      made without brain data from the template subject's predictions.</p>
      <table>\(rows)</table>\(image)</body></html>
      """
    try directory.write(Data(html.utf8), to: "comparison.html")
  }
}
