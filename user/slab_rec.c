// SPDX-License-Identifier: BSD-2-Clause
/* The fields of slabratetop's outputs, each described once. */
#include "slab.h"

static const struct field row_fields[] = {
	[SLR_CACHE] = { .key = "cache", .header = "CACHE", .width = -24, .type = FT_STR,
			.kind = FK_LABEL, .help = "the slab cache (kmalloc: its kmalloc-N cache)" },
	[SLR_ALLOCS] = { .key = "allocs", .header = "ALLOCS", .width = 9, .type = FT_U64,
			 .kind = FK_COUNTER, .help = "objects allocated in the interval" },
	[SLR_BYTES] = { .key = "alloc_bytes", .header = "BYTES", .width = 11, .type = FT_U64,
			.kind = FK_COUNTER, .unit = "bytes",
			.help = "bytes allocated: ALLOCS x the object's size in the cache" },
	[SLR_FREES] = { .key = "frees", .header = "FREES", .width = 9, .type = FT_U64,
			.kind = FK_COUNTER, .help = "objects freed in the interval" },
	[SLR_NET_OBJS] = { .key = "net_objs", .header = "NET_OBJS", .width = 9, .type = FT_I64,
			   .kind = FK_COUNTER,
			   .help = "ALLOCS - FREES; absent where frees go unseen (slabratetop(8))" },
	[SLR_NET_BYTES] = { .key = "net_bytes", .header = "NET_BYTES", .width = 11,
			    .type = FT_I64, .kind = FK_COUNTER, .unit = "bytes",
			    .help = "bytes allocated - bytes freed" },
	[SLR_OBJS] = { .key = "objs", .header = "OBJS", .width = 9, .type = FT_U64,
		       .kind = FK_GAUGE, .help = "active objects now (/proc/slabinfo)" },
	[SLR_SIZE_MB] = { .key = "size_mb", .header = "SIZE_MB", .width = 8, .prec = 1,
			  .type = FT_DBL, .kind = FK_GAUGE, .unit = "MiB",
			  .help = "num_objs x objsize now (/proc/slabinfo)" },
	[SLR_OBJ_SIZE] = { .key = "obj_size_bytes", .type = FT_U64, .kind = FK_GAUGE,
			   .unit = "bytes", .help = "bytes an object takes in the cache" },
	[SLR_RECLAIMABLE] = { .key = "reclaimable", .header = "RECL", .width = 4,
			      .type = FT_BOOL, .kind = FK_LABEL,
			      .help = "SLAB_RECLAIM_ACCOUNT (/sys/kernel/slab/CACHE/reclaim_account)" },
};
const struct schema slab__row_schema = SCHEMA("slabratetop.row", row_fields);

static const struct field title_fields[] = {
	[SLT_SLAB] = { .key = "slab_kb", .header = "Slab kB:", .type = FT_I64, .kind = FK_GAUGE,
		       .unit = "kB", .help = "Slab in /proc/meminfo" },
	[SLT_RECL] = { .key = "sreclaimable_kb", .header = "SReclaimable kB:", .type = FT_I64,
		       .kind = FK_GAUGE, .unit = "kB", .help = "SReclaimable in /proc/meminfo" },
	[SLT_UNRECL] = { .key = "sunreclaim_kb", .header = "SUnreclaim kB:", .type = FT_I64,
			 .kind = FK_GAUGE, .unit = "kB", .help = "SUnreclaim in /proc/meminfo" },
};
const struct schema slab__title_schema = SCHEMA("slabratetop.mem", title_fields);

static const struct field lost_fields[] = {
	[SLAB_FULL_CACHES] = { .key = "caches", .header = "events of caches not counted (table full)",
			       .type = FT_U64, .kind = FK_COUNTER },
	[SLAB_FULL_LIVE] = { .key = "live_objects",
			     .header = "kmalloc objects whose free is not matched (table full)",
			     .type = FT_U64, .kind = FK_COUNTER },
	[SLAB_KFREE_UNMATCHED] = { .key = "kfree_unmatched",
				   .header = "kfree of objects allocated before the start",
				   .type = FT_U64, .kind = FK_COUNTER },
	[SLAB_FULL_STACK_OBJS] = { .key = "stack_objects",
				   .header = "objects without a stack (--stacks table full)",
				   .type = FT_U64, .kind = FK_COUNTER },
	[SLAB_FULL_STACKS] = { .key = "stacks", .header = "stacks not saved (table full)",
			       .type = FT_U64, .kind = FK_COUNTER },
	[SLAB_LOST_STACKS] = { .key = "unsaved_stacks",
			       .header = "kernel stacks that could not be read",
			       .type = FT_U64, .kind = FK_COUNTER },
	[SLAB_BULK_UNATTRIBUTED] = { .key = "bulk_frees_unattributed",
				     .header = "kfree_bulk frees of no known cache",
				     .type = FT_U64, .kind = FK_COUNTER },
};
const struct schema slab__lost_schema = SCHEMA("slabratetop.lost", lost_fields);

