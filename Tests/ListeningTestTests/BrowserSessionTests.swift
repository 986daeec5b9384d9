import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ListeningTest

/// A real browser (Debian's headless Chromium driven by chromedriver over WebDriver) runs a whole participant
/// session against the server on 127.0.0.1. Opt-in: `.ci/run` installs `chromium` and `chromium-driver` and sets
/// `RESONANCE_BROWSER_TEST=1`. When the variable is set and the browser is missing, the test fails (it never skips
/// silently once asked to run).
@Suite(
  "Real browser session (opt-in)",
  .enabled(
    if: ProcessInfo.processInfo.environment["RESONANCE_BROWSER_TEST"] == "1",
    "set RESONANCE_BROWSER_TEST=1 (with Debian's chromium and chromium-driver installed) to drive a headless browser"),
  .serialized)
struct BrowserSessionTests {
  static let environment = ProcessInfo.processInfo.environment
  static let chromedriver = environment["RESONANCE_CHROMEDRIVER"] ?? "/usr/bin/chromedriver"
  static let chromium = environment["RESONANCE_CHROMIUM"] ?? "/usr/bin/chromium"
  static let trialCount = 6

  @Test("headless Chromium completes a session; stored answers and the results page match its clicks")
  func fullSession() async throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.chromedriver),
      "chromedriver not found at \(Self.chromedriver); install Debian's chromium-driver")
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.chromium),
      "chromium not found at \(Self.chromium); install Debian's chromium")
    // Float WAVs, as `reconstruct` writes them: the browser plays the 16-bit PCM copies the experiment serves.
    let served = try await ServedExperiment(clipCount: Self.trialCount, encoding: .float32)
    defer { served.remove() }
    let app = served.server.makeApplication(host: "127.0.0.1", port: 0)
    let adminToken = served.server.experiment.adminToken
    let clicks = try await app.test(.live) { client in
      let base = "http://127.0.0.1:\(client.port!)"
      let driver = try await WebDriverSession.start(chromedriver: Self.chromedriver, chromium: Self.chromium)
      do {
        let clicks = try await Self.drive(driver, base: base, adminToken: adminToken)
        await driver.stop()
        return clicks
      } catch {
        await driver.stop()
        throw error
      }
    }
    let answers = try await served.store.answers(experimentID: served.server.experiment.id)
    #expect(answers.count == Self.trialCount)
    #expect(answers.map(\.choice) == clicks)
    #expect(answers.map(\.position) == Array(1...Self.trialCount))
  }

  /// The participant's clicks: B on odd positions, A on even ones. Returns them in position order.
  static func drive(_ driver: WebDriverSession, base: String, adminToken: String) async throws -> [AnswerSlot] {
    try await driver.navigate(to: base + "/")
    #expect(try await driver.text(of: "h1").contains("Listening test"))
    try await driver.click("#consent")
    try await driver.click("#start")
    let trialURL = try await driver.waitForURL { $0.hasSuffix("/trial/1") }
    let participantPath = try #require(trialURL.range(of: "/p/").map { String(trialURL[$0.lowerBound...]) })
    let participantBase = base + String(participantPath.prefix(3 + 32))
    #expect(trialURL == participantBase + "/trial/1")
    var clicks: [AnswerSlot] = []
    for position in 1...trialCount {
      #expect(try await driver.text(of: "#progress") == "Trial \(position) of \(trialCount)")
      // The players really load the audio (Chromium fetches media with Range requests).
      for player in ["audio-reference", "audio-a", "audio-b"] {
        let duration = try await driver.waitForAudioDuration(id: player)
        // The fixture WAVs hold 400 samples at 8 kHz = 0.05 s; decoders may round to the millisecond.
        #expect(abs(duration - 0.05) < 0.005, "\(player) duration \(duration)")
        // Chromium marks a media element seekable only when the server honours Range requests (206).
        let seekableEnd = try await driver.execute(
          "const a = document.getElementById('\(player)'); return a.seekable.length > 0 ? a.seekable.end(0) : -1;")
        #expect(
          ((seekableEnd as? NSNumber)?.doubleValue ?? -1) > 0.04,
          "\(player) seekable \(String(describing: seekableEnd))")
      }
      if let screenshotFolder = environment["RESONANCE_BROWSER_SCREENSHOTS"], position == 2 {
        try await driver.screenshot().write(to: URL(fileURLWithPath: screenshotFolder + "/trial.png"))
      }
      let choice: AnswerSlot = position % 2 == 1 ? .b : .a
      try await driver.click(choice == .a ? "#choice-a" : "#choice-b")
      try await driver.click("#submit")
      clicks.append(choice)
      // The click returns when the POST is sent; wait for the redirect to land before reading the next page.
      try await driver.waitForURL(participantBase + (position == trialCount ? "/done" : "/trial/\(position + 1)"))
      if position == 2 {
        // Going back to the answered trial: Chromium may restore the stale page from its back/forward cache or
        // reload it (then the server redirects to trial 3). Submitting the stale page again with the same choice
        // is a resubmission: it must be acknowledged without a second row and lead to trial 3.
        try await driver.back()
        let afterBack = try await driver.currentURL()
        if afterBack == participantBase + "/trial/2" {
          try await driver.click("#choice-a")
          try await driver.click("#submit")
        }
        try await driver.waitForURL(participantBase + "/trial/3")
        // Opening the personal link again resumes at the first unanswered trial.
        try await driver.navigate(to: participantBase)
        #expect(try await driver.currentURL() == participantBase + "/trial/3")
      }
    }
    #expect(try await driver.currentURL() == participantBase + "/done")
    #expect(try await driver.text(of: "#thanks") == "Thank you!")
    try await driver.navigate(to: base + "/admin/results?token=\(adminToken)")
    let overall = try await driver.text(of: "#overall")
    #expect(overall.contains("of \(trialCount) answers correct"), "\(overall)")
    let participants = try await driver.text(of: "#participants")
    #expect(participants.contains("#1 yes \(trialCount)"), "\(participants)")
    if let screenshotFolder = environment["RESONANCE_BROWSER_SCREENSHOTS"] {
      try await driver.screenshot().write(to: URL(fileURLWithPath: screenshotFolder + "/results.png"))
    }
    return clicks
  }
}

