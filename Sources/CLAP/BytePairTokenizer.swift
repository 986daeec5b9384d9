import Foundation
import TensorRuntime

/// GPT-2 / RoBERTa byte-level BPE tokenizer read from `vocab.json` and `merges.txt`.
///
/// Encoding a text: (1) split it with GPT-2's pre-tokenisation pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` (no normalisation, no prefix
/// space); (2) map each piece's UTF-8 bytes to printable characters with GPT-2's `bytes_to_unicode` table;
/// (3) repeatedly merge the adjacent pair with the lowest rank in `merges.txt` (all its occurrences, left to
/// right) until no ranked pair remains; (4) look every symbol up in `vocab.json` (unknown symbols → `<unk>`);
/// (5) wrap with `<s>` … `</s>`. Special-token strings written inside the text (`<s>`, `</s>`, `<pad>`, `<unk>`,
/// `<mask>`, or the added tokens of `tokenizer_config.json`) are first split out and map to their ids, with the
/// whitespace before `<mask>` dropped (its `lstrip`), as the reference tokenizers do.
public struct BytePairTokenizer: Sendable {
  /// Symbol → id.
  public let vocabulary: [String: Int]
  /// Merge pair → rank (line order in `merges.txt`).
  let ranks: [Pair: Int]
  /// Id of `<s>`.
  public let beginID: Int
  /// Id of `</s>`.
  public let endID: Int
  /// Id of `<pad>`.
  public let padID: Int
  /// Id of `<unk>`.
  public let unknownID: Int
  /// `model_max_length` from `tokenizer_config.json` (512 if absent).
  public let modelMaximumLength: Int
  /// Special tokens recognised inside text, longest first.
  let specialTokens: [SpecialToken]
  private let byteSymbols: [String]

  struct SpecialToken: Sendable {
    let content: [Unicode.Scalar]
    let id: Int
    let stripsLeft: Bool
    let stripsRight: Bool
  }

  struct Pair: Hashable, Sendable {
    let first: String
    let second: String
  }

