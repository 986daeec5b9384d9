import Foundation
import Testing

@testable import LinearAlgebra

typealias Features = BLASKernelTable.Features

/// AVX-512 F/DQ/BW/VL/CD with AVX2, FMA and AVX: what the SkylakeX kernels need.
private let avx512: Features = [.avx, .avx2, .fma, .avx512f, .avx512dq, .avx512bw, .avx512vl, .avx512cd]

@Suite("OpenBLAS kernel selection")
struct BLASKernelSelectionTests {
  @Test(
    "the feature table maps synthetic CPUs to kernels",
    arguments: [
      (Features(), nil),
      ([.avx], "Sandybridge"),
      ([.avx, .avx2], "Sandybridge"),  // AVX2 without FMA: the Haswell kernels use FMA
      ([.avx, .fma], "Sandybridge"),
      ([.avx, .avx2, .fma], "Haswell"),
      ([.avx, .avx2, .fma, .avx512f], "Haswell"),  // AVX-512F alone is not enough for SkylakeX
      (avx512.subtracting(.avx512vl), "Haswell"),
      (avx512, "SkylakeX"),
      (avx512.union(.avx512bf16), "Cooperlake"),
      ([.avx, .avx2, .fma, .avx512bf16], "Haswell"),  // BF16 counts only with the AVX-512 base
    ] as [(Features, String?)])
  func table(features: Features, expected: String?) {
    #expect(BLASKernelTable.preferredKernel(for: features) == expected)
  }

  @Test("kernel tiers order OpenBLAS's names; unknown names have none")
  func tiers() {
    #expect(BLASKernelTable.tier(of: "Prescott") == 0)
    #expect(BLASKernelTable.tier(of: "nehalem") == 0)  // OpenBLAS compares names case-insensitively
    #expect(BLASKernelTable.tier(of: "Sandybridge") == 1)
    #expect(BLASKernelTable.tier(of: "Haswell") == 2 && BLASKernelTable.tier(of: "Zen") == 2)
    #expect(BLASKernelTable.tier(of: "SkylakeX") == 3)
    #expect(BLASKernelTable.tier(of: "Cooperlake") == 4)
    #expect(BLASKernelTable.tier(of: "SapphireRapids") == nil)
    #expect(BLASKernelTable.tier(of: "") == nil)
  }

  @Test(
    "a generic kernel is replaced by the CPU's; a recognised or unknown one is kept",
    arguments: [
      (
        "Prescott", avx512.union(.avx512bf16), "Cooperlake",
        "OpenBLAS chose Prescott; CPU has AVX-512 BF16 → Cooperlake"
      ),
      ("Prescott", avx512, "SkylakeX", "OpenBLAS chose Prescott; CPU has AVX-512 → SkylakeX"),
      ("Nehalem", [.avx, .avx2, .fma], "Haswell", "OpenBLAS chose Nehalem; CPU has AVX2 and FMA → Haswell"),
      ("Sandybridge", avx512, "SkylakeX", "OpenBLAS chose Sandybridge; CPU has AVX-512 → SkylakeX"),
      ("Cooperlake", avx512.union(.avx512bf16), nil, "OpenBLAS recognised the CPU"),
      ("Zen", [.avx, .avx2, .fma], nil, "OpenBLAS recognised the CPU"),
      ("SkylakeX", avx512, nil, "OpenBLAS recognised the CPU"),
      ("Prescott", [], nil, "the CPU has no AVX"),
      ("SapphireRapids", avx512, nil, "a kernel this table does not rank"),
    ] as [(String, Features, String?, String)])
  func decision(detected: String, features: Features, switchTo: String?, reason: String) {
    let first = BLASKernelTable.decide(userCoreType: nil, detected: detected, features: features)
    #expect(first.switchTo == switchTo)
    #expect(first.reason.hasPrefix(reason) || first.reason.contains(reason), "\(first.reason)")
    // Deterministic: the same inputs give the same decision, word for word.
    let second = BLASKernelTable.decide(userCoreType: nil, detected: detected, features: features)
    #expect(second.switchTo == first.switchTo && second.reason == first.reason)
  }

  @Test("a user's OPENBLAS_CORETYPE wins, even when empty", arguments: ["", "Prescott", "Haswell", "NoSuchCore"])
  func userWins(coreType: String) {
    let decision = BLASKernelTable.decide(
      userCoreType: coreType, detected: "Prescott", features: avx512.union(.avx512bf16))
    #expect(decision.switchTo == nil)
    #expect(decision.reason.hasPrefix("user set OPENBLAS_CORETYPE=\"\(coreType)\""))
  }

  @Test("the start-up choice is recorded and agrees with the CPU and OpenBLAS")
  func startUpChoice() {
    let choice = BLASRuntime.kernelChoice
    let environment = ProcessInfo.processInfo.environment
    #expect(choice.kernel == BLASRuntime.kernelName)
    // Only the failure hook (RESONANCE_BLAS_SIMULATE_SELF_CHECK_FAILURE) makes a working OpenBLAS fail the check.
    let injected = !(environment["RESONANCE_BLAS_SIMULATE_SELF_CHECK_FAILURE"] ?? "").isEmpty
    #expect(choice.selfCheck == (injected && choice.reason.contains("failed the self-check") ? .failed : .passed))
    #expect(!choice.reason.isEmpty)
    if let user = environment["OPENBLAS_CORETYPE"] {
      #expect(choice.reason.hasPrefix("user set OPENBLAS_CORETYPE=\"\(user)\""))
    } else if let simulated = environment["RESONANCE_BLAS_SIMULATE_KERNEL"] {
      #expect(choice.openBLASDetected.hasPrefix(simulated))
    } else {
      // With no variables the kernel in use is at least of the tier the CPU's features call for.
      let preferred = BLASKernelTable.preferredKernel(for: .current)
      let tier = BLASKernelTable.tier(of: choice.kernel) ?? Int.max
      #expect(tier >= preferred.flatMap { BLASKernelTable.tier(of: $0) } ?? 0, "\(choice)")
    }
    #expect(BLASRuntime.versionDescription.contains("BLAS kernel: \(choice.kernel)"))
    #expect(choice.jsonObject["selfCheck"] == choice.selfCheck.rawValue && choice.jsonObject["kernel"] == choice.kernel)
  }

