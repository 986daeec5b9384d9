// The kernel selection of CBLASRuntime.h (Startup.c calls it once, before `main`).
//
// The switch uses OpenBLAS's dynamic-arch entry points: gotoblas_dynamic_quit() forgets the kernel table,
// gotoblas_dynamic_init() picks one again, reading OPENBLAS_CORETYPE. The variable is set only for that call and
// removed again (it is only ever set when the user had not set it), so child processes see the user's
// environment. Both entry points are looked up with dlsym: an OpenBLAS without them (a build without
// DYNAMIC_ARCH) keeps its kernel. Buffers (a fixed size in DYNAMIC_ARCH builds) and the thread pool do not depend
// on the kernel, and a kernel table is only read during a BLAS call, so switching while no BLAS call runs is safe.
#define _GNU_SOURCE
#include "CBLASRuntime.h"

#include <cblas.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static blas_kernel_choice current_choice;

blas_kernel_choice blas_kernel_choice_current(void) { return current_choice; }

static void copy_text(char *destination, size_t size, const char *text) {
  snprintf(destination, size, "%s", text != NULL ? text : "unknown");
}

static void current_kernel(char *destination, size_t size) { copy_text(destination, size, openblas_get_corename()); }

typedef void (*entry_point)(void);

/// Makes OpenBLAS pick `name` as if OPENBLAS_CORETYPE had been set at start-up. Returns 0 when this OpenBLAS has
/// no dynamic-arch entry points.
static int switch_kernel(const char *name) {
  entry_point quit = (entry_point)dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
  entry_point init = (entry_point)dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
  if (quit == NULL || init == NULL) return 0;
  quit();
  setenv("OPENBLAS_CORETYPE", name, 1);
  init();
  unsetenv("OPENBLAS_CORETYPE");
  return 1;
}

static int can_switch(void) {
  return dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit") != NULL && dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init") != NULL;
}

blas_kernel_choice blas_select_kernel(const char *user, const char *simulate_detected, int fail_self_check) {
  blas_kernel_choice choice;
  memset(&choice, 0, sizeof choice);
  unsigned features = blas_cpu_features();
  char detected[32], note[80] = "";
  int simulated = 0;
  current_kernel(detected, sizeof detected);

  if (simulate_detected != NULL && user == NULL) {
    const char *preferred = blas_preferred_kernel(features);
    int tier = blas_kernel_tier(simulate_detected);
    if (tier < 0 || tier > (preferred ? blas_kernel_tier(preferred) : 0)) {
      snprintf(note, sizeof note, " (simulating %s ignored: not a kernel this CPU runs)", simulate_detected);
    } else if (!switch_kernel(simulate_detected)) {
      snprintf(note, sizeof note, " (simulating %s ignored: no dynamic-arch switch)", simulate_detected);
    } else {
      current_kernel(detected, sizeof detected);
      simulated = 1;
      snprintf(note, sizeof note, " (OpenBLAS's choice simulated by the test hook)");
    }
  }
  snprintf(choice.detected, sizeof choice.detected, "%s%s", detected, simulated ? " (simulated)" : "");

  blas_kernel_decision decision = blas_decide_kernel(user, detected, features);
  char failure[128] = "";
  if (decision.switch_to[0] == '\0' || !can_switch()) {
    // OpenBLAS's own choice stays; the check still runs so that a wrong kernel is at least reported.
    choice.self_check = blas_self_check(0, failure, sizeof failure) ? BLAS_SELF_CHECK_PASSED : BLAS_SELF_CHECK_FAILED;
    snprintf(choice.reason, sizeof choice.reason, "%s%s%s", decision.reason,
             decision.switch_to[0] == '\0' ? "" : ", but this OpenBLAS has no dynamic-arch switch", note);
    if (choice.self_check == BLAS_SELF_CHECK_FAILED) {
      fprintf(stderr, "Resonance: OpenBLAS kernel %s failed the start-up self-check (%s); results may be wrong\n",
              detected, failure);
    }
  } else {
    switch_kernel(decision.switch_to);
    char switched[32];
    current_kernel(switched, sizeof switched);
    if (blas_self_check(fail_self_check, failure, sizeof failure)) {
      choice.self_check = BLAS_SELF_CHECK_PASSED;
      snprintf(choice.reason, sizeof choice.reason, "%s after self-check%s", decision.reason, note);
    } else {
      switch_kernel(detected);
      choice.self_check = BLAS_SELF_CHECK_FAILED;
      snprintf(choice.reason, sizeof choice.reason, "OpenBLAS chose %s; %s failed the self-check (%s) → %s kept%s",
               detected, switched, failure, detected, note);
      fprintf(stderr, "Resonance: OpenBLAS kernel %s failed the start-up self-check (%s); using %s instead\n",
              switched, failure, detected);
    }
  }
  current_kernel(choice.kernel, sizeof choice.kernel);
  current_choice = choice;
  return choice;
}