  /// Reads `vocab.json` and `merges.txt` from the folder at `directory` (and `model_max_length` and the added tokens from
  /// `tokenizer_config.json` when present, through ``TensorRuntime/ModelConfigurationFile``).
  ///
  /// - Parameters:
  ///   - directory: the tokenizer folder (a file URL); errors name the paths of its files.
  ///   - limits: the ceilings (``TensorRuntime/ModelFileLimits/standard`` by default) on each file's size.
  /// - Throws: ``CLAPError/unreadableFile(path:reason:)``, ``CLAPError/fileTooLarge(path:bytes:limitBytes:)`` or
  ///   ``CLAPError/invalidTokenizer(path:reason:)`` for the vocabulary and merges, ``CLAPError/configuration(_:)``
  ///   for `tokenizer_config.json`.
  public init(directory: URL, limits: ModelFileLimits = .standard) throws(CLAPError) {
    let vocabularyPath = directory.appendingPathComponent("vocab.json", isDirectory: false).path
    let mergesPath = directory.appendingPathComponent("merges.txt", isDirectory: false).path
    let vocabularyData = try BytePairTokenizer.readDataFile(vocabularyPath, limits: limits)
    guard let object = try? JSONSerialization.jsonObject(with: vocabularyData), let table = object as? [String: Any]
    else { throw CLAPError.invalidTokenizer(path: vocabularyPath, reason: "it is not a JSON object") }
    var vocabulary: [String: Int] = [:]
    for (symbol, value) in table {
      guard let number = value as? NSNumber, let id = Int(exactly: number.doubleValue), id >= 0 else {
        throw CLAPError.invalidTokenizer(
          path: vocabularyPath, reason: "the id of '\(symbol)' is not a non-negative integer")
      }
      vocabulary[symbol] = id
    }
    let mergesData = try BytePairTokenizer.readDataFile(mergesPath, limits: limits)
    guard let mergesText = String(data: mergesData, encoding: .utf8) else {
      throw CLAPError.unreadableFile(path: mergesPath, reason: "the file is not UTF-8")
    }
    var ranks: [Pair: Int] = [:]
    for (number, line) in mergesText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
      if trimmed.isEmpty || (number == 0 && trimmed.hasPrefix("#version")) { continue }
      let parts = trimmed.split(separator: " ", omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw CLAPError.invalidTokenizer(
          path: mergesPath, reason: "line \(number + 1) is not two symbols separated by a space")
      }
      let pair = Pair(first: String(parts[0]), second: String(parts[1]))
      if ranks[pair] == nil { ranks[pair] = ranks.count }
    }
    func special(_ symbol: String) throws(CLAPError) -> Int {
      guard let id = vocabulary[symbol] else {
        throw CLAPError.invalidTokenizer(path: vocabularyPath, reason: "the special token \(symbol) is missing")
      }
      return id
    }
    beginID = try special("<s>")
    endID = try special("</s>")
    padID = try special("<pad>")
    unknownID = try special("<unk>")
    let configFile = directory.appendingPathComponent("tokenizer_config.json", isDirectory: false)
    var specials: [String: (lstrip: Bool, rstrip: Bool)] = [
      "<s>": (false, false), "</s>": (false, false), "<pad>": (false, false), "<unk>": (false, false),
      "<mask>": (true, false),
    ]
    var configuration = TokenizerConfiguration()
    if FileManager.default.fileExists(atPath: configFile.path) {
      do {
        configuration = try ModelConfigurationFile.read(
          TokenizerConfiguration.self, at: configFile, limits: limits)
      } catch {
        throw .configuration(error)
      }
    }
    for token in configuration.addedTokens.values where !token.content.isEmpty {
      specials[token.content] = (token.stripsLeft, token.stripsRight)
    }
    modelMaximumLength = configuration.modelMaximumLength
    specialTokens = specials.compactMap { content, strip in
      vocabulary[content].map {
        SpecialToken(
          content: Array(content.unicodeScalars), id: $0, stripsLeft: strip.lstrip, stripsRight: strip.rstrip)
      }
    }.sorted { $0.content.count > $1.content.count }
    self.vocabulary = vocabulary
    self.ranks = ranks
    byteSymbols = BytePairTokenizer.byteToUnicode()
  }

  /// The bytes of a tokenizer data file (`vocab.json`, `merges.txt`) of at most `limits.maximumTextBytes`.
  static func readDataFile(_ path: String, limits: ModelFileLimits) throws(CLAPError) -> Data {
    switch limits.readText(URL(fileURLWithPath: path)) {
    case .contents(let data): return data
    case .unreadable: throw CLAPError.unreadableFile(path: path, reason: "the file is missing or unreadable")
    case .tooLarge(let bytes):
      throw CLAPError.fileTooLarge(path: path, bytes: bytes, limitBytes: limits.maximumTextBytes)
    }
  }

  /// GPT-2's `bytes_to_unicode`: bytes 33–126, 161–172 and 174–255 map to themselves; the other 68 bytes map to
  /// U+0100 + n in increasing byte order.
  static func byteToUnicode() -> [String] {
    var table = [String](repeating: "", count: 256)
    var extra = 0
    for byte in 0..<256 {
      let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
      let scalar = printable ? byte : 256 + extra
      if !printable { extra += 1 }
      table[byte] = String(Character(Unicode.Scalar(UInt32(scalar))!))
    }
    return table
  }

  /// The ids of `text` with `<s>` and `</s>`; when `maximumLength` is given, content tokens beyond
  /// `maximumLength − 2` are dropped (the reference's `truncation=True`).
  public func encode(_ text: String, maximumLength: Int? = nil) -> [Int] {
    var ids: [Int] = []
    for segment in splitSpecialTokens(text) {
      switch segment {
      case .special(let id):
        ids.append(id)
      case .text(let content):
        for piece in BytePairTokenizer.preTokenize(content) {
          let symbols = Array(piece.utf8).map { byteSymbols[Int($0)] }
          for symbol in merge(symbols) { ids.append(vocabulary[symbol] ?? unknownID) }
        }
      }
    }
    if let maximumLength { ids = Array(ids.prefix(Swift.max(0, maximumLength - 2))) }
    return [beginID] + ids + [endID]
  }

  enum Segment: Equatable {
    case text(String)
    case special(Int)
  }

  /// Splits special-token strings out of `text` (longest match first, left to right), dropping the whitespace
  /// before tokens with `lstrip` and after tokens with `rstrip`.
  func splitSpecialTokens(_ text: String) -> [Segment] {
    let scalars = Array(text.unicodeScalars)
    var segments: [Segment] = []
    var pending: [Unicode.Scalar] = []
    var position = 0
    func flush() {
      if !pending.isEmpty {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: pending)
        segments.append(.text(String(view)))
        pending.removeAll()
      }
    }
    while position < scalars.count {
      let match = specialTokens.first { token in
        position + token.content.count <= scalars.count
          && scalars[position..<(position + token.content.count)].elementsEqual(token.content)
      }
      guard let token = match else {
        pending.append(scalars[position])
        position += 1
        continue
      }
      if token.stripsLeft {
        while let last = pending.last, last.properties.isWhitespace { pending.removeLast() }
      }
      flush()
      segments.append(.special(token.id))
      position += token.content.count
      if token.stripsRight {
        while position < scalars.count && scalars[position].properties.isWhitespace { position += 1 }
      }
    }
    flush()
    return segments
  }

  /// Applies the BPE merges to one piece's symbols.
  func merge(_ initial: [String]) -> [String] {
    var symbols = initial
    while symbols.count > 1 {
      var best: (rank: Int, pair: Pair)?
      for index in 0..<(symbols.count - 1) {
        let pair = Pair(first: symbols[index], second: symbols[index + 1])
        if let rank = ranks[pair], best == nil || rank < best!.rank { best = (rank, pair) }
      }
      guard let (_, pair) = best else { break }
      var merged: [String] = []
      merged.reserveCapacity(symbols.count)
      var index = 0
      while index < symbols.count {
        if index < symbols.count - 1 && symbols[index] == pair.first && symbols[index + 1] == pair.second {
          merged.append(pair.first + pair.second)
          index += 2
        } else {
          merged.append(symbols[index])
          index += 1
        }
      }
      symbols = merged
    }
    return symbols
  }

  /// Splits text with GPT-2's pattern, evaluated by hand over Unicode scalars
  /// (`\p{L}` letters, `\p{N}` numbers, `\s` the White_Space property).
  static func preTokenize(_ text: String) -> [String] {
    let scalars = Array(text.unicodeScalars)
    var pieces: [String] = []
    var position = 0
    func isLetter(_ s: Unicode.Scalar) -> Bool {
      switch s.properties.generalCategory {
      case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
      default: return false
      }
    }
    func isNumber(_ s: Unicode.Scalar) -> Bool {
      switch s.properties.generalCategory {
      case .decimalNumber, .letterNumber, .otherNumber: return true
      default: return false
      }
    }
    func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }
    func isOther(_ s: Unicode.Scalar) -> Bool { !isSpace(s) && !isLetter(s) && !isNumber(s) }
    func emit(_ end: Int) {
      var piece = String.UnicodeScalarView()
      piece.append(contentsOf: scalars[position..<end])
      pieces.append(String(piece))
      position = end
    }
    let contractions: [[Unicode.Scalar]] = ["s", "t", "re", "ve", "m", "ll", "d"].map { Array($0.unicodeScalars) }
    outer: while position < scalars.count {
      let current = scalars[position]
      // 's|'t|'re|'ve|'m|'ll|'d
      if current == "'" {
        for suffix in contractions {
          let end = position + 1 + suffix.count
          if end <= scalars.count && Array(scalars[(position + 1)..<end]) == suffix {
            emit(end)
            continue outer
          }
        }
      }
      // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
      let start = current == " " && position + 1 < scalars.count ? position + 1 : position
      for predicate in [isLetter, isNumber, isOther] where start < scalars.count && predicate(scalars[start]) {
        var end = start + 1
        while end < scalars.count && predicate(scalars[end]) { end += 1 }
        emit(end)
        continue outer
      }
      // `\s+(?!\S)` then `\s+`
      if isSpace(current) {
        var end = position + 1
        while end < scalars.count && isSpace(scalars[end]) { end += 1 }
        if end < scalars.count && end - position > 1 { end -= 1 }
        emit(end)
        continue outer
      }
      emit(position + 1)  // unreachable for valid scalars; keeps the loop total
    }
    return pieces
  }
}

