// SPDX-License-Identifier: BSD-2-Clause
/* oomkill's fields, described once: the record of a kill, its text block,
 * the lost line, and the --rank table read from /proc. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <stdio.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include "cgroup.h"
#include "oomkill.h"

#define PAGE_KB 4ULL
enum { PR_WINDOW, PR_SCOPE, PR_DIRECT, PR_DIRECT_MS, PR_MEMCG, PR_MEMCG_MS, PR_COMPACT,
       PR_COMPACT_MS, PR_KSWAPD_MS, PR_NR };

enum {
	OK_TIME,
	OK_VICTIM_PID,
	OK_VICTIM_COMM,
	OK_UID,
	OK_VICTIM_CGROUP,
	OK_TRIGGER_PID,
	OK_TRIGGER_COMM,
	OK_TRIGGER_CGROUP,
	OK_CONSTRAINT,
	OK_OOM_CGROUP,
	OK_DECISION,
	OK_ORDER,
	OK_GFP,
	OK_TOTAL_VM,
	OK_ANON,
	OK_FILE,
	OK_SHMEM,
	OK_PGTABLES,
	OK_SWAP,
	OK_ADJ,
	OK_POINTS,
	OK_TOTALPAGES,
	OK_SCORE,
	OK_LIMIT,
	OK_USAGE,
	OK_CG_SWAP,
	OK_FREE,
	OK_AVAIL,
	OK_PSI,
	OK_PRE,
	OK_LOST,
	OK_NR,
};

enum { OL_TIME, OL_LOST, OL_NR };
enum { OLL_EVENTS, OLL_NR };

static const struct field lost_fields[OLL_NR] = {
	[OLL_EVENTS] = { .key = "events", .type = FT_U64, .kind = FK_COUNTER,
			 .help = "kill records the full ring buffer dropped" },
};
static const struct schema lost_schema = SCHEMA("oomkill.lost", lost_fields);

static const struct schema pre_schema;

#define KB(k, h, hl) { .key = k, .header = h, .type = FT_U64, .kind = FK_GAUGE, .unit = "kb", \
		       .help = hl }

_Static_assert(OK_NR <= SCHEMA_MAX_FIELDS, "a record holds SCHEMA_MAX_FIELDS values");

static const struct field fields[OK_NR] = {
	[OK_TIME] = { .key = "time", .header = "TIME", .prec = 3, .type = FT_TIME,
		      .kind = FK_LABEL, .help = "when the victim was marked, RFC 3339 UTC" },
	[OK_VICTIM_PID] = { .key = "victim_pid", .header = "VICTIM", .type = FT_U64,
			    .kind = FK_LABEL, .help = "the victim's process id" },
	[OK_VICTIM_COMM] = { .key = "victim_comm", .header = "COMM", .type = FT_STR,
			     .kind = FK_LABEL, .help = "the victim's command name" },
	[OK_UID] = { .key = "victim_uid", .header = "UID", .type = FT_U64, .kind = FK_LABEL,
		     .help = "the victim's real uid" },
	[OK_VICTIM_CGROUP] = { .key = "victim_cgroup", .header = "CGROUP", .type = FT_STR,
			       .kind = FK_LABEL,
			       .help = "the victim's own memory cgroup, below the hierarchy root" },
	[OK_TRIGGER_PID] = { .key = "trigger_pid", .header = "TRIGGER", .type = FT_U64,
			     .kind = FK_LABEL,
			     .help = "the process whose allocation or charge invoked the OOM killer" },
	[OK_TRIGGER_COMM] = { .key = "trigger_comm", .header = "TRIGGER_COMM", .type = FT_STR,
			      .kind = FK_LABEL, .help = "its command name" },
	[OK_TRIGGER_CGROUP] = { .key = "trigger_cgroup", .header = "TRIGGER_CGROUP",
				.type = FT_STR, .kind = FK_LABEL, .help = "its memory cgroup" },
	[OK_CONSTRAINT] = { .key = "constraint", .header = "CONSTRAINT", .type = FT_STR,
			    .kind = FK_LABEL,
			    .help = "none (system-wide), memcg, cpuset or mempolicy, as the kernel's "
				    "CONSTRAINT_*; see CONSTRAINT" },
	[OK_OOM_CGROUP] = { .key = "oom_cgroup", .header = "OOM_CGROUP", .type = FT_STR,
			    .kind = FK_LABEL, .help = "memcg constraint: the cgroup whose limit was hit" },
	[OK_DECISION] = { .key = "decision_from", .header = "DECISION_FROM", .type = FT_STR,
			  .kind = FK_LABEL,
			  .help = "oom_control (the kernel's own constraint, points, order, gfp) or "
				  "derived (see CONSTRAINT)" },
	[OK_ORDER] = { .key = "order", .header = "ORDER", .type = FT_I64, .kind = FK_LABEL,
		       .help = "allocation order (oom_control, else the trigger's last direct "
			       "reclaim; absent for a memcg OOM without oom_control)" },
	[OK_GFP] = { .key = "gfp_flags", .header = "GFP", .type = FT_STR, .kind = FK_LABEL,
		     .help = "its gfp mask as the kernel's OOM report prints it: "
			     "0xcc0(GFP_KERNEL)" },
	[OK_TOTAL_VM] = KB("total_vm_kb", "TOTAL_VM", "the victim's virtual size"),
	[OK_ANON] = KB("anon_rss_kb", "ANON_RSS", "its anonymous resident memory"),
	[OK_FILE] = KB("file_rss_kb", "FILE_RSS", "its file-backed resident memory"),
	[OK_SHMEM] = KB("shmem_rss_kb", "SHMEM_RSS", "its shared-memory resident memory"),
	[OK_PGTABLES] = KB("pgtables_kb", "PGTABLES", "its page tables"),
	[OK_SWAP] = KB("swap_kb", "SWAP", "its swapped-out memory"),
	[OK_ADJ] = { .key = "oom_score_adj", .header = "OOM_SCORE_ADJ", .type = FT_I64,
		     .kind = FK_LABEL, .help = "the victim's oom_score_adj (-1000 to 1000)" },
	[OK_POINTS] = { .key = "points", .header = "POINTS", .type = FT_I64, .kind = FK_GAUGE,
			.unit = "pages",
			.help = "oom_badness(): rss+swap+page tables + adj*(total/1000); "
				"oom_control's chosen_points where read" },
	[OK_TOTALPAGES] = { .key = "total_pages", .header = "TOTAL_PAGES", .type = FT_U64,
			    .kind = FK_GAUGE, .unit = "pages",
			    .help = "the pages the adj is scaled by: the memcg's limit (+swap), "
				    "else RAM + swap" },
	[OK_SCORE] = { .key = "oom_score", .header = "OOM_SCORE", .type = FT_I64,
		       .kind = FK_GAUGE,
		       .help = "what /proc/PID/oom_score showed at the event (0-2000)" },
	[OK_LIMIT] = KB("memcg_limit_kb", "MEMCG_LIMIT", "the cgroup's memory limit"),
	[OK_USAGE] = KB("memcg_usage_kb", "MEMCG_USAGE", "the cgroup's memory usage"),
	[OK_CG_SWAP] = KB("memcg_swap_kb", "MEMCG_SWAP", "the cgroup's swap usage"),
	[OK_FREE] = KB("mem_free_kb", "MEM_FREE", "system-wide OOM: free memory, read after the kill"),
	[OK_AVAIL] = KB("mem_available_kb", "MEM_AVAILABLE", "system-wide OOM: available memory"),
	[OK_PSI] = { .key = "psi", .type = FT_OBJ, .kind = FK_GROUP, .sub = &memstat__psi_schema,
		     .help = "memory pressure (PSI) when the record was read" },
	[OK_PRE] = { .key = "preceding", .type = FT_OBJ, .kind = FK_GROUP, .sub = &pre_schema,
		     .help = "reclaim and compaction stalls of the last seconds (reclaimlat)" },
	[OK_LOST] = { .key = "lost", .type = FT_OBJ, .kind = FK_GROUP, .sub = &lost_schema,
		      .help = "kill records dropped since the previous one (full ring buffer)" },
};

const struct schema oomkill__schema = SCHEMA("oomkill", fields);

static const char *const constraint_names[] = {
	[OOM_CONSTRAINT_UNKNOWN] = "unknown",
	[OOM_CONSTRAINT_NONE] = "none",
	[OOM_CONSTRAINT_MEMCG] = "memcg",
	[OOM_CONSTRAINT_CPUSET] = "cpuset",
	[OOM_CONSTRAINT_MEMPOLICY] = "mempolicy",
};

static void meminfo_kb(const char *key, unsigned long long *out, bool *ok)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	size_t n = strlen(key);

	*ok = false;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			*ok = sscanf(line + n + 1, "%llu", out) == 1;
			break;
		}
	}
	if (f)
		fclose(f);
}

static const char *path_or_null(__u64 id, char *buf, size_t size)
{
	return cgroup__path(id, buf, size) ? NULL : buf;
}

static void copy_comm(char *dst, const char *src)
{
	memcpy(dst, src, TASK_COMM_LEN);
	dst[TASK_COMM_LEN] = '\0';
}

long long oomkill__badness(const struct oomkill_mem *m, long long totalpages)
{
	long long points = (long long)(m->rss + m->swap_ents) + (long long)(m->pgtables_bytes / 4096);

	if (m->adj <= -1000)
		return LLONG_MIN;
	return points + m->adj * (totalpages / 1000);
}

long long oomkill__proc_score(const struct oomkill_mem *m, const struct oomkill_sys *sys)
{
	long long total = (long long)(sys->ram_pages + sys->swap_pages);
	long long b = oomkill__badness(m, total);

	if (b == LLONG_MIN || total <= 0)
		return 0;
	return (1000 + b * 1000 / total) * 2 / 3;
}

unsigned long long oomkill__memcg_total(unsigned long long max, unsigned long long swap_max,
					bool have_swap, bool v1, const struct oomkill_sys *sys)
{
	unsigned long long sw = 0;

	if (have_swap && sys->swap_pages) {
		/* v1: memsw.max - memory.max is the swap headroom */
		sw = v1 ? (swap_max > max ? swap_max - max : 0) : swap_max;
		if (sw > sys->swap_pages)
			sw = sys->swap_pages;
	}
	return max + sw ? max + sw : 1;
}

