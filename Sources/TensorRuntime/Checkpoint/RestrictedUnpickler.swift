/// A pickle interpreter that builds state dicts and never executes anything.
///
/// Python's `pickle` calls any global a file names, which is why loading an untrusted `pytorch_model.bin` with
/// `torch.load(weights_only=False)` can run arbitrary code. This interpreter implements the opcodes of pickle
/// protocols 0–5 that plain data and state dicts use — integers, floats, strings, bytes, tuples, lists, dicts,
/// marks, the memo, `GLOBAL`/`STACK_GLOBAL`, `REDUCE`, `BUILD` and `BINPERSID` — and gives meaning only to the
/// globals in ``PickleGlobal``: `REDUCE` on one of them is evaluated by this code (an empty ordered dict, a
/// strided tensor reference), never by calling anything. Any other global (`os.system`, `builtins.eval`, …) is
/// refused at the opcode that names it, before any later opcode is read; opcodes that build arbitrary objects
/// (`INST`, `OBJ`, `NEWOBJ` on other classes, extension codes, out-of-band buffers) are refused too.
/// Every length is checked against the bytes left before anything is allocated.
struct RestrictedUnpickler {
  private let bytes: UnsafeRawBufferPointer
  private let path: String
  private var position = 0
  private var stack: [PickleValue] = []
  private var marks: [Int] = []
  private var memo: [Int: PickleValue] = [:]

  /// Interprets `bytes` (one pickle, up to its `STOP`) and returns the object it builds.
  ///
  /// - Parameter path: the file named in errors.
  /// - Throws: ``TensorRuntimeError/refusedGlobal(path:global:)``,
  ///   ``TensorRuntimeError/unsupportedStorage(path:storageType:)`` or
  ///   ``TensorRuntimeError/invalidPickle(path:reason:)``.
  static func load(_ bytes: UnsafeRawBufferPointer, path: String) throws(TensorRuntimeError) -> PickleValue {
    var machine = RestrictedUnpickler(bytes: bytes, path: path)
    return try machine.run()
  }

  private init(bytes: UnsafeRawBufferPointer, path: String) {
    self.bytes = bytes
    self.path = path
  }

  private func fail(_ reason: String) -> TensorRuntimeError {
    .invalidPickle(path: path, reason: reason)
  }

  // MARK: Reading the byte stream

  private mutating func read(_ count: Int, for opcode: String) throws(TensorRuntimeError) -> UnsafeRawBufferPointer {
    guard count >= 0, count <= bytes.count - position else {
      throw fail("\(opcode) at byte \(position) needs \(count) bytes but only \(bytes.count - position) remain")
    }
    defer { position += count }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
  }

  private mutating func unsigned(_ count: Int, for opcode: String) throws(TensorRuntimeError) -> UInt64 {
    let field = try read(count, for: opcode)
    var value: UInt64 = 0
    for (shift, byte) in field.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
    return value
  }

  /// A length field that must fit in the bytes that remain.
  private mutating func length(_ count: Int, for opcode: String) throws(TensorRuntimeError) -> Int {
    let value = try unsigned(count, for: opcode)
    guard value <= UInt64(bytes.count - position) else {
      throw fail(
        "\(opcode) at byte \(position - count) declares \(value) bytes but only \(bytes.count - position) remain")
    }
    return Int(value)
  }

  private mutating func line(for opcode: String) throws(TensorRuntimeError) -> String {
    guard let end = bytes[position...].firstIndex(of: 0x0A) else {
      throw fail("\(opcode) at byte \(position) has no terminating newline")
    }
    let text = try utf8(UnsafeRawBufferPointer(rebasing: bytes[position..<end]), for: opcode)
    position = end + 1
    return text
  }

  private func utf8(_ field: UnsafeRawBufferPointer, for opcode: String) throws(TensorRuntimeError) -> String {
    guard let text = String(validating: field, as: UTF8.self) else {
      throw fail("\(opcode) before byte \(position) holds a string that is not UTF-8")
    }
    return text
  }

  // MARK: The stack

