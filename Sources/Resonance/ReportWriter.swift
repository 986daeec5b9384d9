import DecodingMetrics
import Foundation
import LinearAlgebra
import NeuroIO
import Plotting

/// Writes a reconstruction's outputs: figures, tables, the voxel mask, `report.html`, and `results.json` last.
struct ReportWriter {
  let directory: RunDirectory

  func write(_ products: ReconstructionProducts) throws(PipelineError) {
    var results = products.results
    // Tables.
    var identification = "subject\taccuracy\taccuracy_inclusive\n"
    for subject in results.subjects {
      identification += "\(subject)\t\(results.identificationAccuracy.perSubject[subject] ?? .nan)"
      identification += "\t\(results.identificationAccuracyInclusive.perSubject[subject] ?? .nan)\n"
    }
    identification += "mean\t\(results.identificationAccuracy.mean)\t\(results.identificationAccuracyInclusive.mean)\n"
    identification += "std\t\(results.identificationAccuracy.std)\t\(results.identificationAccuracyInclusive.std)\n"
    try directory.write(Data(identification.utf8), to: "identification.tsv")
    var genres = "genre\taccuracy\n"
    for genre in results.perGenre.keys.sorted() { genres += "\(genre)\t\(results.perGenre[genre]!)\n" }
    try directory.write(Data(genres.utf8), to: "genre_accuracy.tsv")
    // Figures (PNG and SVG) and the selected voxels as NIfTI.
    do { try products.selection.write(to: directory.url("voxels.nii.gz")) } catch { throw .image(error) }
    let figures = try ReportFigures(directory: directory).write(products)

    results.figures = figures.flatMap { ["figures/\($0.stem).png", "figures/\($0.stem).svg"] }
    try directory.write(Data(html(results, figures: figures).utf8), to: "report.html")
    // results.json last: its presence means the run is complete.
    try directory.writeJSON(results, to: "results.json")
  }

  /// The prior-domination check: N-way identification (with 95 % intervals and permutation p-values) of the
  /// template subject's decoded embeddings and generated audio beside the three null models, and the gap.
  static func evaluationTable(_ results: ReconstructionResults) -> String {
    let evaluation = results.evaluation
    let template = results.subjects[0]
    func format(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "–" }
    var rows = ""
    for (level, report) in [
      ("decoded embeddings", Optional(evaluation.embeddings)), ("generated audio", evaluation.audio),
    ] {
      guard let report, let brain = report.perSubject[template] else { continue }
      let ways = brain.nWayIdentification.keys.compactMap(Int.init).sorted()
      let header = ways.map { "<th>\($0)-way</th>" }.joined()
      rows += "<tr><th colspan=\(ways.count + 2)>\(level)</th></tr><tr><th>source</th>\(header)<th>Fréchet</th></tr>"
      func row(_ name: String, _ result: ReconstructionEvaluationResult) -> String {
        let cells = ways.map { n -> String in
          let key = String(n)
          let interval =
            result.nWayIdentificationInterval[key].map { " [\(format($0.lower)), \(format($0.upper))]" } ?? ""
          let p = result.nWayIdentificationPValue[key].map { String(format: ", p %.4f", $0) } ?? ""
          return "<td>\(format(result.nWayIdentification[key]))\(interval)\(p)</td>"
        }.joined()
        return "<tr><td>\(name)</td>\(cells)<td>\(String(format: "%.3g", result.frechetDistance))</td></tr>"
      }
      rows += row("brain (sub-\(template))", brain)
      for model in report.nullModels.keys.sorted() { rows += row("null: \(model)", report.nullModels[model]!) }
      rows += "<tr><td>chance</td>" + ways.map { "<td>\(format(1 / Double($0)))</td>" }.joined() + "<td></td></tr>"
    }
    return """
      <h2>Brain-driven against null reconstructions (the prior-domination check)</h2>
      <p>N-way identification (exact expectation over every set of N − 1 distractors; ties count against) with 95 %
      bootstrap intervals over items and permutation p-values; the null models are made without brain data from the
      template subject's predictions: shuffled across items, the training mean, random training targets.</p>
      <table>\(rows)</table>
      """
  }