void oomkill__sys_read(struct oomkill_sys *sys)
{
	struct sysinfo si;
	struct utsname u;
	int maj = 0, min = 0;

	memset(sys, 0, sizeof(*sys));
	if (!sysinfo(&si)) {
		sys->ram_pages = (unsigned long long)si.totalram * si.mem_unit / 4096;
		sys->swap_pages = (unsigned long long)si.totalswap * si.mem_unit / 4096;
		sys->have_totals = true;
	}
	/* __GFP_ATOMIC until v6.4 (commit 2973d8229b78 "mm: discard __GFP_ATOMIC") */
	if (!uname(&u) && sscanf(u.release, "%d.%d", &maj, &min) == 2)
		sys->gfp_atomic = maj < 6 || (maj == 6 && min < 4);
}

/* The kernel's gfpflag_names (include/trace/events/mmflags.h), in its order:
 * the first whose bits are all set is printed and its bits cleared. */
#define G_DMA 0x01u
#define G_HIGHMEM 0x02u
#define G_DMA32 0x04u
#define G_MOVABLE 0x08u
#define G_RECLAIMABLE 0x10u
#define G_HIGH 0x20u
#define G_IO 0x40u
#define G_FS 0x80u
#define G_ZERO 0x100u
#define G_ATOMIC 0x200u		/* before v6.4; unused since */
#define G_DIRECT 0x400u
#define G_KSWAPD 0x800u
#define G_WRITE 0x1000u
#define G_NOWARN 0x2000u
#define G_RETRY_MAYFAIL 0x4000u
#define G_NOFAIL 0x8000u
#define G_NORETRY 0x10000u
#define G_MEMALLOC 0x20000u
#define G_COMP 0x40000u
#define G_NOMEMALLOC 0x80000u
#define G_HARDWALL 0x100000u
#define G_THISNODE 0x200000u
#define G_ACCOUNT 0x400000u
#define G_RECLAIM (G_DIRECT | G_KSWAPD)
#define G_KERNEL (G_RECLAIM | G_IO | G_FS)
#define G_USER (G_KERNEL | G_HARDWALL)
#define G_HIGHUSER_MOVABLE (G_USER | G_HIGHMEM | G_MOVABLE)
#define G_TRANSHUGE_LIGHT ((G_HIGHUSER_MOVABLE | G_COMP | G_NOMEMALLOC | G_NOWARN) & ~G_RECLAIM)