static const struct field report_fields[] = {
	[SLREP_TIME] = { .key = "time", .type = FT_TIME, .kind = FK_LABEL },
	[SLREP_MEM] = { .key = "meminfo", .type = FT_OBJ, .kind = FK_GROUP,
			.sub = &slab__title_schema },
	[SLREP_ROWS] = { .key = "rows", .type = FT_LIST, .kind = FK_GROUP,
			 .sub = &slab__row_schema },
	[SLREP_LOST] = { .key = "lost", .type = FT_OBJ, .kind = FK_GROUP,
			 .sub = &slab__lost_schema },
};
const struct schema slab__report_schema = SCHEMA("slabratetop", report_fields);

static const struct field stack_fields[] = {
	[SLS_PID] = { .key = "pid", .type = FT_U64, .kind = FK_LABEL,
		      .help = "the process that allocated the objects" },
	[SLS_COMM] = { .key = "comm", .type = FT_STR, .kind = FK_LABEL,
		       .help = "its name when its first object was allocated" },
	[SLS_OBJS] = { .key = "objs", .type = FT_U64, .kind = FK_GAUGE,
		       .help = "objects of this stack still live" },
	[SLS_BYTES] = { .key = "bytes", .type = FT_U64, .kind = FK_GAUGE, .unit = "bytes",
			.help = "objs x the object's size in the cache" },
	[SLS_USER] = { .key = "user", .type = FT_FRAMES, .kind = FK_STACK,
		       .help = "user frames, innermost first" },
	[SLS_KERNEL] = { .key = "kernel", .type = FT_FRAMES, .kind = FK_STACK,
			 .help = "kernel frames, innermost first" },
};
const struct schema slab__stack_schema = SCHEMA("slabratetop.stack", stack_fields);

static const struct field stacks_report_fields[] = {
	[SLSREP_TIME] = { .key = "time", .type = FT_TIME, .kind = FK_LABEL },
	[SLSREP_CACHE] = { .key = "cache", .type = FT_STR, .kind = FK_LABEL },
	[SLSREP_STACKS] = { .key = "stacks", .type = FT_LIST, .kind = FK_GROUP,
			    .sub = &slab__stack_schema },
	[SLSREP_LOST] = { .key = "lost", .type = FT_OBJ, .kind = FK_GROUP,
			  .sub = &slab__lost_schema },
};
const struct schema slab__stacks_report_schema = SCHEMA("slabratetop.stacks", stacks_report_fields);

void slab__row_rec(struct rec *r, const struct slab_row *row)
{
	rec__init(r, &slab__row_schema);
	rec__str(r, SLR_CACHE, row->name);
	rec__u64(r, SLR_ALLOCS, row->allocs);
	rec__u64(r, SLR_BYTES, row->alloc_bytes);
	rec__u64(r, SLR_FREES, row->frees);
	if (!row->net_unknown) {
		rec__i64(r, SLR_NET_OBJS, row->net_objs);
		rec__i64(r, SLR_NET_BYTES, row->net_bytes);
	}
	rec__u64(r, SLR_OBJ_SIZE, row->size);
	if (row->have_info) {
		rec__u64(r, SLR_OBJS, row->objs);
		rec__dbl(r, SLR_SIZE_MB, (double)row->total_bytes / (1024.0 * 1024.0));
	}
	if (row->reclaimable >= 0)
		rec__bool(r, SLR_RECLAIMABLE, row->reclaimable);
}

void slab__title_rec(struct rec *r, const struct slab_meminfo *mi)
{
	rec__init(r, &slab__title_schema);
	if (mi->slab_kb >= 0)
		rec__i64(r, SLT_SLAB, mi->slab_kb);
	if (mi->reclaimable_kb >= 0)
		rec__i64(r, SLT_RECL, mi->reclaimable_kb);
	if (mi->unreclaim_kb >= 0)
		rec__i64(r, SLT_UNRECL, mi->unreclaim_kb);
}

void slab__lost_rec(struct rec *r, const unsigned long long lost[SLAB_NR_COUNTERS])
{
	int i;

	rec__init(r, &slab__lost_schema);
	for (i = 0; i < SLAB_NR_COUNTERS; i++)
		rec__u64(r, i, lost[i]);
}

void slab__stack_rec(struct rec *r, const struct slab_stack_row *row)
{
	rec__init(r, &slab__stack_schema);
	rec__u64(r, SLS_PID, row->pid);
	rec__str(r, SLS_COMM, row->comm);
	rec__u64(r, SLS_OBJS, row->objs);
	rec__u64(r, SLS_BYTES, row->bytes);
	rec__stack(r, SLS_USER, &row->user);
	rec__stack(r, SLS_KERNEL, &row->kernel);
}

void slab__print_stack(FILE *f, const struct slab_stack_row *row)
{
	stack__print_pair(f, &row->kernel, &row->user, "    ");
	fprintf(f, "    %s (%d): %llu objects, %llu bytes live\n\n", row->comm, (int)row->pid,
		row->objs, row->bytes);
}

void slab__print_folded(FILE *f, const struct slab_stack_row *row)
{
	stack__folded_line(f, row->comm, &row->user, &row->kernel, row->bytes);
}
