/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_MEMSTAT_H
#define MEMSCOPE_MEMSTAT_H

#include "schema.h"

/*
 * System-wide memory state from /proc: /proc/vmstat counters, per-zone free
 * pages against the watermarks (/proc/zoneinfo), and pressure stall
 * information (/proc/pressure/memory). Each reader takes `root` (NULL: the
 * real /proc) so tests can feed fixture files from root/proc/...
 */

struct vmstat_snap {
	unsigned long long pswpin, pswpout;	/* pages swapped in and out */
	unsigned long long allocstall;		/* sum of allocstall_* (global direct reclaim) */
	unsigned long long pgsteal_direct, pgsteal_kswapd;	/* global reclaim only */
	unsigned long long pgsteal_anon, pgsteal_file;	/* every reclaim, memcg too (v5.8+) */
	unsigned long long compact_stall;
};

/* Returns 0, or -errno (-ENODATA when pswpout is missing). */
int memstat__vmstat(const char *root, struct vmstat_snap *v);

#define MEMSTAT_ZONE_NAME 16

struct zone_wm {
	int node;
	char name[MEMSTAT_ZONE_NAME];	/* "DMA32", "Normal" */
	char label[MEMSTAT_ZONE_NAME + 12];	/* "0:Normal": node and name */
	unsigned long long free, min, low, high, managed;	/* pages */
};

/* Zones with managed pages, up to max; returns how many, or -errno. */
int memstat__zoneinfo(const char *root, struct zone_wm *zones, int max);

/* The zone's position against its watermarks: "ok" (above high), "<high",
 * "<low" (kswapd wakes), "<min" (allocations reclaim directly). */
const char *memstat__zone_level(const struct zone_wm *z);

struct psi {
	double some_avg10, full_avg10;	/* percent */
	unsigned long long some_total_us, full_total_us;
};

/* /proc/pressure/<resource>: 0, or -errno (-ENOENT without PSI). */
int memstat__psi(const char *root, const char *resource, struct psi *p);

/*
 * Their fields, described once (schema.h) for every tool that shows them.
 * A zone: ZONE ("0:Normal", tables only), node and zone (JSON only),
 * free_pages, min_pages, low_pages, high_pages, level. PSI: some_avg10_pct,
 * full_avg10_pct. A zone's record points into z, which must outlive it.
 */
enum memstat_zone_field {
	MZ_LABEL, MZ_NODE, MZ_ZONE, MZ_FREE, MZ_MIN, MZ_LOW, MZ_HIGH, MZ_LEVEL, MZ_NF
};
enum memstat_psi_field { MP_SOME_AVG10, MP_FULL_AVG10, MP_NF };
extern const struct schema memstat__zone_schema, memstat__psi_schema;
void memstat__zone_rec(struct rec *r, const struct zone_wm *z);
void memstat__psi_rec(struct rec *r, const struct psi *p);

#endif