void oomkill__gfp_names(unsigned int gfp, bool atomic, char *buf, size_t size)
{
	const struct { const char *name; unsigned int mask; } names[] = {
		{ "GFP_TRANSHUGE", G_TRANSHUGE_LIGHT | G_DIRECT },
		{ "GFP_TRANSHUGE_LIGHT", G_TRANSHUGE_LIGHT },
		{ "GFP_HIGHUSER_MOVABLE", G_HIGHUSER_MOVABLE },
		{ "GFP_HIGHUSER", G_USER | G_HIGHMEM },
		{ "GFP_USER", G_USER },
		{ "GFP_KERNEL_ACCOUNT", G_KERNEL | G_ACCOUNT },
		{ "GFP_KERNEL", G_KERNEL },
		{ "GFP_NOFS", G_RECLAIM | G_IO },
		{ "GFP_ATOMIC", G_HIGH | G_KSWAPD | (atomic ? G_ATOMIC : 0) },
		{ "GFP_NOIO", G_RECLAIM },
		{ "GFP_NOWAIT", G_KSWAPD },
		{ "GFP_DMA", G_DMA },
		{ "__GFP_HIGHMEM", G_HIGHMEM },
		{ "GFP_DMA32", G_DMA32 },
		{ "__GFP_HIGH", G_HIGH },
		{ "__GFP_ATOMIC", atomic ? G_ATOMIC : 0 },
		{ "__GFP_IO", G_IO },
		{ "__GFP_FS", G_FS },
		{ "__GFP_NOWARN", G_NOWARN },
		{ "__GFP_RETRY_MAYFAIL", G_RETRY_MAYFAIL },
		{ "__GFP_NOFAIL", G_NOFAIL },
		{ "__GFP_NORETRY", G_NORETRY },
		{ "__GFP_COMP", G_COMP },
		{ "__GFP_ZERO", G_ZERO },
		{ "__GFP_NOMEMALLOC", G_NOMEMALLOC },
		{ "__GFP_MEMALLOC", G_MEMALLOC },
		{ "__GFP_HARDWALL", G_HARDWALL },
		{ "__GFP_THISNODE", G_THISNODE },
		{ "__GFP_RECLAIMABLE", G_RECLAIMABLE },
		{ "__GFP_MOVABLE", G_MOVABLE },
		{ "__GFP_ACCOUNT", G_ACCOUNT },
		{ "__GFP_WRITE", G_WRITE },
		{ "__GFP_RECLAIM", G_RECLAIM },
		{ "__GFP_DIRECT_RECLAIM", G_DIRECT },
		{ "__GFP_KSWAPD_RECLAIM", G_KSWAPD },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; gfp && i < sizeof(names) / sizeof(names[0]); i++) {
		unsigned int m = names[i].mask;

		if (!m || (gfp & m) != m)
			continue;
		gfp &= ~m;
		n += snprintf(buf + n, n < size ? size - n : 0, "%s%s", names[i].name,
			      gfp ? "|" : "");
	}
	/* bits without a name here (KASAN's, __GFP_NOLOCKDEP): as the kernel
	 * prints bits it has no name for */
	if (gfp)
		snprintf(buf + n, n < size ? size - n : 0, "%#x", gfp);
}

