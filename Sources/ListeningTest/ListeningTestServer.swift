import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// The listening test's web application: server-rendered pages for participants and the experimenter's results.
///
/// Routes (every participant URL carries the participant's token, never a file path or a clip identifier, so the
/// page source does not reveal which candidate is the target):
/// - `GET /`: consent and instructions; `POST /start` (`consent=yes`, and the page's one-time `enrolment` key)
///   creates a participant, once per key, and redirects to `/p/<token>`.
/// - `GET /p/<token>`: resumes at the first unanswered trial, or the thank-you page.
/// - `GET /p/<token>/trial/<n>`: trial `n` ("trial 12 of 60"), reference, A and B players and the choice;
///   any other position than the next unanswered one redirects there.
/// - `POST /p/<token>/trial/<n>` (`choice=A|B`): stores the answer exactly once (see
///   ``ExperimentStore/recordAnswer(_:token:position:experimentID:)``) and redirects (303) to the next trial.
/// - `GET|HEAD /p/<token>/audio/<n>/<reference|a|b>`: the audio file, with single byte-range support (206,
///   `Content-Range`; 416 for bad ranges).
/// - `GET /p/<token>/done`: the thank-you page.
/// - `GET /admin/results`, `/admin/results.json`, `/admin/results.csv` with `?token=<admin token>` or
///   `Authorization: Bearer <admin token>`: results as HTML, JSON and CSV. Tokens are compared in constant time and
///   wrong tokens are rate-limited per client address (``AdminFailureLimit``; 429 with `Retry-After`).
/// - `GET /health`: `ok`.
///
/// Every client mistake gets a 4xx HTML page whose message is the ``ListeningTestError`` description, with the
/// request's method and path; every value a request supplies is escaped wherever a page shows it. Limits: request
/// bodies up to ``maximumBodyBytes`` (413 beyond), header fields up to ``maximumHeaderBytes`` in all (431 beyond;
/// the HTTP decoder closes connections whose header block exceeds ``decoderHeaderLimitBytes`` before it is buffered),
/// idle connections closed after ``idleTimeoutSeconds``. HTML responses carry a `Content-Security-Policy` that
/// allows no script, and every response `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` (links
/// carry participant tokens).
public struct ListeningTestServer: Sendable {
  /// The storage.
  public let store: ExperimentStore
  /// The experiment being served.
  public let experiment: Experiment
  /// The largest request body accepted, in bytes (forms are tiny).
  public static let maximumBodyBytes = 16 * 1024
  /// The largest total size of a request's header field names and values accepted, in bytes.
  public static let maximumHeaderBytes = 16 * 1024
  /// The HTTP decoder's hard limit on one header field and on the whole header block, in bytes.
  public static let decoderHeaderLimitBytes = 32 * 1024
  /// The time after which an idle connection is closed, in seconds.
  public static let idleTimeoutSeconds: Int64 = 60
  let adminGate: AdminGate

  /// Prepares a server for an experiment of the store.
  /// - Parameters:
  ///   - store: the storage.
  ///   - experimentID: the experiment to serve, or `nil` for the most recently created one.
  ///   - adminFailureLimit: how many wrong admin tokens a client address may send per window.
  /// - Throws: ``ListeningTestError/experimentNotFound(database:id:)``, or a database failure.
  public init(store: ExperimentStore, experimentID: Int64? = nil, adminFailureLimit: AdminFailureLimit = .standard)
    async throws(ListeningTestError)
  {
    self.store = store
    self.experiment = try await store.experiment(id: experimentID)
    self.adminGate = AdminGate(limit: adminFailureLimit)
  }

