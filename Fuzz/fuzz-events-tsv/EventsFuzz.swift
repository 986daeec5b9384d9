// libFuzzer target: a BIDS `*_events.tsv` file (and any TSV table), parsed as the dataset loader parses it.
import Foundation
import FuzzSupport
import NeuroIO

private let scratch = ScratchFile(label: "events")
private let limits = ReadLimits(maximumDataBytes: fuzzReadLimitBytes, maximumTextBytes: fuzzReadLimitBytes)

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEvents(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = scratch.write(UnsafeRawBufferPointer(start: data, count: size), named: "sub-01_task-x_run-01_events.tsv")
  let url = URL(fileURLWithPath: path)
  guard let table = try? TSVTable.read(url, limits: limits) else { return 0 }
  for row in table.rows { precondition(row.count == table.columns.count, "a ragged row was accepted") }
  for column in table.columns { precondition(table.column(column)?.count == table.rows.count, "column length") }
  // The text written back parses to the same table when no cell holds a line break (TSV has no quoting).
  if !table.columns.contains(where: { $0.contains("\n") || $0.contains("\r") }),
    !table.rows.joined().contains(where: { $0.contains("\n") || $0.contains("\r") }), !table.columns.isEmpty,
    table.columns != [""]
  {
    precondition((try? TSVTable.parse(table.text)) == table, "a table does not survive writing and re-reading")
  }
  guard let events = try? EventsTable.read(url, limits: limits) else { return 0 }
  precondition(events.onsets.count == events.count && events.durations.count == events.count, "event columns")
  precondition(events.onsets.allSatisfy(\.isFinite), "a non-finite onset was accepted")
  for column in events.columns {
    _ = try? events.strings(column)
    _ = try? events.numbers(column)
  }
  return 0
}