static const char *const from_names[] = { "derived", "oom_control" };

/*
 * Points: oom_control's chosen_points where read, else oom_badness()
 * recomputed from what the kernel read at mark_victim, with the pages the
 * kernel scales the adj by: the OOM memcg's mem_cgroup_get_max(), else RAM
 * + swap (cpuset and mempolicy OOMs scale by their nodes: not derived).
 */
static void badness(struct rec *r, const struct oom_event *e, const struct oomkill_sys *sys,
		    bool v1)
{
	struct oomkill_mem m;
	long long total = -1, points;

	if (!(e->have & OOM_HAVE_TASK) || !(e->have & OOM_HAVE_MM))
		return;
	m.rss = e->anon_rss + e->file_rss + e->shmem_rss;
	m.swap_ents = e->swap_ents;
	m.pgtables_bytes = e->pgtables_bytes;
	m.adj = e->oom_score_adj;
	if (sys->have_totals)
		rec__i64(r, OK_SCORE, oomkill__proc_score(&m, sys));
	if (e->have & OOM_HAVE_OC) {
		total = (long long)e->totalpages;
		points = e->points;
	} else {
		if (e->constraint == OOM_CONSTRAINT_MEMCG && (e->have & OOM_HAVE_MEMCG) &&
		    e->memcg_max < (1ULL << 50))
			total = (long long)oomkill__memcg_total(e->memcg_max, e->memcg_swap_max,
							       e->have & OOM_HAVE_SWAP, v1, sys);
		else if (e->constraint == OOM_CONSTRAINT_NONE && sys->have_totals)
			total = (long long)(sys->ram_pages + sys->swap_pages);
		if (total < 0)
			return;
		points = oomkill__badness(&m, total);
	}
	rec__u64(r, OK_TOTALPAGES, (unsigned long long)total);
	/* LONG_MIN: never picked (adj -1000); a memory.oom.group member */
	if (points != LLONG_MIN && points != LONG_MIN)
		rec__i64(r, OK_POINTS, points);
}

