import Foundation
import LinearAlgebra
import Testing

@testable import Resonance

/// Every output file of a run directory (relative path → bytes), except hidden files (the task records, which
/// hold wall times, and temporary files a killed process may leave, which nothing reads), `results.json` and
/// `report.html` (they hold the timings); the results' figures are compared separately.
func outputFiles(of folder: URL) throws -> [String: Data] {
  var files: [String: Data] = [:]
  let root = folder.standardizedFileURL.path
  let enumerator = FileManager.default.enumerator(atPath: root)
  while let relative = enumerator?.nextObject() as? String {
    let hidden = relative.split(separator: "/").contains { $0.hasPrefix(".") }
    guard !hidden, relative != "results.json", relative != "report.html" else { continue }
    var isDirectory: ObjCBool = false
    FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
    if !isDirectory.boolValue { files[relative] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)) }
  }
  return files
}

@Suite("runs that survive: resuming a run directory")
struct ResumeTests {
  func options(steps: Int = 2) -> PipelineConfiguration {
    var options = ReconstructionTests().options(audio: true)
    options.generation.steps = steps
    options.generation.subjects = .all
    return options
  }

  @Test("a run stopped during generation resumes to the same bytes; other options are refused by name")
  func stopAndResume() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: base) }
    let inputs = ReconstructionTests().inputs()
    let whole = base.appendingPathComponent("whole")
    let reference = try Reconstructor(inputs: inputs, options: options(), output: whole).run()
    // Stop after the fourth generated clip (checked between tasks, as SIGINT does).
    let stopped = base.appendingPathComponent("stopped")
    var generated = 0
    let error = #expect(throws: PipelineError.self) {
      try Reconstructor(inputs: inputs, options: self.options(), output: stopped).run(
        progress: { line in if line.hasPrefix("generated") { generated += 1 } }, isCancelled: { generated >= 4 })
    }
    guard case .interrupted = error else {
      Issue.record("expected an interruption, got \(String(describing: error))")
      return
    }
    #expect(!FileManager.default.fileExists(atPath: stopped.appendingPathComponent("results.json").path))
    let finishedBefore = RunDirectory(stopped).records(stage: .generation).count
    #expect(finishedBefore == 4)
    // Resuming runs only what is missing: no stage before generation runs again.
    var stagesRun: [String] = []
    let resumed = try Reconstructor(inputs: inputs, options: options(), output: stopped).run(progress: { line in
      if line.hasPrefix("== "), !line.hasSuffix("tasks already finished") { stagesRun.append(line) }
    })
    #expect(
      stagesRun.map { String($0.split(separator: ":")[0]) } == ["== generate", "== evaluate-audio", "== report"],
      "\(stagesRun)")
    #expect(resumed.results.identificationAccuracy == reference.results.identificationAccuracy)
    #expect(resumed.results.generatedClips == reference.results.generatedClips)
    #expect(try outputFiles(of: stopped) == outputFiles(of: whole))
    // The same directory with other options is refused, naming what differs.
    let mismatch = #expect(throws: PipelineError.self) {
      try Reconstructor(inputs: inputs, options: self.options(steps: 3), output: stopped).run()
    }
    #expect("\(mismatch!)".contains("options.generation.steps: 2 → 3"), "\(mismatch!)")
  }

  @Test("kill -9 of the reconstruct program during generation, then the same command again: identical outputs")
  func killAndResume() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("kill-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: base) }
    let resources = ReconstructionTests.resources
    func arguments(_ out: URL) -> [String] {
      [
        "--bids", TinyDataset.root.path, "--stimuli", TinyDataset.root.appendingPathComponent("stimuli").path,
        "--clap", resources.appendingPathComponent("CLAPTests/Resources/clap-tiny").path,
        "--musicldm", resources.appendingPathComponent("MusicLDMTests/Resources/tiny-musicldm").path,
        "--demo-models", "--minimum-cluster-size", "5", "--seed", "3", "--steps", "12", "--seconds", "0.4",
        "--generate-subjects", "all", "--out", out.path,
      ]
    }
    let whole = base.appendingPathComponent("whole")
    let reference = try StepProgramsTests().run("reconstruct", arguments(whole))
    #expect(reference.status == 0, "\(reference.output)")
    // Start the same run, wait for the third generated clip, and kill the process without warning.
    let killed = base.appendingPathComponent("killed")
    let process = Process()
    process.executableURL = StepProgramsTests.binaries.appendingPathComponent("reconstruct")
    process.arguments = arguments(killed)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let records = RunDirectory(killed)
    let deadline = Date().addingTimeInterval(300)
    while records.records(stage: .generation).count < 3 && process.isRunning && Date() < deadline {
      Thread.sleep(forTimeInterval: 0.02)
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal, "the run finished before it could be killed")
    #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("results.json").path))
    let again = try StepProgramsTests().run("reconstruct", arguments(killed))
    #expect(again.status == 0, "\(again.output)")
    #expect(again.output.contains("already finished"), "\(again.output)")
    #expect(try outputFiles(of: killed) == outputFiles(of: whole))
    let decoder = JSONDecoder()
    let first = try decoder.decode(
      ReconstructionResults.self, from: Data(contentsOf: whole.appendingPathComponent("results.json")))
    let second = try decoder.decode(
      ReconstructionResults.self, from: Data(contentsOf: killed.appendingPathComponent("results.json")))
    #expect(first.identificationAccuracy == second.identificationAccuracy)
    #expect(first.generatedClips == second.generatedClips)
  }
}