  private mutating func pop(for opcode: String) throws(TensorRuntimeError) -> PickleValue {
    guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
      throw fail("\(opcode) at byte \(position) finds the stack empty")
    }
    return value
  }

  private mutating func popToMark(for opcode: String) throws(TensorRuntimeError) -> [PickleValue] {
    guard let mark = marks.popLast() else { throw fail("\(opcode) at byte \(position) has no matching MARK") }
    defer { stack.removeSubrange(mark...) }
    return Array(stack[mark...])
  }

  private func top(for opcode: String) throws(TensorRuntimeError) -> PickleValue {
    guard let value = stack.last, stack.count > (marks.last ?? 0) else {
      throw fail("\(opcode) at byte \(position) finds the stack empty")
    }
    return value
  }

  // MARK: The interpreter

  private mutating func run() throws(TensorRuntimeError) -> PickleValue {
    while true {
      let start = position
      let code = try read(1, for: "an opcode")[0]
      let name = "opcode 0x\(String(code, radix: 16)) ('\(Character(Unicode.Scalar(code)))')"
      switch code {
      case 0x80:  // PROTO
        let version = try read(1, for: "PROTO")[0]
        guard version <= 5 else { throw fail("pickle protocol \(version) is newer than 5") }
      case 0x95:  // FRAME: a length hint only
        _ = try read(8, for: "FRAME")
      case UInt8(ascii: "."):  // STOP
        let result = try pop(for: "STOP")
        return result
      case UInt8(ascii: "("): marks.append(stack.count)
      case UInt8(ascii: "0"): _ = try pop(for: "POP")
      case UInt8(ascii: "1"): _ = try popToMark(for: "POP_MARK")
      case UInt8(ascii: "2"): stack.append(try top(for: "DUP"))
      case UInt8(ascii: "N"): stack.append(.none)
      case 0x88: stack.append(.bool(true))
      case 0x89: stack.append(.bool(false))
      case UInt8(ascii: "J"): stack.append(.int(Int(Int32(truncatingIfNeeded: try unsigned(4, for: "BININT")))))
      case UInt8(ascii: "K"): stack.append(.int(Int(try unsigned(1, for: "BININT1"))))
      case UInt8(ascii: "M"): stack.append(.int(Int(try unsigned(2, for: "BININT2"))))
      case 0x8A, 0x8B:  // LONG1, LONG4: little-endian two's complement
        let opcode = code == 0x8A ? "LONG1" : "LONG4"
        let count = try length(code == 0x8A ? 1 : 4, for: opcode)
        guard count <= 8 else { throw fail("\(opcode) at byte \(start) holds a \(count)-byte integer, beyond 64 bits") }
        let raw = try unsigned(count, for: opcode)
        let shift = UInt64(64 - 8 * count)
        stack.append(.int(count == 0 ? 0 : Int(Int64(bitPattern: raw << shift) >> Int64(shift))))
      case UInt8(ascii: "I"), UInt8(ascii: "L"):  // INT, LONG (text)
        var text = try line(for: "INT")
        if text.hasSuffix("L") { text.removeLast() }
        if text == "01" || text == "00" {
          stack.append(.bool(text == "01"))
        } else if let value = Int(text) {
          stack.append(.int(value))
        } else {
          throw fail("INT at byte \(start) holds '\(text.prefix(40))', not a 64-bit integer")
        }
      case UInt8(ascii: "G"):
        stack.append(.float(Double(bitPattern: try unsigned(8, for: "BINFLOAT").byteSwapped)))  // big-endian field
      case UInt8(ascii: "F"):
        let text = try line(for: "FLOAT")
        guard let value = Double(text) else { throw fail("FLOAT at byte \(start) holds '\(text.prefix(40))'") }
        stack.append(.float(value))
      case UInt8(ascii: "X"), 0x8C, 0x8D, UInt8(ascii: "T"), UInt8(ascii: "U"):
        // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8, and Python 2's BINSTRING / SHORT_BINSTRING (read as UTF-8,
        // as torch.load does).
        let width = [UInt8(ascii: "X"): 4, 0x8C: 1, 0x8D: 8, UInt8(ascii: "T"): 4, UInt8(ascii: "U"): 1][code]!
        let count = try length(width, for: name)
        stack.append(.string(try utf8(try read(count, for: name), for: name)))
      case UInt8(ascii: "B"), UInt8(ascii: "C"), 0x8E:  // BINBYTES, SHORT_BINBYTES, BINBYTES8
        let width = [UInt8(ascii: "B"): 4, UInt8(ascii: "C"): 1, 0x8E: 8][code]!
        let count = try length(width, for: name)
        stack.append(.bytes(Array(try read(count, for: name))))
      case UInt8(ascii: ")"): stack.append(.tuple([]))
      case UInt8(ascii: "t"): stack.append(.tuple(try popToMark(for: "TUPLE")))
      case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
        var items: [PickleValue] = []
        for _ in 0..<Int(code - 0x84) { items.insert(try pop(for: "TUPLE\(code - 0x84)"), at: 0) }
        stack.append(.tuple(items))
      case UInt8(ascii: "]"): stack.append(.list(PickleList()))
      case UInt8(ascii: "l"):
        let list = PickleList()
        list.items = try popToMark(for: "LIST")
        stack.append(.list(list))
      case UInt8(ascii: "a"):
        let item = try pop(for: "APPEND")
        try list(for: "APPEND").items.append(item)
      case UInt8(ascii: "e"):
        let items = try popToMark(for: "APPENDS")
        try list(for: "APPENDS").items += items
      case UInt8(ascii: "}"): stack.append(.dict(PickleDict()))
      case UInt8(ascii: "d"):
        let dict = PickleDict()
        try setItems(try popToMark(for: "DICT"), into: dict, for: "DICT")
        stack.append(.dict(dict))
      case UInt8(ascii: "s"):
        let value = try pop(for: "SETITEM")
        let key = try pop(for: "SETITEM")
        try dictionary(for: "SETITEM").set(key, value)
      case UInt8(ascii: "u"):
        let items = try popToMark(for: "SETITEMS")
        try setItems(items, into: try dictionary(for: "SETITEMS"), for: "SETITEMS")
      case UInt8(ascii: "q"): memo[Int(try unsigned(1, for: "BINPUT"))] = try top(for: "BINPUT")
      case UInt8(ascii: "r"): memo[Int(try unsigned(4, for: "LONG_BINPUT"))] = try top(for: "LONG_BINPUT")
      case 0x94: memo[memo.count] = try top(for: "MEMOIZE")
      case UInt8(ascii: "p"):
        guard let index = Int(try line(for: "PUT")) else { throw fail("PUT at byte \(start) has a bad index") }
        memo[index] = try top(for: "PUT")
      case UInt8(ascii: "h"), UInt8(ascii: "j"), UInt8(ascii: "g"):
        let index: Int
        if code == UInt8(ascii: "g") {
          guard let parsed = Int(try line(for: "GET")) else { throw fail("GET at byte \(start) has a bad index") }
          index = parsed
        } else {
          index = Int(try unsigned(code == UInt8(ascii: "h") ? 1 : 4, for: "BINGET"))
        }
        guard let value = memo[index] else { throw fail("memo entry \(index) read at byte \(start) was never stored") }
        stack.append(value)
      case UInt8(ascii: "c"):  // GLOBAL module\nname\n
        let module = try line(for: "GLOBAL")
        let global = try line(for: "GLOBAL")
        stack.append(.global(try resolve(module: module, name: global)))
      case 0x93:  // STACK_GLOBAL
        let global = try pop(for: "STACK_GLOBAL")
        let module = try pop(for: "STACK_GLOBAL")
        guard case .string(let moduleName) = module, case .string(let globalName) = global else {
          throw fail("STACK_GLOBAL at byte \(start) takes two strings, found \(module.kind) and \(global.kind)")
        }
        stack.append(.global(try resolve(module: moduleName, name: globalName)))
      case UInt8(ascii: "i"):  // INST module\nname\n: instantiates a class; report the class it names
        let module = try line(for: "INST")
        let global = try line(for: "INST")
        throw .refusedGlobal(path: path, global: "\(module).\(global)")
      case UInt8(ascii: "R"), 0x81:  // REDUCE, NEWOBJ: evaluated here, never called
        let arguments = try pop(for: "REDUCE")
        let callable = try pop(for: "REDUCE")
        guard case .global(let global) = callable, case .tuple(let items) = arguments else {
          throw fail("REDUCE at byte \(start) applies a \(callable.kind) to a \(arguments.kind)")
        }
        stack.append(try apply(global, items, at: start, newObject: code == 0x81))
      case UInt8(ascii: "b"):  // BUILD: only the attribute dict of an OrderedDict (a state dict's `_metadata`)
        let state = try pop(for: "BUILD")
        guard case .dict = try top(for: "BUILD") else {
          throw fail("BUILD at byte \(start) sets state on a \(try top(for: "BUILD").kind), not on a dict")
        }
        guard case .dict = state else { throw fail("BUILD at byte \(start) has a \(state.kind) as state") }
      case UInt8(ascii: "Q"):  // BINPERSID
        stack.append(try persistentLoad(try pop(for: "BINPERSID"), at: start))
      default:
        throw fail("\(name) at byte \(start) is not one a state dict uses; it was refused")
      }
    }
  }

  private func list(for opcode: String) throws(TensorRuntimeError) -> PickleList {
    guard case .list(let list) = try top(for: opcode) else {
      throw fail("\(opcode) at byte \(position) appends to a \(try top(for: opcode).kind), not a list")
    }
    return list
  }

  private func dictionary(for opcode: String) throws(TensorRuntimeError) -> PickleDict {
    guard case .dict(let dict) = try top(for: opcode) else {
      throw fail("\(opcode) at byte \(position) sets items on a \(try top(for: opcode).kind), not a dict")
    }
    return dict
  }

  private func setItems(_ items: [PickleValue], into dict: PickleDict, for opcode: String) throws(TensorRuntimeError) {
    guard items.count % 2 == 0 else { throw fail("\(opcode) at byte \(position) has an odd number of items") }
    for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index], items[index + 1]) }
  }

  private func resolve(module: String, name: String) throws(TensorRuntimeError) -> PickleGlobal {
    if let global = PickleGlobal(module: module, name: name) { return global }
    if module == "torch" && name.hasSuffix("Storage") {
      throw .unsupportedStorage(path: path, storageType: "torch.\(name)")
    }
    throw .refusedGlobal(path: path, global: "\(module).\(name)")
  }

  /// `global(*arguments)` for the allowed globals, computed here.
  private func apply(_ global: PickleGlobal, _ arguments: [PickleValue], at start: Int, newObject: Bool)
    throws(TensorRuntimeError) -> PickleValue
  {
    switch global {
    case .orderedDict:
      guard arguments.isEmpty else { throw fail("OrderedDict at byte \(start) is called with arguments") }
      return .dict(PickleDict())
    case .rebuildTensor where !newObject:
      guard arguments.count == 6 || arguments.count == 7, case .storage(let storage) = arguments[0],
        case .int(let offset) = arguments[1], let shape = integers(arguments[2]), let strides = integers(arguments[3]),
        case .bool = arguments[4]
      else {
        throw fail(
          "_rebuild_tensor_v2 at byte \(start) takes (storage, offset, size, stride, requires_grad, hooks), found (\(arguments.map(\.kind).joined(separator: ", ")))"
        )
      }
      try requireNoHooks(arguments[5], at: start)
      return .tensor(TensorReference(storage: storage, elementOffset: offset, shape: shape, strides: strides))
    case .rebuildParameter where !newObject:
      guard arguments.count == 3, case .tensor = arguments[0], case .bool = arguments[1] else {
        throw fail("_rebuild_parameter at byte \(start) takes (tensor, requires_grad, hooks)")
      }
      try requireNoHooks(arguments[2], at: start)
      return arguments[0]
    default:
      throw fail("\(global) at byte \(start) cannot be called that way")
    }
  }

  private func requireNoHooks(_ hooks: PickleValue, at start: Int) throws(TensorRuntimeError) {
    switch hooks {
    case .none: return
    case .dict(let dict) where dict.pairs.isEmpty: return
    default: throw fail("the tensor rebuilt at byte \(start) carries backward hooks (\(hooks.kind))")
    }
  }

  private func integers(_ value: PickleValue) -> [Int]? {
    guard case .tuple(let items) = value else { return nil }
    var result: [Int] = []
    for item in items {
      guard case .int(let number) = item else { return nil }
      result.append(number)
    }
    return result
  }

  /// `torch.load`'s `persistent_load` for `('storage', storage_type, key, location, numel)`.
  private func persistentLoad(_ id: PickleValue, at start: Int) throws(TensorRuntimeError) -> PickleValue {
    guard case .tuple(let items) = id, items.count == 5, case .string("storage") = items[0],
      case .global(.storageType(let dataType, let typeName)) = items[1], case .string(let key) = items[2],
      case .string = items[3], case .int(let count) = items[4], count >= 0
    else {
      throw fail(
        "the persistent id at byte \(start) is not ('storage', torch.<Type>Storage, key, location, numel): found \(id.kind)"
      )
    }
    return .storage(StorageReference(dataType: dataType, typeName: typeName, key: key, elementCount: count))
  }
}
