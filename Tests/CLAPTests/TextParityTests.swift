import Foundation
import TensorRuntime
import Testing

@testable import CLAP

@Suite("RoBERTa tokenizer and text tower parity with transformers 4.57.6")
struct TextParityTests {
  struct Case: Decodable {
    var text: String
    var ids: [Int]
    var ids_max16: [Int]
  }

  static func cases() throws -> [Case] {
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.directory("tokenizer") + "/cases.json"))
    return try JSONDecoder().decode([Case].self, from: data)
  }

  /// `tokenizer` holds only vocab.json + merges.txt (default special tokens); `clap-tiny` adds the
  /// tokenizer_config.json that save_pretrained writes (added_tokens_decoder, model_max_length).
  @Test(
    "byte-level BPE ids equal RobertaTokenizer's on hard cases (Unicode, emoji, CJK, newlines, empty, long, specials)",
    arguments: ["tokenizer", "clap-tiny"])
  func tokenizerCases(folder: String) throws {
    let tokenizer = try BytePairTokenizer(directory: Fixtures.url(folder))
    let cases = try Self.cases()
    #expect(cases.count >= 12)
    for item in cases {
      #expect(tokenizer.encode(item.text) == item.ids, "\(item.text.debugDescription)")
      #expect(tokenizer.encode(item.text, maximumLength: 16) == item.ids_max16, "\(item.text.debugDescription) max 16")
    }
  }

  @Test("pre-tokenisation splits contractions, spaces and symbol runs like GPT-2's pattern")
  func preTokenization() {
    #expect(BytePairTokenizer.preTokenize("I'm here") == ["I", "'m", " here"])
    #expect(BytePairTokenizer.preTokenize("a  b") == ["a", " ", " b"])
    #expect(BytePairTokenizer.preTokenize("x \n\n y") == ["x", " \n\n", " y"])
    #expect(BytePairTokenizer.preTokenize("end   ") == ["end", "   "])
    #expect(BytePairTokenizer.preTokenize("42!? ok") == ["42", "!?", " ok"])
    #expect(BytePairTokenizer.preTokenize("") == [])
  }

  /// Hidden states and pooled output are compared with the reference run on the same ids; float32 noise only.
  @Test("text encoder hidden states, pooled output and batched embeddings match the reference")
  func textTower() throws {
    let clap = try CLAPModel(directory: Fixtures.url("clap-tiny"))
    let fixtures = try Fixtures.tensors("clap-tiny")
    let texts = ["A calm piano melody with soft strings.", "Heavy metal guitar riffs!", "中文歌曲 🎵"]
    let ids = clap.tokenIDs(texts[0])
    let (hidden, pooled) = clap.textEncoder.encode(ids)
    let expectedHidden = try fixtures.tensor(named: "text0_last_hidden_state")
    let expectedPooled = try fixtures.tensor(named: "text0_pooled")
    let hiddenAgreement = Agreement(hidden, expectedHidden)
    report("text hidden: \(hiddenAgreement); pooled: \(Agreement(pooled, expectedPooled))")
    #expect(hiddenAgreement.relativeToScale < 1e-5)
    #expect(pooled.isApproximatelyEqual(to: expectedPooled, relativeTolerance: 1e-4, absoluteTolerance: 1e-6))
    // The reference ran the three captions padded in one batch; we run them unpadded: same ids, same result.
    let paddedIDs = try fixtures.tensor(named: "text_input_ids")
    let mask = try fixtures.tensor(named: "text_attention_mask")
    for (row, text) in texts.enumerated() {
      let length = Int(mask.narrowed(axis: 0, start: row, length: 1).elements.reduce(0, +))
      let reference = paddedIDs.narrowed(axis: 0, start: row, length: 1).elements.prefix(length).map { Int($0) }
      #expect(clap.tokenIDs(text) == reference)
    }
    let embeddings = try clap.textEmbedding(texts)
    let expected = try fixtures.tensor(named: "text_embeds")
    // Packing the captions end to end gives what encoding each alone gives (float32 summation order only).
    let packed = clap.textEncoder.encode(batch: texts.map(clap.tokenIDs)).pooled
    for (row, text) in texts.enumerated() {
      let alone = clap.textEncoder.encode(clap.tokenIDs(text)).pooled
      let packedRow = packed.narrowed(axis: 0, start: row, length: 1).reshaped(alone.shape)
      #expect(packedRow.maximumAbsoluteDifference(to: alone) < 1e-6)
    }
    report("text embeddings: \(Agreement(embeddings, expected))")
    #expect(embeddings.isApproximatelyEqual(to: expected, relativeTolerance: 1e-4, absoluteTolerance: 1e-6))
  }

  @Test("captions longer than the position table are truncated, not rejected")
  func longCaption() throws {
    let clap = try CLAPModel(directory: Fixtures.url("clap-tiny"))
    let long = String(repeating: "piano guitar drums ", count: 40)
    let ids = clap.tokenIDs(long)
    #expect(ids.count == clap.textEncoder.maximumTokenCount)
    #expect(ids.first == 0 && ids.last == 2)
    let embeddings = try clap.textEmbedding([long, ""])
    #expect(embeddings.shape == [2, 16])
  }
}
