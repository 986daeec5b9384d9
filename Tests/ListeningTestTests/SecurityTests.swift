import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LinearAlgebra
import Synchronization
import Testing

@testable import ListeningTest

/// The web app facing hostile participants: escaping, session tokens, admin access, request limits, paths, and
/// malformed requests.
@Suite("Security of the web app")
struct SecurityTests {
  static let script = "<script>alert(1)</script>"
  /// A quote followed by a combining acute accent: one `Character`, but an HTML parser still ends the attribute.
  static let combiningQuote = "\"\u{301} onmouseover=alert(1) x=\""
  /// A raw quote and its combining mark, as they must never appear in a page.
  static let rawQuoteWithMark = "\"\u{301}"
  /// The escaped form of ``rawQuoteWithMark``.
  static let escapedQuoteWithMark = "&quot;\u{301}"

  /// Percent-encodes every byte except unreserved characters, for form bodies.
  static func formEncoded(_ text: String) -> String {
    text.utf8.map { byte in
      let unreserved =
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
      return unreserved ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
    }.joined()
  }

  /// Whether `text` holds the scalars of `needle` in a row (no grapheme-cluster matching).
  static func containsScalars(_ text: String, _ needle: String) -> Bool {
    let haystack = Array(text.unicodeScalars)
    let pattern = Array(needle.unicodeScalars)
    guard haystack.count >= pattern.count else { return false }
    return (0...(haystack.count - pattern.count)).contains { start in
      haystack[start..<(start + pattern.count)].elementsEqual(pattern)
    }
  }

  @Test("participant-provided text is escaped on every page that shows it (XSS)")
  func escaping() async throws {
    let escaped = HTMLPages.escape(Self.combiningQuote + Self.script + "'&")
    #expect(!escaped.unicodeScalars.contains { "<>\"'".unicodeScalars.contains($0) }, "\(escaped)")
    #expect(Self.containsScalars(escaped, Self.escapedQuoteWithMark))
    let served = try await ServedExperiment(name: "Study " + Self.script + Self.combiningQuote)
    defer { served.remove() }
    let adminToken = served.server.experiment.adminToken
    try await served.test { client in
      let token = try await client.join()
      _ = try await client.get("/p/\(token)/trial/1")
      let encoded = Self.formEncoded(Self.script + Self.combiningQuote)
      let pages: [(String, TestResponse)] = [
        ("consent page (experiment name)", try await client.get("/")),
        ("results page (experiment name)", try await client.get("/admin/results?token=\(adminToken)")),
        ("unknown path", try await client.get("/" + Self.script)),
        ("trial position", try await client.get("/p/\(token)/trial/" + Self.script)),
        ("token", try await client.get("/p/" + Self.script)),
        ("audio slot", try await client.get("/p/\(token)/audio/1/" + Self.combiningQuote)),
        ("choice value", try await client.post("/p/\(token)/trial/1", form: "choice=" + encoded)),
        ("repeated field name", try await client.post("/p/\(token)/trial/1", form: "\(encoded)=1&\(encoded)=2")),
        ("enrolment key", try await client.post("/start", form: "consent=yes&enrolment=" + encoded)),
        ("content type", try await client.post("/start", form: "consent=yes", contentType: Self.script)),
        (
          "range header",
          try await client.get(
            "/p/\(token)/audio/1/reference", headers: [.range: "bytes=" + Self.script + Self.combiningQuote])
        ),
      ]
      for (place, page) in pages {
        #expect(page.status.code < 500, "\(place): \(page.status)")
        #expect(page.headers[.contentType] == "text/html; charset=utf-8", "\(place)")
        #expect(page.headers[.contentSecurityPolicy] == ListeningTestServer.contentSecurityPolicy, "\(place)")
        #expect(!page.text.contains("<script"), "\(place): \(page.text)")
        #expect(!Self.containsScalars(page.text, Self.rawQuoteWithMark), "\(place): \(page.text)")
      }
      // The payloads did reach the pages, escaped, so the checks above looked at the right text.
      #expect(pages[0].1.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
      #expect(Self.containsScalars(pages[1].1.text, Self.escapedQuoteWithMark + " onmouseover"))
      #expect(pages[6].1.text.contains("must be A or B, not &quot;&lt;script&gt;"))
      #expect(pages[10].1.text.contains("The range &quot;bytes=&lt;script&gt;"))
    }
  }

