internal import CBLASRuntime
import Dispatch
import Foundation
import Synchronization

/// The threads behind ``ParallelMap/forEach(count:_:)``: one per usable core but the caller's, kept spinning for a
/// short while after each loop so that the next loop starts on them at once.
///
/// Why not `DispatchQueue.concurrentPerform` alone: a model's forward pass is hundreds of short parallel loops
/// (a UNet step about 550, most under a millisecond), and Dispatch parks its threads between them; waking a
/// parked thread took 40–50 µs on average on the 2-vCPU reference machine (a halted virtual CPU is woken by an
/// interrupt), about 2.5 % of a step, during which the other core idles. Here a worker that finishes spins
/// for up to ``spinLimit`` (as OpenMP runtimes do) before it parks on a condition, and the caller runs items
/// itself, so a loop costs one atomic store to start when the workers are awake.
///
/// One loop runs on the workers at a time. A loop started from inside another loop's item runs its items in
/// order on the calling thread (the outer loop already occupies every core; spreading the inner one over more
/// threads would only oversubscribe them), and a loop started from another thread while the workers are busy,
/// as concurrent tests do, runs on `concurrentPerform`. Both give the same results: items are indices, each run
/// exactly once, and write disjoint memory.
final class SpinningWorkers: @unchecked Sendable {
  /// The process's workers: ``BLASRuntime/coreCount`` − 1 threads, started at first use; none when the
  /// environment sets `RESONANCE_SPINNING_WORKERS=off` (every loop then runs on `concurrentPerform`).
  static let shared = SpinningWorkers(
    threads: ProcessInfo.processInfo.environment["RESONANCE_SPINNING_WORKERS"] == "off" ? 0 : BLASRuntime.coreCount - 1)

  /// How long an idle worker spins before it parks.
  static let spinLimit: Duration = .microseconds(200)

  /// A loop in progress: the items and the body. Its address is what the workers see.
  private final class Loop {
    let count: Int
    let body: (Int) -> Void
    init(count: Int, body: @escaping (Int) -> Void) { (self.count, self.body) = (count, body) }
  }

