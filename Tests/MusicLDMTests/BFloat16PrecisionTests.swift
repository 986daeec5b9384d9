import Foundation
import TensorRuntime
import Testing

@testable import MusicLDM

/// The opt-in bfloat16 precision (``TensorRuntime/ComputePrecision``) on the tiny MusicLDM fixture.
@Suite("MusicLDM in bfloat16")
struct BFloat16PrecisionTests {
  static func unet() throws -> UNet { try UNet(folder: TinyMusicLDM.folder.appendingPathComponent("unet")) }

  static func forward(_ unet: UNet) -> Tensor {
    unet(
      TinyMusicLDM.tensor("unet.sample"), timestep: Int(TinyMusicLDM.tensor("unet.timestep").elements[0]),
      classLabels: TinyMusicLDM.tensor("unet.class_labels"))
  }

  @Test(
    "the UNet in bfloat16 stays within 2 % of float32 and diffusers",
    .enabled(if: ComputePrecision.isBFloat16Supported, "the CPU lacks AVX-512 BF16")
  )
  func unetInBFloat16() throws {
    var unet = try Self.unet()
    let float32 = Self.forward(unet)
    #expect(unet.setPrecision(.bfloat16) == nil)
    #expect(unet.precision == .bfloat16)
    let bfloat16 = Self.forward(unet)
    let error = TinyMusicLDM.relativeError(bfloat16, float32)
    // Every convolution, linear layer and attention product rounds its operands to 8 significant bits (unit
    // roundoff 2⁻⁸ ≈ 0.4 %) through about 30 layers; the tiny UNet's output moves by ~0.5 % of its scale.
    // 2 % fails for a wrong product, and > 0 shows the bfloat16 path ran.
    #expect(error < 0.02 && error > 0, "relative error \(error)")
    #expect(TinyMusicLDM.relativeError(bfloat16, TinyMusicLDM.tensor("unet.output")) < 0.02)
    // The precision travels with the model, not with the caller's binding; float32 again drops the packing.
    #expect(ComputePrecision.$current.withValue(.float32) { Self.forward(unet) } == bfloat16)
    unet.setPrecision(.float32)
    #expect(Self.forward(unet) == float32)
  }

  @Test("bfloat16 asked on a CPU without AVX-512 BF16 keeps the UNet in float32 and says so")
  func fallback() throws {
    var unet = try Self.unet()
    let float32 = Self.forward(unet)
    let notice = unet.setPrecision(.bfloat16, bfloat16Supported: false)
    #expect(notice?.contains("AVX-512 BF16") == true)
    #expect(unet.precision == .float32)
    #expect(Self.forward(unet) == float32)
  }
}
