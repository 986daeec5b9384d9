import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A minimal blocking HTTP/1.1 client over a loopback TCP socket, for talking to chromedriver (whose headers have no
/// space after the colon, which FoundationNetworking on Linux refuses) and for sending malformed requests verbatim. Each request uses its own connection
/// (`Connection: close`) and runs on its own thread so it never blocks Swift's cooperative pool.
enum RawHTTPClient {
  /// Sends `method path` to `127.0.0.1:port` with an optional JSON body; returns the status and the body.
  static func send(port: Int, method: String, path: String, body: Data?) async throws -> (status: Int, body: Data) {
    try await withCheckedThrowingContinuation { continuation in
      let thread = Thread {
        continuation.resume(with: Result { try blockingSend(port: port, method: method, path: path, body: body) })
      }
      thread.start()
    }
  }

  /// Sends `request` verbatim to `127.0.0.1:port` and returns every byte the server sends back before it closes the
  /// connection (or 10 s pass); empty when the server closes without answering, for tests of malformed requests.
  static func exchange(port: Int, request: Data) async throws -> Data {
    try await withCheckedThrowingContinuation { continuation in
      let thread = Thread {
        continuation.resume(
          with: Result {
            let socketDescriptor = try connectedSocket(port: port, timeoutSeconds: 10)
            defer { close(socketDescriptor) }
            // The server may close the connection before it has read everything; what it answered still counts.
            try? writeAll(request, to: socketDescriptor)
            var response = Data()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
              let count = read(socketDescriptor, &buffer, buffer.count)
              if count <= 0 { break }
              response.append(contentsOf: buffer[0..<count])
            }
            return response
          })
      }
      thread.start()
    }
  }

  private static func connectedSocket(port: Int, timeoutSeconds: Int) throws -> Int32 {
    let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketDescriptor >= 0 else { throw WebDriverFailure(message: "socket() failed: errno \(errno)") }
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else {
      close(socketDescriptor)
      throw WebDriverFailure(message: "connect to port \(port) failed: errno \(errno)")
    }
    return socketDescriptor
  }

  private static func writeAll(_ data: Data, to socketDescriptor: Int32) throws {
    try data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        // MSG_NOSIGNAL: a server that closes early makes this fail with EPIPE instead of killing the process.
        let written = Glibc.send(socketDescriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
        guard written > 0 else { throw WebDriverFailure(message: "write failed: errno \(errno)") }
        offset += written
      }
    }
  }

  private static func blockingSend(port: Int, method: String, path: String, body: Data?) throws -> (Int, Data) {
    let socketDescriptor = try connectedSocket(port: port, timeoutSeconds: 120)
    defer { close(socketDescriptor) }
    let payload = body ?? Data()
    var request = Data(
      ("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json; charset=utf-8\r\n"
        + "Content-Length: \(payload.count)\r\nConnection: close\r\n\r\n").utf8)
    request.append(payload)
    try writeAll(request, to: socketDescriptor)
    var response = Data()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = read(socketDescriptor, &buffer, buffer.count)
      guard count >= 0 else { throw WebDriverFailure(message: "read failed: errno \(errno)") }
      if count == 0 { break }
      response.append(contentsOf: buffer[0..<count])
      if let complete = parse(response) { return complete }
    }
    guard let complete = parse(response, atEnd: true) else {
      throw WebDriverFailure(message: "incomplete HTTP response from port \(port)")
    }
    return complete
  }

  /// Parses a complete response (status line, headers, body of `Content-Length` bytes or up to the end).
  private static func parse(_ data: Data, atEnd: Bool = false) -> (Int, Data)? {
    guard let separator = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
    let head = String(decoding: data[data.startIndex..<separator.lowerBound], as: UTF8.self)
    let lines = head.components(separatedBy: "\r\n")
    let statusParts = lines[0].split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
    var contentLength: Int?
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      if line[..<colon].lowercased() == "content-length" {
        contentLength = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
      }
    }
    let body = data[separator.upperBound...]
    if let contentLength {
      return body.count >= contentLength ? (status, Data(body.prefix(contentLength))) : nil
    }
    return atEnd ? (status, Data(body)) : nil
  }
}
