import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The `listening-test serve` program running as a separate process (built next to the test runner by
/// `swift build --build-tests`), so that tests can `kill -9` it and start it again on the same database and port.
actor ServerProcess {
  /// The program, next to the test runner.
  static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    .appendingPathComponent("listening-test")

  /// A failure to start the server, with what it printed.
  struct StartFailure: Error, CustomStringConvertible {
    let description: String
  }

  let database: String
  let logPath: String
  private var process: Process?
  /// The port the server listens on (0 until the first start).
  private(set) var port = 0
  /// How many times the server was killed with SIGKILL and started again.
  private(set) var restarts = 0

  /// Prepares to serve `database`; the server's standard error is appended to `database + ".server.log"`.
  init(database: String) {
    self.database = database
    self.logPath = database + ".server.log"
  }

  /// Starts the server on `port` (0 picks a free one the first time; later starts reuse the first port) and returns
  /// once it accepts connections (its banner names the port).
  func start() async throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.binary.path),
      "\(Self.binary.path) is missing; build it with swift build --build-tests")
    if !FileManager.default.fileExists(atPath: logPath) {
      FileManager.default.createFile(atPath: logPath, contents: nil)
    }
    var lastFailure = ""
    // Binding the port again right after a kill can fail transiently; retry a few times.
    for _ in 0..<20 {
      let process = Process()
      process.executableURL = Self.binary
      process.arguments = ["serve", "--db", database, "--host", "127.0.0.1", "--port", String(port)]
      let output = Pipe()
      process.standardOutput = output
      let log = try #require(FileHandle(forWritingAtPath: logPath))
      log.seekToEndOfFile()
      process.standardError = log
      try process.run()
      try? log.close()
      // A server that neither prints its banner nor exits within 30 s is killed, which ends its output.
      let processID = process.processIdentifier
      let watchdog = Task.detached {
        try await Task.sleep(for: .seconds(30))
        kill(processID, SIGKILL)
      }
      let bound = await Self.waitForBanner(output.fileHandleForReading)
      watchdog.cancel()
      if let bound {
        self.process = process
        port = bound
        return
      }
      process.waitUntilExit()
      lastFailure = "exit status \(process.terminationStatus); log: \(Self.tail(of: logPath))"
      try await Task.sleep(for: .milliseconds(50))
    }
    throw StartFailure(description: "listening-test serve did not start: \(lastFailure)")
  }

  /// Sends SIGKILL, waits for the process to end, and starts it again on the same port.
  func killAndRestart() async throws {
    killNow()
    try await start()
    restarts += 1
  }

  /// Sends SIGKILL and waits for the process to end.
  func killNow() {
    guard let process else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    self.process = nil
  }

  /// Reads the server's standard output on its own thread until the banner's `participants: http://host:PORT/` line
  /// appears (returns the port) or the output ends (returns `nil`); afterwards keeps draining it so the server never
  /// blocks on a full pipe.
  private static func waitForBanner(_ handle: FileHandle) async -> Int? {
    await withCheckedContinuation { continuation in
      let thread = Thread {
        var text = ""
        var resumed = false
        while true {
          let data = handle.availableData
          if data.isEmpty { break }
          guard !resumed else { continue }
          text += String(decoding: data, as: UTF8.self)
          if let port = bannerPort(text) {
            resumed = true
            continuation.resume(returning: port)
          }
        }
        if !resumed { continuation.resume(returning: nil) }
      }
      thread.start()
    }
  }

  private static func bannerPort(_ text: String) -> Int? {
    guard let marker = text.range(of: "participants: http://127.0.0.1:") else { return nil }
    let digits = text[marker.upperBound...].prefix { $0.isNumber }
    guard text[marker.upperBound...].dropFirst(digits.count).first == "/" else { return nil }
    return Int(digits)
  }

  private static func tail(of path: String) -> String {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return String(text.suffix(2000))
  }
}
