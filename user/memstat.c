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
			snprintf(cur.label, sizeof(cur.label), "%d:%s", node, name);
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

#define PAGES(k, h, what)                                                                \
	{ .key = k, .header = h, .width = 10, .type = FT_U64, .kind = FK_GAUGE,          \
	  .unit = "pages", .help = what }
static const struct field zone_fields[] = {
	[MZ_LABEL] = { .key = "label", .header = "ZONE", .width = -12, .type = FT_STR,
		       .kind = FK_LABEL, .flags = FF_TEXT_ONLY, .help = "node:zone" },
	[MZ_NODE] = { .key = "node", .type = FT_I64, .kind = FK_LABEL, .flags = FF_JSON_ONLY,
		      .help = "NUMA node" },
	[MZ_ZONE] = { .key = "zone", .type = FT_STR, .kind = FK_LABEL, .flags = FF_JSON_ONLY,
		      .help = "zone name (DMA, DMA32, Normal, Movable)" },
	[MZ_FREE] = PAGES("free_pages", "FREE", "free pages in the zone"),
	[MZ_MIN] = PAGES("min_pages", "MIN", "min watermark: below it, allocations reclaim"),
	[MZ_LOW] = PAGES("low_pages", "LOW", "low watermark: below it kswapd is woken"),
	[MZ_HIGH] = PAGES("high_pages", "HIGH", "high watermark: kswapd reclaims up to it"),
	[MZ_LEVEL] = { .key = "level", .header = "LEVEL", .width = -5, .type = FT_STR,
		       .kind = FK_LABEL, .help = "where free pages stand: ok, <high, <low, <min" },
};
const struct schema memstat__zone_schema = SCHEMA("memstat.zone", zone_fields);

static const struct field psi_fields[] = {
	[MP_SOME_AVG10] = { .key = "some_avg10_pct", .header = "some", .prec = 2, .type = FT_DBL,
			    .kind = FK_RATIO, .unit = "pct", .flags = FF_PCT,
			    .help = "share of the last 10 s in which a task stalled on memory" },
	[MP_FULL_AVG10] = { .key = "full_avg10_pct", .header = "full", .prec = 2, .type = FT_DBL,
			    .kind = FK_RATIO, .unit = "pct", .flags = FF_PCT,
			    .help = "share of the last 10 s in which all tasks stalled on memory" },
};
const struct schema memstat__psi_schema = SCHEMA("memstat.psi", psi_fields);

void memstat__zone_rec(struct rec *r, const struct zone_wm *z)
{
	rec__init(r, &memstat__zone_schema);
	rec__str(r, MZ_LABEL, z->label);
	rec__i64(r, MZ_NODE, z->node);
	rec__str(r, MZ_ZONE, z->name);
	rec__u64(r, MZ_FREE, z->free);
	rec__u64(r, MZ_MIN, z->min);
	rec__u64(r, MZ_LOW, z->low);
	rec__u64(r, MZ_HIGH, z->high);
	rec__str(r, MZ_LEVEL, memstat__zone_level(z));
}

void memstat__psi_rec(struct rec *r, const struct psi *p)
{
	rec__init(r, &memstat__psi_schema);
	rec__dbl(r, MP_SOME_AVG10, p->some_avg10);
	rec__dbl(r, MP_FULL_AVG10, p->full_avg10);
}