  @Test("answers need the participant's own session token: another's answers cannot be forged or read")
  func sessionTokens() async throws {
    let served = try await ServedExperiment()
    let elsewhere = try await ServedExperiment()
    defer {
      served.remove()
      elsewhere.remove()
    }
    let otherExperimentToken = try await elsewhere.store.addParticipant(
      experimentID: elsewhere.server.experiment.id
    ).token
    let adminToken = served.server.experiment.adminToken
    try await served.test { client in
      let alice = try await client.join()
      let bob = try await client.join()
      #expect(alice != bob)
      _ = try await client.get("/p/\(alice)/trial/1")
      #expect(try await client.post("/p/\(alice)/trial/1", form: "choice=A").status == .seeOther)
      let forged = [
        ExperimentStore.randomToken(), alice.uppercased(), String(alice.dropLast()) + "g", alice + "0",
        String(alice.dropLast()), otherExperimentToken, "../\(alice)",
      ]
      for token in forged {
        for (method, uri, form) in [
          (HTTPRequest.Method.get, "/p/\(token)/trial/2", ""), (.post, "/p/\(token)/trial/2", "choice=B"),
          (.post, "/p/\(token)/trial/1", "choice=B"), (.get, "/p/\(token)/audio/1/a", ""), (.get, "/p/\(token)", ""),
        ] {
          let response =
            method == .post ? try await client.post(uri, form: form) : try await client.get(uri)
          #expect((400..<500).contains(response.status.code), "\(method) \(uri): \(response.status)")
        }
      }
      // A participant's pages name only their own token; the results name participants by number only.
      let bobPage = try await client.get("/p/\(bob)/trial/1")
      #expect(bobPage.status == .ok && bobPage.text.contains(bob) && !bobPage.text.contains(alice))
      for uri in ["/admin/results", "/admin/results.json", "/admin/results.csv"] {
        let results = try await client.get(uri, headers: [.authorization: "Bearer \(adminToken)"])
        #expect(results.status == .ok)
        #expect(!results.text.contains(alice) && !results.text.contains(bob), "\(uri)")
      }
    }
    let answers = try await served.store.answers(experimentID: served.server.experiment.id)
    #expect(answers.count == 1 && answers[0].participant == 1 && answers[0].choice == .a)
  }

  @Test("admin tokens are compared in constant time: every byte of the expected token, whatever is supplied")
  func constantTimeComparison() {
    let expected = Array(ExperimentStore.randomToken().utf8)
    var firstWrong = expected
    firstWrong[0] ^= 1
    var lastWrong = expected
    lastWrong[31] ^= 1
    let candidates: [[UInt8]] = [
      expected, firstWrong, lastWrong, [], Array(expected.prefix(31)), expected + [0x30],
      Array(repeating: 0, count: 32),
    ]
    for supplied in candidates {
      var compared: [Int] = []
      let equal = AdminGate.constantTimeEqual(supplied, expected) { compared.append($0) }
      #expect(equal == (supplied == expected), "\(supplied)")
      // No early exit: the work is the same for a match, a first-byte mismatch and a length mismatch.
      #expect(compared == Array(expected.indices), "\(supplied)")
    }
  }

  @Test("wrong admin tokens are rate-limited per client: 429 with Retry-After, even for the right token")
  func adminRateLimit() async throws {
    let served = try await ServedExperiment(adminFailureLimit: AdminFailureLimit(maximumFailures: 3, windowSeconds: 60))
    defer { served.remove() }
    let right = served.server.experiment.adminToken
    try await served.test { client in
      #expect(try await client.get("/admin/results?token=\(right)").status == .ok)
      for uri in ["/admin/results?token=wrong", "/admin/results.csv?token=\(ExperimentStore.randomToken())"] {
        #expect(try await client.get(uri).status == .forbidden)
      }
      let third = try await client.get("/admin/results.json", headers: [.authorization: "Bearer nope"])
      #expect(third.status == .forbidden)
      for headers: HTTPFields in [[:], [.authorization: "Bearer \(right)"]] {
        let limited = try await client.get("/admin/results.json?token=\(right)", headers: headers)
        #expect(limited.status == .tooManyRequests)
        let retryAfter = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
        #expect((1...60).contains(retryAfter))
        #expect(limited.text.contains("Too many wrong admin tokens"))
      }
      // Participants are not affected.
      #expect(try await client.get("/").status == .ok)
    }
  }