  func html(_ results: ReconstructionResults, figures: [ReportFigures.Figure]) -> String {
    func format(_ value: Double) -> String { String(format: "%.4f", value) }
    let warning =
      results.usesDemoModels
      ? "<p class=warn><b>Demo models:</b> CLAP and MusicLDM are tiny models with seeded random weights, so the "
        + "reconstructions carry no music (random weights give noise-like sound). The published "
        + "CLAP and MusicLDM weights give real audio.</p>"
      : ""
    let subjects = results.subjects.map {
      "<tr><td>sub-\($0)</td><td>\(format(results.identificationAccuracy.perSubject[$0] ?? .nan))</td></tr>"
    }.joined()
    let genres = results.perGenre.keys.sorted().map {
      "<tr><td>\($0)</td><td>\(format(results.perGenre[$0]!))</td></tr>"
    }
    .joined()
    let threshold: String
    switch results.thresholdChoice {
    case .trainingSweep:
      threshold = "Threshold \(results.threshold), chosen by cross-validated identification inside the training data"
    case .fixed: threshold = "Threshold \(results.threshold), fixed by the configuration"
    case .readyMask: threshold = "Voxels from the ready mask \(results.voxelMask ?? "") (no threshold)"
    }
    let standardization =
      results.testStandardization == .testSetStatistics
      ? "Aligned test data were z-scored with their own statistics (the authors' transductive choice: the test "
        + "responses are used, no labels)."
      : "Aligned test data were z-scored with the training statistics (nothing about the test set is used)."
    let figureBlocks = figures.map { figure in
      "<figure><a href=\"figures/\(figure.stem).svg\"><img src=\"figures/\(figure.stem).png\" "
        + "alt=\"\(figure.caption)\"></a><figcaption>\(figure.caption) (<a href=\"figures/\(figure.stem).svg\">SVG</a>)"
        + "</figcaption></figure>"
    }.joined()
    let clips = results.testClips.map { clip in
      "<tr><td>\(clip.id)</td><td><audio controls preload=none src=\"\(clip.original)\"></audio></td>"
        + "<td><audio controls preload=none src=\"\(clip.reconstruction)\"></audio></td></tr>"
    }.joined()
    return """
      <!doctype html><html lang=en><head><meta charset=utf-8><title>Resonance reconstruction</title>
      <style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}td,th{padding:2px 10px}
      .warn{background:#fee;padding:8px;border:1px solid #c00}
      figure{margin:1em 0}img{max-width:100%}figcaption{font-size:90%;color:#333}</style></head><body>
      <h1>Music reconstruction from fMRI</h1>\(warning)
      <p>Identification accuracy (strict: ties count as failures): <b>\(format(results.identificationAccuracy.mean)) ±
      \(format(results.identificationAccuracy.std))</b> (mean ± population std over \(results.subjects.count) subjects;
      chance 0.5). Top-1 retrieval: \(format(results.topOneAccuracy)). \(threshold); \(results.voxelCount) voxels of
      \(results.templateVoxelCount). Decoder alpha \(results.decoderAlpha). \(standardization)</p>
      <h2>Per subject</h2><table><tr><th>subject</th><th>accuracy</th></tr>\(subjects)</table>
      <h2>Per genre</h2><table><tr><th>genre</th><th>accuracy</th></tr>\(genres)</table>
      \(Self.evaluationTable(results))
      <h2>Figures</h2>\(figureBlocks)
      <h2>Test clips: original and reconstruction</h2>
      <table><tr><th>clip</th><th>original</th><th>reconstruction</th></tr>\(clips)</table>
      </body></html>
      """
  }
}