void oomkill__event_rec(struct rec *r, struct oomkill_bufs *b, const struct oom_event *e,
			const struct oomkill_sys *sys, long long mono_to_real_ns, bool v1,
			unsigned long long lost)
{
	long long real = (long long)e->ts_ns + mono_to_real_ns;
	struct timespec t = { real / 1000000000LL, real % 1000000000LL };
	unsigned long long kb;
	bool ok;

	rec__init(r, &oomkill__schema);
	rec__time(r, OK_TIME, &t);
	rec__u64(r, OK_VICTIM_PID, e->victim_pid);
	copy_comm(b->trigger_comm, e->trigger_comm);
	rec__u64(r, OK_TRIGGER_PID, e->trigger_pid);
	rec__str(r, OK_TRIGGER_COMM, b->trigger_comm);
	rec__str(r, OK_TRIGGER_CGROUP, path_or_null(e->trigger_cgid, b->trigger_cg,
						    sizeof(b->trigger_cg)));
	if (e->constraint < sizeof(constraint_names) / sizeof(constraint_names[0]))
		rec__str(r, OK_CONSTRAINT, constraint_names[e->constraint]);
	if (e->constraint == OOM_CONSTRAINT_MEMCG)
		rec__str(r, OK_OOM_CGROUP, path_or_null(e->oom_cgid, b->oom_cg, sizeof(b->oom_cg)));
	rec__str(r, OK_DECISION, from_names[!!(e->have & OOM_HAVE_OC)]);
	if (e->have & (OOM_HAVE_OC | OOM_HAVE_ALLOC_TP)) {
		rec__i64(r, OK_ORDER, e->order);
		char names[400];

		oomkill__gfp_names(e->gfp_mask, sys->gfp_atomic, names, sizeof(names));
		snprintf(b->gfp, sizeof(b->gfp), "0x%x(%s)", e->gfp_mask, names);
		rec__str(r, OK_GFP, b->gfp);
	}
	if (e->have & OOM_HAVE_TASK) {
		copy_comm(b->comm, e->comm);
		rec__str(r, OK_VICTIM_COMM, b->comm);
		rec__u64(r, OK_UID, e->uid);
		rec__str(r, OK_VICTIM_CGROUP, path_or_null(e->victim_cgid, b->victim_cg,
							   sizeof(b->victim_cg)));
		rec__i64(r, OK_ADJ, e->oom_score_adj);
	}
	if (e->have & OOM_HAVE_MM) {
		rec__u64(r, OK_TOTAL_VM, e->total_vm * PAGE_KB);
		rec__u64(r, OK_ANON, e->anon_rss * PAGE_KB);
		rec__u64(r, OK_FILE, e->file_rss * PAGE_KB);
		rec__u64(r, OK_SHMEM, e->shmem_rss * PAGE_KB);
		rec__u64(r, OK_PGTABLES, e->pgtables_bytes / 1024);
		rec__u64(r, OK_SWAP, e->swap_ents * PAGE_KB);
	}
	if (e->have & OOM_HAVE_MEMCG) {
		if (e->memcg_max < (1ULL << 50))
			rec__u64(r, OK_LIMIT, e->memcg_max * PAGE_KB);
		rec__u64(r, OK_USAGE, e->memcg_usage * PAGE_KB);
		if (e->have & OOM_HAVE_SWAP) {
			/* v1's counter is memory+swap */
			unsigned long long sw = e->memcg_swap;

			if (v1)
				sw = sw > e->memcg_usage ? sw - e->memcg_usage : 0;
			rec__u64(r, OK_CG_SWAP, sw * PAGE_KB);
		}
	}
	badness(r, e, sys, v1);
	if (e->constraint == OOM_CONSTRAINT_NONE) {
		meminfo_kb("MemFree", &kb, &ok);
		if (ok)
			rec__u64(r, OK_FREE, kb);
		meminfo_kb("MemAvailable", &kb, &ok);
		if (ok)
			rec__u64(r, OK_AVAIL, kb);
	}
	if (!memstat__psi(NULL, "memory", &b->psi)) {
		memstat__psi_rec(&b->psi_rec, &b->psi);
		rec__obj(r, OK_PSI, &b->psi_rec);
	}
	rec__init(&b->lost_rec, &lost_schema);
	rec__u64(&b->lost_rec, OLL_EVENTS, lost);
	rec__obj(r, OK_LOST, &b->lost_rec);
}

