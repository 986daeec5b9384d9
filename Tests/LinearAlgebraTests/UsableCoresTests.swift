import Foundation
import Testing

@testable import LinearAlgebra

@Suite("usable cores: affinity and cgroup CPU quota")
struct UsableCoresTests {
  @Test(
    "cgroup v2 cpu.max texts",
    arguments: [
      ("max 100000\n", 0.0), ("200000 100000\n", 2.0), ("150000 100000", 1.5), ("50000 100000", 0.5),
    ])
  func cgroup2(text: String, limit: Double) {
    #expect(UsableCores.cgroup2Limit(cpuMax: text) == limit)
  }

  @Test("malformed cpu.max texts are not limits", arguments: ["", "max", "abc 100000", "100000 0", "-5 100000"])
  func cgroup2Malformed(text: String) {
    #expect(UsableCores.cgroup2Limit(cpuMax: text) == nil)
  }

  @Test("cgroup v1 quota and period texts")
  func cgroup1() {
    #expect(UsableCores.cgroup1Limit(quota: "-1\n", period: "100000\n") == 0)
    #expect(UsableCores.cgroup1Limit(quota: "250000\n", period: "100000\n") == 2.5)
    #expect(UsableCores.cgroup1Limit(quota: "x", period: "100000") == nil)
    #expect(UsableCores.cgroup1Limit(quota: "50000", period: "0") == nil)
  }

  @Test(
    "usable cores are the affinity mask limited by the quota, rounded up",
    arguments: [(16, 0.0, 16), (16, 2.0, 2), (16, 1.5, 2), (2, 4.0, 2), (4, 0.2, 1), (0, 0.0, 1), (8, 3.0000001, 4)])
  func rule(affinity: Int, limit: Double, usable: Int) {
    #expect(UsableCores.usable(affinity: affinity, cpuLimit: limit) == usable)
  }

  @Test("a cgroup v2 hierarchy: the tightest quota of the group and its ancestors")
  func hierarchy2() throws {
    let root = try FakeSystem()
    try root.write("proc/self/cgroup", "0::/user.slice/app.scope\n")
    try root.write(
      "proc/self/mountinfo",
      """
      22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
      31 23 0:28 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate

      """)
    try root.write("sys/fs/cgroup/cpu.max", "max 100000\n")
    try root.write("sys/fs/cgroup/user.slice/cpu.max", "300000 100000\n")
    try root.write("sys/fs/cgroup/user.slice/app.scope/cpu.max", "max 100000\n")
    #expect(UsableCores.cgroupLimit(root: root.path) == 3)
    try root.write("sys/fs/cgroup/user.slice/app.scope/cpu.max", "150000 100000\n")
    #expect(UsableCores.cgroupLimit(root: root.path) == 1.5)
  }

  @Test("a container's cgroup v1 cpu controller mounted at its own group, next to an unlimited v2 tree")
  func hierarchy1() throws {
    let root = try FakeSystem()
    try root.write("proc/self/cgroup", "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n")
    try root.write(
      "proc/self/mountinfo",
      """
      40 31 0:37 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct
      41 31 0:38 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
      42 31 0:39 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw

      """)
    try root.write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "250000\n")
    try root.write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n")
    try root.write("sys/fs/cgroup/memory/cpu.cfs_quota_us", "10000\n")  // not the cpu controller: ignored
    try root.write("sys/fs/cgroup/memory/cpu.cfs_period_us", "100000\n")
    try root.write("sys/fs/cgroup/unified/cpu.max", "max 100000\n")
    #expect(UsableCores.cgroupLimit(root: root.path) == 2.5)
    #expect(UsableCores.usable(affinity: 16, cpuLimit: UsableCores.cgroupLimit(root: root.path)) == 3)
  }

  @Test("no cgroup files: no limit")
  func missingFiles() throws {
    let root = try FakeSystem()
    #expect(UsableCores.cgroupLimit(root: root.path) == 0)
    try root.write("proc/self/cgroup", "0::/\n")
    try root.write("proc/self/mountinfo", "31 23 0:28 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
    #expect(UsableCores.cgroupLimit(root: root.path) == 0)
  }

  @Test("this process's core count follows its affinity mask and quota")
  func thisProcess() {
    let expected = UsableCores.usable(affinity: UsableCores.affinity, cpuLimit: UsableCores.cgroupLimit(root: ""))
    #expect(BLASRuntime.coreCount == expected)
    #expect(BLASRuntime.coreCount >= 1 && BLASRuntime.coreCount <= UsableCores.affinity)
    #expect(BLASRuntime.versionDescription.contains("cores: \(BLASRuntime.coreCount) usable"))
  }
}

/// A temporary directory standing for `/`, removed when the value is released.
private final class FakeSystem {
  let path: String

  init() throws {
    path = FileManager.default.temporaryDirectory.appendingPathComponent("fake-root-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  func write(_ relative: String, _ text: String) throws {
    let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }
}
