// The cores this process may use (CBLASRuntime.h): the CPUs in its affinity mask, limited by the CPU quota of its
// control groups (cgroup v2 `cpu.max`, cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`, the smallest over the
// process's group and its ancestors), rounded up to whole cores.
#define _GNU_SOURCE
#include "CBLASRuntime.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int blas_affinity_core_count(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0) return count;
  }
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? (int)online : 1;
}

double blas_parse_cgroup2_cpu_max(const char *text) {
  if (text == NULL) return -1;
  char quota[32];
  long long period = 0;
  if (sscanf(text, "%31s %lld", quota, &period) != 2 || period <= 0) return -1;
  if (strcmp(quota, "max") == 0) return 0;
  char *end;
  long long value = strtoll(quota, &end, 10);
  if (*end != '\0' || value <= 0) return -1;
  return (double)value / (double)period;
}

double blas_parse_cgroup1_cpu_quota(const char *quota, const char *period) {
  if (quota == NULL || period == NULL) return -1;
  long long q = 0, p = 0;
  if (sscanf(quota, "%lld", &q) != 1 || sscanf(period, "%lld", &p) != 1) return -1;
  if (q < 0) return 0;  // -1: no quota
  if (q == 0 || p <= 0) return -1;
  return (double)q / (double)p;
}

/// Reads a small text file whole (at most `size` − 1 bytes); 0 when it cannot be read.
static int read_text(const char *path, char *buffer, size_t size) {
  FILE *file = fopen(path, "r");
  if (file == NULL) return 0;
  size_t count = fread(buffer, 1, size - 1, file);
  fclose(file);
  buffer[count] = '\0';
  return 1;
}

/// The smaller of two limits in CPUs, where 0 means "no limit".
static double tighter(double a, double b) {
  if (a <= 0) return b > 0 ? b : 0;
  if (b <= 0) return a;
  return a < b ? a : b;
}

/// The tightest quota in `directory` and its parents down to `base` (both under the same mount).
static double walk_limits(const char *base, char *directory, int version2) {
  double limit = 0;
  size_t base_length = strlen(base);
  char path[4096], text[128], period[128];
  for (;;) {
    if (version2) {
      snprintf(path, sizeof path, "%s/cpu.max", directory);
      if (read_text(path, text, sizeof text)) limit = tighter(limit, blas_parse_cgroup2_cpu_max(text));
    } else {
      snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", directory);
      int have_quota = read_text(path, text, sizeof text);
      snprintf(path, sizeof path, "%s/cpu.cfs_period_us", directory);
      if (have_quota && read_text(path, period, sizeof period)) {
        limit = tighter(limit, blas_parse_cgroup1_cpu_quota(text, period));
      }
    }
    char *slash = strrchr(directory, '/');
    if (slash == NULL || (size_t)(slash - directory) < base_length) break;
    *slash = '\0';
  }
  return limit;
}

/// Whether the comma-separated `list` contains `item`.
static int list_contains(const char *list, const char *item) {
  size_t length = strlen(item);
  for (const char *p = list; p != NULL && *p != '\0';) {
    const char *comma = strchr(p, ',');
    size_t field = comma ? (size_t)(comma - p) : strlen(p);
    if (field == length && strncmp(p, item, length) == 0) return 1;
    p = comma ? comma + 1 : NULL;
  }
  return 0;
}

double blas_cgroup_cpu_limit(const char *root) {
  if (root == NULL) root = "";
  char path[4096];
  size_t cgroup_size = 16384, mounts_size = 1 << 20;
  char *cgroups = malloc(cgroup_size), *mounts = malloc(mounts_size);
  double limit = 0;
  snprintf(path, sizeof path, "%s/proc/self/cgroup", root);
  if (cgroups == NULL || mounts == NULL || !read_text(path, cgroups, cgroup_size)) goto done;
  snprintf(path, sizeof path, "%s/proc/self/mountinfo", root);
  if (!read_text(path, mounts, mounts_size)) goto done;

  // Each mountinfo line: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPEROPTIONS.
  char *save = NULL;
  for (char *line = strtok_r(mounts, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char mount_root[1024], mount_point[1024], fstype[64], super[1024];
    char *separator = strstr(line, " - ");
    if (separator == NULL) continue;
    if (sscanf(line, "%*s %*s %*s %1023s %1023s", mount_root, mount_point) != 2) continue;
    if (sscanf(separator + 3, "%63s %*s %1023s", fstype, super) != 2) continue;
    int version2 = strcmp(fstype, "cgroup2") == 0;
    if (!version2 && !(strcmp(fstype, "cgroup") == 0 && list_contains(super, "cpu"))) continue;

    // The process's group in this hierarchy: "0::PATH" (v2) or "N:CONTROLLERS:PATH" with "cpu" among them (v1).
    char group[1024] = "";
    const char *cursor = cgroups;
    while (cursor != NULL && *cursor != '\0') {
      const char *end = strchr(cursor, '\n');
      size_t length = end ? (size_t)(end - cursor) : strlen(cursor);
      char entry[1200];
      snprintf(entry, sizeof entry, "%.*s", (int)(length < sizeof entry - 1 ? length : sizeof entry - 1), cursor);
      char *first = strchr(entry, ':'), *second = first ? strchr(first + 1, ':') : NULL;
      if (second != NULL) {
        *second = '\0';
        const char *controllers = first + 1, *group_path = second + 1;
        if (version2 ? (strncmp(entry, "0:", 2) == 0 && *controllers == '\0') : list_contains(controllers, "cpu")) {
          snprintf(group, sizeof group, "%s", group_path);
        }
      }
      cursor = end ? end + 1 : NULL;
    }
    if (group[0] == '\0') continue;

    // The group's directory: the mount point plus the group path below the mount's root (a container's mount
    // root is often its own group, whose path then starts with it); when that does not exist, the mount point.
    const char *relative = group;
    size_t root_length = strlen(mount_root);
    if (strcmp(mount_root, "/") != 0) {
      relative = strncmp(group, mount_root, root_length) == 0 ? group + root_length : "";
    }
    char base[2048], directory[4096];
    snprintf(base, sizeof base, "%s%s", root, mount_point);
    snprintf(directory, sizeof directory, "%s%s", base, strcmp(relative, "/") == 0 ? "" : relative);
    size_t directory_length = strlen(directory);
    while (directory_length > strlen(base) && directory[directory_length - 1] == '/') {
      directory[--directory_length] = '\0';
    }
    if (access(directory, F_OK) != 0) snprintf(directory, sizeof directory, "%s", base);
    limit = tighter(limit, walk_limits(base, directory, version2));
  }
done:
  free(cgroups);
  free(mounts);
  return limit;
}

int blas_usable_core_count(int affinity, double cpu_limit) {
  int cores = affinity > 0 ? affinity : 1;
  if (cpu_limit > 0) {
    double whole = ceil(cpu_limit - 1e-9);
    if (whole < cores) cores = whole < 1 ? 1 : (int)whole;
  }
  return cores;
}

void blas_spin_pause(void) {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}
