// The CPU feature reader and the feature → kernel table of CBLASRuntime.h (no OpenBLAS calls here).
#include "CBLASRuntime.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
  unsigned int eax, edx;
  __asm__ __volatile__(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}

unsigned blas_cpu_features(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
  if (!osxsave || !avx) return 0;
  unsigned long long xcr0 = read_xcr0();
  if ((xcr0 & 0x6) != 0x6) return 0;  // the OS does not save YMM state: no AVX at all
  unsigned features = BLAS_CPU_AVX;
  if (fma) features |= BLAS_CPU_FMA;
  if (__get_cpuid_max(0, NULL) < 7) return features;
  unsigned int max_subleaf, ebx7, ecx7, edx7;
  __cpuid_count(7, 0, max_subleaf, ebx7, ecx7, edx7);
  if ((ebx7 >> 5) & 1) features |= BLAS_CPU_AVX2;
  if ((xcr0 & 0xe0) == 0xe0) {  // opmask, upper ZMM0-15 and ZMM16-31 saved by the OS
    if ((ebx7 >> 16) & 1) features |= BLAS_CPU_AVX512F;
    if ((ebx7 >> 17) & 1) features |= BLAS_CPU_AVX512DQ;
    if ((ebx7 >> 28) & 1) features |= BLAS_CPU_AVX512CD;
    if ((ebx7 >> 30) & 1) features |= BLAS_CPU_AVX512BW;
    if ((ebx7 >> 31) & 1) features |= BLAS_CPU_AVX512VL;
    if (max_subleaf >= 1) {
      unsigned int eax71, ebx71, ecx71, edx71;
      __cpuid_count(7, 1, eax71, ebx71, ecx71, edx71);
      if ((eax71 >> 5) & 1) features |= BLAS_CPU_AVX512BF16;
    }
  }
  return features;
}
#else
unsigned blas_cpu_features(void) { return 0; }
#endif

static int has_all(unsigned features, unsigned wanted) { return (features & wanted) == wanted; }

const char *blas_preferred_kernel(unsigned features) {
  const unsigned avx2 = BLAS_CPU_AVX | BLAS_CPU_AVX2 | BLAS_CPU_FMA;
  const unsigned avx512 = avx2 | BLAS_CPU_AVX512F | BLAS_CPU_AVX512DQ | BLAS_CPU_AVX512BW | BLAS_CPU_AVX512VL |
                          BLAS_CPU_AVX512CD;
  if (has_all(features, avx512 | BLAS_CPU_AVX512BF16)) return "Cooperlake";
  if (has_all(features, avx512)) return "SkylakeX";
  if (has_all(features, avx2)) return "Haswell";
  if (has_all(features, BLAS_CPU_AVX)) return "Sandybridge";
  return NULL;
}

/// The instruction set a tier's kernels need, for reasons ("AVX-512 BF16").
static const char *tier_description(int tier) {
  switch (tier) {
  case 4: return "AVX-512 BF16";
  case 3: return "AVX-512";
  case 2: return "AVX2 and FMA";
  case 1: return "AVX";
  default: return "SSE3 only";
  }
}

int blas_kernel_tier(const char *name) {
  static const struct {
    const char *name;
    int tier;
  } table[] = {
      {"Katmai", 0},      {"Coppermine", 0},  {"Northwood", 0},   {"Prescott", 0},    {"Banias", 0},
      {"Atom", 0},        {"Core2", 0},       {"Penryn", 0},      {"Dunnington", 0},  {"Nehalem", 0},
      {"Athlon", 0},      {"Opteron", 0},     {"Opteron_SSE3", 0}, {"Barcelona", 0},  {"Nano", 0},
      {"Bobcat", 0},      {"Sandybridge", 1}, {"Bulldozer", 1},   {"Piledriver", 1},  {"Haswell", 2},
      {"Zen", 2},         {"Steamroller", 1}, {"Excavator", 2},   {"SkylakeX", 3},    {"Cooperlake", 4},
  };
  if (name == NULL) return -1;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strcasecmp(name, table[i].name) == 0) return table[i].tier;
  }
  return -1;
}

blas_kernel_decision blas_decide_kernel(const char *user_coretype, const char *detected, unsigned features) {
  blas_kernel_decision decision;
  memset(&decision, 0, sizeof decision);
  const char *preferred = blas_preferred_kernel(features);
  int detected_tier = blas_kernel_tier(detected);
  int preferred_tier = preferred ? blas_kernel_tier(preferred) : 0;
  if (user_coretype != NULL) {
    snprintf(decision.reason, sizeof decision.reason, "user set OPENBLAS_CORETYPE=\"%s\"; OpenBLAS's %s is kept",
             user_coretype, detected);
  } else if (detected_tier < 0) {
    snprintf(decision.reason, sizeof decision.reason, "OpenBLAS chose %s, a kernel this table does not rank; kept",
             detected);
  } else if (preferred == NULL) {
    snprintf(decision.reason, sizeof decision.reason, "OpenBLAS chose %s; the CPU has no AVX, nothing better fits",
             detected);
  } else if (detected_tier >= preferred_tier) {
    snprintf(decision.reason, sizeof decision.reason, "OpenBLAS recognised the CPU (%s; CPU has %s)", detected,
             tier_description(preferred_tier));
  } else {
    snprintf(decision.switch_to, sizeof decision.switch_to, "%s", preferred);
    snprintf(decision.reason, sizeof decision.reason, "OpenBLAS chose %s; CPU has %s → %s", detected,
             tier_description(preferred_tier), preferred);
  }
  return decision;
}
