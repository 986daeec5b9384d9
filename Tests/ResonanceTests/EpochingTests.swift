import LinearAlgebra
import Testing

@testable import Resonance

@Suite("epoching (Docs/method.md §2–4)")
struct EpochingTests {
  /// A run whose voxel 0 holds the volume index and voxel 1 the constant 1, so window means are known exactly.
  func indexRun(volumes: Int = 410) -> Matrix<Float> {
    Matrix(rows: volumes, columns: 2) { t, v in v == 0 ? Float(t) : 1 }
  }

  func dsEvents(_ stimuli: [Stimulus]) -> [StimulusEvent] {
    stimuli.enumerated().map { StimulusEvent(onsetSeconds: Double($0.offset) * 15, stimulus: $0.element) }
  }

  @Test("windows start at floor(onset/1.5)+3, span 10 volumes, and the last clip keeps only 7")
  func windows() throws {
    let stimuli = (0..<41).map { Stimulus(genre: "jazz", track: $0) }
    let (events, responses) = try Epocher().epochs(of: indexRun(), events: dsEvents(stimuli), runName: "run-01")
    #expect(events.count == 41)
    // Event e starts at volume 10e + 3; the mean of t over 10 volumes is 10e + 3 + 4.5.
    for e in 0..<40 { #expect(responses[e, 0] == Float(10 * e) + 7.5) }
    // Last event: onset 600 s → start 403, volumes 403…409 (7 of them), mean 406.
    #expect(responses[40, 0] == 406)
    #expect(responses.column(1).allSatisfy { $0 == 1 })
  }

  @Test("repeats are averaged per presentation and stimuli come out sorted by genre, then track")
  func averaging() throws {
    let a = Stimulus(genre: "rock", track: 3)
    let b = Stimulus(genre: "blues", track: 12)
    let c = Stimulus(genre: "blues", track: 2)
    let epocher = Epocher()
    let run1 = try epocher.epochs(of: indexRun(), events: dsEvents([a, b, c]), runName: "run-01")
    let run2 = try epocher.epochs(of: indexRun(), events: dsEvents([c, a]), runName: "run-02")
    let pairs = try epocher.averageByStimulus([run1, run2])
    #expect(pairs.stimuli == [c, b, a])
    #expect(pairs.presentationCounts == [2, 1, 2])
    // c: run1 event 2 (mean 27.5) and run2 event 0 (mean 7.5) → 17.5; a: 7.5 and 17.5 → 12.5.
    #expect(pairs.responses.column(0) == [17.5, 17.5, 12.5])
  }

  @Test("the onset-0 repeat is averaged in by default and dropped on request")
  func onsetZero() throws {
    let stimuli = [Stimulus(genre: "pop", track: 1), Stimulus(genre: "pop", track: 2)]
    let keep = try Epocher().epochs(of: indexRun(), events: dsEvents(stimuli), runName: "r")
    #expect(keep.events.count == 2)
    let drop = try Epocher(options: EpochingOptions(dropOnsetZeroEvents: true))
      .epochs(of: indexRun(), events: dsEvents(stimuli), runName: "r")
    #expect(drop.events.map(\.stimulus) == [stimuli[1]])
    #expect(drop.responses[0, 0] == 17.5)
  }

  @Test("an event past the end of the run names the run, onset and volume count")
  func outsideRun() {
    let events = [StimulusEvent(onsetSeconds: 700, stimulus: Stimulus(genre: "metal", track: 0))]
    let error = #expect(throws: DatasetError.self) {
      try Epocher().epochs(of: indexRun(), events: events, runName: "sub-001 Training run-03")
    }
    #expect(
      error == .epochOutsideRun(run: "sub-001 Training run-03", onsetSeconds: 700, startVolume: 469, volumeCount: 410))
    #expect("\(error!)".contains("sub-001 Training run-03"))
  }

  @Test("cleaning detrends and z-scores every voxel over the run")
  func cleaning() throws {
    var generator = SeededRandomNumberGenerator(seed: 3)
    var run = Matrix<Float>.randomNormal(rows: 410, columns: 20, using: &generator)
    for t in 0..<410 {
      for v in 0..<20 { run[t, v] += 0.05 * Float(t) + 100 }
    }
    let cleaned = try Epocher.clean(run)
    // Float over 410 samples: residual mean ≲ 1e-6, std 1 within 1e-5, no trend left.
    #expect(cleaned.columnMeans().allSatisfy { abs($0) < 1e-5 })
    #expect(cleaned.columnStandardDeviations().allSatisfy { abs($0 - 1) < 1e-4 })
    let time = (0..<410).map { Float($0) - 204.5 }
    let slopes = try cleaned.multiplied(vector: time, transpose: .transpose)
    // Σ t·z has a natural scale of sqrt(Σ t²) ≈ 2,400 for unit noise; what is left is Float rounding.
    #expect(slopes.allSatisfy { abs($0) < 0.05 })
    run[5, 5] = .nan
    #expect(throws: DatasetError.self) { try Epocher.clean(run) }
  }

  @Test(
    "the block kernel equals LinearAlgebra's detrend + z-score bit for bit, fused epochs equal clean-then-epoch",
    arguments: [(410, 1300), (17, 3), (12, 513)])
  func blockKernelMatchesComposition(volumes: Int, voxels: Int) throws {
    var generator = SeededRandomNumberGenerator(seed: 11)
    var run = Matrix<Float>.randomNormal(rows: volumes, columns: voxels, using: &generator)
    for t in 0..<volumes {
      for v in 0..<voxels { run[t, v] = run[t, v] * Float(1 + v % 7) + 0.03 * Float(t * (v % 5)) + 800 }
    }
    // A constant voxel (std 0) must become 0 in both paths.
    for t in 0..<volumes { run[t, 1] = 750 }
    let reference = try run.linearlyDetrendedColumns().zScoredColumns(.population)
    let cleaned = try Epocher.clean(run)
    // Same operations in the same order: exact equality, not a tolerance.
    #expect(cleaned == reference)
    let stimuli = (0..<41).map { Stimulus(genre: "rock", track: $0) }
    let events = dsEvents(stimuli).filter { Epocher().startVolume(onsetSeconds: $0.onsetSeconds) < volumes }
    let epocher = Epocher()
    let fused = try epocher.cleanedEpochs(of: run, events: events, runName: "run-01")
    let separate = try epocher.epochs(of: reference, events: events, runName: "run-01")
    #expect(fused.events == separate.events)
    #expect(fused.responses == separate.responses)
    run[volumes - 1, voxels - 1] = .infinity
    let error = #expect(throws: DatasetError.self) {
      try epocher.cleanedEpochs(of: run, events: events, runName: "run-01")
    }
    // The message names the run and the first bad element.
    #expect("\(error!)".contains("run-01 has a non-finite value at volume \(volumes - 1)"))
  }

  @Test("stimulus identifiers follow GTZAN's file names")
  func identifiers() {
    let s = Stimulus(genre: "hiphop", track: 7)
    #expect(s.identifier == "hiphop.00007")
    #expect(s.relativeAudioPath == "genres_original/hiphop/hiphop.00007.wav")
  }
}
