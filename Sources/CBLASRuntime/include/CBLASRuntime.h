// OpenBLAS's kernel and thread count, chosen when the program loads (imported by LinearAlgebra only).
//
// OpenBLAS built with DYNAMIC_ARCH picks its CPU kernel when the library loads. Debian 12's 0.3.21 does not know
// CPUs newer than itself and can fall back to its SSE3 "Prescott" kernel on a CPU with AVX-512 (3-6x slower
// GEMM). A constructor in this module runs once, after OpenBLAS has initialised and before `main`: when the
// user has not set OPENBLAS_CORETYPE (set, even empty, it always wins) and OpenBLAS's kernel is of a lower
// instruction-set tier than the CPU supports, it switches OpenBLAS to the table's kernel through OpenBLAS's own
// dynamic-arch entry points (gotoblas_dynamic_quit / gotoblas_dynamic_init), runs a self-check of small
// SGEMM/SGEMV/SSYRK and DGEMM/DGEMV/DSYRK problems against plain loops, and switches back with a one-line
// notice on stderr when the check fails. The outcome is kept in a `blas_kernel_choice`. The same constructor
// lowers OpenBLAS's thread count (which follows the affinity mask only) to the cores the process may use,
// counting its cgroup CPU quota, unless OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS or OMP_NUM_THREADS is set.
#ifndef CBLASRUNTIME_H
#define CBLASRUNTIME_H

/// CPU features the kernel table reads; a feature counts only when the OS also saves its registers (XGETBV).
enum {
  /// AVX, with the OS saving YMM state.
  BLAS_CPU_AVX = 1 << 0,
  /// AVX2 (CPUID.7.0:EBX[5]).
  BLAS_CPU_AVX2 = 1 << 1,
  /// FMA3 (CPUID.1:ECX[12]).
  BLAS_CPU_FMA = 1 << 2,
  /// AVX-512 Foundation, with the OS saving opmask and ZMM state.
  BLAS_CPU_AVX512F = 1 << 3,
  /// AVX-512 DQ.
  BLAS_CPU_AVX512DQ = 1 << 4,
  /// AVX-512 BW.
  BLAS_CPU_AVX512BW = 1 << 5,
  /// AVX-512 VL.
  BLAS_CPU_AVX512VL = 1 << 6,
  /// AVX-512 CD.
  BLAS_CPU_AVX512CD = 1 << 7,
  /// AVX-512 BF16 (CPUID.7.1:EAX[5]).
  BLAS_CPU_AVX512BF16 = 1 << 8,
};

/// The features of the CPU this process runs on (0 on other architectures).
unsigned blas_cpu_features(void);

/// The OpenBLAS kernel the feature table prefers for `features`, or NULL when no kernel beyond the SSE3 baseline
/// fits: "Cooperlake" (AVX-512 F/DQ/BW/VL/CD + BF16), "SkylakeX" (AVX-512 F/DQ/BW/VL/CD), "Haswell" (AVX2 + FMA),
/// "Sandybridge" (AVX). This mirrors OpenBLAS's own order for CPUs it does not know by model.
const char *blas_preferred_kernel(unsigned features);

/// The instruction-set tier of an OpenBLAS kernel name: 0 SSE (Prescott, Nehalem, Core2, ...), 1 AVX
/// (Sandybridge, Bulldozer, Piledriver, Steamroller), 2 AVX2 (Haswell, Zen, Excavator), 3 AVX-512 (SkylakeX),
/// 4 AVX-512 BF16 (Cooperlake); -1 for a name this table does not know (such a kernel is never replaced).
int blas_kernel_tier(const char *name);

/// Outcome of the self-check.
enum {
  BLAS_SELF_CHECK_NOT_RUN = 0,
  BLAS_SELF_CHECK_PASSED = 1,
  BLAS_SELF_CHECK_FAILED = 2,
};

/// What to do, decided from the inputs only (no side effects): `switch_to` is the kernel to switch to, or empty
/// to keep OpenBLAS's; `reason` says why in one sentence.
typedef struct {
  char switch_to[32];
  char reason[224];
} blas_kernel_decision;

