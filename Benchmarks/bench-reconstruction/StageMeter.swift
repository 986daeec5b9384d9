import Foundation

/// Wall time, CPU time, peak resident memory and machine load of one measured step.
///
/// Peak memory is the kernel's high-water mark `VmHWM` of this process, reset before the step by writing `5`
/// to `/proc/self/clear_refs` (Linux ≥ 4.0), so each step reports its own peak — which includes whatever the
/// process already held when the step began (reported as `residentBytesAtStart`).
struct StepMeasurement {
  var name: String
  var seconds: Double
  var cpuSeconds: Double
  var peakResidentBytes: Int
  var residentBytesAtStart: Int
  var loadAtStart: Double
  var loadAtEnd: Double

  var json: [String: Any] {
    [
      "seconds": seconds, "cpuSeconds": cpuSeconds, "peakResidentBytes": peakResidentBytes,
      "residentBytesAtStart": residentBytesAtStart, "loadAverage1MinuteAtStart": loadAtStart,
      "loadAverage1MinuteAtEnd": loadAtEnd,
    ]
  }

  var line: String {
    String(
      format: "%@: %.1f s wall, %.1f s CPU, peak RSS %.2f GB (%.2f GB held at start), load %.1f → %.1f",
      name, seconds, cpuSeconds, Double(peakResidentBytes) / 1e9, Double(residentBytesAtStart) / 1e9, loadAtStart,
      loadAtEnd)
  }
}

/// Measures steps one after the other and keeps their results in order.
final class StageMeter {
  private(set) var steps: [StepMeasurement] = []
  let start = Date()
  /// Whether `/proc/self/clear_refs` accepted the reset (otherwise peaks are process-wide so far).
  private(set) var resetWorks = true

  /// Prints a progress line with the time since the meter started (stderr).
  func progress(_ line: String) {
    FileHandle.standardError.write(
      Data((String(format: "[%7.1f s] ", Date().timeIntervalSince(start)) + line + "\n").utf8))
  }

  /// Runs `body` as one measured step and prints its measurement.
  func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
    resetWorks = Self.resetHighWaterMark() && resetWorks
    let residentAtStart = Self.statusBytes("VmRSS")
    let loadAtStart = Self.loadAverage()
    let cpuAtStart = Self.cpuSeconds()
    progress("== \(name)")
    let started = Date()
    let value = try body()
    let measurement = StepMeasurement(
      name: name, seconds: Date().timeIntervalSince(started), cpuSeconds: Self.cpuSeconds() - cpuAtStart,
      peakResidentBytes: Self.statusBytes("VmHWM"), residentBytesAtStart: residentAtStart,
      loadAtStart: loadAtStart, loadAtEnd: Self.loadAverage())
    steps.append(measurement)
    progress(measurement.line)
    return value
  }

  /// The steps as a JSON object keyed by name, in insertion order under `order`.
  var json: [String: Any] {
    var result: [String: Any] = ["order": steps.map(\.name)]
    for step in steps { result[step.name] = step.json }
    return result
  }

  /// Resets the process's peak-RSS counter to the current RSS.
  static func resetHighWaterMark() -> Bool {
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
    defer { try? handle.close() }
    do {
      try handle.write(contentsOf: Data("5".utf8))
      return true
    } catch {
      return false
    }
  }

  /// A `kB` field of `/proc/self/status` (`VmRSS`, `VmHWM`) in bytes; 0 when unreadable.
  static func statusBytes(_ field: String) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
      let digits = line.dropFirst(field.count + 1).filter(\.isNumber)
      return (Int(String(digits)) ?? 0) * 1024
    }
    return 0
  }

  /// The 1-minute load average (`/proc/loadavg`); -1 when unreadable.
  static func loadAverage() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
      let first = text.split(separator: " ").first, let value = Double(first)
    else { return -1 }
    return value
  }

  /// User + system CPU seconds of this process so far (all threads).
  static func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) * 1e-6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }
}
