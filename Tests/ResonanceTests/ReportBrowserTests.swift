import Foundation
import Testing

@testable import Resonance

/// Opens a run's `report.html` in headless Chromium and screenshots it (opt-in: `RESONANCE_BROWSER_TEST=1`, as in CI,
/// which installs Chromium; once set, a missing browser fails the test rather than skipping it).
@Suite(
  "the report in a browser", .enabled(if: ProcessInfo.processInfo.environment["RESONANCE_BROWSER_TEST"] == "1"))
struct ReportBrowserTests {
  @Test("report.html shows every figure listed in results.json, and Chromium renders it to a screenshot")
  func screenshot() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let products = try Reconstructor(
      inputs: ReconstructionTests().inputs(), options: ReconstructionTests().options(audio: true), output: folder
    ).run()
    let figures = products.results.figures
    #expect(figures.count >= 14, "\(figures)")
    let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
    for figure in figures where figure.hasSuffix(".png") { #expect(html.contains("src=\"\(figure)\""), "\(figure)") }
    for figure in figures {
      #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(figure).path))
    }
    let browser = try #require(
      ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
        FileManager.default.isExecutableFile(atPath: $0)
      }, "RESONANCE_BROWSER_TEST=1 but no Chromium is installed")
    let shot = folder.appendingPathComponent("report.png")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: browser)
    process.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,3000",
      "--screenshot=\(shot.path)", folder.appendingPathComponent("report.html").absoluteString,
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let png = try Data(contentsOf: shot)
    // A PNG of the page with its tables and figures: far more than a blank 1100 × 3000 page compresses to (≈ 10 kB).
    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 100_000, "\(png.count) bytes")
  }
}
