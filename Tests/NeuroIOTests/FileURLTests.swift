import Foundation
import LinearAlgebra
import Testing

@testable import NeuroIO

/// The readers and writers take file URLs; a URL's path is percent-encoded inside the URL, so these tests check
/// that files with spaces and non-ASCII letters in their names are found, and that errors name the decoded path.
@Suite("NeuroIO entry points take file URLs")
struct FileURLTests {
  /// A fresh scratch folder whose name holds a space, a `%` and a non-ASCII letter.
  static func awkwardFolder() throws -> URL {
    let folder = URL(fileURLWithPath: TestSupport.temporaryDirectory()).appendingPathComponent("sub 01 %20 é")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  @Test("arrays, archives, tables, JSON and images round-trip through URLs whose paths need percent-encoding")
  func awkwardNames() throws {
    let folder = try Self.awkwardFolder()
    defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
    #expect(folder.path.hasSuffix("/sub 01 %20 é"))

    let array = try NumPyArray(shape: [2, 2], values: .float32([1, -2, 3.5, 4]))
    try array.write(to: folder.appendingPathComponent("x y.npy"))
    #expect(try NumPyArray.read(folder.appendingPathComponent("x y.npy")) == array)
    try NumPyArchive.write(["a": array], to: folder.appendingPathComponent("ä.npz"), compressed: true)
    #expect(try NumPyArchive.read(folder.appendingPathComponent("ä.npz")) == ["a": array])

    let table = try TSVTable(columns: ["onset", "duration"], rows: [["0", "2"], ["3", "n/a"]])
    let events = folder.appendingPathComponent("sub-01_task-x_events.tsv")
    try table.write(to: events)
    #expect(try TSVTable.read(events) == table)
    let read = try EventsTable.read(events)
    #expect(read.url == events)
    #expect(read.onsets == [0, 3])

    try Data(#"{"RepetitionTime": 1.5}"#.utf8).write(to: folder.appendingPathComponent("s.json"))
    #expect(try JSONValue.readObject(folder.appendingPathComponent("s.json"))["RepetitionTime"] == .number(1.5))

    let mask = try BrainMask(shape: [2, 2, 1], affine: .identity, voxels: [true, false, true, true])
    let maskURL = folder.appendingPathComponent("mask é.nii.gz")
    try mask.write(to: maskURL)
    #expect(try BrainMask.read(maskURL) == mask)
    let image = try NIfTIImage<Float>(dimensions: [2, 2, 1, 3], affine: .identity, data: (0..<12).map(Float.init))
    let imageURL = folder.appendingPathComponent("bold 1.nii")
    try image.write(to: imageURL)
    #expect(try NIfTIImage<Float>.read(imageURL).data == image.data)
    let reader = try NIfTIVolumeReader(url: imageURL)
    #expect(reader.url == imageURL)
    let samples: Matrix<Float> = try Masker(mask: mask).transform(url: imageURL)
    #expect(samples.rows == 3 && samples.columns == 3)
  }

  @Test("errors name the file by its decoded path, not the URL's percent-encoded form")
  func errorsNameThePath() throws {
    let folder = try Self.awkwardFolder()
    defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
    let missing = folder.appendingPathComponent("missing file.nii")
    #expect(throws: NIfTIError.cannotOpen(path: folder.path + "/missing file.nii", reason: "the file does not exist")) {
      try NIfTIImage<Float>.read(missing)
    }
    #expect(throws: ArrayFileError.io(path: folder.path + "/missing file.npy", reason: "the file cannot be read")) {
      try NumPyArray.read(folder.appendingPathComponent("missing file.npy"))
    }
    #expect(throws: BIDSError.missingFile(path: folder.path + "/none_events.tsv", kind: "events.tsv")) {
      try EventsTable.read(folder.appendingPathComponent("none_events.tsv"))
    }
    #expect(throws: BIDSError.notADirectory(path: folder.path + "/no dataset")) {
      try BIDSDataset(root: folder.appendingPathComponent("no dataset"))
    }
  }
}
