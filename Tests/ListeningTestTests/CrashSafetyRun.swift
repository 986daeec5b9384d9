import Foundation
import LinearAlgebra
import Synchronization
import Testing

@testable import ListeningTest

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A load of concurrent participants against `listening-test serve` in its own process, which is killed with SIGKILL
/// `kills` times while they answer and started again on the same port and database.
///
/// Each participant behaves as a browser that retries: every request that fails at the transport level (the server
/// died) is followed by a resume check (`GET /p/<token>` must redirect to the first position the participant has not
/// had acknowledged, or the one after it when the answer in flight was committed before the kill), and an
/// unacknowledged answer is posted again with the same choice (the idempotent resubmission), joining again with the
/// same enrolment key. Kills are spread over the run: the k-th comes once `k / (kills + 1)` of all answers are
/// acknowledged, after a seeded random delay of 0–20 ms, so they land in every phase of the requests.
struct CrashSafetyRun {
  /// The figures of one run, as the report prints them.
  struct Figures: CustomStringConvertible {
    var participants = 0
    var trials = 0
    var restarts = 0
    /// Distinct `(participant, position)` answers the server acknowledged (303 to the answer's POST).
    var acknowledgedAnswers = 0
    /// Every 303 to an answer's POST, counting resubmissions after kills and double submissions.
    var acknowledgementResponses = 0
    var storedAnswers = 0
    /// Stored rows beyond one per `(participant, position)`, plus clips a participant answered twice.
    var duplicates = 0
    /// Acknowledged answers missing from the database or stored with another choice.
    var lost = 0
    /// Stored answers that were never acknowledged (0 once every participant has finished).
    var unacknowledgedStored = 0
    var storedParticipants = 0
    var resumesChecked = 0
    /// Answers the kill caught between commit and response, found stored on resume and acknowledged on resubmission.
    var committedBeforeAcknowledgement = 0
    /// Requests that failed at the transport level: cut by a kill, or refused while the server restarted.
    var failedRequests = 0
    var seconds = 0.0

    var description: String {
      String(
        format:
          "CRASH TEST: %d participants x %d trials, kill -9 restarts survived %d; answers acknowledged %d "
          + "(%d acknowledgements incl. resubmissions and double submissions), answers stored %d, duplicates %d, "
          + "lost %d, stored but unacknowledged %d; participants stored %d; resumes checked %d, of which %d found "
          + "the answer in flight already committed; %d requests failed while the server was down; %.1f s",
        participants, trials, restarts, acknowledgedAnswers, acknowledgementResponses, storedAnswers, duplicates,
        lost, unacknowledgedStored, storedParticipants, resumesChecked, committedBeforeAcknowledgement,
        failedRequests, seconds)
    }
  }

  /// A response the protocol does not allow (a test failure, not a kill).
  struct ProtocolViolation: Error, CustomStringConvertible {
    let description: String
  }

  /// What one participant saw.
  struct ParticipantLog: Sendable {
    var token = ""
    var acknowledged: [Int: String] = [:]
    var acknowledgementResponses = 0
    var resumes = 0
    var committedBeforeAcknowledgement = 0
    var failedRequests = 0
  }

  let participants: Int
  let trials: Int
  let kills: Int
  let seed: UInt64

