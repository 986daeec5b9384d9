import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A small HTTP client over real loopback sockets (URLSession), which does not follow redirects, for the load
/// test and the WebDriver session.
final class LoopbackHTTPClient: NSObject, URLSessionTaskDelegate, Sendable {
  /// A response: status, headers (lower-cased names) and body.
  struct Reply: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
  }

  private let session: URLSession

  /// Creates a client allowing `connections` parallel connections per host.
  init(connections: Int = 64, timeoutSeconds: Double = 60) {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpMaximumConnectionsPerHost = connections
    configuration.timeoutIntervalForRequest = timeoutSeconds
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    let delegate = RedirectRefusal()
    session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
  }

  /// Sends a request.
  func send(_ method: String, _ url: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.httpBody = body
    for (name, value) in headers {
      request.setValue(value, forHTTPHeaderField: name)
    }
    let (data, response) = try await session.data(for: request)
    let http = response as! HTTPURLResponse
    var fields: [String: String] = [:]
    for (name, value) in http.allHeaderFields {
      fields[String(describing: name).lowercased()] = String(describing: value)
    }
    return Reply(status: http.statusCode, headers: fields, body: data)
  }

  /// Posts a URL-encoded form.
  func postForm(_ url: String, _ form: String) async throws -> Reply {
    try await send(
      "POST", url, body: Data(form.utf8), headers: ["Content-Type": "application/x-www-form-urlencoded"])
  }

  func invalidate() {
    session.invalidateAndCancel()
  }
}

/// Refuses every redirect so that tests see the 303 responses themselves.
private final class RedirectRefusal: NSObject, URLSessionTaskDelegate, Sendable {
  func urlSession(
    _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
  ) {
    completionHandler(nil)
  }
}

/// A failure of the WebDriver conversation.
struct WebDriverFailure: Error, CustomStringConvertible {
  let message: String
  var description: String { message }
}
