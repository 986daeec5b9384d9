import TensorRuntime

/// Reads every tensor of an opened weight archive and checks what opening it promised: each float tensor converts
/// to float32 with its declared shape, and integer or boolean tensors are refused with a typed error.
public func exerciseArchive(_ archive: any TensorArchive) {
  for name in archive.tensorNames {
    guard let descriptor = archive.descriptors[name] else { preconditionFailure("a listed tensor has no descriptor") }
    do {
      let tensor = try archive.tensor(named: name)
      precondition(descriptor.dataType.convertsToFloat, "a \(descriptor.dataType) tensor converted to float32")
      precondition(tensor.shape == descriptor.shape, "the converted tensor changed shape")
    } catch {
      precondition(!descriptor.dataType.convertsToFloat, "a float tensor that opened failed to convert: \(error)")
    }
  }
}