  /// Runs the load, then checks the database; returns the figures.
  func run() async throws -> Figures {
    let fixture = try ResultsFolderFixture(
      clipCount: trials,
      genres: ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"])
    let databasePath = temporaryDatabasePath()
    defer {
      fixture.remove()
      removeDatabase(databasePath)
      try? FileManager.default.removeItem(atPath: databasePath + ".server.log")
    }
    let experimentID: Int64
    do {
      let store = try ExperimentStore(url: URL(fileURLWithPath: databasePath))
      experimentID = try await store.createExperiment(
        from: try ResultsManifest.load(from: fixture.url), design: .test("crash", seed: seed)
      ).id
    }
    let server = ServerProcess(database: databasePath)
    try await server.start()
    let base = "http://127.0.0.1:\(await server.port)"
    let http = LoopbackHTTPClient(connections: participants + 8, timeoutSeconds: 20)
    defer { http.invalidate() }
    let acknowledged = AcknowledgementCounter()
    let total = participants * trials
    let start = ContinuousClock.now
    let logs: [ParticipantLog]
    do {
      logs = try await load(server: server, base: base, http: http, acknowledged: acknowledged, total: total)
    } catch {
      // Never leave the server running: it would outlive the test process.
      await server.killNow()
      throw error
    }
    let elapsed = ContinuousClock.now - start
    await server.killNow()
    return try await figures(
      logs: logs, server: server, elapsed: elapsed, databasePath: databasePath, experimentID: experimentID)
  }

  /// Runs the participants and the killer concurrently; returns the participants' logs, or throws the first
  /// failure. The whole load must end within `deadline`.
  ///
  /// No task is ever cancelled while it waits for URLSession: cancelling an async URLSession request can deadlock
  /// FoundationNetworking on Linux (the task's cancellation handler and the session's completion wait for each
  /// other). A failure therefore raises ``AbortSignal`` and kills the server; the participants see the flag at their
  /// next step, the requests in flight fail fast, and every task returns on its own.
  func load(
    server: ServerProcess, base: String, http: LoopbackHTTPClient, acknowledged: AcknowledgementCounter, total: Int,
    deadline: Duration = .seconds(600)
  ) async throws -> [ParticipantLog] {
    let abort = AbortSignal()
    let outcomes = await withTaskGroup(of: Result<ParticipantLog, any Error>?.self) { group in
      group.addTask {
        var generator = SeededRandomNumberGenerator(seed: seed)
        do {
          for kill in 1...kills {
            let threshold = kill * total / (kills + 1)
            while acknowledged.count.load(ordering: .relaxed) < threshold, !abort.isRaised {
              try await Task.sleep(for: .milliseconds(2))
            }
            guard !abort.isRaised else { return nil }
            try await Task.sleep(for: .milliseconds(Int(generator.next() % 21)))
            try await server.killAndRestart()
          }
          return nil
        } catch {
          return .failure(error)
        }
      }
      var keyGenerator = SeededRandomNumberGenerator(seed: seed ^ 0x6B65_7973)
      for index in 0..<participants {
        let key = String(format: "%016llx%016llx", keyGenerator.next(), keyGenerator.next())
        group.addTask {
          do {
            return .success(
              try await runParticipant(
                index, enrolmentKey: key, base: base, http: http, acknowledged: acknowledged, abort: abort))
          } catch {
            return .failure(error)
          }
        }
      }
      let watchdog = Task {
        try await Task.sleep(for: deadline)
        abort.raise(ProtocolViolation(description: "the load did not finish within \(deadline)"))
        await server.killNow()
      }
      var outcomes: [Result<ParticipantLog, any Error>] = []
      for await outcome in group {
        guard let outcome else { continue }
        if case .failure(let error) = outcome, !abort.isRaised {
          abort.raise(error)
          await server.killNow()
        }
        outcomes.append(outcome)
      }
      watchdog.cancel()
      return outcomes
    }
    if let error = abort.firstError { throw error }
    return try outcomes.map { try $0.get() }
  }

  /// Raised once by the first failure (or the watchdog); every task stops at its next step.
  final class AbortSignal: Sendable {
    private let error = Mutex<(any Error)?>(nil)

    /// Whether a failure was raised.
    var isRaised: Bool { error.withLock { $0 != nil } }
    /// The first failure raised.
    var firstError: (any Error)? { error.withLock { $0 } }

    /// Records `failure` unless one is recorded already.
    func raise(_ failure: any Error) {
      error.withLock { if $0 == nil { $0 = failure } }
    }
  }

  /// Thrown by a participant that stops because another task failed.
  struct Aborted: Error {}

  /// Gathers what the database holds and compares it with what the participants were acknowledged.
  func figures(
    logs: [ParticipantLog], server: ServerProcess, elapsed: Duration, databasePath: String, experimentID: Int64
  ) async throws -> Figures {
    var figures = Figures(participants: participants, trials: trials, restarts: await server.restarts)
    figures.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    figures.acknowledgedAnswers = logs.reduce(0) { $0 + $1.acknowledged.count }
    figures.acknowledgementResponses = logs.reduce(0) { $0 + $1.acknowledgementResponses }
    figures.resumesChecked = logs.reduce(0) { $0 + $1.resumes }
    figures.committedBeforeAcknowledgement = logs.reduce(0) { $0 + $1.committedBeforeAcknowledgement }
    figures.failedRequests = logs.reduce(0) { $0 + $1.failedRequests }

    let store = try ExperimentStore(url: URL(fileURLWithPath: databasePath))
    let stored = try await store.answers(experimentID: experimentID)
    let numbers = Dictionary(
      uniqueKeysWithValues: try await store.participants(experimentID: experimentID).map {
        ($0.participant.token, $0.participant.number)
      })
    figures.storedParticipants = numbers.count
    figures.storedAnswers = stored.count
    var storedChoices: [String: String] = [:]
    for answer in stored { storedChoices["\(answer.participant)-\(answer.position)"] = answer.choice.rawValue }
    let clipsPerParticipant = Dictionary(grouping: stored, by: \.participant).values.reduce(0) {
      $0 + Set($1.map(\.clipID)).count
    }
    figures.duplicates = (stored.count - storedChoices.count) + (storedChoices.count - clipsPerParticipant)
    var acknowledgedKeys = Set<String>()
    for log in logs {
      let number = numbers[log.token] ?? -1
      for (position, choice) in log.acknowledged {
        let key = "\(number)-\(position)"
        acknowledgedKeys.insert(key)
        if storedChoices[key] != choice { figures.lost += 1 }
      }
    }
    figures.unacknowledgedStored = storedChoices.keys.filter { !acknowledgedKeys.contains($0) }.count
    return figures
  }

  /// One participant: join (idempotently, by enrolment key), then answer every trial, resuming after every kill.
  func runParticipant(
    _ index: Int, enrolmentKey: String, base: String, http: LoopbackHTTPClient, acknowledged: AcknowledgementCounter,
    abort: AbortSignal
  ) async throws -> ParticipantLog {
    var log = ParticipantLog()
    var token: String?
    var lastAcknowledged = 0
    var pending: (position: Int, choice: String)?
    func expect(_ reply: LoopbackHTTPClient.Reply, _ status: Int, _ what: String) throws {
      guard reply.status == status else {
        throw ProtocolViolation(
          description: "participant \(index): \(what) got \(reply.status), not \(status): \(reply.text.prefix(300))")
      }
    }
    func answer(_ position: Int, _ choice: String) async throws {
      let reply = try await http.postForm(base + "/p/\(token!)/trial/\(position)", "choice=\(choice)")
      try expect(reply, 303, "the answer to trial \(position)")
      let next = position == trials ? "/p/\(token!)/done" : "/p/\(token!)/trial/\(position + 1)"
      guard reply.headers["location"] == next else {
        throw ProtocolViolation(description: "participant \(index): answer \(position) led to \(reply.headers)")
      }
      log.acknowledgementResponses += 1
      if log.acknowledged[position] == nil {
        log.acknowledged[position] = choice
        acknowledged.count.add(1, ordering: .relaxed)
      }
      lastAcknowledged = position
      pending = nil
    }
    var failures = 0
    while true {
      if abort.isRaised { throw Aborted() }
      do {
        if token == nil {
          let joined = try await http.postForm(base + "/start", "consent=yes&enrolment=\(enrolmentKey)")
          try expect(joined, 303, "joining")
          token = String(try #require(joined.headers["location"]).dropFirst(3))
          log.token = token!
        }
        // The resume check: where does the server send this participant?
        let resume = try await http.send("GET", base + "/p/\(token!)")
        try expect(resume, 303, "resuming")
        let location = resume.headers["location"] ?? ""
        let next =
          location.hasSuffix("/done")
          ? trials + 1 : Int(location.split(separator: "/").last.map(String.init) ?? "") ?? -1
        log.resumes += 1
        if next == lastAcknowledged + 2, let pending, pending.position == lastAcknowledged + 1 {
          // The kill came after the commit and before the response: the answer is stored; resubmitting it must be
          // acknowledged without a second row.
          log.committedBeforeAcknowledgement += 1
          try await answer(pending.position, pending.choice)
        } else if next != lastAcknowledged + 1 {
          throw ProtocolViolation(
            description: "participant \(index) resumed at \(location) after \(lastAcknowledged) acknowledged answers")
        }
        if lastAcknowledged == trials { return log }
        for position in (lastAcknowledged + 1)...trials {
          if abort.isRaised { throw Aborted() }
          let page = try await http.send("GET", base + "/p/\(token!)/trial/\(position)")
          try expect(page, 200, "trial page \(position)")
          for slot in ["reference", "a", "b"] {
            let audio = try await http.send(
              "GET", base + "/p/\(token!)/audio/\(position)/\(slot)", headers: ["Range": "bytes=0-1023"])
            try expect(audio, 206, "audio \(slot) of trial \(position)")
          }
          let choice = (index + position) % 3 == 0 ? "B" : "A"
          pending = (position, choice)
          try await answer(position, choice)
          if position % 7 == 0 {
            // A double submission: acknowledged again, stored once.
            try await answer(position, choice)
          }
        }
      } catch let error where Self.isTransportFailure(error) {
        failures += 1
        log.failedRequests += 1
        guard failures < 5000 else { throw error }
        try await Task.sleep(for: .milliseconds(10))
      }
    }
  }

  /// The number of distinct answers acknowledged so far, shared by the participants and the killer.
  final class AcknowledgementCounter: Sendable {
    let count = Atomic<Int>(0)
  }

  /// Whether `error` is a connection failure (refused, reset, closed), as a killed server causes.
  static func isTransportFailure(_ error: any Error) -> Bool {
    if error is URLError { return true }
    return (error as NSError).domain == NSURLErrorDomain
  }
}
