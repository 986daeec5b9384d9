// `make bench` (run.sh): Resonance's unpacked product tiles (CTensorKernels' tensor_gemm_nn) against OpenBLAS's
// cblas_sgemm, packing included, on one thread, at the shapes the MusicLDM UNet runs (m × n × k of `C = A·B`,
// row-major): Winograd products (a weight transform times a block of tiles), im2col's product on the deepest
// level, attention's two products, a linear layer. Each shape is 16 stacked products (as Winograd's 16
// matrices), timed as the best of 7 rounds. Prints a table and writes JSON to argv[1].
//
// The tiles run at the widest level the CPU has (2: AVX-512F, 1: AVX2 + FMA); TILE_LEVEL=1 picks the AVX2 tiles
// on an AVX-512 CPU. To compare them with what an AVX2-only CPU's OpenBLAS runs, set OPENBLAS_CORETYPE=Haswell
// for that run as well (the JSON records both the level and OpenBLAS's core).
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "CTensorKernels.h"

void openblas_set_num_threads(int);
char *openblas_get_corename(void);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void cpu_model(char *out, size_t size) {
  snprintf(out, size, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) == 0) {
      char *value = strchr(line, ':');
      if (value) {
        value += 2;
        value[strcspn(value, "\n")] = 0;
        snprintf(out, size, "%s", value);
      }
      break;
    }
  }
  fclose(f);
}

int main(int argc, char **argv) {
  const char *json = argc > 1 ? argv[1] : "bench-product-tiles.json";
  char model[256];
  cpu_model(model, sizeof model);
  int level = tensor_kernels_level();
  const char *requested = getenv("TILE_LEVEL");
  if (requested && atoi(requested) >= 1 && atoi(requested) < level) level = atoi(requested);
  if (level < 1) {
    printf("bench-product-tiles: this CPU lacks AVX2 and FMA; the tiles do not run here (OpenBLAS does)\n");
    FILE *f = fopen(json, "w");
    if (f) fprintf(f, "{\"cpuModel\": \"%s\", \"skipped\": \"no AVX2 and FMA\"}\n", model), fclose(f);
    return 0;
  }
  openblas_set_num_threads(1);
  const struct { int m, n, k; const char *what; } shapes[] = {
      {640, 32, 640, "F(2x2) product, 640-channel level"},
      {384, 64, 384, "F(2x2) product, 384-channel level"},
      {256, 128, 256, "F(2x2)/F(4x4) product, 256-channel level"},
      {128, 252, 128, "F(4x4) product, 128-channel level"},
      {640, 64, 5760, "im2col product, deepest level"},
      {131, 32, 1000, "attention scores x values"},
      {131, 1000, 32, "attention queries x keys (stays on OpenBLAS)"},
      {256, 1000, 256, "1x1 convolution"},
  };
  const int count = sizeof shapes / sizeof shapes[0], stacked = 16;
  FILE *out = fopen(json, "w");
  if (!out) {
    fprintf(stderr, "bench-product-tiles: cannot write %s\n", json);
    return 1;
  }
  fprintf(out,
          "{\"cpuModel\": \"%s\", \"openBLASCore\": \"%s\", \"tileLevel\": %d, \"threads\": 1, \"stacked\": %d, "
          "\"shapes\": [\n",
          model, openblas_get_corename(), level, stacked);
  printf("CPU %s, OpenBLAS core %s, tiles at level %d (%s), one thread, %d stacked products per shape\n", model,
         openblas_get_corename(), level, level == 2 ? "AVX-512F" : "AVX2 + FMA", stacked);
  for (int s = 0; s < count; s++) {
    long m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
    float *a = malloc(sizeof(float) * m * k * stacked), *b = malloc(sizeof(float) * k * n * stacked);
    float *c1 = malloc(sizeof(float) * m * n * stacked), *c2 = malloc(sizeof(float) * m * n * stacked);
    srand(7);
    for (long i = 0; i < m * k * stacked; i++) a[i] = rand() / (float)RAND_MAX - 0.5f;
    for (long i = 0; i < k * n * stacked; i++) b[i] = rand() / (float)RAND_MAX - 0.5f;
    double openblas = 1e9, tiles = 1e9;
    for (int round = 0; round < 7; round++) {
      double t = now();
      for (int r = 0; r < stacked; r++) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1, a + r * m * k, (int)k,
                    b + r * k * n, (int)n, 0, c1 + r * m * n, (int)n);
      }
      t = now() - t;
      if (t < openblas) openblas = t;
      t = now();
      for (int r = 0; r < stacked; r++) tensor_gemm_nn(level, m, n, k, a + r * m * k, k, b + r * k * n, n, c2 + r * m * n, n, 0);
      t = now() - t;
      if (t < tiles) tiles = t;
    }
    double largest = 0, difference = 0;
    for (long i = 0; i < m * n * stacked; i++) {
      if (fabs(c1[i]) > largest) largest = fabs(c1[i]);
      if (fabs(c1[i] - c2[i]) > difference) difference = fabs(c1[i] - c2[i]);
    }
    double flop = 2.0 * m * n * k * stacked;
    printf("%5ld x %4ld x %5ld  OpenBLAS %6.1f GFLOP/s  tiles %6.1f GFLOP/s  OpenBLAS/tiles time %.2f  "
           "max diff %.1e of %.1e  (%s)\n",
           m, n, k, flop / openblas * 1e-9, flop / tiles * 1e-9, openblas / tiles, difference, largest,
           shapes[s].what);
    fprintf(out,
            "  {\"m\": %ld, \"n\": %ld, \"k\": %ld, \"what\": \"%s\", \"openBLASGFLOPs\": %.2f, \"tilesGFLOPs\": %.2f, "
            "\"speedup\": %.3f, \"maxDifference\": %.3g, \"largestMagnitude\": %.3g}%s\n",
            m, n, k, shapes[s].what, flop / openblas * 1e-9, flop / tiles * 1e-9, openblas / tiles, difference, largest,
            s + 1 < count ? "," : "");
    free(a), free(b), free(c1), free(c2);
  }
  fprintf(out, "]}\n");
  fclose(out);
  return 0;
}