void oomkill__print_block(FILE *out, const struct rec *r, bool timestamp)
{
	char cell[600];
	int f;

	schema__cell(r, OK_VICTIM_PID, cell, sizeof(cell));
	fprintf(out, "OOM kill of %s", cell);
	schema__cell(r, OK_VICTIM_COMM, cell, sizeof(cell));
	fprintf(out, " (%s)", cell);
	if (timestamp) {
		schema__cell(r, OK_TIME, cell, sizeof(cell));
		fprintf(out, " at %s", cell);
	}
	fputc('\n', out);
	for (f = OK_UID; f < OK_PSI; f++) {
		schema__cell(r, f, cell, sizeof(cell));
		fprintf(out, "  %-15s %s%s\n", fields[f].header, cell,
			r->v[f].set && fields[f].unit && !strcmp(fields[f].unit, "kb") ? " kB" : "");
	}
	if (r->v[OK_PSI].set) {
		const struct rec *p = r->v[OK_PSI].list.recs;
		char full[64];

		schema__cell(p, 0, cell, sizeof(cell));
		schema__cell(p, 1, full, sizeof(full));
		fprintf(out, "  %-15s some %s full %s (avg10)\n", "PSI", cell, full);
	}
	if (r->v[OK_PRE].set) {
		const struct rec *p = r->v[OK_PRE].list.recs;
		static const char *const names[] = { "direct", "memcg", "compact" };
		char n[32], ms[32];
		int c;

		schema__cell(p, PR_WINDOW, n, sizeof(n));
		fprintf(out, "  %-15s last %s s", "STALLS", n);
		if (p->v[PR_SCOPE].set)
			fprintf(out, " in %s:", p->v[PR_SCOPE].s);
		else
			fputs(" (every task):", out);
		for (c = 0; c < 3; c++) {
			schema__cell(p, PR_DIRECT + 2 * c, n, sizeof(n));
			schema__cell(p, PR_DIRECT_MS + 2 * c, ms, sizeof(ms));
			fprintf(out, " %s %s (%s ms)", names[c], n, ms);
		}
		schema__cell(p, PR_KSWAPD_MS, ms, sizeof(ms));
		fprintf(out, ", kswapd %s ms\n", ms);
	}
	fputc('\n', out);
	fflush(out);
}

static const struct field lost_line_fields[OL_NR] = {
	[OL_TIME] = { .key = "time", .header = "TIME", .prec = 3, .type = FT_TIME,
		      .kind = FK_LABEL, .help = "when the loss was seen" },
	[OL_LOST] = { .key = "lost", .type = FT_OBJ, .kind = FK_GROUP, .sub = &lost_schema,
		      .help = "every kind of loss" },
};
const struct schema oomkill__lost_schema = SCHEMA("oomkill.lost_line", lost_line_fields);

void oomkill__lost_rec(struct rec *r, const struct timespec *now, unsigned long long lost)
{
	static struct rec l;

	rec__init(&l, &lost_schema);
	rec__u64(&l, OLL_EVENTS, lost);
	rec__init(r, &oomkill__lost_schema);
	rec__time(r, OL_TIME, now);
	rec__obj(r, OL_LOST, &l);
}

