import Foundation
import Synchronization

/// How many wrong admin tokens one client address may send before its admin requests are refused for a while.
public struct AdminFailureLimit: Sendable, Equatable {
  /// The number of wrong tokens allowed within ``windowSeconds``.
  public var maximumFailures: Int
  /// The sliding window, in seconds: an address that sent ``maximumFailures`` wrong tokens within it gets 429 on
  /// every admin request, right token or not, until its oldest failure is older than the window.
  public var windowSeconds: Double

  /// Five wrong tokens per minute.
  public static let standard = AdminFailureLimit(maximumFailures: 5, windowSeconds: 60)

  /// Creates a limit.
  /// - Parameters:
  ///   - maximumFailures: the failures allowed per window (at least 1).
  ///   - windowSeconds: the window, in seconds (positive).
  public init(maximumFailures: Int, windowSeconds: Double) {
    precondition(maximumFailures >= 1 && windowSeconds > 0, "the limit needs at least one failure and a window")
    self.maximumFailures = maximumFailures
    self.windowSeconds = windowSeconds
  }
}

/// The admin pages' gatekeeper: compares tokens in constant time and rate-limits wrong tokens per client address.
///
/// The state is a map from client address (the peer's IP address, or `unknown` when the transport has none) to the
/// times of its recent failures, at most ``AdminFailureLimit/maximumFailures`` each. The map is pruned of expired
/// entries when it exceeds ``maximumTrackedClients``; if it is still full, new addresses share one entry, so memory
/// stays bounded however many addresses an attacker uses.
final class AdminGate: Sendable {
  /// The most client addresses tracked one by one.
  static let maximumTrackedClients = 10_000

  let limit: AdminFailureLimit
  private let now: @Sendable () -> ContinuousClock.Instant
  private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

  /// Creates a gate; `now` is the clock (injectable for tests).
  init(limit: AdminFailureLimit, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
    self.limit = limit
    self.now = now
  }

  /// Checks `supplied` against `expected` for the client `address`.
  /// - Throws: ``ListeningTestError/adminRateLimited(retryAfterSeconds:)`` while the address is limited (before the
  ///   token is even compared), ``ListeningTestError/adminTokenMissing`` for no token,
  ///   ``ListeningTestError/adminTokenInvalid`` for a wrong one (counted as a failure).
  func authorize(supplied: String?, expected: String, address: String) throws(ListeningTestError) {
    let now = self.now()
    let window = Duration.milliseconds(Int64((limit.windowSeconds * 1000).rounded(.up)))
    let maximumFailures = limit.maximumFailures
    let retryAfter = failures.withLock { table -> Duration? in
      let key = Self.key(for: address, in: &table, now: now, window: window)
      let recent = (table[key] ?? []).filter { now - $0 < window }
      table[key] = recent.isEmpty ? nil : recent
      guard recent.count >= maximumFailures, let oldest = recent.first else { return nil }
      return oldest + window - now
    }
    if let retryAfter {
      let seconds = Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) * 1e-18
      throw .adminRateLimited(retryAfterSeconds: max(1, Int(seconds.rounded(.up))))
    }
    guard let supplied, !supplied.isEmpty else { throw .adminTokenMissing }
    guard Self.constantTimeEqual(Array(supplied.utf8), Array(expected.utf8)) else {
      failures.withLock { table in
        let key = Self.key(for: address, in: &table, now: now, window: window)
        let times = (table[key] ?? []).filter { now - $0 < window } + [now]
        table[key] = Array(times.suffix(maximumFailures))
      }
      throw .adminTokenInvalid
    }
  }

  /// The table key of `address`: itself when tracked or when there is room (after pruning expired entries once the
  /// table is full), otherwise the shared key `overflow`.
  private static func key(
    for address: String, in table: inout [String: [ContinuousClock.Instant]], now: ContinuousClock.Instant,
    window: Duration
  ) -> String {
    if table[address] != nil || table.count < maximumTrackedClients { return address }
    table = table.filter { _, times in times.contains { now - $0 < window } }
    return table.count < maximumTrackedClients ? address : "overflow"
  }

  /// Whether `supplied` equals `expected`, in time that depends only on `expected.count`: every byte of `expected`
  /// is compared (`compared` is called with each index, for tests) and the differences are OR-ed, with no early
  /// exit on the first difference or on a length mismatch.
  static func constantTimeEqual(_ supplied: [UInt8], _ expected: [UInt8], compared: (Int) -> Void = { _ in }) -> Bool {
    var difference: UInt8 = supplied.count == expected.count ? 0 : 1
    for index in expected.indices {
      compared(index)
      difference |= (index < supplied.count ? supplied[index] : 0) ^ expected[index]
    }
    return difference == 0
  }
}
