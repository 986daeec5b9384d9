import Foundation
import Testing

@testable import ListeningTest

/// The crash-safety check at a size that fits the default test run; `LoadTests` runs it at 50 × 60 with 25 kills.
@Suite("Crash safety of the server process")
struct CrashSafetyTests {
  /// Asserts the figures of a run: every kill survived, every acknowledged answer stored once, nothing else stored.
  static func check(_ figures: CrashSafetyRun.Figures, participants: Int, trials: Int, kills: Int) {
    #expect(figures.restarts == kills, "\(figures)")
    #expect(figures.acknowledgedAnswers == participants * trials, "\(figures)")
    #expect(figures.storedAnswers == participants * trials, "\(figures)")
    #expect(figures.duplicates == 0, "\(figures)")
    #expect(figures.lost == 0, "\(figures)")
    #expect(figures.unacknowledgedStored == 0, "\(figures)")
    #expect(figures.storedParticipants == participants, "one participant per enrolment key: \(figures)")
    // Participants send requests back to back, so a kill cuts the ones in flight; each cut is followed by a resume.
    #expect(figures.failedRequests > 0, "\(figures)")
    #expect(figures.resumesChecked >= participants, "\(figures)")
  }

  @Test("kill -9 the server 4 times while 6 participants answer 12 trials: nothing acknowledged is lost")
  func killNineSmall() async throws {
    let figures = try await CrashSafetyRun(participants: 6, trials: 12, kills: 4, seed: 5).run()
    print(figures)
    Self.check(figures, participants: 6, trials: 12, kills: 4)
  }
}
