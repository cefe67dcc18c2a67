// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include "proc.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

int proc__meminfo(const char *root, struct meminfo *m)
{
	char path[256], line[256];
	unsigned long long v;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/meminfo", root ? root : "");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && found != 3) {
		if (sscanf(line, "Buffers: %llu kB", &v) == 1) {
			m->buffers_kb = v;
			found |= 1;
		} else if (sscanf(line, "Cached: %llu kB", &v) == 1) {
			m->cached_kb = v;
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -ENODATA;
}

bool proc__pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

int proc__comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, size, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int proc__check_bpf_caps(char *why, size_t size)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return 0; /* cannot tell: let the kernel decide */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	if (eff & (1ULL << CAP_SYS_ADMIN_BIT))
		return 0;
	if ((eff & (1ULL << CAP_BPF_BIT)) && (eff & (1ULL << CAP_PERFMON_BIT)))
		return 0;
	if (eff & (1ULL << CAP_BPF_BIT))
		snprintf(why, size, "CAP_PERFMON (or CAP_SYS_ADMIN)");
	else if (eff & (1ULL << CAP_PERFMON_BIT))
		snprintf(why, size, "CAP_BPF (or CAP_SYS_ADMIN)");
	else
		snprintf(why, size, "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)");
	return -EPERM;
}
