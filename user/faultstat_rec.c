// SPDX-License-Identifier: BSD-2-Clause
/* The fields of faultstat's outputs, each described once. */
#include <stdio.h>
#include "faultstat.h"

#define FAULTS(k, h, w, what)                                                               \
	{ .key = (k), .header = (h), .width = (w), .type = FT_U64, .kind = FK_COUNTER,     \
	  .unit = "faults", .help = (what) }

static const struct field row_fields[] = {
	[FSR_PID] = { .key = "pid", .header = "PID", .width = 7, .type = FT_U64,
		      .kind = FK_LABEL, .flags = FF_OMIT, .help = "the process (thread group)" },
	[FSR_COMM] = { .key = "comm", .header = "COMM", .width = -16, .type = FT_STR,
		       .kind = FK_LABEL, .flags = FF_OMIT, .help = "the group leader's name" },
	[FSR_MINOR] = FAULTS("minor", "MINOR", 10, "faults served from memory"),
	[FSR_MAJOR] = FAULTS("major", "MAJOR", 8, "faults that needed I/O"),
	[FSR_MAJ_FILE] = FAULTS("major_file", "MAJ_FILE", 8,
				"major faults on a file mapping (-d)"),
	[FSR_MAJ_SWAP] = FAULTS("major_swap", "MAJ_SWAP", 8,
				"major faults on anonymous memory: swap-ins (-d)"),
	[FSR_MAJ_UNKNOWN] = { .key = "major_unknown", .type = FT_U64, .kind = FK_COUNTER,
			      .unit = "faults", .flags = FF_OMIT,
			      .help = "major faults whose address was not looked up (-d)" },
};
const struct schema faultstat__row_schema = SCHEMA("faultstat.row", row_fields);

static const struct field file_fields[] = {
	[FSF_MAJOR] = FAULTS("major", "MAJOR", 8, "major faults that read the file"),
	[FSF_OWNER] = { .key = "owner", .header = "PID", .width = 8, .type = FT_STR,
			.kind = FK_LABEL, .flags = FF_TEXT_ONLY, .help = "pid, '+' when shared" },
	[FSF_FILE] = { .key = "file", .header = "FILE", .width = -48, .type = FT_STR,
		       .kind = FK_LABEL, .flags = FF_KEEP_TAIL,
		       .help = "the path, or major:minor:inode when none is found" },
	[FSF_PID] = { .key = "pid", .type = FT_U64, .kind = FK_LABEL,
		      .help = "the first process that faulted on it" },
	[FSF_SHARED] = { .key = "shared", .type = FT_BOOL, .kind = FK_LABEL,
			 .help = "other processes faulted on it too" },
};
const struct schema faultstat__file_schema = SCHEMA("faultstat.file", file_fields);

static const struct field stack_fields[] = {
	[FSS_PID] = { .key = "pid", .type = FT_U64, .kind = FK_LABEL },
	[FSS_COMM] = { .key = "comm", .type = FT_STR, .kind = FK_LABEL },
	[FSS_MAJOR] = FAULTS("major", NULL, 0, "major faults from this stack"),
	[FSS_USER] = { .key = "user", .type = FT_FRAMES, .kind = FK_STACK,
		       .help = "user frames, innermost first" },
	[FSS_KERNEL] = { .key = "kernel", .type = FT_FRAMES, .kind = FK_STACK,
			 .help = "kernel frames, innermost first" },
};
const struct schema faultstat__stack_schema = SCHEMA("faultstat.stack", stack_fields);

/* headers: what the losses line under the title says */
static const struct field lost_fields[] = {
	[FSL_EXITS] = { .key = "exits", .header = "exit records lost (their last faults are missing)",
			.type = FT_U64, .kind = FK_COUNTER },
	[FSL_PROCS] = { .key = "procs", .header = "processes not classified (table full)",
			.type = FT_U64, .kind = FK_COUNTER },
	[FSL_FILES] = { .key = "files", .header = "files not counted (table full)",
			.type = FT_U64, .kind = FK_COUNTER },
	[FSL_STACKS] = { .key = "stacks", .header = "stacks not counted (table full)",
			 .type = FT_U64, .kind = FK_COUNTER },
	[FSL_UNSAVED_STACKS] = { .key = "unsaved_stacks", .header = "stacks counted without frames",
				 .type = FT_U64, .kind = FK_COUNTER },
};
const struct schema faultstat__lost_schema = SCHEMA("faultstat.lost", lost_fields);

