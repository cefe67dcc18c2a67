// SPDX-License-Identifier: BSD-2-Clause
/* The fields of cachestat's and cachetop's outputs, each described once. */
#include <pwd.h>
#include <stdio.h>
#include "pagecache.h"
#include "proc.h"

#define PAGES(k, h, w, what)                                                                \
	{ .key = (k), .header = (h), .width = (w), .type = FT_U64, .kind = FK_COUNTER,     \
	  .unit = "pages", .help = (what) }

#define HELP_HITS "accessed pages that were cached"
#define HELP_MISSES "accessed pages that had to be read into the page cache"
#define HELP_DIRTIES "pages that went from clean to dirty"
#define HELP_READ_HIT "hits / (hits + misses); null when nothing was accessed"

static const struct field stat_fields[] = {
	[PCS_TIME] = { .key = "time", .header = "TIME", .width = -8, .type = FT_TIME,
		       .kind = FK_LABEL, .help = "the report's time" },
	[PCS_PID] = { .key = "pid", .type = FT_I64, .kind = FK_LABEL, .flags = FF_OMIT,
		      .help = "the process counted (-p)" },
	[PCS_HITS] = PAGES("hits", "HITS", 8, HELP_HITS),
	[PCS_MISSES] = PAGES("misses", "MISSES", 8, HELP_MISSES),
	[PCS_DIRTIES] = PAGES("dirties", "DIRTIES", 8, HELP_DIRTIES),
	[PCS_HIT_PCT] = { .key = "hit_pct", .header = "HITRATIO", .width = 8, .prec = 2,
			  .type = FT_DBL, .kind = FK_RATIO, .unit = "pct", .flags = FF_PCT,
			  .help = HELP_READ_HIT },
	[PCS_ACCESSES] = { .key = "accesses", .type = FT_U64, .kind = FK_COUNTER,
			   .unit = "pages", .help = "pages reads and faults asked for" },
	[PCS_BUFFERS_MB] = { .key = "buffers_mb", .header = "BUFFERS_MB", .width = 12,
			     .type = FT_U64, .kind = FK_GAUGE, .unit = "MiB",
			     .help = "Buffers in /proc/meminfo" },
	[PCS_CACHED_MB] = { .key = "cached_mb", .header = "CACHED_MB", .width = 10,
			    .type = FT_U64, .kind = FK_GAUGE, .unit = "MiB",
			    .help = "Cached in /proc/meminfo" },
};
const struct schema pagecache__stat_schema = SCHEMA("cachestat", stat_fields);

static const struct field proc_fields[] = {
	[PCP_PID] = { .key = "pid", .header = "PID", .width = 7, .type = FT_U64,
		      .kind = FK_LABEL },
	[PCP_UID] = { .key = "uid", .type = FT_U64, .kind = FK_LABEL },
	[PCP_USER] = { .key = "user", .header = "UID", .width = -8, .type = FT_STR,
		       .kind = FK_LABEL, .help = "the user name of uid" },
	[PCP_COMM] = { .key = "comm", .header = "CMD", .width = -16, .type = FT_STR,
		       .kind = FK_LABEL },
	[PCP_HITS] = PAGES("hits", "HITS", 8, HELP_HITS),
	[PCP_MISSES] = PAGES("misses", "MISSES", 8, HELP_MISSES),
	[PCP_DIRTIES] = PAGES("dirties", "DIRTIES", 8, HELP_DIRTIES),
	[PCP_READ_HIT_PCT] = { .key = "hit_pct", .header = "READ_HIT%", .width = 10,
			       .prec = 1, .type = FT_DBL, .kind = FK_RATIO, .unit = "pct",
			       .flags = FF_PCT, .help = HELP_READ_HIT },
	[PCP_WRITE_HIT_PCT] = { .key = "write_hit_pct", .header = "WRITE_HIT%", .width = 10,
				.prec = 1, .type = FT_DBL, .kind = FK_RATIO, .unit = "pct",
				.flags = FF_PCT,
				.help = "dirtied pages that were cached already, not created by "
					"the write; null when nothing was dirtied" },
};
const struct schema pagecache__proc_schema = SCHEMA("cachetop.proc", proc_fields);

static const struct field file_fields[] = {
	[PCF_FILE] = { .key = "file", .header = "FILE", .width = -48, .type = FT_STR,
		       .kind = FK_LABEL, .flags = FF_KEEP_TAIL,
		       .help = "the path, or major:minor:inode when none is found" },
	[PCF_DEV] = { .key = "dev", .type = FT_STR, .kind = FK_LABEL,
		      .help = "major:minor of the file system" },
	[PCF_INO] = { .key = "ino", .type = FT_U64, .kind = FK_LABEL },
	[PCF_PID] = { .key = "pid", .type = FT_U64, .kind = FK_LABEL,
		      .help = "the first process that touched it in the interval" },
	[PCF_SHARED] = { .key = "shared", .type = FT_BOOL, .kind = FK_LABEL,
			 .help = "other processes touched it too" },
	[PCF_OWNER] = { .key = "owner", .header = "PID", .width = 8, .type = FT_STR,
			.kind = FK_LABEL, .flags = FF_TEXT_ONLY, .help = "pid, '+' when shared" },
	[PCF_HITS] = PAGES("hits", "HITS", 8, HELP_HITS),
	[PCF_MISSES] = PAGES("misses", "MISSES", 8, HELP_MISSES),
	[PCF_DIRTIES] = PAGES("dirties", "DIRTIES", 8, HELP_DIRTIES),
	[PCF_READ_HIT_PCT] = { .key = "hit_pct", .header = "HIT%", .width = 7, .prec = 1,
			       .type = FT_DBL, .kind = FK_RATIO, .unit = "pct", .flags = FF_PCT,
			       .help = HELP_READ_HIT },
};
const struct schema pagecache__file_schema = SCHEMA("cachetop.file", file_fields);

