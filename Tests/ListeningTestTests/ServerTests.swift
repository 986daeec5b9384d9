import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ListeningTest

/// A served 6-clip experiment for in-process HTTP tests.
struct ServedExperiment: Sendable {
  let fixture: ResultsFolderFixture
  let databasePath: String
  let store: ExperimentStore
  let server: ListeningTestServer

  init(
    clipCount: Int = 6, name: String = "HTTP test", adminFailureLimit: AdminFailureLimit = .standard,
    encoding: ResultsFolderFixture.Encoding = .pcm16
  ) async throws {
    fixture = try ResultsFolderFixture(clipCount: clipCount, encoding: encoding)
    databasePath = temporaryDatabasePath()
    store = try ExperimentStore(url: URL(fileURLWithPath: databasePath))
    let manifest = try ResultsManifest.load(from: fixture.url)
    _ = try await store.createExperiment(from: manifest, design: .test(name, seed: 11))
    server = try await ListeningTestServer(store: store, adminFailureLimit: adminFailureLimit)
  }

  func remove() {
    fixture.remove()
    removeDatabase(databasePath)
  }

  /// Runs `body` against the router in process.
  func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let app = server.makeApplication(host: "127.0.0.1", port: 0)
    try await app.test(.router) { client in try await body(client) }
  }
}

extension TestClientProtocol {
  /// Posts a URL-encoded form.
  func post(_ uri: String, form: String, contentType: String = "application/x-www-form-urlencoded")
    async throws -> TestResponse
  {
    try await executeRequest(
      uri: uri, method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: form))
  }

  /// Gets a page, optionally with extra headers.
  func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
    try await executeRequest(uri: uri, method: .get, headers: headers, body: nil)
  }

  /// Joins the experiment and returns the new participant's token.
  func join() async throws -> String {
    let response = try await post("/start", form: "consent=yes")
    #expect(response.status == .seeOther)
    let location = try #require(response.headers[.location])
    #expect(location.hasPrefix("/p/"))
    return String(location.dropFirst(3))
  }
}

extension TestResponse {
  var text: String { String(buffer: body) }
}

@Suite("HTTP API (in process)")
struct ServerTests {
  @Test("consent page, join, one trial per page, answers, thank-you page")
  func fullSession() async throws {
    let served = try await ServedExperiment()
    defer { served.remove() }
    try await served.test { client in
      let consent = try await client.get("/")
      #expect(consent.status == .ok)
      #expect(consent.text.contains("Consent") && consent.text.contains("6 trials"))
      #expect(consent.headers[.contentType] == "text/html; charset=utf-8")
      let token = try await client.join()
      let resume = try await client.get("/p/\(token)")
      #expect(resume.status == .seeOther && resume.headers[.location] == "/p/\(token)/trial/1")
      for position in 1...6 {
        let page = try await client.get("/p/\(token)/trial/\(position)")
        #expect(page.status == .ok)
        #expect(page.text.contains("Trial \(position) of 6"))
        for slot in ["reference", "a", "b"] {
          #expect(page.text.contains("src=\"/p/\(token)/audio/\(position)/\(slot)\""))
        }
        // The page never names the clips, so the target cannot be read from the source.
        #expect(!served.fixture.clips.contains { page.text.contains($0.id) })
        let answer = try await client.post("/p/\(token)/trial/\(position)", form: "choice=A")
        #expect(answer.status == .seeOther)
        let expected = position == 6 ? "/p/\(token)/done" : "/p/\(token)/trial/\(position + 1)"
        #expect(answer.headers[.location] == expected)
      }
      let done = try await client.get("/p/\(token)/done")
      #expect(done.status == .ok && done.text.contains("Thank you"))
      #expect(try await client.get("/p/\(token)/trial/3").headers[.location] == "/p/\(token)/done")
    }
    let answers = try await served.store.answers(experimentID: served.server.experiment.id)
    #expect(answers.count == 6)
    #expect(answers.allSatisfy { $0.choice == .a })
  }

  @Test("a double-clicked Start with the page's enrolment key creates one participant")
  func doubleStart() async throws {
    let served = try await ServedExperiment()
    defer { served.remove() }
    try await served.test { client in
      let page = try await client.get("/")
      let marker = "name=\"enrolment\" value=\""
      let start = try #require(page.text.range(of: marker)).upperBound
      let key = String(page.text[start...].prefix(32))
      let first = try await client.post("/start", form: "consent=yes&enrolment=\(key)")
      let second = try await client.post("/start", form: "consent=yes&enrolment=\(key)")
      #expect(first.status == .seeOther && first.headers[.location] == second.headers[.location])
      let other = try await client.get("/")
      #expect(!other.text.contains(key))
      let bad = try await client.post("/start", form: "consent=yes&enrolment=xyz")
      #expect(bad.status == .badRequest && bad.text.contains("enrolment key"))
    }
    #expect(try await served.store.participants(experimentID: served.server.experiment.id).count == 1)
  }