  @Test("the admin rate limit slides: failures expire after the window, addresses are counted apart, memory is bounded")
  func adminRateLimitWindow() throws {
    let start = ContinuousClock.now
    let elapsed = Mutex<Duration>(.zero)
    let gate = AdminGate(limit: AdminFailureLimit(maximumFailures: 3, windowSeconds: 10)) {
      start + elapsed.withLock { $0 }
    }
    let right = ExperimentStore.randomToken()
    func attempt(_ token: String?, from address: String = "10.0.0.1") -> ListeningTestError? {
      do {
        try gate.authorize(supplied: token, expected: right, address: address)
        return nil
      } catch {
        return error
      }
    }
    for second in 0..<3 {
      elapsed.withLock { $0 = .seconds(second) }
      #expect(attempt("wrong") == .adminTokenInvalid)
    }
    elapsed.withLock { $0 = .seconds(3) }
    // The oldest failure (t = 0) leaves the window at t = 10: 7 s from now.
    #expect(attempt(right) == .adminRateLimited(retryAfterSeconds: 7))
    #expect(attempt(nil) == .adminRateLimited(retryAfterSeconds: 7))
    #expect(attempt(right, from: "10.0.0.2") == nil, "another address is not limited")
    elapsed.withLock { $0 = .milliseconds(10_500) }
    #expect(attempt(right) == nil, "two failures left in the window")
    #expect(attempt(nil) == .adminTokenMissing)
    #expect(attempt("wrong") == .adminTokenInvalid)
    #expect(attempt(right) == .adminRateLimited(retryAfterSeconds: 1))
    // Past the table's capacity, new addresses share one entry instead of growing it.
    for index in 0..<(AdminGate.maximumTrackedClients + 10) {
      _ = attempt("wrong", from: "address-\(index)")
    }
    #expect(attempt(right, from: "address-unseen") != nil, "the shared entry of the overflow is limited")
  }

