import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ListeningTest

/// Opt-in: `RESONANCE_LOAD_TEST=1 swift test --filter ListeningTestTests.LoadTests`.
@Suite(
  "Loopback load test (opt-in)",
  .enabled(
    if: ProcessInfo.processInfo.environment["RESONANCE_LOAD_TEST"] == "1",
    "set RESONANCE_LOAD_TEST=1 to run 50 participants x 60 trials over loopback, with and without kill -9"),
  .serialized)
struct LoadTests {
  static let participants = Int(ProcessInfo.processInfo.environment["RESONANCE_LOAD_PARTICIPANTS"] ?? "") ?? 50
  static let trials = 60

  @Test("50 concurrent participants complete 60 trials each with no lost or duplicated answer")
  func concurrentSessions() async throws {
    let fixture = try ResultsFolderFixture(
      clipCount: Self.trials,
      genres: ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"])
    let databasePath = temporaryDatabasePath()
    defer {
      fixture.remove()
      removeDatabase(databasePath)
    }
    let store = try ExperimentStore(url: URL(fileURLWithPath: databasePath))
    _ = try await store.createExperiment(
      from: try ResultsManifest.load(from: fixture.url), design: .test("load", seed: 3))
    let server = try await ListeningTestServer(store: store)
    let app = server.makeApplication(host: "127.0.0.1", port: 0)
    let (latencies, seconds, duplicates) = try await app.test(.live) { client in
      let base = "http://127.0.0.1:\(client.port!)"
      let http = LoopbackHTTPClient(connections: Self.participants + 8)
      defer { http.invalidate() }
      let start = ContinuousClock.now
      let perParticipant = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
        for participant in 0..<Self.participants {
          group.addTask { try await Self.runParticipant(participant, base: base, http: http) }
        }
        var all: [Double] = []
        var duplicates = 0
        for try await (latencies, duplicateCount) in group {
          all += latencies
          duplicates += duplicateCount
        }
        return (all, duplicates)
      }
      let elapsed = ContinuousClock.now - start
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      return (perParticipant.0, seconds, perParticipant.1)
    }
    let answers = try await store.answers(experimentID: server.experiment.id)
    let expected = Self.participants * Self.trials
    #expect(answers.count == expected, "lost or duplicated answers")
    let keys = Set(answers.map { "\($0.participant)-\($0.position)" })
    #expect(keys.count == expected)
    let byParticipant = Dictionary(grouping: answers, by: \.participant)
    #expect(byParticipant.count == Self.participants)
    #expect(byParticipant.values.allSatisfy { $0.map(\.position) == Array(1...Self.trials) })
    let sorted = latencies.sorted()
    let p50 = sorted[sorted.count / 2]
    let p99 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
    let report = String(
      format:
        "LOAD TEST: %d participants x %d trials = %d answers (+%d double submissions) in %.2f s; %d requests, "
        + "%.0f requests/s, %.0f answers/s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
      Self.participants, Self.trials, expected, duplicates, seconds, sorted.count, Double(sorted.count) / seconds,
      Double(expected) / seconds, p50 * 1000, p99 * 1000, (sorted.last ?? 0) * 1000)
    print(report)
    if let path = ProcessInfo.processInfo.environment["RESONANCE_LOAD_REPORT"] {
      try Data((report + "\n").utf8).write(to: URL(fileURLWithPath: path))
    }
  }

  @Test("kill -9 the server process at least 20 times during 50 participants x 60 trials: nothing acknowledged is lost")
  func killNineDuringLoad() async throws {
    let kills = Int(ProcessInfo.processInfo.environment["RESONANCE_LOAD_KILLS"] ?? "") ?? 25
    let figures = try await CrashSafetyRun(participants: Self.participants, trials: Self.trials, kills: kills, seed: 9)
      .run()
    print(figures)
    if let path = ProcessInfo.processInfo.environment["RESONANCE_LOAD_REPORT"] {
      let handle = FileHandle(forWritingAtPath: path)
      handle?.seekToEndOfFile()
      handle?.write(Data((figures.description + "\n").utf8))
      try handle?.close()
    }
    CrashSafetyTests.check(figures, participants: Self.participants, trials: Self.trials, kills: kills)
  }

  /// One simulated participant: join, then for each trial load the page, fetch the three players' first bytes,
  /// answer, and (every seventh trial) double-submit. Returns every request's latency in seconds.
  static func runParticipant(_ index: Int, base: String, http: LoopbackHTTPClient) async throws -> ([Double], Int) {
    var latencies: [Double] = []
    func timed(_ work: () async throws -> LoopbackHTTPClient.Reply) async throws -> LoopbackHTTPClient.Reply {
      let start = ContinuousClock.now
      let reply = try await work()
      let elapsed = ContinuousClock.now - start
      latencies.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
      return reply
    }
    let joined = try await timed { try await http.postForm(base + "/start", "consent=yes") }
    try #require(joined.status == 303)
    let participantPath = try #require(joined.headers["location"])
    var duplicates = 0
    for position in 1...trials {
      let page = try await timed { try await http.send("GET", base + participantPath + "/trial/\(position)") }
      try #require(page.status == 200, "participant \(index) trial \(position): \(page.status)")
      for slot in ["reference", "a", "b"] {
        let audio = try await timed {
          try await http.send(
            "GET", base + participantPath + "/audio/\(position)/\(slot)", headers: ["Range": "bytes=0-1023"])
        }
        try #require(audio.status == 206)
      }
      let choice = (index + position) % 3 == 0 ? "B" : "A"
      let answer = try await timed {
        try await http.postForm(base + participantPath + "/trial/\(position)", "choice=\(choice)")
      }
      try #require(answer.status == 303, "participant \(index) answer \(position): \(answer.status) \(answer.text)")
      if position % 7 == 0 {
        let again = try await timed {
          try await http.postForm(base + participantPath + "/trial/\(position)", "choice=\(choice)")
        }
        try #require(again.status == 303)
        duplicates += 1
      }
    }
    return (latencies, duplicates)
  }
}
