// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "memstat.h"

static FILE *memstat__open(const char *root, const char *path)
{
	char full[256];

	snprintf(full, sizeof(full), "%s%s", root ? root : "", path);
	return fopen(full, "re");
}

int memstat__vmstat(const char *root, struct vmstat_snap *v)
{
	unsigned long long n;
	char line[256], key[128];
	bool have_out = false;
	FILE *f = memstat__open(root, "/proc/vmstat");

	memset(v, 0, sizeof(*v));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %llu", key, &n) != 2)
			continue;
		if (!strcmp(key, "pswpin")) {
			v->pswpin = n;
		} else if (!strcmp(key, "pswpout")) {
			v->pswpout = n;
			have_out = true;
		} else if (!strncmp(key, "allocstall", 10)) {
			v->allocstall += n;
		} else if (!strcmp(key, "pgsteal_direct")) {
			v->pgsteal_direct = n;
		} else if (!strcmp(key, "pgsteal_kswapd")) {
			v->pgsteal_kswapd = n;
		} else if (!strcmp(key, "pgsteal_anon")) {
			v->pgsteal_anon = n;
		} else if (!strcmp(key, "pgsteal_file")) {
			v->pgsteal_file = n;
		} else if (!strcmp(key, "compact_stall")) {
			v->compact_stall = n;
		}
	}
	fclose(f);
	return have_out ? 0 : -ENODATA;
}

int memstat__zoneinfo(const char *root, struct zone_wm *zones, int max)
{
	char line[256], key[64], name[MEMSTAT_ZONE_NAME];
	struct zone_wm cur = {};
	unsigned long long n;
	bool in_zone = false, done = false;
	int count = 0, node;
	FILE *f = memstat__open(root, "/proc/zoneinfo");

	if (!f)
		return -errno;
	for (;;) {
		bool eof = !fgets(line, sizeof(line), f);
		bool header = !eof && sscanf(line, "Node %d, zone %15s", &node, name) == 2;

		if ((eof || header) && in_zone && cur.managed && count < max)
			zones[count++] = cur;
		if (eof)
			break;
		if (header) {
			memset(&cur, 0, sizeof(cur));
			cur.node = node;
			snprintf(cur.name, sizeof(cur.name), "%s", name);
			in_zone = true;
			done = false;
			continue;
		}
		/* the watermark block ends at "protection:"; per-node and
		 * per-cpu stats around it have other names */
		if (!in_zone || done)
			continue;
		if (sscanf(line, " pages free %llu", &n) == 1) {
			cur.free = n;
			continue;
		}
		if (strstr(line, "protection:")) {
			done = true;
			continue;
		}
		if (sscanf(line, " %63s %llu", key, &n) != 2)
			continue;
		if (!strcmp(key, "min"))
			cur.min = n;
		else if (!strcmp(key, "low"))
			cur.low = n;
		else if (!strcmp(key, "high"))
			cur.high = n;
		else if (!strcmp(key, "managed"))
			cur.managed = n;
	}
	fclose(f);
	return count;
}

const char *memstat__zone_level(const struct zone_wm *z)
{
	if (z->free < z->min)
		return "<min";
	if (z->free < z->low)
		return "<low";
	if (z->free < z->high)
		return "<high";
	return "ok";
}

int memstat__psi(const char *root, const char *resource, struct psi *p)
{
	char path[128], line[256], kind[8];
	double a10, a60, a300;
	unsigned long long total;
	int found = 0;
	FILE *f;

	memset(p, 0, sizeof(*p));
	snprintf(path, sizeof(path), "/proc/pressure/%s", resource);
	f = memstat__open(root, path);
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%7s avg10=%lf avg60=%lf avg300=%lf total=%llu", kind, &a10, &a60,
			   &a300, &total) != 5)
			continue;
		if (!strcmp(kind, "some")) {
			p->some_avg10 = a10;
			p->some_total_us = total;
			found |= 1;
		} else if (!strcmp(kind, "full")) {
			p->full_avg10 = a10;
			p->full_total_us = total;
			found |= 2;
		}
	}
	fclose(f);
	return found & 1 ? 0 : -ENODATA;
}
