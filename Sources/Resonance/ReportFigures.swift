import DecodingMetrics
import Foundation
import LinearAlgebra
import NeuroIO
import Plotting
import TaskFMRI

/// The report's figures, each written as PNG and SVG with the same layout: identification accuracy against N with
/// the chance curve, intervals and null models; the genre confusion matrices; the threshold sweep; the similarity
/// matrix of every subject (the paper's Fig. 4); the selected voxels over the template's mean EPI.
struct ReportFigures {
  let directory: RunDirectory

  /// A figure's file stem and caption, in the order they are shown.
  struct Figure: Sendable {
    var stem: String
    var caption: String
  }

  /// Draws every figure the run's outputs allow and returns them in order.
  func write(_ products: ReconstructionProducts) throws(PipelineError) -> [Figure] {
    var figures: [Figure] = []
    let results = products.results
    try directory.createFolder(of: "figures/any")
    if let figure = try identificationCurve(results) { figures.append(figure) }
    figures += try confusionMatrices(results)
    if let figure = try thresholdSweep(results) { figures.append(figure) }
    figures += try similarities(products)
    figures.append(try voxelMap(products))
    return figures
  }

  /// Writes `stem.png` and `stem.svg`.
  func save(_ stem: String, png: () throws(PlottingError) -> RGBImage, svg: () throws(PlottingError) -> String)
    throws(PipelineError)
  {
    do {
      try PNGFile.write(try png(), to: directory.url("figures/\(stem).png"))
      try SVGFile.write(try svg(), to: directory.url("figures/\(stem).svg"))
    } catch {
      throw .figure(name: "figures/\(stem)", error)
    }
  }

  /// N-way identification against N: the decoded embeddings (mean over subjects, 95 % bootstrap interval over
  /// subjects), the template's generated audio (interval over items), each null model, and chance 1/N.
  func identificationCurve(_ results: ReconstructionResults) throws(PipelineError) -> Figure? {
    let evaluation = results.evaluation
    let template = results.subjects[0]
    guard let brain = evaluation.embeddings.perSubject[template] else { return nil }
    let ways = brain.nWayIdentification.keys.compactMap(Int.init).sorted()
    guard ways.count >= 2 else { return nil }
    let x = ways.map(Double.init)
    var series: [LinePlot.Series] = []
    let across = ways.compactMap { evaluation.embeddings.acrossSubjects["nWayIdentification.\($0)"] }
    if across.count == ways.count {
      series.append(
        .init(
          name: "decoded embeddings (\(results.subjects.count) subjects)", x: x, y: across.map(\.mean),
          lower: across.map(\.interval.lower), upper: across.map(\.interval.upper)))
    }
    if let audio = evaluation.audio?.perSubject[template] {
      let keys = ways.map(String.init)
      if keys.allSatisfy({ audio.nWayIdentification[$0] != nil && audio.nWayIdentificationInterval[$0] != nil }) {
        series.append(
          .init(
            name: "generated audio (sub-\(template))", x: x, y: keys.map { audio.nWayIdentification[$0]! },
            lower: keys.map { audio.nWayIdentificationInterval[$0]!.lower },
            upper: keys.map { audio.nWayIdentificationInterval[$0]!.upper }))
      }
    }
    for (level, report) in [("embedding", Optional(evaluation.embeddings)), ("audio", evaluation.audio)] {
      guard let report else { continue }
      for model in report.nullModels.keys.sorted() {
        let values = ways.map { report.nullModels[model]!.nWayIdentification[String($0)] ?? .nan }
        series.append(.init(name: "null \(level): \(model)", x: x, y: values, showsMarkers: false))
      }
    }
    series.append(
      .init(name: "chance (1/N)", x: x, y: x.map { 1 / $0 }, color: .grey, style: .dashed, showsMarkers: false))
    let plot: LinePlot
    do {
      plot = try LinePlot(
        title: "N-way identification (95 % intervals; ties count against)", xCaption: "N (alternatives)",
        yCaption: "accuracy", series: series, xScale: .logarithmic, xTicks: x, yRange: 0...1)
    } catch {
      throw .figure(name: "identification-nway", error)
    }
    try save(
      "identification-nway", png: { () throws(PlottingError) in plot.render() },
      svg: { () throws(PlottingError) in try plot.svg() })
    return Figure(
      stem: "identification-nway",
      caption:
        "N-way identification against N: decoded embeddings, generated audio and the null models, with chance 1/N.")
  }