/* --rank */
enum { RK_PID, RK_COMM, RK_SCORE, RK_ADJ, RK_RSS, RK_SWAP, RK_CGROUP, RK_NR };

static const struct field rank_fields[RK_NR] = {
	[RK_PID] = { .key = "pid", .header = "PID", .width = 7, .type = FT_U64, .kind = FK_LABEL,
		     .help = "process id" },
	[RK_COMM] = { .key = "comm", .header = "COMM", .width = -16, .type = FT_STR,
		      .kind = FK_LABEL, .help = "command name" },
	[RK_SCORE] = { .key = "oom_score", .header = "OOM_SCORE", .width = 9, .type = FT_I64,
		       .kind = FK_GAUGE, .help = "/proc/PID/oom_score: the badness the kernel ranks by (0-2000 since v5.9)" },
	[RK_ADJ] = { .key = "oom_score_adj", .header = "ADJ", .width = 6, .type = FT_I64,
		     .kind = FK_LABEL, .help = "/proc/PID/oom_score_adj" },
	[RK_RSS] = { .key = "rss_kb", .header = "RSS_KB", .width = 10, .type = FT_U64,
		     .kind = FK_GAUGE, .unit = "kb", .help = "VmRSS" },
	[RK_SWAP] = { .key = "swap_kb", .header = "SWAP_KB", .width = 9, .type = FT_U64,
		      .kind = FK_GAUGE, .unit = "kb", .help = "VmSwap" },
	[RK_CGROUP] = { .key = "cgroup", .header = "CGROUP", .width = -30, .type = FT_STR,
			.kind = FK_LABEL, .help = "memory cgroup (v1) or cgroup (v2)" },
};
const struct schema oomkill__rank_schema = SCHEMA("oomkill.rank", rank_fields);

void oomkill__rank_rec(struct rec *r, const struct oomkill_rank *row)
{
	rec__init(r, &oomkill__rank_schema);
	rec__u64(r, RK_PID, row->pid);
	rec__str(r, RK_COMM, row->comm);
	rec__i64(r, RK_SCORE, row->score);
	rec__i64(r, RK_ADJ, row->adj);
	if (row->rss_kb >= 0)
		rec__u64(r, RK_RSS, row->rss_kb);
	if (row->swap_kb >= 0)
		rec__u64(r, RK_SWAP, row->swap_kb);
	rec__str(r, RK_CGROUP, row->cgroup[0] ? row->cgroup : NULL);
}

/* Highest score first; the kernel's select_bad_process() keeps a later task
 * on equal points (it skips only lower ones), and walks in creation order:
 * among equals, more memory, then the higher pid, first. */
int oomkill__rank_cmp(const void *a, const void *b)
{
	const struct oomkill_rank *x = a, *y = b;
	long long mx = x->rss_kb + x->swap_kb, my = y->rss_kb + y->swap_kb;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (mx != my)
		return mx > my ? -1 : 1;
	return x->pid > y->pid ? -1 : 1;
}

static int read_long(pid_t pid, const char *file, long *out)
{
	char path[64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%ld", out) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static bool read_row(pid_t pid, struct oomkill_rank *row)
{
	char path[64], line[512];
	bool mm = false;
	FILE *f;

	memset(row, 0, sizeof(*row));
	row->pid = pid;
	row->rss_kb = row->swap_kb = -1;
	if (read_long(pid, "oom_score", &row->score) || read_long(pid, "oom_score_adj", &row->adj))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Name:", 5)) {
			sscanf(line + 5, " %16[^\n]", row->comm);
		} else if (!strncmp(line, "VmRSS:", 6)) {
			sscanf(line + 6, "%lld", &row->rss_kb);
			mm = true;
		} else if (!strncmp(line, "VmSwap:", 7)) {
			sscanf(line + 7, "%lld", &row->swap_kb);
		}
	}
	fclose(f);
	if (!mm)		/* kernel threads are never picked */
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *p = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!p)
			continue;
		*p++ = '\0';
		p[strcspn(p, "\n")] = '\0';
		/* v1 memory controller; v2 the unified line (unless v1 memory was seen) */
		if (!strcmp(ctl + 1, "memory") || (!strcmp(ctl + 1, "") && !row->cgroup[0]))
			snprintf(row->cgroup, sizeof(row->cgroup), "%s", p);
	}
	if (f)
		fclose(f);
	return true;
}