/// A minimal W3C WebDriver client for chromedriver.
struct WebDriverSession: Sendable {
  static let elementKey = "element-6066-11e4-a52e-4f735466cecf"
  let process: Process
  let port: Int
  let sessionPath: String

  /// Sends a WebDriver command and decodes the JSON reply; 4xx/5xx replies become errors with their message.
  static func command(port: Int, _ method: String, _ path: String, _ object: [String: Any]? = nil) async throws
    -> [String: Any]
  {
    let body = try object.map { try JSONSerialization.data(withJSONObject: $0) }
    if ProcessInfo.processInfo.environment["RESONANCE_BROWSER_VERBOSE"] == "1" {
      FileHandle.standardError.write(Data("webdriver: \(method) \(path)\n".utf8))
    }
    let reply = try await RawHTTPClient.send(port: port, method: method, path: path, body: body)
    let text = String(decoding: reply.body, as: UTF8.self)
    guard let decoded = try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any] else {
      throw WebDriverFailure(message: "\(method) \(path) answered \(reply.status) with non-JSON: \(text)")
    }
    guard reply.status < 400 else {
      throw WebDriverFailure(message: "\(method) \(path) answered \(reply.status): \(text)")
    }
    return decoded
  }

  private func command(_ method: String, _ path: String, _ object: [String: Any]? = nil) async throws
    -> [String: Any]
  {
    try await Self.command(port: port, method, sessionPath + path, object)
  }

  /// Starts chromedriver on a free port and opens a headless Chromium session.
  static func start(chromedriver: String, chromium: String) async throws -> WebDriverSession {
    let port = Int.random(in: 20_000..<60_000)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: chromedriver)
    process.arguments = ["--port=\(port)"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    var ready = false
    var lastProblem = "no answer"
    for _ in 0..<100 where !ready {
      do {
        let status = try await command(port: port, "GET", "/status")
        let value = status["value"] as? [String: Any]
        ready = (value?["ready"] as? NSNumber)?.boolValue == true
        lastProblem = "status \(status)"
      } catch {
        lastProblem = "\(error)"
      }
      if !ready { try await Task.sleep(for: .milliseconds(100)) }
    }
    guard ready else {
      kill(process.processIdentifier, SIGKILL)
      throw WebDriverFailure(message: "chromedriver did not become ready on port \(port): \(lastProblem)")
    }
    let capabilities: [String: Any] = [
      "capabilities": [
        "alwaysMatch": [
          "browserName": "chrome",
          "goog:chromeOptions": [
            "binary": chromium,
            "args": [
              "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
              "--window-size=1000,1100",
            ],
          ],
        ]
      ]
    ]
    do {
      let created = try await command(port: port, "POST", "/session", capabilities)
      guard let value = created["value"] as? [String: Any], let id = value["sessionId"] as? String else {
        throw WebDriverFailure(message: "chromedriver returned no session id: \(created)")
      }
      return WebDriverSession(process: process, port: port, sessionPath: "/session/" + id)
    } catch {
      kill(process.processIdentifier, SIGKILL)
      throw error
    }
  }

  func navigate(to url: String) async throws {
    _ = try await command("POST", "/url", ["url": url])
  }

  func back() async throws {
    _ = try await command("POST", "/back", [:])
  }

  func currentURL() async throws -> String {
    try await command("GET", "/url")["value"] as? String ?? ""
  }

  func element(_ selector: String) async throws -> String {
    let found = try await command("POST", "/element", ["using": "css selector", "value": selector])
    guard let value = found["value"] as? [String: Any], let id = value[Self.elementKey] as? String else {
      throw WebDriverFailure(message: "no element matches \(selector): \(found)")
    }
    return id
  }

  func click(_ selector: String) async throws {
    let id = try await element(selector)
    _ = try await command("POST", "/element/\(id)/click", [:])
  }

  func text(of selector: String) async throws -> String {
    let id = try await element(selector)
    return try await command("GET", "/element/\(id)/text")["value"] as? String ?? ""
  }

  func execute(_ script: String) async throws -> Any? {
    try await command("POST", "/execute/sync", ["script": script, "args": [Any]()])["value"]
  }

  /// Waits (up to 10 s) until the browser shows `url`.
  func waitForURL(_ url: String) async throws {
    _ = try await waitForURL { $0 == url }
  }

  /// Waits (up to 10 s) until the browser's URL satisfies `condition`, and returns it.
  func waitForURL(where condition: (String) -> Bool) async throws -> String {
    var current = ""
    for _ in 0..<100 {
      current = try await currentURL()
      if condition(current) { return current }
      try await Task.sleep(for: .milliseconds(100))
    }
    throw WebDriverFailure(message: "the browser still shows \(current) after 10 s")
  }

  /// Waits (up to 10 s) until the `<audio>` element has loaded its metadata, and returns its duration in seconds.
  func waitForAudioDuration(id: String) async throws -> Double {
    for _ in 0..<100 {
      let script =
        "const a = document.getElementById('\(id)'); return [a.readyState, a.duration, a.error && a.error.code];"
      if let state = try await execute(script) as? [Any], let ready = state[0] as? Int, ready >= 1,
        let duration = state[1] as? Double
      {
        return duration
      }
      try await Task.sleep(for: .milliseconds(100))
    }
    throw WebDriverFailure(message: "the audio element \(id) did not load its metadata within 10 s")
  }

  func screenshot() async throws -> Data {
    let encoded = try await command("GET", "/screenshot")["value"] as? String ?? ""
    guard let data = Data(base64Encoded: encoded) else { throw WebDriverFailure(message: "bad screenshot") }
    return data
  }

  /// Closes the browser and stops chromedriver.
  func stop() async {
    _ = try? await command("DELETE", "")
    // SIGKILL: chromedriver inherits the test runner's blocked SIGTERM.
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }
}
