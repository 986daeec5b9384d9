// libFuzzer target: a BIDS JSON sidecar or `dataset_description.json`, parsed into `JSONValue`s; the input's
// first line is also parsed as a BIDS file name (entities, suffix, extension).
import Foundation
import FuzzSupport
import NeuroIO

private let scratch = ScratchFile(label: "bids-json")
private let limits = ReadLimits(maximumDataBytes: fuzzReadLimitBytes, maximumTextBytes: fuzzReadLimitBytes)

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSidecar(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  let path = scratch.write(bytes, named: "task-x_bold.json")
  if let object = try? JSONValue.readObject(URL(fileURLWithPath: path), limits: limits) {
    for value in object.values {
      _ = value.number
      _ = value.string
      _ = value.numbers
    }
    if let time = object["RepetitionTime"]?.number { _ = time > 0 && time.isFinite }
  }
  let firstLine = bytes.prefix { $0 != UInt8(ascii: "\n") }
  if let name = String(validating: firstLine, as: UTF8.self), let entities = try? BIDSEntities(fileName: name) {
    precondition(entities.isSubset(of: entities), "entities are not a subset of themselves")
    _ = entities.run
    precondition((try? BIDSEntities(fileName: entities.description)) == entities, "entities do not round-trip")
  }
  return 0
}
