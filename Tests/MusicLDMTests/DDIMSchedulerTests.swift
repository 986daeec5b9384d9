import Foundation
import Testing

@testable import MusicLDM

struct DDIMReference: Decodable {
  struct Trajectory: Decodable {
    var steps: Int
    var initial: [Float]
    var afterEachStep: [[Float]]
  }
  var alphasCumulative: [Float]
  var schedules: [String: [Int]]
  var trajectories: [Trajectory]
}

@Suite("DDIM scheduler against diffusers 0.33.1")
struct DDIMSchedulerTests {
  let resources = Bundle.module.url(forResource: "Resources", withExtension: nil)!

  func reference() throws -> DDIMReference {
    try JSONDecoder().decode(
      DDIMReference.self, from: Data(contentsOf: resources.appendingPathComponent("ddim_reference.json")))
  }

  func scheduler() throws -> DDIMScheduler {
    try DDIMScheduler(configuration: .load(from: resources.appendingPathComponent("scheduler_config.json")))
  }

  @Test("the hub scheduler_config.json decodes to MusicLDM's settings")
  func configuration() throws {
    let configuration = try DDIMSchedulerConfiguration.load(
      from: resources.appendingPathComponent("scheduler_config.json"))
    #expect(configuration == .musicLDM)
  }

  @Test("ᾱ matches diffusers' float32 cumulative product")
  func alphas() throws {
    let expected = try reference().alphasCumulative
    let actual = try scheduler().alphasCumulative
    #expect(actual.count == 1000)
    // linspace with PyTorch's fused multiply-add and the product accumulated in double as its CPU cumprod
    // does: every value is bit-identical.
    let differing = zip(actual, expected).filter { $0 != $1 }.count
    #expect(differing == 0)
  }

  @Test("leading timesteps with offset 1 equal diffusers' for 1, 3, 7, 10, 50 and 200 steps")
  func timesteps() throws {
    var scheduler = try scheduler()
    for (steps, expected) in try reference().schedules {
      try scheduler.setTimesteps(Int(steps)!)
      #expect(scheduler.timesteps == expected, "\(steps) steps")
    }
    #expect(throws: MusicLDMError.self) { try scheduler.setTimesteps(0) }
    #expect(throws: MusicLDMError.self) { try scheduler.setTimesteps(1001) }
  }

  @Test("3- and 10-step sampling trajectories equal diffusers' within float32 rounding")
  func trajectories() throws {
    for trajectory in try reference().trajectories {
      var scheduler = try scheduler()
      try scheduler.setTimesteps(trajectory.steps)
      var latents = trajectory.initial
      for (index, timestep) in scheduler.timesteps.enumerated() {
        let epsilon = latents.map { Float(tanh(Double($0) * 0.7 + Double(timestep) / 1000)) }
        latents = scheduler.step(modelOutput: epsilon, timestep: timestep, sample: latents).previous
        let expected = trajectory.afterEachStep[index]
        // float32 arithmetic in a different association order than PyTorch's tensor ops, and tanh from
        // Double here: relative 1e-5 plus 1e-6 absolute covers the rounding (observed ≈ 1e-7).
        for (a, e) in zip(latents, expected) {
          #expect(abs(a - e) <= 1e-5 * abs(e) + 1e-6, "step \(index): \(a) vs \(e)")
        }
        latents = expected  // compare each step from the reference state, so errors do not compound
      }
    }
  }

  @Test("guidance combines the branches as ε_u + g(ε_c − ε_u)")
  func guidance() {
    #expect(DDIMScheduler.guided(unconditional: [1, 2], conditional: [3, 0], scale: 2) == [5, -2])
  }

  @Test("unsupported or malformed configurations are typed errors naming the key or file")
  func badConfiguration() throws {
    var configuration = DDIMSchedulerConfiguration.musicLDM
    configuration.betaSchedule = "squaredcos_cap_v2"
    let error = #expect(throws: MusicLDMError.self) { try DDIMScheduler(configuration: configuration) }
    #expect("\(error!)".contains("beta_schedule"))
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).json")
    try Data("{ not json".utf8).write(to: url)
    let decodeError = #expect(throws: MusicLDMError.self) { try DDIMSchedulerConfiguration.load(from: url) }
    #expect("\(decodeError!)".contains(url.lastPathComponent))
  }
}