  /// The genre confusion matrix of the template's decoded embeddings and, with generation, of its audio.
  func confusionMatrices(_ results: ReconstructionResults) throws(PipelineError) -> [Figure] {
    let template = results.subjects[0]
    var figures: [Figure] = []
    for (level, report) in [
      ("embeddings", Optional(results.evaluation.embeddings)), ("audio", results.evaluation.audio),
    ] {
      guard let genre = report?.perSubject[template]?.genre?.result, !genre.classes.isEmpty else { continue }
      let stem = "genre-confusion-\(level)"
      let matrix: ConfusionMatrix
      do {
        matrix = try ConfusionMatrix(
          counts: genre.confusion.flatMap { $0 }, labels: genre.classes,
          title: "Genre of the \(level == "audio" ? "generated audio" : "decoded embeddings") (sub-\(template))",
          trueCaption: "true genre", predictedCaption: "classified genre")
      } catch {
        throw .figure(name: stem, error)
      }
      try save(
        stem, png: { () throws(PlottingError) in try matrix.render() },
        svg: { () throws(PlottingError) in try matrix.svg() })
      figures.append(
        Figure(
          stem: stem,
          caption: String(
            format: "Genre confusion of the %@ (ridge classifier fitted on the training clips; agreement %.2f).",
            level == "audio" ? "generated audio" : "decoded embeddings", genre.agreement)))
    }
    return figures
  }

  /// Mean cross-validated identification inside the training data against the threshold.
  func thresholdSweep(_ results: ReconstructionResults) throws(PipelineError) -> Figure? {
    guard results.thresholdChoice == .trainingSweep, results.thresholdSweep.count >= 2 else { return nil }
    let sweep = results.thresholdSweep
    let plot: LinePlot
    do {
      plot = try LinePlot(
        title: "Threshold sweep inside the training data", xCaption: "threshold",
        yCaption: "cross-validated identification",
        series: [
          .init(
            name: "mean over folds", x: sweep.map(\.threshold), y: sweep.map { $0.accuracy ?? .nan })
        ],
        verticalLines: [.init(name: "chosen", x: results.threshold)])
    } catch {
      throw .figure(name: "threshold-sweep", error)
    }
    try save(
      "threshold-sweep", png: { () throws(PlottingError) in plot.render() },
      svg: { () throws(PlottingError) in try plot.svg() })
    return Figure(
      stem: "threshold-sweep",
      caption: "Voxel-selection threshold chosen by cross-validated identification inside the training data.")
  }

  /// The cosine similarity of every subject's predictions with the test targets, test clips grouped by genre.
  func similarities(_ products: ReconstructionProducts) throws(PipelineError) -> [Figure] {
    let stimuli = products.testStimuli
    var groups: [Heatmap.Group] = []
    var start = 0
    while start < stimuli.count {
      var end = start
      while end < stimuli.count && stimuli[end].genre == stimuli[start].genre { end += 1 }
      groups.append(Heatmap.Group(label: stimuli[start].genre, range: start..<end))
      start = end
    }
    var figures: [Figure] = []
    for subject in products.results.subjects {
      let file = "evaluation/similarity-sub-\(subject).npy"
      guard directory.exists(file) else { continue }
      let similarity: Matrix<Double>
      do { similarity = try Matrix<Double>(NumPyArray.read(directory.url(file))) } catch {
        throw .table(error)
      }
      let stem = "similarity-sub-\(subject)"
      let heatmap: Heatmap
      do {
        heatmap = try Heatmap(
          values: similarity.scalars, rows: similarity.rows, columns: similarity.columns,
          title: "Cosine similarity, predicted × true (sub-\(subject), test clips by genre)", rowCaption: "predicted",
          columnCaption: "true", groups: groups, colormap: .viridis, colorBarCaption: "cosine")
      } catch {
        throw .figure(name: stem, error)
      }
      let cell = max(4, min(12, 600 / max(1, stimuli.count)))
      try save(
        stem, png: { () throws(PlottingError) in try heatmap.render(cellSize: cell) },
        svg: { () throws(PlottingError) in try heatmap.svg(cellSize: cell) })
      figures.append(
        Figure(stem: stem, caption: "Predicted × true cosine similarity of sub-\(subject)'s decoded embeddings."))
    }
    return figures
  }

  /// The selected voxels over the template's mean EPI (or its brain mask when no mean EPI was written).
  func voxelMap(_ products: ReconstructionProducts) throws(PipelineError) -> Figure {
    let results = products.results
    let shape = products.templateMask.shape
    var background = products.templateMask.voxels.map { $0 ? Float(1) : 0 }
    if directory.exists(TemplateMaskStage.meanEPIFile),
      let image = try? NIfTIImage<Float>.read(directory.url(TemplateMaskStage.meanEPIFile)),
      image.data.count == background.count
    {
      background = image.data
    }
    let slices: OrthogonalSlices
    do {
      slices = try OrthogonalSlices(
        dimensions: (shape[0], shape[1], shape[2]), background: background,
        overlay: products.selection.voxels.map { $0 ? 1 : 0 },
        title: "Selected voxels: \(results.voxelCount) over sub-\(results.subjects[0])'s mean EPI",
        overlayLabel: "selected")
    } catch {
      throw .figure(name: "voxels", error)
    }
    let scale = max(2, 300 / max(shape[0], shape[1], shape[2]))
    try save(
      "voxels", png: { () throws(PlottingError) in slices.render(scale: scale) },
      svg: { () throws(PlottingError) in try slices.svg(scale: scale) })
    return Figure(stem: "voxels", caption: "The selected voxels (red) over the template subject's mean EPI.")
  }
}