  let threads: Int
  /// Set while a caller owns the workers.
  private let owned = Atomic<Bool>(false)
  /// The owning caller's thread (`pthread_self` bits) while ``owned``, else 0.
  private let ownerThread = Atomic<UInt>(0)
  /// Set (non-NULL) on the workers' own threads.
  private static let workerKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
    return key
  }()
  /// The loop's generation (high 32 bits) and its next unclaimed item (low 32 bits): a worker claims an item by a
  /// compare-and-swap that also checks the generation, so it never claims an item of a later loop.
  private let claims = Atomic<UInt64>(0)
  /// The current loop's address (`Unmanaged` bits), stored before the loop is opened.
  private let loopAddress = Atomic<UInt>(0)
  /// The threads inside the current loop (the caller and the workers that joined it), or ``closed`` once the
  /// caller has seen every one leave: a worker joins only an open loop, so the caller frees a loop only when no
  /// worker can still reach it.
  private let members = Atomic<Int>(SpinningWorkers.closed)
  private static let closed = Int.min
  /// Workers parked on ``wakeUp``.
  private let parked = Atomic<Int>(0)
  private let wakeUp = NSCondition()

  private init(threads: Int) {
    self.threads = Swift.max(0, threads)
    let key = Self.workerKey
    for index in 0..<self.threads {
      let thread = Thread { [unowned self] in
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        self.work()
      }
      thread.name = "resonance.worker.\(index + 1)"
      thread.start()
    }
  }

  /// The calling thread's identity (`pthread_self` bits).
  private static var currentThread: UInt { UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))) }

  /// Whether the calling thread is running an item of a loop on the workers (it is a worker, which runs nothing
  /// else, or the loop's caller).
  var isInsideLoop: Bool {
    pthread_getspecific(Self.workerKey) != nil
      || (owned.load(ordering: .acquiring) && ownerThread.load(ordering: .acquiring) == Self.currentThread)
  }

  /// Runs `body(index)` for every index of `0..<count` on the workers and the calling thread; returns false
  /// (running nothing) when the workers are busy with another loop.
  func run(count: Int, _ body: (Int) -> Void) -> Bool {
    guard threads > 0, count < Int(UInt32.max),
      owned.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    else { return false }
    ownerThread.store(Self.currentThread, ordering: .releasing)
    defer {
      ownerThread.store(0, ordering: .releasing)
      owned.store(false, ordering: .releasing)
    }
    return withoutActuallyEscaping(body) { body in
      let loop = Loop(count: count, body: body)
      // Publish the loop, open it (the caller is its first member), then start its generation.
      loopAddress.store(UInt(bitPattern: Unmanaged.passUnretained(loop).toOpaque()), ordering: .relaxed)
      members.store(1, ordering: .releasing)
      // Generations run 1 ... 2³² − 1 and wrap to 1 (0 is the workers' "none seen yet").
      let previous = claims.load(ordering: .relaxed) >> 32
      let generation: UInt64 = previous == 0xffff_ffff ? 1 : previous + 1
      claims.store(generation << 32, ordering: .sequentiallyConsistent)
      if parked.load(ordering: .sequentiallyConsistent) > 0 {
        wakeUp.lock()
        wakeUp.broadcast()
        wakeUp.unlock()
      }
      runItems(of: loop, generation: generation)
      members.subtract(1, ordering: .releasing)
      // Close the loop once the workers that joined it have left (their items are done).
      while !members.compareExchange(expected: 0, desired: Self.closed, ordering: .acquiringAndReleasing).exchanged {
        blas_spin_pause()
      }
      withExtendedLifetime(loop) {}
      return true
    }
  }

  /// Claims and runs items of `loop` (generation `generation`) until none is left.
  private func runItems(of loop: Loop, generation: UInt64) {
    var state = claims.load(ordering: .acquiring)
    while state >> 32 == generation && Int(state & 0xffff_ffff) < loop.count {
      let (exchanged, current) = claims.compareExchange(
        expected: state, desired: state + 1, ordering: .acquiringAndReleasing)
      if exchanged {
        loop.body(Int(state & 0xffff_ffff))
        state += 1
      } else {
        state = current
      }
    }
  }

  /// Joins the open loop, if any: true when the caller may use ``loopAddress`` until it leaves.
  private func join() -> Bool {
    var current = members.load(ordering: .relaxed)
    while current != Self.closed {
      let (exchanged, seen) = members.compareExchange(
        expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
      if exchanged { return true }
      current = seen
    }
    return false
  }

  /// A worker's life: wait for a new generation (spinning, then parked), join its loop, run items, repeat.
  private func work() {
    var seen: UInt64 = 0
    let clock = ContinuousClock()
    while true {
      var state = claims.load(ordering: .acquiring)
      if state >> 32 == seen {
        let deadline = clock.now.advanced(by: Self.spinLimit)
        var spins = 0
        while state >> 32 == seen {
          blas_spin_pause()
          spins += 1
          if spins % 64 == 0 && clock.now >= deadline {
            wakeUp.lock()
            parked.add(1, ordering: .sequentiallyConsistent)
            while claims.load(ordering: .sequentiallyConsistent) >> 32 == seen { wakeUp.wait() }
            parked.subtract(1, ordering: .sequentiallyConsistent)
            wakeUp.unlock()
          }
          state = claims.load(ordering: .acquiring)
        }
      }
      seen = state >> 32
      guard join() else { continue }
      // Inside an open loop its address is valid. It may be a later loop than generation `seen`; then every
      // claim fails on the generation, and the worker leaves and waits for the next one.
      // The loop is borrowed without a retain: the caller releases it once the worker has left, and a release
      // here could otherwise be sunk past the leaving.
      if let pointer = UnsafeRawPointer(bitPattern: loopAddress.load(ordering: .acquiring)) {
        Unmanaged<Loop>.fromOpaque(pointer)._withUnsafeGuaranteedRef { runItems(of: $0, generation: seen) }
      }
      members.subtract(1, ordering: .releasing)
    }
  }
}