enum { FST_MINOR, FST_MAJOR };
static const struct field title_fields[] = {
	[FST_MINOR] = { .key = "minor", .header = "Faults: minor", .type = FT_U64,
			.kind = FK_COUNTER, .unit = "faults" },
	[FST_MAJOR] = { .key = "major", .header = "major", .type = FT_U64, .kind = FK_COUNTER,
			.unit = "faults" },
};
const struct schema faultstat__title_schema = SCHEMA("faultstat.title", title_fields);

static const struct field report_fields[] = {
	[FSO_TIME] = { .key = "time", .type = FT_TIME, .kind = FK_LABEL },
	[FSO_ROWS] = { .key = "rows", .type = FT_LIST, .kind = FK_GROUP,
		       .sub = &faultstat__row_schema },
	[FSO_TOTAL] = { .key = "total", .type = FT_OBJ, .kind = FK_GROUP,
			.sub = &faultstat__row_schema },
	[FSO_FILES] = { .key = "files", .type = FT_LIST, .kind = FK_GROUP, .flags = FF_OMIT,
			.sub = &faultstat__file_schema, .help = "with -f" },
	[FSO_STACKS] = { .key = "stacks", .type = FT_LIST, .kind = FK_GROUP, .flags = FF_OMIT,
			 .sub = &faultstat__stack_schema, .help = "with --stacks" },
	[FSO_LOST] = { .key = "lost", .type = FT_OBJ, .kind = FK_GROUP,
		       .sub = &faultstat__lost_schema },
};
const struct schema faultstat__report_schema = SCHEMA("faultstat", report_fields);

void faultstat__row_rec(struct rec *r, const struct faultstat_row *row, bool detail)
{
	rec__init(r, &faultstat__row_schema);
	if (row->pid) {
		rec__u64(r, FSR_PID, row->pid);
		rec__str(r, FSR_COMM, row->comm);
	}
	rec__u64(r, FSR_MINOR, row->minor);
	rec__u64(r, FSR_MAJOR, row->major);
	if (detail) {
		rec__u64(r, FSR_MAJ_FILE, row->cls[FS_MAJ_FILE]);
		rec__u64(r, FSR_MAJ_SWAP, row->cls[FS_MAJ_SWAP]);
		rec__u64(r, FSR_MAJ_UNKNOWN, row->cls[FS_MAJ_UNKNOWN]);
	}
}

void faultstat__title_rec(struct rec *r, const struct faultstat_row *total)
{
	rec__init(r, &faultstat__title_schema);
	rec__u64(r, FST_MINOR, total->minor);
	rec__u64(r, FST_MAJOR, total->major);
}

void faultstat__file_rec(struct rec *r, struct faultstat_file_row *row, struct path_cache *paths)
{
	file_names__fill(&row->names, paths, row->dev, row->ino, row->generation, row->pid,
			 row->shared);
	rec__init(r, &faultstat__file_schema);
	rec__u64(r, FSF_MAJOR, row->major);
	rec__str(r, FSF_OWNER, row->names.owner);
	rec__str(r, FSF_FILE, row->names.path);
	rec__u64(r, FSF_PID, row->pid);
	rec__bool(r, FSF_SHARED, row->shared);
}

void faultstat__stack_rec(struct rec *r, const struct faultstat_stack_row *row)
{
	rec__init(r, &faultstat__stack_schema);
	rec__u64(r, FSS_PID, row->pid);
	rec__str(r, FSS_COMM, row->comm);
	rec__u64(r, FSS_MAJOR, row->count);
	rec__stack(r, FSS_USER, &row->user);
	rec__stack(r, FSS_KERNEL, &row->kernel);
}

void faultstat__lost_rec(struct rec *r, const unsigned long long full[FS_NR_FULL],
			 long long lost_exits)
{
	rec__init(r, &faultstat__lost_schema);
	if (lost_exits >= 0)
		rec__u64(r, FSL_EXITS, lost_exits);
	rec__u64(r, FSL_PROCS, full[FS_FULL_PROCS]);
	rec__u64(r, FSL_FILES, full[FS_FULL_FILES]);
	rec__u64(r, FSL_STACKS, full[FS_FULL_STACKS]);
	rec__u64(r, FSL_UNSAVED_STACKS, full[FS_LOST_STACKS]);
}

void faultstat__print_stack(FILE *f, const struct faultstat_stack_row *row)
{
	stack__print_pair(f, &row->kernel, &row->user, "    ");
	fprintf(f, "    %s (%u): %llu major faults\n\n", row->comm, row->pid, row->count);
}

void faultstat__print_folded(FILE *f, const struct faultstat_stack_row *row)
{
	stack__folded_line(f, row->comm, &row->user, &row->kernel, row->count);
}
