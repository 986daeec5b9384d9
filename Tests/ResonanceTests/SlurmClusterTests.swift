import Foundation
import Synchronization
import Testing

@testable import Resonance

/// Runs `program` (a path, or a command found by `env` on `PATH`) with `arguments`, optionally with another `PATH`;
/// returns its status and its standard output and error together.
func runProgram(_ program: String, _ arguments: [String], path: String? = nil) throws -> (status: Int32, output: String)
{
  let process = Process()
  process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
  process.arguments = program.hasPrefix("/") ? arguments : [program] + arguments
  if let path {
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = path
    process.environment = environment
  }
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs the built `reconstruct` with `arguments`, optionally with another `PATH`.
func runReconstruct(_ arguments: [String], path: String? = nil) throws -> (status: Int32, output: String) {
  try runProgram(StepProgramsTests.binaries.appendingPathComponent("reconstruct").path, arguments, path: path)
}

/// The arguments of a small sharded run of `dataset` (the tiny preset: 2 subjects, 40 + 10 stimuli): an embedding
/// array of 3 chunks, generation of both subjects in 2 chunks of 5 clips × 2 candidate seeds (brain-guided
/// selection) = 8 tasks, 2 DDIM steps of 0.4 s clips with the tiny demo models.
func shardedRunArguments(dataset: URL, out: URL) -> [String] {
  let resources = ReconstructionTests.resources
  return [
    "--bids", dataset.path, "--stimuli", dataset.appendingPathComponent("stimuli").path,
    "--clap", resources.appendingPathComponent("CLAPTests/Resources/clap-tiny").path,
    "--musicldm", resources.appendingPathComponent("MusicLDMTests/Resources/tiny-musicldm").path,
    "--demo-models", "--minimum-cluster-size", "5", "--seed", "3", "--steps", "2", "--seconds", "0.4",
    "--stimuli-per-task", "20", "--clips-per-task", "5", "--generate-subjects", "all", "--candidate-seeds", "2",
    // The same OpenBLAS thread count for local and SLURM tasks (whatever --cpus-per-task grants): byte identity
    // across executors holds for one thread count (OpenBLAS sums in another order with another).
    "--blas-threads", "2", "--out", out.path,
  ]
}

@Suite("reconstruct --executor slurm without a cluster")
struct SlurmProgramTests {
  @Test("--dry-run refuses a node-local run directory, then writes the plan with --allow-local-run-directory")
  func dryRun() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-dry-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let arguments = shardedRunArguments(dataset: TinyDataset.root, out: folder) + ["--executor", "slurm", "--dry-run"]
    let refused = try runReconstruct(arguments)
    // The test's temporary folder is node-local on a cluster (/tmp), unless TMPDIR points elsewhere.
    if folder.path.hasPrefix("/tmp/") {
      #expect(
        refused.status != 0 && refused.output.contains("local to each node")
          && refused.output.contains("--allow-local-run-directory"), "\(refused.output)")
    }
    let planned = try runReconstruct(arguments + ["--allow-local-run-directory"])
    #expect(planned.status == 0, "\(planned.output)")
    // 2 subjects × 2 clip chunks × 2 seeds, and 3 null models × 2 clip chunks.
    #expect(planned.output.contains("#8 generate: 14 tasks, --array=0-13"), "\(planned.output)")
    #expect(planned.output.contains("Nothing was submitted"), "\(planned.output)")
    for file in ["slurm/plan.json", "slurm/submit.sh", "slurm/generate.sbatch", "run.json", "design.json"] {
      #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "\(file)")
    }
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("slurm/jobs.json").path))
  }

  @Test("without sbatch on PATH, or with --detach but the local executor, reconstruct says what is wrong")
  func noCluster() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-none-\(UUID().uuidString)")
    let empty = folder.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let arguments = shardedRunArguments(dataset: TinyDataset.root, out: folder.appendingPathComponent("run"))
    let missing = try runReconstruct(
      arguments + ["--executor", "slurm", "--allow-local-run-directory"], path: empty.path)
    #expect(
      missing.status != 0 && missing.output.contains("sbatch is not on PATH") && missing.output.contains(empty.path),
      "\(missing.output)")
    let detached = try runReconstruct(arguments + ["--detach"])
    #expect(detached.status != 0 && detached.output.contains("--executor slurm"), "\(detached.output)")
    let badLimit = try runReconstruct(arguments + ["--executor", "slurm", "--time-limit", "sing=10"])
    #expect(badLimit.status != 0 && badLimit.output.contains("sing is not a stage"), "\(badLimit.output)")
  }
}