  /// Builds the router with every route listed on ``ListeningTestServer``.
  /// - Returns: the router.
  public func makeRouter() -> Router<ListeningTestRequestContext> {
    let router = Router(context: ListeningTestRequestContext.self)
    router.middlewares.add(ErrorPageMiddleware())
    router.middlewares.add(RequestLimitMiddleware())
    router.get("/") { _, _ in
      Self.html(HTMLPages.consent(experiment: experiment, enrolmentKey: ExperimentStore.randomToken()))
    }
    router.get("/style.css") { _, _ in
      Self.text(HTMLPages.styleSheet, contentType: "text/css; charset=utf-8", cache: "public, max-age=3600")
    }
    router.get("/health") { _, _ in Self.text("ok\n", contentType: "text/plain; charset=utf-8") }
    router.post("/start") { request, _ in
      let form = try await Self.form(request)
      guard try form.require("consent") == "yes" else {
        throw ListeningTestError.malformedForm(reason: "consent must be \"yes\" to start the test")
      }
      let participant = try await store.addParticipant(
        experimentID: experiment.id, enrolmentKey: form.values["enrolment"])
      return Self.redirect("/p/\(participant.token)")
    }
    router.get("/p/:token") { _, context in
      let token = try Self.token(context)
      let progress = try await store.progress(token: token, experimentID: experiment.id)
      guard let next = progress.nextPosition else { return Self.redirect("/p/\(token)/done") }
      return Self.redirect("/p/\(token)/trial/\(next)")
    }
    router.get("/p/:token/done") { _, context in
      let token = try Self.token(context)
      let progress = try await store.progress(token: token, experimentID: experiment.id)
      if let next = progress.nextPosition { return Self.redirect("/p/\(token)/trial/\(next)") }
      return Self.html(HTMLPages.thankYou(trialCount: progress.trialCount))
    }
    router.get("/p/:token/trial/:position") { _, context in
      let token = try Self.token(context)
      let position = try Self.position(context, trialCount: experiment.trialCount)
      switch try await store.openTrial(token: token, position: position, experimentID: experiment.id) {
      case .show(let page): return Self.html(HTMLPages.trial(token: token, page: page))
      case .redirect(let next): return Self.redirect("/p/\(token)/trial/\(next)")
      case .complete: return Self.redirect("/p/\(token)/done")
      }
    }
    router.post("/p/:token/trial/:position") { request, context in
      let token = try Self.token(context)
      let position = try Self.position(context, trialCount: experiment.trialCount)
      let form = try await Self.form(request)
      let value = try form.require("choice")
      guard let choice = AnswerSlot(rawValue: value.uppercased()) else {
        throw ListeningTestError.malformedForm(
          reason: "the choice must be A or B, not \(ListeningTestError.quoted(value))")
      }
      let receipt = try await store.recordAnswer(choice, token: token, position: position, experimentID: experiment.id)
      guard let next = receipt.nextPosition else { return Self.redirect("/p/\(token)/done") }
      return Self.redirect("/p/\(token)/trial/\(next)")
    }
    router.get("/p/:token/audio/:position/:slot") { request, context in
      try await audio(request: request, context: context, includeBody: true)
    }
    router.head("/p/:token/audio/:position/:slot") { request, context in
      try await audio(request: request, context: context, includeBody: false)
    }
    router.get("/admin/results") { request, context in
      let token = try checkAdmin(request, context: context)
      let results = try await ExperimentResults.load(from: store, experimentID: experiment.id)
      return Self.html(HTMLPages.results(results, token: token))
    }
    router.get("/admin/results.json") { request, context in
      _ = try checkAdmin(request, context: context)
      let results = try await ExperimentResults.load(from: store, experimentID: experiment.id)
      return Self.bytes(
        ByteBuffer(bytes: try results.json()), contentType: "application/json",
        disposition: "attachment; filename=\"listening-test-\(experiment.id).json\"")
    }
    router.get("/admin/results.csv") { request, context in
      _ = try checkAdmin(request, context: context)
      let results = try await ExperimentResults.load(from: store, experimentID: experiment.id)
      return Self.bytes(
        ByteBuffer(string: results.csv()), contentType: "text/csv; charset=utf-8",
        disposition: "attachment; filename=\"listening-test-\(experiment.id).csv\"")
    }
    return router
  }

