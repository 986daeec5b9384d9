// libFuzzer target: a byte-level BPE tokenizer folder and a text to encode. The input holds up to four parts
// separated by "\n%%\n": `vocab.json`, `merges.txt`, `tokenizer_config.json` (written only when not empty) and
// the text (captions are user input).
import CLAP
import Foundation
import FuzzSupport

private let scratch = ScratchFile(label: "bpe")

/// libFuzzer calls this with each input (`size` bytes at `data`); it returns 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let parts = splitParts(UnsafeRawBufferPointer(start: data, count: size), count: 4)
  scratch.write(parts[0], named: "vocab.json")
  scratch.write(parts[1], named: "merges.txt")
  let config = scratch.directory + "/tokenizer_config.json"
  if parts[2].isEmpty { unlink(config) } else { scratch.write(parts[2], named: "tokenizer_config.json") }
  guard let tokenizer = try? BytePairTokenizer(directory: URL(fileURLWithPath: scratch.directory, isDirectory: true))
  else { return 0 }
  let text = String(decoding: parts[3], as: UTF8.self)
  let ids = tokenizer.encode(text)
  precondition(ids.first == tokenizer.beginID && ids.last == tokenizer.endID, "ids are not wrapped in <s> … </s>")
  let vocabularyIDs = Set(tokenizer.vocabulary.values)
  precondition(ids.allSatisfy { vocabularyIDs.contains($0) }, "an id is not in the vocabulary")
  let truncated = tokenizer.encode(text, maximumLength: 16)
  precondition(truncated.count <= 16 && Array(truncated.dropLast()) == Array(ids.prefix(truncated.count - 1)))
  return 0
}