/// The settings of `tokenizer_config.json` the tokenizer reads; every other key is ignored.
struct TokenizerConfiguration: Decodable {
  /// `model_max_length`: 512 when absent, and when outside 2 ..< 10⁹ (transformers writes 10³⁰ for "no limit").
  var modelMaximumLength = 512
  /// `added_tokens_decoder`: id (as a string) → token.
  var addedTokens: [String: AddedToken] = [:]

  /// One entry of `added_tokens_decoder`.
  struct AddedToken: Decodable {
    /// The token's text.
    var content: String
    /// Whether whitespace before the token is absorbed into it (`lstrip`, default `false`).
    var stripsLeft: Bool
    /// Whether whitespace after the token is absorbed into it (`rstrip`, default `false`).
    var stripsRight: Bool

    enum CodingKeys: String, CodingKey {
      case content
      case stripsLeft = "lstrip"
      case stripsRight = "rstrip"
    }

    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      content = try c.decode(String.self, forKey: .content)
      stripsLeft = try c.decodeIfPresent(Bool.self, forKey: .stripsLeft) ?? false
      stripsRight = try c.decodeIfPresent(Bool.self, forKey: .stripsRight) ?? false
    }
  }

  init() {}

  enum CodingKeys: String, CodingKey {
    case modelMaximumLength = "model_max_length"
    case addedTokens = "added_tokens_decoder"
  }

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    if let length = try c.decodeFiniteIfPresent(.modelMaximumLength), length >= 2, length < 1e9 {
      modelMaximumLength = Int(length)
    }
    addedTokens = try c.decodeIfPresent([String: AddedToken].self, forKey: .addedTokens) ?? addedTokens
  }
}