static bool under(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		return true;
	return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

int oomkill__rank(const char *cgroup, struct oomkill_rank **rows, size_t *n)
{
	DIR *d = opendir("/proc");
	struct oomkill_rank *out = NULL, row;
	size_t cap = 0;
	struct dirent *de;

	*rows = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (!read_row(atoi(de->d_name), &row))
			continue;
		if (cgroup && !under(row.cgroup, cgroup))
			continue;
		if (*n == cap) {
			struct oomkill_rank *p = realloc(out, (cap = cap ? 2 * cap : 256) * sizeof(*p));

			if (!p) {
				free(out);
				closedir(d);
				return -ENOMEM;
			}
			out = p;
		}
		out[(*n)++] = row;
	}
	closedir(d);
	qsort(out, *n, sizeof(*out), oomkill__rank_cmp);
	*rows = out;
	return 0;
}

/* What preceded it: reclaimlat's stalls per class over the last seconds. */

static const struct field pre_fields[PR_NR] = {
	[PR_WINDOW] = { .key = "window_s", .type = FT_U64, .kind = FK_GAUGE, .unit = "s",
			.help = "seconds the stalls below are summed over" },
	[PR_SCOPE] = { .key = "cgroup", .type = FT_STR, .kind = FK_LABEL,
		       .help = "the stalls of tasks in this cgroup or below (-c); null: every task" },
	[PR_DIRECT] = { .key = "direct_stalls", .type = FT_U64, .kind = FK_COUNTER,
			.help = "global direct reclaim stalls (allocation stalls)" },
	[PR_DIRECT_MS] = { .key = "direct_ms", .type = FT_DBL, .prec = 3, .kind = FK_COUNTER,
			   .unit = "ms", .help = "their total time" },
	[PR_MEMCG] = { .key = "memcg_stalls", .type = FT_U64, .kind = FK_COUNTER,
		       .help = "memory cgroup reclaim stalls" },
	[PR_MEMCG_MS] = { .key = "memcg_ms", .type = FT_DBL, .prec = 3, .kind = FK_COUNTER,
			  .unit = "ms", .help = "their total time" },
	[PR_COMPACT] = { .key = "compact_stalls", .type = FT_U64, .kind = FK_COUNTER,
			 .help = "direct compaction stalls" },
	[PR_COMPACT_MS] = { .key = "compact_ms", .type = FT_DBL, .prec = 3, .kind = FK_COUNTER,
			    .unit = "ms", .help = "their total time" },
	[PR_KSWAPD_MS] = { .key = "kswapd_ms", .type = FT_DBL, .prec = 3, .kind = FK_COUNTER,
			   .unit = "ms", .help = "kswapd active time" },
};
static const struct schema pre_schema = SCHEMA("oomkill.preceding", pre_fields);

static void pre_class(struct rec *r, const struct oomkill_preceding *p, int c, int f_n, int f_ms)
{
	if (!p->have[c])
		return;
	if (f_n >= 0)
		rec__u64(r, f_n, p->st[c].count);
	rec__dbl(r, f_ms, (double)p->st[c].total_ns / 1e6);
}

void oomkill__preceding_rec(struct rec *r, struct oomkill_bufs *b,
			    const struct oomkill_preceding *p)
{
	rec__init(&b->pre_rec, &pre_schema);
	rec__u64(&b->pre_rec, PR_WINDOW, p->window_s);
	rec__str(&b->pre_rec, PR_SCOPE, p->cgroup);
	pre_class(&b->pre_rec, p, RL_DIRECT, PR_DIRECT, PR_DIRECT_MS);
	pre_class(&b->pre_rec, p, RL_MEMCG, PR_MEMCG, PR_MEMCG_MS);
	pre_class(&b->pre_rec, p, RL_COMPACT, PR_COMPACT, PR_COMPACT_MS);
	pre_class(&b->pre_rec, p, RL_KSWAPD, -1, PR_KSWAPD_MS);
	rec__obj(r, OK_PRE, &b->pre_rec);
}