/// Decides whether to replace OpenBLAS's kernel. `user_coretype` is the user's OPENBLAS_CORETYPE (NULL when
/// unset; any non-NULL value, even "", wins), `detected` the kernel OpenBLAS chose, `features` the CPU's.
blas_kernel_decision blas_decide_kernel(const char *user_coretype, const char *detected, unsigned features);

/// The kernel in use and how it came to be chosen.
typedef struct {
  /// The kernel OpenBLAS runs now (openblas_get_corename).
  char kernel[32];
  /// The kernel OpenBLAS chose by itself when the library loaded (or the simulated one, see below).
  char detected[48];
  /// One sentence: why `kernel` runs.
  char reason[400];
  /// BLAS_SELF_CHECK_*.
  int self_check;
} blas_kernel_choice;

/// The choice made when the process started (a copy).
blas_kernel_choice blas_kernel_choice_current(void);

/// Runs the selection and records its outcome as the current choice. The start-up constructor calls it with
/// getenv("OPENBLAS_CORETYPE") and the test hooks read from RESONANCE_BLAS_SIMULATE_KERNEL and
/// RESONANCE_BLAS_SIMULATE_SELF_CHECK_FAILURE.
///
/// `user_coretype`: the user's OPENBLAS_CORETYPE (NULL when unset); when not NULL nothing is switched.
/// `simulate_detected`: when not NULL and `user_coretype` is NULL, OpenBLAS is first switched to this kernel (it
/// must be of a tier the CPU supports), as if OpenBLAS had chosen it: the fallback path can be exercised on a CPU
/// OpenBLAS recognises. `fail_self_check`: when non-zero, the self-check's first SGEMM result is perturbed before
/// the comparison, so the check fails and the fallback path runs.
///
/// Switching kernels is only safe while no other thread runs BLAS: call it before any BLAS work (the constructor
/// does), or in a process of its own (tests use exit tests).
blas_kernel_choice blas_select_kernel(const char *user_coretype, const char *simulate_detected, int fail_self_check);

/// Runs the self-check on the current kernel; 1 when every result matches the reference loops. When it fails
/// and `failure` is not NULL, a short description of the first mismatch is written there.
int blas_self_check(int perturb, char *failure, unsigned long failure_size);

// MARK: usable cores

/// The CPUs in this process's affinity mask (sched_getaffinity), at least 1.
int blas_affinity_core_count(void);

/// The CPU limit of a cgroup v2 `cpu.max` text ("QUOTA PERIOD" → QUOTA / PERIOD CPUs; "max PERIOD" → 0, no
/// limit); -1 when the text is not of that form.
double blas_parse_cgroup2_cpu_max(const char *text);

/// The CPU limit of cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` texts (quota −1 → 0, no limit); -1 when
/// either is not a number.
double blas_parse_cgroup1_cpu_quota(const char *quota, const char *period);

/// The tightest CPU limit of this process's cgroups and their ancestors, in CPUs (0: none), read from
/// `root`/proc/self/cgroup, `root`/proc/self/mountinfo and the cgroup files below the mount points they name
/// (`root` is "" for the real system; tests pass a directory holding a fake one).
double blas_cgroup_cpu_limit(const char *root);

/// min(affinity, ⌈cpu_limit⌉), at least 1; a `cpu_limit` ≤ 0 means no limit.
int blas_usable_core_count(int affinity, double cpu_limit);

/// The cores counted when the program loaded.
typedef struct {
  /// min(affinity, ⌈cpu_limit⌉).
  int usable;
  /// CPUs in the affinity mask.
  int affinity;
  /// The cgroup CPU quota in CPUs, 0 when there is none.
  double cpu_limit;
  /// 1 when OpenBLAS's thread count was lowered to `usable`.
  int lowered_openblas_threads;
} blas_core_budget;

/// The cores counted when the program loaded (a copy).
blas_core_budget blas_core_budget_at_start(void);


/// One spin-wait hint to the CPU (`pause` on x86-64, `yield` on AArch64, nothing elsewhere), for the loops that
/// wait a few microseconds for another core.
void blas_spin_pause(void);

#endif