  @Test("request bodies and header fields are bounded: 413 and 431 from the app, 400 from the HTTP decoder")
  func requestLimits() async throws {
    let served = try await ServedExperiment()
    defer { served.remove() }
    let big = String(repeating: "a", count: ListeningTestServer.maximumBodyBytes + 1)
    try await served.test { client in
      let token = try await client.join()
      _ = try await client.get("/p/\(token)/trial/1")
      for uri in ["/start", "/p/\(token)/trial/1"] {
        let response = try await client.post(uri, form: "choice=A&pad=" + big)
        #expect(response.status == .contentTooLarge, "\(uri)")
        #expect(response.text.contains("larger than \(ListeningTestServer.maximumBodyBytes) bytes"))
      }
      let bodyOnGet = try await client.executeRequest(
        uri: "/", method: .get, headers: [:], body: ByteBuffer(string: big))
      #expect(bodyOnGet.status == .contentTooLarge)
      let padding = String(repeating: "x", count: ListeningTestServer.maximumHeaderBytes)
      let oversized: [(String, HTTPFields)] = [
        ("/", [HTTPField.Name("X-Padding")!: padding]),
        ("/?q=" + padding, [:]),
        (
          "/",
          HTTPFields(
            (0..<200).map {
              HTTPField(name: HTTPField.Name("X-Field-\($0)")!, value: String(repeating: "y", count: 100))
            })
        ),
      ]
      for (uri, headers) in oversized {
        let response = try await client.executeRequest(uri: uri, method: .get, headers: headers, body: nil)
        #expect(response.status == .requestHeaderFieldsTooLarge, "\(uri.prefix(10)) \(headers.count)")
      }
      for length in ["abc", "-5", "1e3"] {
        let response = try await client.executeRequest(
          uri: "/health", method: .get, headers: [.contentLength: length], body: nil)
        #expect(response.status == .badRequest, "Content-Length \(length)")
      }
    }
    // On the wire: NIO's HTTP decoder holds at most decoderHeaderLimitBytes of header before it gives up.
    let app = served.server.makeApplication(host: "127.0.0.1", port: 0)
    try await app.test(.live) { client in
      let port = try #require(client.port)
      func status(_ response: Data) -> Int? {
        let line = String(decoding: response.prefix(20), as: UTF8.self)
        return line.hasPrefix("HTTP/1.1 ") ? Int(line.dropFirst(9).prefix(3)) : nil
      }
      // (request, the status expected): 431 from our limit below the decoder's; 400 from NIO's decoder for headers
      // beyond decoderHeaderLimitBytes and for bytes that are not HTTP (the connection is then closed); 413 for a
      // chunked body without Content-Length beyond maximumBodyBytes.
      let pad = String(repeating: "p", count: 20_000)
      let huge = String(repeating: "p", count: 1 << 20)
      let requests: [(String, Data, Int)] = [
        ("20 KiB header", Data("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: \(pad)\r\n\r\n".utf8), 431),
        ("1 MiB header", Data("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: \(huge)\r\n\r\n".utf8), 400),
        ("1 MiB request line", Data("GET /\(huge) HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 400),
        (
          "chunked 64 KiB body",
          Data(
            ("POST /start HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
              + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n10000\r\n\(String(repeating: "c", count: 65_536))"
              + "\r\n0\r\n\r\n").utf8), 413
        ),
        ("garbage", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 13) }), 400),
      ]
      for (what, request, expected) in requests {
        let response = try await RawHTTPClient.exchange(port: port, request: request)
        #expect(status(response) == expected, "\(what): \(String(decoding: response.prefix(200), as: UTF8.self))")
      }
      let health = try await RawHTTPClient.exchange(
        port: port, request: Data("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
      #expect(status(health) == 200, "the server still answers after the hostile requests")
    }
  }

  @Test("path traversal in URLs never reaches a file outside the participant's trial")
  func urlTraversal() async throws {
    let served = try await ServedExperiment()
    defer { served.remove() }
    try await served.test { client in
      let token = try await client.join()
      _ = try await client.get("/p/\(token)/trial/1")
      let attempts = [
        "/p/\(token)/audio/1/..%2F..%2F..%2Fetc%2Fpasswd", "/p/\(token)/audio/1/../../../../etc/passwd",
        "/p/\(token)/audio/..%2F..%2Fresults.json/a", "/p/\(token)/../../results.json",
        "/p/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd/audio/1/a", "/p/\(token)/audio/1/%2e%2e%5c%2e%2e%5cresults.json",
        "/p/\(token)/audio/%252e%252e%252fresults.json/a", "/p/\(token)/audio/1/reference%00.json",
        "/p/\(token)/audio/1/..;/..;/results.json", "/results.json", "/audio/original/blues.00000.wav",
        "//etc/passwd", "/p/\(token)/audio/1/reference/../../../../../../etc/passwd",
      ]
      for attempt in attempts {
        let response = try await client.get(attempt)
        #expect((400..<500).contains(response.status.code), "\(attempt) -> \(response.status)")
        #expect(!response.text.contains("root:"), "\(attempt)")
        #expect(!response.text.contains("testClips"), "\(attempt)")
        #expect(!response.text.contains("RIFF"), "\(attempt)")
      }
    }
  }

  @Test("symbolic links out of the results folder are refused: a file swapped for a link, a folder swapped for a link")
  func symbolicLinks() async throws {
    let served = try await ServedExperiment()
    let outside = try ResultsFolderFixture(clipCount: 2, withManifest: false)
    defer {
      served.remove()
      outside.remove()
    }
    try await served.test { client in
      let token = try await client.join()
      let experimentID = served.server.experiment.id
      let reference = try await served.store.audioFile(
        .reference, token: token, position: 1, experimentID: experimentID)
      #expect(try await client.get("/p/\(token)/audio/1/a").status == .ok)
      // A file replaced by a link to a file outside the folder.
      try FileManager.default.removeItem(atPath: reference)
      try FileManager.default.createSymbolicLink(
        atPath: reference, withDestinationPath: outside.folder + "/" + outside.clips[0].original)
      let file = try await client.get("/p/\(token)/audio/1/reference")
      #expect(file.status == .forbidden)
      #expect(file.text.contains("not inside the results folder"))
      // The reconstructions' folder replaced by a link to a folder outside holding the same file names.
      let folder = served.fixture.folder + "/audio/reconstructed"
      let moved = outside.folder + "/reconstructed-moved"
      try FileManager.default.moveItem(atPath: folder, toPath: moved)
      try FileManager.default.createSymbolicLink(atPath: folder, withDestinationPath: moved)
      for slot in ["a", "b"] {
        let response = try await client.get("/p/\(token)/audio/1/\(slot)")
        #expect(response.status == .forbidden, "\(slot)")
        #expect(!response.text.contains("RIFF"))
      }
    }
  }

  @Test("malformed JSON, bodies, paths and methods get 4xx, never 5xx")
  func malformedRequests() async throws {
    let served = try await ServedExperiment()
    defer { served.remove() }
    try await served.test { client in
      let token = try await client.join()
      _ = try await client.get("/p/\(token)/trial/1")
      var checked = 0
      func expectClientError(_ response: TestResponse, _ what: String) {
        #expect((400..<500).contains(response.status.code), "\(what): \(response.status)")
        checked += 1
      }
      let postRoutes = ["/start", "/p/\(token)/trial/1"]
      let bodies = [
        "{\"choice\": \"A\"}", "{\"choice\":", "[1, 2", "null", "\"A\"", "{\"consent\": \"yes\"}", "\u{FEFF}{}",
      ]
      for route in postRoutes {
        for body in bodies {
          for contentType in ["application/json", "text/plain", "multipart/form-data; boundary=x", ""] {
            expectClientError(
              try await client.post(route, form: body, contentType: contentType), "\(route) \(contentType) \(body)")
          }
          // JSON sent as a form is a form without the required field.
          expectClientError(try await client.post(route, form: body), "\(route) form \(body)")
        }
      }
      // Random bytes as form bodies (seeded): never a server error, never a stored answer.
      var generator = SeededRandomNumberGenerator(seed: 23)
      for _ in 0..<300 {
        let length = Int(generator.next() % 200)
        let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        for route in postRoutes {
          let response = try await client.executeRequest(
            uri: route, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(bytes: bytes))
          #expect(response.status.code < 500, "\(route) \(bytes)")
        }
      }
      let paths = [
        "/", "/start", "/health", "/style.css", "/p/\(token)", "/p/\(token)/trial/1", "/p/\(token)/audio/1/a",
        "/p/\(token)/done", "/admin/results", "/admin/results.json", "/admin/results.csv",
      ]
      let methods: [HTTPRequest.Method] = [.put, .delete, .patch, .options, .trace, HTTPRequest.Method("BREW")!]
      for path in paths {
        for method in methods {
          expectClientError(
            try await client.executeRequest(uri: path, method: method, headers: [:], body: nil), "\(method) \(path)")
        }
      }
      expectClientError(try await client.get("/start"), "GET /start")
      expectClientError(try await client.post("/", form: "consent=yes"), "POST /")
      expectClientError(try await client.post("/admin/results", form: "token=x"), "POST /admin/results")
      for path in [
        "/p/%ZZ", "/p/%FF%FE/trial/1", "/p/\(token)/trial/%00", "/p/\(token)/trial/-1", "/p/\(token)/trial/1.5",
        "/admin/results?token=%ZZ", "/p/\(token)/audio/1/%C0%AF",
      ] {
        expectClientError(try await client.get(path), path)
      }
      // 2 routes × 7 bodies × 5 encodings, 11 paths × 6 methods, 3 wrong-method requests, 7 malformed paths.
      #expect(checked == 2 * 7 * 5 + 11 * 6 + 3 + 7)
    }
    #expect(try await served.store.answers(experimentID: served.server.experiment.id).isEmpty)
  }
}
