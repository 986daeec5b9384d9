/// The Python globals a `torch.save` state dict may name, and nothing else.
///
/// A state dict pickled by `torch.save` (protocol 2) names `collections.OrderedDict` (the dict itself and each
/// tensor's empty backward-hook dict), `torch._utils._rebuild_tensor_v2` (one call per tensor), the typed
/// storage classes `torch.FloatStorage`, `torch.HalfStorage`, … (inside each storage's persistent id), and, when
/// a parameter rather than a tensor was saved, `torch._utils._rebuild_parameter`. The restricted unpickler maps
/// these names to the cases here and refuses every other name; none of them is ever called — each is
/// interpreted by this module's own code.
enum PickleGlobal: Equatable, Sendable {
  /// `collections.OrderedDict`: called with no arguments, it makes an empty ordered dict.
  case orderedDict
  /// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[,
  /// metadata])`: a strided view into a storage.
  case rebuildTensor
  /// `torch._utils._rebuild_parameter(data, requires_grad, backward_hooks)`: the tensor `data`.
  case rebuildParameter
  /// `torch.<name>`, a typed storage class; the element type of the storages that name it.
  case storageType(TensorDataType, name: String)

  /// The fully qualified names accepted, for error messages.
  static let allowedNames: [String] =
    ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter"]
    + ["Float", "Half", "BFloat16", "Double", "Long", "Int", "Short", "Char", "Byte", "Bool"].map {
      "torch.\($0)Storage"
    }

  /// The global `module.name`, or nil if it is not allowed (a storage class outside the table is reported by
  /// the caller as an unsupported storage).
  init?(module: String, name: String) {
    switch (module, name) {
    case ("collections", "OrderedDict"): self = .orderedDict
    case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensor
    case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
    case ("torch", _):
      guard let dataType = TensorDataType(torchStorage: name) else { return nil }
      self = .storageType(dataType, name: name)
    default: return nil
    }
  }
}

/// A storage named by a persistent id `('storage', torch.<Type>Storage, key, location, numel)`.
struct StorageReference: Equatable, Sendable {
  /// The element type of the storage class.
  let dataType: TensorDataType
  /// The storage class's name (`"FloatStorage"`), for messages.
  let typeName: String
  /// The record key: the storage's bytes are the archive entry `<prefix>/data/<key>`.
  let key: String
  /// The number of elements the storage holds.
  let elementCount: Int
}

/// A tensor rebuilt by `_rebuild_tensor_v2`: a strided view into a storage (offsets and strides in elements).
struct TensorReference: Equatable, Sendable {
  /// The storage viewed.
  let storage: StorageReference
  /// The storage offset of element `(0, …, 0)`, in elements.
  let elementOffset: Int
  /// The tensor's size.
  let shape: [Int]
  /// The tensor's strides, in elements.
  let strides: [Int]
}

/// A mutable Python list (a reference, so memoized copies see later appends, as in Python).
final class PickleList {
  var items: [PickleValue] = []
}

/// A mutable Python dict or `OrderedDict`: key/value pairs in insertion order (a later equal key replaces the
/// value in place, as in Python).
final class PickleDict {
  private(set) var pairs: [(key: PickleValue, value: PickleValue)] = []
  private var stringKeys: [String: Int] = [:]

  /// Sets `key` to `value`; string keys are compared by value, other keys are appended.
  func set(_ key: PickleValue, _ value: PickleValue) {
    if case .string(let text) = key, let index = stringKeys[text] {
      pairs[index].value = value
      return
    }
    if case .string(let text) = key { stringKeys[text] = pairs.count }
    pairs.append((key, value))
  }
}

/// A value built by ``RestrictedUnpickler``: Python's plain data types plus the state-dict objects it understands.
enum PickleValue {
  /// `None`.
  case none
  /// `True` or `False`.
  case bool(Bool)
  /// An integer that fits 64 bits.
  case int(Int)
  /// A float.
  case float(Double)
  /// A text string.
  case string(String)
  /// A bytes object.
  case bytes([UInt8])
  /// A tuple.
  case tuple([PickleValue])
  /// A list.
  case list(PickleList)
  /// A dict or ordered dict.
  case dict(PickleDict)
  /// An allowed global, not yet called.
  case global(PickleGlobal)
  /// A typed storage from a persistent id.
  case storage(StorageReference)
  /// A tensor.
  case tensor(TensorReference)

  /// The Python type name of the value, for error messages.
  var kind: String {
    switch self {
    case .none: return "None"
    case .bool: return "bool"
    case .int: return "int"
    case .float: return "float"
    case .string: return "str"
    case .bytes: return "bytes"
    case .tuple(let items): return "tuple of \(items.count)"
    case .list: return "list"
    case .dict: return "dict"
    case .global(let global): return "global \(global)"
    case .storage: return "storage"
    case .tensor: return "tensor"
    }
  }
}