enum { PCM_BUFFERS, PCM_CACHED };
static const struct field mem_fields[] = {
	[PCM_BUFFERS] = { .key = "buffers_mb", .header = "Buffers MB:", .type = FT_U64,
			  .kind = FK_GAUGE, .unit = "MiB" },
	[PCM_CACHED] = { .key = "cached_mb", .header = "Cached MB:", .type = FT_U64,
			 .kind = FK_GAUGE, .unit = "MiB" },
};
const struct schema pagecache__mem_schema = SCHEMA("cachetop.title", mem_fields);

/* headers: what the losses line under the title says */
static const struct field lost_fields[] = {
	[PC_FULL_PROCS] = { .key = "procs", .header = "processes not counted (table full)",
			    .type = FT_U64, .kind = FK_COUNTER },
	[PC_FULL_FILES] = { .key = "files", .header = "files not counted (table full)",
			    .type = FT_U64, .kind = FK_COUNTER },
};
const struct schema pagecache__lost_schema = SCHEMA("cachetop.lost", lost_fields);

#define REPORT(rows)                                                                         \
	{                                                                                    \
		[PCR_TIME] = { .key = "time", .type = FT_TIME, .kind = FK_LABEL },           \
		[PCR_ROWS] = { .key = "rows", .type = FT_LIST, .kind = FK_GROUP, .sub = (rows) }, \
		[PCR_LOST] = { .key = "lost", .type = FT_OBJ, .kind = FK_GROUP,              \
			       .sub = &pagecache__lost_schema },                             \
	}
static const struct field procs_report_fields[] = REPORT(&pagecache__proc_schema);
static const struct field files_report_fields[] = REPORT(&pagecache__file_schema);
const struct schema pagecache__procs_report = SCHEMA("cachetop", procs_report_fields);
const struct schema pagecache__files_report = SCHEMA("cachetop.files", files_report_fields);

void pagecache__stat_rec(struct rec *r, const struct timespec *now, pid_t pid,
			 const struct pagecache_counts *k, const struct meminfo *mi)
{
	rec__init(r, &pagecache__stat_schema);
	rec__time(r, PCS_TIME, now);
	if (pid)
		rec__i64(r, PCS_PID, pid);
	rec__u64(r, PCS_HITS, k->hits);
	rec__u64(r, PCS_MISSES, k->misses);
	rec__u64(r, PCS_DIRTIES, k->dirties);
	rec__dbl(r, PCS_HIT_PCT, k->hit_pct);
	rec__u64(r, PCS_ACCESSES, k->accesses);
	rec__u64(r, PCS_BUFFERS_MB, mi->buffers_kb / 1024);
	rec__u64(r, PCS_CACHED_MB, mi->cached_kb / 1024);
}

void pagecache__proc_rec(struct rec *r, struct pagecache_row *row)
{
	struct passwd *pw = getpwuid(row->uid);

	if (pw)
		snprintf(row->user, sizeof(row->user), "%s", pw->pw_name);
	else
		snprintf(row->user, sizeof(row->user), "%u", row->uid);
	rec__init(r, &pagecache__proc_schema);
	rec__u64(r, PCP_PID, row->pid);
	rec__u64(r, PCP_UID, row->uid);
	rec__str(r, PCP_USER, row->user);
	rec__str(r, PCP_COMM, row->comm);
	rec__u64(r, PCP_HITS, row->k.hits);
	rec__u64(r, PCP_MISSES, row->k.misses);
	rec__u64(r, PCP_DIRTIES, row->k.dirties);
	rec__dbl(r, PCP_READ_HIT_PCT, row->k.hit_pct);
	rec__dbl(r, PCP_WRITE_HIT_PCT, row->write_hit);
}

void pagecache__file_rec(struct rec *r, struct pagecache_row *row, struct path_cache *paths)
{
	file_names__fill(&row->names, paths, row->dev, row->ino, row->generation, row->pid,
			 row->shared);
	rec__init(r, &pagecache__file_schema);
	rec__str(r, PCF_FILE, row->names.path);
	rec__str(r, PCF_DEV, row->names.dev);
	rec__u64(r, PCF_INO, row->ino);
	rec__u64(r, PCF_PID, row->pid);
	rec__bool(r, PCF_SHARED, row->shared);
	rec__str(r, PCF_OWNER, row->names.owner);
	rec__u64(r, PCF_HITS, row->k.hits);
	rec__u64(r, PCF_MISSES, row->k.misses);
	rec__u64(r, PCF_DIRTIES, row->k.dirties);
	rec__dbl(r, PCF_READ_HIT_PCT, row->k.hit_pct);
}

void pagecache__mem_rec(struct rec *r, const struct meminfo *mi)
{
	rec__init(r, &pagecache__mem_schema);
	rec__u64(r, PCM_BUFFERS, mi->buffers_kb / 1024);
	rec__u64(r, PCM_CACHED, mi->cached_kb / 1024);
}

void pagecache__lost_rec(struct rec *r, const unsigned long long full[PC_NR_FULL])
{
	int i;

	rec__init(r, &pagecache__lost_schema);
	for (i = 0; i < PC_NR_FULL; i++)
		rec__u64(r, i, full[i]);
}