/// A sharded run on a real SLURM cluster against the local run: same figures, same bytes, also after a job is
/// cancelled. Opt-in: `RESONANCE_SLURM_TEST=1` (CI starts a one-node cluster with `Scripts/local-slurm.sh start`);
/// once set, a missing cluster fails the suite instead of skipping it.
@Suite(
  "SLURM cluster runs (RESONANCE_SLURM_TEST=1)", .serialized,
  .enabled(if: ProcessInfo.processInfo.environment["RESONANCE_SLURM_TEST"] == "1"))
struct SlurmClusterTests {
  /// A folder every node of the cluster sees: under the package's `.build`, not `/tmp` (earlier runs' folders are
  /// removed first).
  static let scratch: URL = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let parent = root.appendingPathComponent(".build/slurm-tests")
    try? FileManager.default.removeItem(at: parent)
    return parent.appendingPathComponent("\(getpid())")
  }()

  /// The tiny dataset copied into ``scratch`` and the local run of it, made once.
  static let localRun = Mutex<(dataset: URL, run: URL)?>(nil)

  /// The tiny dataset copied into ``scratch``, and the local run of it (made on first use).
  func local() throws -> (dataset: URL, run: URL) {
    try Self.localRun.withLock { saved in
      if let saved { return saved }
      let dataset = Self.scratch.appendingPathComponent("dataset")
      try FileManager.default.createDirectory(at: Self.scratch, withIntermediateDirectories: true)
      try FileManager.default.copyItem(at: TinyDataset.root, to: dataset)
      let run = Self.scratch.appendingPathComponent("local")
      let result = try runReconstruct(shardedRunArguments(dataset: dataset, out: run))
      try #require(result.status == 0, "the local run failed: \(result.output)")
      saved = (dataset, run)
      return (dataset, run)
    }
  }

  /// `--allow-local-run-directory` when the package itself lies under a node-local folder such as `/tmp` (right on
  /// this one-node cluster; the refusal itself is tested in ``SlurmProgramTests``).
  var localFlag: [String] {
    let path = Self.scratch.resolvingSymlinksInPath().path
    return SlurmExecutor.nodeLocalFolders.contains { path.hasPrefix($0 + "/") } ? ["--allow-local-run-directory"] : []
  }

  /// Fails unless a cluster answers.
  func requireCluster() throws {
    let sinfo = try runProgram("sinfo", ["--noheader", "--format=%T"])
    try #require(
      sinfo.status == 0 && ["idle", "mix", "alloc"].contains { sinfo.output.contains($0) },
      "RESONANCE_SLURM_TEST=1 but no SLURM cluster answers (start one with Scripts/local-slurm.sh start): \(sinfo.output)"
    )
  }

  /// Runs a SLURM command and returns its output.
  func slurm(_ arguments: [String]) throws -> String {
    try runProgram(arguments[0], Array(arguments.dropFirst())).output
  }

  /// Checks that `run` holds the local run's results: `results.json` without its timings, and byte-identical WAV,
  /// `.npy`, `.npz` and `.tsv` files (the executor must never change a number).
  func expectSameResults(_ run: URL) throws {
    let reference = try local().run
    func results(_ folder: URL) throws -> NSDictionary {
      let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("results.json")))
      let dictionary = try #require(json as? [String: Any])
      return dictionary.filter { $0.key != "timings" } as NSDictionary
    }
    #expect(try results(run) == results(reference), "results.json differs from the local run's")
    func files(_ folder: URL) -> [String] {
      let enumerator = FileManager.default.enumerator(atPath: folder.path)!
      return enumerator.compactMap { $0 as? String }.filter {
        !$0.hasPrefix("slurm/") && !$0.hasPrefix(".stages")
          && ["wav", "npy", "npz", "tsv"].contains(URL(fileURLWithPath: $0).pathExtension)
      }.sorted()
    }
    let names = files(reference)
    #expect(names.filter { $0.hasSuffix(".wav") }.count >= 8, "\(names)")
    #expect(files(run) == names)
    for name in names {
      let same =
        FileManager.default.contents(atPath: run.appendingPathComponent(name).path)
        == FileManager.default.contents(atPath: reference.appendingPathComponent(name).path)
      #expect(same, "\(name) differs from the local run's")
    }
  }

  @Test("a sharded run through SLURM gives the local run's figures and bytes, with a timeline per job")
  func shardedRun() throws {
    try requireCluster()
    let out = Self.scratch.appendingPathComponent("slurm")
    let result = try runReconstruct(
      shardedRunArguments(dataset: try local().dataset, out: out) + [
        "--executor", "slurm", "--cpus-per-task", "1", "--poll-seconds", "1", "--job-name-prefix", "resonance-test",
      ] + localFlag)
    try #require(result.status == 0, "\(result.output)")
    #expect(result.output.contains("Identification accuracy"), "\(result.output)")
    try expectSameResults(out)
    let ledger = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("slurm/jobs.json")))
    let jobs = try #require((ledger as? [String: Any])?["jobs"] as? [[String: Any]])
    #expect(
      jobs.map { $0["stage"] as? String } == [
        "template-mask", "load", "embed", "bridge", "select", "align", "decode", "evaluate", "generate",
        "evaluate-audio", "report",
      ])
    // One array element per subject to load, per stimulus shard to embed and per generation batch; one for each
    // other stage.
    let elements = jobs.map { ($0["elements"] as? [Any])?.count ?? 0 }
    #expect(elements.prefix(3) == [1, 2, 3])
    #expect(elements.suffix(2) == [1, 1])
    #expect(elements.allSatisfy { $0 >= 1 })
    let timeline = try String(contentsOf: out.appendingPathComponent("slurm/timeline.tsv"), encoding: .utf8)
    // The timeline has one row per array element, after the header.
    #expect(timeline.split(separator: "\n").count == 1 + elements.reduce(0, +), "\(timeline)")
  }

  @Test("cancelling a running and a queued generation element, then running again, gives the same results")
  func cancelThenResume() throws {
    try requireCluster()
    let out = Self.scratch.appendingPathComponent("cancelled")
    let arguments =
      shardedRunArguments(dataset: try local().dataset, out: out) + [
        "--executor", "slurm", "--cpus-per-task", "1", "--poll-seconds", "1", "--array-throttle", "1",
        "--max-retries", "0", "--job-name-prefix", "resonance-test",
      ] + localFlag
    let detached = try runReconstruct(arguments + ["--detach"])
    try #require(detached.status == 0, "\(detached.output)")
    #expect(detached.output.contains("resume:"), "\(detached.output)")
    let ledger = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("slurm/jobs.json")))
    let jobs = try #require((ledger as? [String: Any])?["jobs"] as? [[String: Any]])
    let generation = try #require(jobs.first { $0["stage"] as? String == "generate" }?["jobID"] as? String)
    // The last element waits behind the throttle: cancel it while queued.
    _ = try slurm(["scancel", "\(generation)_7"])
    // Kill the first generation element we see running.
    var killed: String?
    let deadline = Date().addingTimeInterval(300)
    while killed == nil && Date() < deadline {
      let queue = try slurm(["squeue", "--me", "--noheader", "--array", "--format=%i %T", "--jobs=\(generation)"])
      for line in queue.split(separator: "\n") where line.hasSuffix(" RUNNING") {
        killed = String(line.split(separator: " ")[0])
        _ = try slurm(["scancel", killed!])
        break
      }
      Thread.sleep(forTimeInterval: 0.1)
    }
    try #require(killed != nil, "no generation element was seen running within 300 s")
    let resumed = try runReconstruct(arguments)
    try #require(resumed.status == 0, "\(resumed.output)")
    // Only the two cancelled tasks (and the report, which waited for the whole generation job) were submitted again.
    #expect(resumed.output.components(separatedBy: "slurm: submitted job").count - 1 >= 2, "\(resumed.output)")
    try expectSameResults(out)
  }
}