  @Test("the self-check passes on the running kernel and catches a perturbed result")
  func selfCheck() {
    #expect(BLASKernelTable.selfCheckFailure(perturbing: false) == nil)
    let failure = BLASKernelTable.selfCheckFailure(perturbing: true)
    // The perturbation adds 1 to the first SGEMM element, far outside the 1e-4 relative tolerance.
    #expect(failure?.hasPrefix("sgemm element 0 is") == true, "\(failure ?? "passed")")
  }
}

/// The selection run again in a child process (switching kernels is unsafe while other tests run BLAS).
@Suite("OpenBLAS kernel selection in a process of its own")
struct BLASKernelSwitchTests {
  @Test("a simulated Prescott fallback is switched to the CPU's kernel, and products match the reference")
  func fallbackSwitches() async {
    await #expect(processExitsWith: .success) {
      let preferred = BLASKernelTable.preferredKernel(for: .current) ?? "Prescott"
      let before = BLASKernelTable.reselect(userCoreType: nil, simulatingDetected: "Prescott", failingSelfCheck: false)
      let onPrescott = BLASKernelSwitchTests.products()
      guard before.openBLASDetected == "Prescott (simulated)", before.kernel == preferred, before.selfCheck == .passed,
        preferred == "Prescott" || before.reason.contains("→ \(preferred) after self-check")
      else { BLASKernelSwitchTests.fail("unexpected choice \(before)") }
      let onPreferred = BLASKernelSwitchTests.products()
      // Results agree whatever kernel runs: both within the reference tolerance, and with each other.
      BLASKernelSwitchTests.compare(onPrescott, onPreferred)
    }
  }

  @Test("a failing self-check falls back to OpenBLAS's kernel with a one-line notice")
  func failingCheckFallsBack() async {
    let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
      let choice = BLASKernelTable.reselect(userCoreType: nil, simulatingDetected: "Prescott", failingSelfCheck: true)
      guard BLASKernelTable.preferredKernel(for: .current) != nil else { return }  // nothing to switch to
      guard choice.kernel == "Prescott", choice.selfCheck == .failed,
        choice.reason.contains("failed the self-check (sgemm element 0"), choice.reason.contains("→ Prescott kept")
      else { BLASKernelSwitchTests.fail("unexpected choice \(choice)") }
      guard BLASKernelSwitchTests.products().count == 3 else { BLASKernelSwitchTests.fail("products") }
    }
    let errorText = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    if BLASKernelTable.preferredKernel(for: .current) != nil {
      let notices = errorText.split(separator: "\n").filter { $0.contains("failed the start-up self-check") }
      #expect(notices.count == 1, "\(errorText)")
      #expect(notices.first?.hasSuffix("using Prescott instead") == true)
    }
  }

  @Test("a user's OPENBLAS_CORETYPE (here an empty one) keeps OpenBLAS's kernel and disables the hook")
  func userVariableWins() async {
    await #expect(processExitsWith: .success) {
      let kernel = BLASRuntime.kernelName
      let choice = BLASKernelTable.reselect(userCoreType: "", simulatingDetected: "Prescott", failingSelfCheck: false)
      guard choice.kernel == kernel, choice.openBLASDetected == kernel,
        choice.reason.hasPrefix("user set OPENBLAS_CORETYPE=\"\""), choice.selfCheck == .passed
      else { BLASKernelSwitchTests.fail("unexpected choice \(choice)") }
    }
  }

  /// Products of several shapes, including ones large enough for OpenBLAS's threads and blocking.
  static func products() -> [Matrix<Float>] {
    let shapes = [(3, 5, 7), (61, 47, 53), (300, 260, 280)]
    return shapes.enumerated().map { index, shape in
      let a: Matrix<Float> = random(shape.0, shape.2, seed: UInt64(90 + index))
      let b: Matrix<Float> = random(shape.2, shape.1, seed: UInt64(190 + index))
      guard let product = try? a.multiplied(by: b) else { fail("product of shape \(shape) threw") }
      return product
    }
  }

  static func compare(_ first: [Matrix<Float>], _ second: [Matrix<Float>]) {
    let shapes = [(3, 5, 7), (61, 47, 53), (300, 260, 280)]
    for (index, shape) in shapes.enumerated() {
      let a: Matrix<Float> = random(shape.0, shape.2, seed: UInt64(90 + index))
      let b: Matrix<Float> = random(shape.2, shape.1, seed: UInt64(190 + index))
      let reference = naiveProduct(a, transposeA: false, b, transposeB: false)
      // Float accumulation over k unit normals: errors stay below 1e-4 · sqrt(k) + 1e-5 (the bound ProductTests
      // asserts); a wrong kernel is off by O(1).
      let bound = 1e-4 * Double(shape.2).squareRoot() + 1e-5
      let errors = [maxAbsoluteDifference(first[index], reference), maxAbsoluteDifference(second[index], reference)]
      guard errors.allSatisfy({ $0 < bound }) else { fail("shape \(shape): errors \(errors), bound \(bound)") }
    }
  }

  static func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("kernel switch test: \(message)\n".utf8))
    exit(1)
  }
}