  /// Builds the application listening on `host:port` (port 0 picks a free port).
  /// - Parameters:
  ///   - host: the address to bind, e.g. `127.0.0.1`.
  ///   - port: the TCP port.
  ///   - onServerRunning: called with the bound port once the server accepts connections.
  /// - Returns: the application; run it with `runService()`.
  public func makeApplication(
    host: String = "127.0.0.1", port: Int = 8080,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
  ) -> some ApplicationProtocol {
    let decoderLimits = HTTP1Channel.Configuration.DecoderConfiguration(
      maxHeaderFieldSize: Self.decoderHeaderLimitBytes, maxHeaderListSize: Self.decoderHeaderLimitBytes,
      maxHeaderFieldCount: 200)
    return Application(
      router: makeRouter(),
      server: .http1(
        configuration: .init(idleTimeout: .seconds(Self.idleTimeoutSeconds), httpDecoderConfiguration: decoderLimits)
      ),
      configuration: .init(address: .hostname(host, port: port), serverName: "listening-test"),
      onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) })
  }

  // MARK: Handlers

  private func audio(request: Request, context: ListeningTestRequestContext, includeBody: Bool) async throws
    -> Response
  {
    let token = try Self.token(context)
    let position = try Self.position(context, trialCount: experiment.trialCount)
    let slotText = context.parameters.get("slot") ?? ""
    guard let slot = AudioSlot(rawValue: slotText) else { throw ListeningTestError.unknownAudioSlot(slotText) }
    let path = try await store.audioFile(slot, token: token, position: position, experimentID: experiment.id)
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    guard let size = (attributes?[.size] as? NSNumber)?.intValue else {
      throw ListeningTestError.audioFileMissing(path: path)
    }
    var headers: HTTPFields = [
      .contentType: AudioPath.contentType(of: path) ?? "application/octet-stream", .acceptRanges: "bytes",
      .cacheControl: "private, max-age=3600",
    ]
    let range: ClosedRange<Int>?
    do {
      range = try ByteRange.parse(request.headers[.range], size: size)
    } catch {
      var response = error.response(from: request, context: context)
      response.headers[.contentRange] = "bytes */\(size)"
      response.headers[.acceptRanges] = "bytes"
      return response
    }
    let status: HTTPResponse.Status
    let sent: ClosedRange<Int>?
    if let range {
      status = .partialContent
      sent = range
      headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
      headers[.contentLength] = String(range.count)
    } else {
      status = .ok
      sent = size > 0 ? 0...(size - 1) : nil
      headers[.contentLength] = String(size)
    }
    guard includeBody, let sent else { return Response(status: status, headers: headers) }
    let body = try await FileIO().loadFile(path: path, range: sent, context: context)
    return Response(status: status, headers: headers, body: body)
  }

  private func checkAdmin(_ request: Request, context: ListeningTestRequestContext) throws(ListeningTestError)
    -> String
  {
    var supplied: String?
    if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
      supplied = String(authorization.dropFirst(7).trimmingWhitespace())
    } else if let query = request.uri.query {
      supplied = try FormFields(parsing: query).values["token"]
    }
    try adminGate.authorize(supplied: supplied, expected: experiment.adminToken, address: context.clientAddress)
    return experiment.adminToken
  }

  // MARK: Helpers

  private static func token(_ context: ListeningTestRequestContext) throws(ListeningTestError) -> String {
    let token = context.parameters.get("token") ?? ""
    guard ExperimentStore.isWellFormedToken(token) else { throw .malformedToken(token) }
    return token
  }

  private static func position(_ context: ListeningTestRequestContext, trialCount: Int) throws(ListeningTestError)
    -> Int
  {
    let text = context.parameters.get("position") ?? ""
    guard text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(text) else {
      throw .unknownTrial(position: text, trialCount: trialCount)
    }
    return value
  }

  private static func form(_ request: Request) async throws(ListeningTestError) -> FormFields {
    let contentType = request.headers[.contentType]?.lowercased() ?? ""
    guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
      throw .malformedForm(
        reason: "the content type must be application/x-www-form-urlencoded, not "
          + ListeningTestError.quoted(contentType))
    }
    var request = request
    let buffer: ByteBuffer
    do {
      buffer = try await request.collectBody(upTo: maximumBodyBytes)
    } catch {
      throw .requestTooLarge(limitBytes: maximumBodyBytes)
    }
    return try FormFields(parsing: String(buffer: buffer))
  }

  /// The `Content-Security-Policy` of every HTML page: resources from this server only, and no script at all.
  static let contentSecurityPolicy =
    "default-src 'none'; style-src 'self'; media-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    + "base-uri 'none'"

  static func html(_ markup: String, status: HTTPResponse.Status = .ok) -> Response {
    var response = text(markup, contentType: "text/html; charset=utf-8", cache: "no-store")
    response.status = status
    response.headers[.contentSecurityPolicy] = contentSecurityPolicy
    return response
  }

  private static func text(_ text: String, contentType: String, cache: String = "no-store") -> Response {
    bytes(ByteBuffer(string: text), contentType: contentType, cache: cache)
  }

  private static func bytes(
    _ buffer: ByteBuffer, contentType: String, cache: String = "no-store", disposition: String? = nil
  ) -> Response {
    var headers: HTTPFields = [
      .contentType: contentType, .contentLength: String(buffer.readableBytes), .cacheControl: cache,
      .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer",
    ]
    if let disposition { headers[.contentDisposition] = disposition }
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
  }

  private static func redirect(_ location: String) -> Response {
    Response(
      status: .seeOther,
      headers: [.location: location, .cacheControl: "no-store", .contentLength: "0", .referrerPolicy: "no-referrer"])
  }
}

