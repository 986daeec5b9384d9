// What CBLASRuntime does when the program loads: a constructor that runs once, after OpenBLAS's own constructor
// (a shared library a program links initialises before the program's objects do) and before `main`, so before any
// BLAS call of the program. It selects the kernel (KernelSelection.c) and limits OpenBLAS's thread count to the
// cores the process may use (UsableCores.c) unless the user chose a thread count.
#define _GNU_SOURCE
#include "CBLASRuntime.h"

#include <cblas.h>
#include <dlfcn.h>
#include <stdlib.h>

static blas_core_budget start_budget = {1, 1, 0, 0};

blas_core_budget blas_core_budget_at_start(void) { return start_budget; }

/// Whether the user set one of the variables OpenBLAS reads its thread count from.
static int user_set_threads(void) {
  return getenv("OPENBLAS_NUM_THREADS") != NULL || getenv("GOTO_NUM_THREADS") != NULL ||
         getenv("OMP_NUM_THREADS") != NULL;
}

__attribute__((constructor)) static void blas_runtime_start(void) {
  // OpenBLAS initialises itself in its own constructor, which runs first when it is a shared library. Were it
  // linked statically, constructor order would follow link order: make sure it is initialised (idempotent).
  void (*initialise)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_init");
  if (initialise != NULL) initialise();
  start_budget.affinity = blas_affinity_core_count();
  start_budget.cpu_limit = blas_cgroup_cpu_limit("");
  start_budget.usable = blas_usable_core_count(start_budget.affinity, start_budget.cpu_limit);
  if (!user_set_threads() && openblas_get_num_threads() > start_budget.usable) {
    openblas_set_num_threads(start_budget.usable);
    start_budget.lowered_openblas_threads = 1;
  }
  const char *failure = getenv("RESONANCE_BLAS_SIMULATE_SELF_CHECK_FAILURE");
  blas_select_kernel(getenv("OPENBLAS_CORETYPE"), getenv("RESONANCE_BLAS_SIMULATE_KERNEL"),
                     failure != NULL && failure[0] != '\0');
}