@Suite("run directories: what a failed start leaves, and settings checked before any work")
struct RunDirectoryStartTests {
  @Test(
    "a directory with another specification but no finished task is taken over (a failed plan never blocks the fix)")
  func failedStartIsReplaced() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("start-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let directory = RunDirectory(folder)
    let inputs = ReconstructionTests().inputs()
    var first = PipelineConfiguration()
    first.dataset.resolution = nil
    var second = first
    second.dataset.resolution = "2"
    #expect(try directory.prepare(for: RunSpecification(inputs: inputs, options: first)) == false)
    try directory.writeJSON(["stale": true], to: ExperimentDesign.file)
    // Nothing finished: the new options replace the old, and the design derived from them is dropped.
    #expect(try directory.prepare(for: RunSpecification(inputs: inputs, options: second)) == false)
    #expect(try directory.specification().options.dataset.resolution == "2")
    #expect(!directory.exists(ExperimentDesign.file))
    // Jobs submitted to SLURM under the saved options protect it too.
    try directory.writeJSON(SlurmLedger(), to: SlurmLedger.file)
    #expect(throws: PipelineError.self) {
      try directory.prepare(for: RunSpecification(inputs: inputs, options: first))
    }
    try FileManager.default.removeItem(at: directory.url(SlurmLedger.file))
    // Once a task has finished, other options are refused by name.
    try directory.recordFinished(stage: .templateMask, task: "template", seconds: 0)
    let mismatch = #expect(throws: PipelineError.self) {
      try directory.prepare(for: RunSpecification(inputs: inputs, options: first))
    }
    #expect("\(mismatch!)".contains("options.dataset.resolution"), "\(mismatch!)")
  }

  @Test("a run directory made by an earlier version of the library is not resumed with this version's outputs")
  func earlierVersionIsRefused() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("version-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let directory = RunDirectory(folder)
    let current = RunSpecification(inputs: ReconstructionTests().inputs(), options: PipelineConfiguration())
    #expect(current.version == Reconstructor.version)
    // A run.json as versions before 0.3.0 wrote it: no version key.
    var object = try #require(
      try JSONSerialization.jsonObject(with: JSONEncoder().encode(current)) as? [String: Any])
    object.removeValue(forKey: "version")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try JSONSerialization.data(withJSONObject: object).write(to: directory.url(RunDirectory.specificationFile))
    #expect(try directory.specification().version == "unrecorded")
    try directory.recordFinished(stage: .templateMask, task: "template", seconds: 0)
    let mismatch = #expect(throws: PipelineError.self) { try directory.prepare(for: current) }
    #expect("\(mismatch!)".contains("version: \"unrecorded\" → \"\(Reconstructor.version)\""), "\(mismatch!)")
  }

  @Test(
    "settings that can never work stop the run before the run directory is written",
    arguments: [
      ("steps", "generation.steps is -5"), ("guidance", "generation.guidance is nan"),
      ("seconds", "generation.seconds is 1000000000"), ("ways", "evaluation.ways is [1]"),
    ])
  func invalidSettings(name: String, message: String) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("invalid-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    var options = ResumeTests().options()
    switch name {
    case "steps": options.generation.steps = -5
    case "guidance": options.generation.guidance = .nan
    case "seconds": options.generation.seconds = 1e9
    default: options.evaluation.ways = [1]
    }
    let error = #expect(throws: PipelineError.self) {
      try Reconstructor(inputs: ReconstructionTests().inputs(), options: options, output: folder).plan()
    }
    #expect("\(error!)".contains(message), "\(name): \(error!)")
    #expect(!RunDirectory(folder).exists(RunDirectory.specificationFile))
  }

  @Test("blasThreads is applied in the task's own process and recorded; an impossible count is refused")
  func blasThreads() throws {
    var options = PipelineConfiguration()
    options.blasThreads = 0
    #expect(throws: PipelineError.self) { try options.validate() }
    options.blasThreads = 1
    try options.validate()
    let saved = BLASRuntime.threadCount
    defer { BLASRuntime.setThreadCount(saved) }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("threads-\(UUID().uuidString)")
    Reconstructor(inputs: ReconstructionTests().inputs(), options: options, output: folder).applyRuntimeSettings()
    #expect(BLASRuntime.threadCount == 1)
    // Stored in the specification, so a resumed run or a SLURM task reads the same count.
    let data = try JSONEncoder().encode(options)
    #expect(try JSONDecoder().decode(PipelineConfiguration.self, from: data).blasThreads == 1)
    #expect(try JSONDecoder().decode(PipelineConfiguration.self, from: Data("{}".utf8)).blasThreads == nil)
  }
}