/// The request context of the listening test's router: Hummingbird's core context plus the client's address (for
/// the admin pages' rate limit).
public struct ListeningTestRequestContext: RequestContext, RemoteAddressRequestContext {
  /// Hummingbird's per-request storage.
  public var coreContext: CoreRequestContextStorage
  /// The connected client's address, when the transport has one.
  public let remoteAddress: SocketAddress?

  /// Creates the context of one request from its channel.
  /// - Parameter source: the channel and logger of the request.
  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    remoteAddress = source.channel.remoteAddress
  }

  /// The client's IP address, or `unknown`.
  var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}

extension ListeningTestError: HTTPResponseError {
  /// The HTTP status of ``httpStatusCode``.
  public var status: HTTPResponse.Status { HTTPResponse.Status(code: httpStatusCode) }

  /// An HTML error page whose message is ``description``, naming the request's method and path (never its query,
  /// which may hold the admin token); 429 responses carry `Retry-After`.
  /// - Parameters:
  ///   - request: the request that failed.
  ///   - context: its context.
  /// - Returns: the error response.
  public func response(from request: Request, context: some RequestContext) -> Response {
    var response = ListeningTestServer.html(
      HTMLPages.error(status: httpStatusCode, message: description, request: HTMLPages.requestLine(request)),
      status: status)
    if case .adminRateLimited(let seconds) = self { response.headers[.retryAfter] = String(seconds) }
    return response
  }
}

/// Refuses requests whose declared body or header fields exceed the server's limits before any handler runs.
struct RequestLimitMiddleware: RouterMiddleware {
  typealias Context = ListeningTestRequestContext

  func handle(
    _ request: Request, context: ListeningTestRequestContext,
    next: (Request, ListeningTestRequestContext) async throws -> Response
  ) async throws -> Response {
    var headerBytes = request.uri.description.utf8.count
    for field in request.headers {
      headerBytes += field.name.rawName.utf8.count + field.value.utf8.count
    }
    guard headerBytes <= ListeningTestServer.maximumHeaderBytes else {
      throw ListeningTestError.headersTooLarge(limitBytes: ListeningTestServer.maximumHeaderBytes)
    }
    if let length = request.headers[.contentLength] {
      guard let declared = Int(length), declared >= 0 else {
        throw ListeningTestError.malformedForm(
          reason: "the Content-Length \(ListeningTestError.quoted(length)) is not a number of bytes")
      }
      guard declared <= ListeningTestServer.maximumBodyBytes else {
        throw ListeningTestError.requestTooLarge(limitBytes: ListeningTestServer.maximumBodyBytes)
      }
    }
    return try await next(request, context)
  }
}

/// Turns errors that are not ``ListeningTestError`` (router misses, Hummingbird's own 4xx) into the same HTML
/// error page, and keeps unexpected errors from leaking internals (500 with a generic message, logged).
struct ErrorPageMiddleware: RouterMiddleware {
  typealias Context = ListeningTestRequestContext

  func handle(
    _ request: Request, context: ListeningTestRequestContext,
    next: (Request, ListeningTestRequestContext) async throws -> Response
  ) async throws -> Response {
    do {
      return try await next(request, context)
    } catch let error as ListeningTestError {
      if error.httpStatusCode >= 500 {
        context.logger.error("request failed: \(HTMLPages.requestLine(request)): \(error)")
      }
      return error.response(from: request, context: context)
    } catch let error as HTTPError {
      let message =
        error.body
        ?? (error.status == .notFound
          ? "There is no page at \(ListeningTestError.quoted(request.uri.path))." : "\(error.status)")
      return ListeningTestServer.html(
        HTMLPages.error(status: error.status.code, message: message, request: HTMLPages.requestLine(request)),
        status: error.status)
    } catch {
      context.logger.error("request failed: \(HTMLPages.requestLine(request)): \(error)")
      return ListeningTestServer.html(
        HTMLPages.error(
          status: 500, message: "An internal error occurred; the experimenter can find it in the server log.",
          request: HTMLPages.requestLine(request)),
        status: .internalServerError)
    }
  }
}

extension HTTPField.Name {
  /// `Referrer-Policy` (W3C Referrer Policy), not among HTTPTypes' predefined names.
  static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