  @Test("a double-clicked answer is stored once and a changed answer gets 409")
  func doubleSubmit() async throws {
    let served = try await ServedExperiment()
    defer { served.remove() }
    try await served.test { client in
      let token = try await client.join()
      _ = try await client.get("/p/\(token)/trial/1")
      let first = try await client.post("/p/\(token)/trial/1", form: "choice=B")
      let second = try await client.post("/p/\(token)/trial/1", form: "choice=B")
      #expect(first.status == .seeOther && second.status == .seeOther)
      #expect(second.headers[.location] == "/p/\(token)/trial/2")
      let changed = try await client.post("/p/\(token)/trial/1", form: "choice=A")
      #expect(changed.status == .conflict)
      #expect(changed.text.contains("already answered trial 1 with B"))
      let skipped = try await client.post("/p/\(token)/trial/4", form: "choice=A")
      #expect(skipped.status == .conflict)
      let unseen = try await client.post("/p/\(token)/trial/2", form: "choice=A")
      #expect(unseen.status == .conflict && unseen.text.contains("before its page was displayed"))
    }
    #expect(try await served.store.answers(experimentID: served.server.experiment.id).count == 1)
  }

  @Test("bad tokens, unknown trials and malformed posts get 4xx with a clear message")
  func badRequests() async throws {
    let served = try await ServedExperiment()
    defer { served.remove() }
    try await served.test { client in
      let token = try await client.join()
      _ = try await client.get("/p/\(token)/trial/1")
      let unknown = String(repeating: "a", count: 32)
      let cases: [(String, HTTPResponse.Status, String)] = [
        ("/p/not-a-token", .badRequest, "malformed"),
        ("/p/\(unknown)", .notFound, "not known to experiment"),
        ("/p/\(unknown)/trial/1", .notFound, "not known to experiment"),
        ("/p/\(token)/trial/0", .notFound, "trials are numbered 1 to 6"),
        ("/p/\(token)/trial/7", .notFound, "trials are numbered 1 to 6"),
        ("/p/\(token)/trial/abc", .notFound, "There is no trial &quot;abc&quot;; trials are numbered 1 to 6"),
        ("/p/\(token)/trial/99999999999999999999", .notFound, "trials are numbered 1 to 6"),
        ("/p/\(token)/audio/1/c", .badRequest, "no audio slot"),
        ("/p/\(token)/audio/9/a", .notFound, "trials are numbered"),
        ("/nowhere", .notFound, "There is no page"),
      ]
      for (uri, status, message) in cases {
        let response = try await client.get(uri)
        #expect(response.status == status, "\(uri)")
        #expect(response.text.contains(message), "\(uri): \(response.text)")
      }
      let posts: [(String, String, String, String)] = [
        ("/start", "", "application/x-www-form-urlencoded", "&quot;consent&quot; is missing"),
        ("/start", "consent=no", "application/x-www-form-urlencoded", "consent must be"),
        ("/p/\(token)/trial/1", "", "application/x-www-form-urlencoded", "&quot;choice&quot; is missing"),
        ("/p/\(token)/trial/1", "choice=C", "application/x-www-form-urlencoded", "must be A or B"),
        ("/p/\(token)/trial/1", "choice=%ZZ", "application/x-www-form-urlencoded", "bad percent escape"),
        ("/p/\(token)/trial/1", "choice=A&choice=B", "application/x-www-form-urlencoded", "more than once"),
        ("/p/\(token)/trial/1", "{\"choice\":\"A\"}", "application/json", "content type must be"),
        ("/p/\(token)/trial/1", "choice=%FF", "application/x-www-form-urlencoded", "not valid UTF-8"),
        (
          "/p/\(token)/trial/1", "choice=" + String(repeating: "A", count: 20000), "application/x-www-form-urlencoded",
          "larger than"
        ),
      ]
      for (uri, form, contentType, message) in posts {
        let response = try await client.post(uri, form: form, contentType: contentType)
        let expected: HTTPResponse.Status =
          form.count > ListeningTestServer.maximumBodyBytes ? .contentTooLarge : .badRequest
        #expect(response.status == expected, "\(uri) \(form.prefix(20))")
        #expect(response.text.contains(message), "\(uri) \(form.prefix(20)): \(response.text)")
      }
    }
    #expect(try await served.store.answers(experimentID: served.server.experiment.id).isEmpty)
  }

  @Test("audio is served whole and by byte range")
  func audioRanges() async throws {
    let served = try await ServedExperiment()
    defer { served.remove() }
    try await served.test { client in
      let token = try await client.join()
      let path = try await served.store.audioFile(
        .reference, token: token, position: 1, experimentID: served.server.experiment.id)
      let file = try Data(contentsOf: URL(fileURLWithPath: path))
      let size = file.count
      let uri = "/p/\(token)/audio/1/reference"
      let whole = try await client.get(uri)
      #expect(whole.status == .ok)
      #expect(Data(buffer: whole.body) == file)
      #expect(whole.headers[.contentType] == "audio/wav" && whole.headers[.acceptRanges] == "bytes")
      #expect(whole.headers[.contentLength] == String(size))
      let ranges: [(String, Range<Int>)] = [
        ("bytes=0-43", 0..<44), ("bytes=100-", 100..<size), ("bytes=-10", (size - 10)..<size),
        ("bytes=10-99999", 10..<size), ("bytes = 5-5", 5..<6),
      ]
      for (header, expected) in ranges {
        let partial = try await client.get(uri, headers: [.range: header])
        #expect(partial.status == .partialContent, "\(header)")
        #expect(Data(buffer: partial.body) == file[expected], "\(header)")
        #expect(partial.headers[.contentRange] == "bytes \(expected.lowerBound)-\(expected.upperBound - 1)/\(size)")
        #expect(partial.headers[.contentLength] == String(expected.count))
      }
      for header in ["bytes=\(size)-", "bytes=9-3", "bytes=abc", "bytes=-0", "bytes", "bytes=1-2-3"] {
        let bad = try await client.get(uri, headers: [.range: header])
        #expect(bad.status == .rangeNotSatisfiable, "\(header)")
        #expect(bad.headers[.contentRange] == "bytes */\(size)", "\(header)")
      }
      for header in ["bytes=0-1,5-6", "items=0-1"] {
        let ignored = try await client.get(uri, headers: [.range: header])
        #expect(ignored.status == .ok && ignored.body.readableBytes == size, "\(header)")
      }
      let head = try await client.executeRequest(uri: uri, method: .head, headers: [:], body: nil)
      #expect(head.status == .ok && head.headers[.contentLength] == String(size) && head.body.readableBytes == 0)
      // A and B are the trial's two reconstructions, in the participant's recorded order.
      let a = try await client.get("/p/\(token)/audio/1/a")
      let b = try await client.get("/p/\(token)/audio/1/b")
      #expect(a.status == .ok && b.status == .ok && a.body != b.body)
    }
  }

  @Test("results need the admin token and give HTML, JSON and CSV")
  func adminResults() async throws {
    let served = try await ServedExperiment()
    defer { served.remove() }
    let adminToken = served.server.experiment.adminToken
    try await served.test { client in
      for _ in 0..<2 {
        let token = try await client.join()
        for position in 1...6 {
          _ = try await client.get("/p/\(token)/trial/\(position)")
          _ = try await client.post("/p/\(token)/trial/\(position)", form: "choice=B")
        }
      }
      #expect(try await client.get("/admin/results").status == .unauthorized)
      #expect(try await client.get("/admin/results?token=wrong").status == .forbidden)
      #expect(try await client.get("/admin/results.csv", headers: [.authorization: "Bearer nope"]).status == .forbidden)
      let page = try await client.get("/admin/results?token=\(adminToken)")
      #expect(page.status == .ok)
      #expect(page.text.contains("of 12 answers correct"))
      #expect(page.text.contains("<td>#2</td>"))
      let json = try await client.get("/admin/results.json", headers: [.authorization: "Bearer \(adminToken)"])
      #expect(json.status == .ok && json.headers[.contentType] == "application/json")
      let results = try JSONDecoder().decode(ExperimentResults.self, from: Data(buffer: json.body))
      #expect(results.overall.trials == 12 && results.participants.count == 2)
      #expect(results.answers.allSatisfy { $0.choice == .b })
      let csv = try await client.get("/admin/results.csv?token=\(adminToken)")
      #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
      #expect(csv.text.split(separator: "\r\n").count == 13)
      #expect(csv.text.hasPrefix("participant,position,clip_id,genre"))
    }
  }
}
