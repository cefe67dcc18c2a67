// SPDX-License-Identifier: BSD-2-Clause
/* reclaimlat's outputs, each field described once (schema.h), and the
 * records of a summary report or an event built from what the module read. */
#include <errno.h>
#include <string.h>
#include "reclaimlat.h"

#define MS(k, h, w, fk, what)                                                                \
	{ .key = k, .header = h, .width = w, .prec = 3, .type = FT_DBL, .kind = fk,         \
	  .unit = "ms", .help = what }
#define PAGES(w, what)                                                                       \
	{ .key = "pages", .header = "PAGES", .width = w, .type = FT_U64, .kind = FK_COUNTER, \
	  .unit = "pages", .help = what }

static const struct field class_fields[] = {
	[RLC_CLASS] = { .key = "class", .header = "CLASS", .width = -8, .type = FT_STR,
			.kind = FK_LABEL, .flags = FF_TEXT_ONLY,
			.help = "direct, memcg, kswapd, slab, compact (JSON: the key)" },
	[RLC_STALLS] = { .key = "stalls", .header = "COUNT", .width = 8, .type = FT_U64,
			 .kind = FK_COUNTER,
			 .help = "stalls ended (kswapd: active periods; slab: shrinker calls)" },
	[RLC_TOTAL] = MS("total_ms", "TOTAL_MS", 12, FK_COUNTER, "their total time"),
	[RLC_MAX] = MS("max_ms", "MAX_MS", 10, FK_GAUGE, "the longest"),
	[RLC_PAGES] = PAGES(10, "pages reclaimed; absent for slab, compact, and kswapd "
				"without its pages hook"),
	[RLC_HIST] = { .key = "hist", .type = FT_HIST, .kind = FK_HISTOGRAM, .unit = "us",
		       .help = "log2 histogram of the stall times (-m: milliseconds)" },
};
static const struct schema class_schema = SCHEMA("reclaimlat.class", class_fields);

#define CLASS(name)                                                                          \
	{ .key = name, .type = FT_OBJ, .kind = FK_GROUP, .sub = &class_schema,               \
	  .help = "the class's stalls; null where the kernel lacks its hooks" }
static const struct field classes_fields[] = {
	[RL_DIRECT] = CLASS("direct"), [RL_MEMCG] = CLASS("memcg"),
	[RL_KSWAPD] = CLASS("kswapd"), [RL_SLAB] = CLASS("slab"),
	[RL_COMPACT] = CLASS("compact"),
};
static const struct schema classes_schema = SCHEMA("reclaimlat.classes", classes_fields);

static const struct field top_fields[] = {
	[RLT_PID] = { .key = "pid", .header = "PID", .width = -8, .type = FT_U64,
		      .kind = FK_LABEL, .help = "process id" },
	[RLT_COMM] = { .key = "comm", .header = "COMM", .width = -16, .type = FT_STR,
		       .kind = FK_LABEL, .help = "its command" },
	[RLT_CLASS] = { .key = "class", .header = "CLASS", .width = -8, .type = FT_STR,
			.kind = FK_LABEL, .help = "reclaim class" },
	[RLT_STALLS] = { .key = "stalls", .header = "STALLS", .width = 8, .type = FT_U64,
			 .kind = FK_COUNTER, .help = "its stalls of the class" },
	[RLT_TOTAL] = MS("total_ms", "TOTAL_MS", 12, FK_COUNTER, "their total time"),
	[RLT_MAX] = MS("max_ms", "MAX_MS", 10, FK_GAUGE, "the longest"),
	[RLT_PAGES] = PAGES(10, "pages reclaimed (absent as for the class)"),
};
static const struct schema top_schema = SCHEMA("reclaimlat.top", top_fields);

static const struct field swap_fields[] = {
	[RLS_IN_PPS] = { .key = "in_pps", .header = "swap-in", .prec = 1, .type = FT_DBL,
			 .kind = FK_GAUGE, .unit = "pps", .help = "pages swapped in per second" },
	[RLS_OUT_PPS] = { .key = "out_pps", .header = "swap-out", .prec = 1, .type = FT_DBL,
			  .kind = FK_GAUGE, .unit = "pps", .help = "pages swapped out per second" },
	[RLS_IN_PAGES] = { .key = "in_pages", .type = FT_U64, .kind = FK_COUNTER,
			   .unit = "pages", .help = "pages swapped in (pswpin)" },
	[RLS_OUT_PAGES] = { .key = "out_pages", .type = FT_U64, .kind = FK_COUNTER,
			    .unit = "pages", .help = "pages swapped out (pswpout)" },
};
static const struct schema swap_schema = SCHEMA("reclaimlat.swap", swap_fields);

static const struct field lost_fields[] = {
	[RLL_EVENTS] = { .key = "events", .type = FT_U64, .kind = FK_COUNTER, .flags = FF_OMIT,
			 .help = "event mode: events the full ring buffer dropped" },
	[RLL_PROCS] = { .key = "procs", .type = FT_U64, .kind = FK_COUNTER, .flags = FF_OMIT,
			.help = "summary: top rows the full process table could not hold" },
};
static const struct schema lost_schema = SCHEMA("reclaimlat.lost", lost_fields);

#define TIME_FIELD { .key = "time", .header = "TIME", .width = -12, .prec = 3, .type = FT_TIME, \
		     .kind = FK_LABEL, .help = "RFC 3339 UTC (text: local HH:MM:SS.mmm)" }
#define LOST_FIELD { .key = "lost", .type = FT_OBJ, .kind = FK_GROUP, .sub = &lost_schema, \
		     .help = "every kind of loss in the interval" }

static const struct field report_fields[] = {
	[RLR_TIME] = { .key = "time", .type = FT_TIME, .kind = FK_LABEL,
		       .help = "RFC 3339 UTC (text, with -T: local HH:MM:SS above the report)" },
	[RLR_INTERVAL] = { .key = "interval_s", .prec = 3, .type = FT_DBL, .kind = FK_GAUGE,
			   .unit = "s", .help = "the measured interval" },
	[RLR_CLASSES] = { .key = "classes", .type = FT_OBJ, .kind = FK_GROUP,
			  .sub = &classes_schema, .flags = FF_JSON_ONLY,
			  .help = "per reclaim class, by name" },
	[RLR_CLASS_ROWS] = { .key = "class_rows", .type = FT_LIST, .kind = FK_GROUP,
			     .sub = &class_schema, .flags = FF_TEXT_ONLY,
			     .help = "the class table: the same records, one row a class" },
	[RLR_TOP] = { .key = "top", .type = FT_LIST, .kind = FK_GROUP, .sub = &top_schema,
		      .help = "the top stallers, largest total first (text: -P)" },
	[RLR_SWAP] = { .key = "swap", .type = FT_OBJ, .kind = FK_GROUP, .sub = &swap_schema,
		       .help = "swapping over the interval; null without /proc/vmstat" },
	[RLR_ALLOCSTALLS] = { .key = "allocstalls", .type = FT_U64, .kind = FK_COUNTER,
			      .help = "entries into global direct reclaim (allocstall_*)" },
	[RLR_ZONES] = { .key = "zones", .type = FT_LIST, .kind = FK_GROUP,
			.sub = &memstat__zone_schema, .help = "zones with managed pages" },
	[RLR_PSI] = { .key = "psi", .type = FT_OBJ, .kind = FK_GROUP,
		      .sub = &memstat__psi_schema, .help = "memory pressure; null without PSI" },
	[RLR_LOST] = LOST_FIELD,
};
const struct schema reclaimlat__report_schema = SCHEMA("reclaimlat", report_fields);

static const struct field event_fields[] = {
	[RLE_TIME] = TIME_FIELD,
	[RLE_COMM] = { .key = "comm", .header = "COMM", .width = -16, .type = FT_STR,
		       .kind = FK_LABEL, .help = "the stalled task's command" },
	[RLE_PID] = { .key = "pid", .header = "PID", .width = -8, .type = FT_U64,
		      .kind = FK_LABEL, .help = "its process id" },
	[RLE_TID] = { .key = "tid", .type = FT_U64, .kind = FK_LABEL, .flags = FF_JSON_ONLY,
		      .help = "its thread id" },
	[RLE_CLASS] = { .key = "class", .header = "CLASS", .width = -8, .type = FT_STR,
			.kind = FK_LABEL, .help = "reclaim class" },
	[RLE_LAT] = MS("lat_ms", "LAT(ms)", 10, FK_GAUGE, "the stall's time"),
	[RLE_PAGES] = PAGES(8, "pages reclaimed; absent where the class has none"),
	[RLE_NID] = { .key = "nid", .type = FT_I64, .kind = FK_LABEL,
		      .flags = FF_JSON_ONLY | FF_OMIT, .help = "kswapd: its node" },
};
const struct schema reclaimlat__event_schema = SCHEMA("reclaimlat.event", event_fields);

static const struct field lost_line_fields[] = {
	[RLD_TIME] = TIME_FIELD,
	[RLD_LOST] = LOST_FIELD,
};
const struct schema reclaimlat__lost_line_schema =
	SCHEMA("reclaimlat.lost_line", lost_line_fields);

static double ns_ms(unsigned long long ns)
{
	return (double)ns / 1e6;
}

static void class_rec(struct reclaimlat_report *r, const struct reclaimlat_snap *s, int c)
{
	const struct rl_stats *st = &s->st[c];
	struct rec *k = &r->cls[c];

	rec__init(k, &class_schema);
	rec__str(k, RLC_CLASS, reclaimlat__class_names[c]);
	if (!s->has_class[c])
		return;
	rec__u64(k, RLC_STALLS, st->count);
	rec__dbl(k, RLC_TOTAL, ns_ms(st->total_ns));
	rec__dbl(k, RLC_MAX, ns_ms(st->max_ns));
	if (s->has_pages[c])
		rec__u64(k, RLC_PAGES, st->pages);
	r->hist[c] = (struct hist_view){ st->hist, RL_HIST_SLOTS, s->ms ? "ms" : "us" };
	rec__hist(k, RLC_HIST, &r->hist[c]);
	rec__obj(&r->classes, c, k);
}

static void top_rec(struct rec *t, const struct reclaimlat_snap *s,
		    const struct reclaimlat_row *row)
{
	bool known = row->class < RL_NR_CLASSES;

	rec__init(t, &top_schema);
	rec__u64(t, RLT_PID, row->pid);
	rec__str(t, RLT_COMM, row->comm);
	rec__str(t, RLT_CLASS, known ? reclaimlat__class_names[row->class] : "?");
	rec__u64(t, RLT_STALLS, row->count);
	rec__dbl(t, RLT_TOTAL, ns_ms(row->total_ns));
	rec__dbl(t, RLT_MAX, ns_ms(row->max_ns));
	if (known && s->has_pages[row->class])
		rec__u64(t, RLT_PAGES, row->pages);
}

void reclaimlat__report(struct reclaimlat_report *r, const struct reclaimlat_snap *s)
{
	size_t i, ntop = s->nrows < RL_TOP_ROWS ? s->nrows : RL_TOP_ROWS;
	int c;

	rec__init(&r->rec, &reclaimlat__report_schema);
	rec__time(&r->rec, RLR_TIME, &s->time);
	rec__dbl(&r->rec, RLR_INTERVAL, s->interval_s);
	rec__init(&r->classes, &classes_schema);
	for (c = 0; c < RL_NR_CLASSES; c++)
		class_rec(r, s, c);
	rec__obj(&r->rec, RLR_CLASSES, &r->classes);
	rec__list(&r->rec, RLR_CLASS_ROWS, r->cls, RL_NR_CLASSES);
	for (i = 0; i < ntop; i++)
		top_rec(&r->top[i], s, &s->rows[i]);
	rec__list(&r->rec, RLR_TOP, r->top, ntop);
	if (s->have_vm) {
		rec__init(&r->swap, &swap_schema);
		rec__dbl(&r->swap, RLS_IN_PPS, s->vm.pswpin / s->interval_s);
		rec__dbl(&r->swap, RLS_OUT_PPS, s->vm.pswpout / s->interval_s);
		rec__u64(&r->swap, RLS_IN_PAGES, s->vm.pswpin);
		rec__u64(&r->swap, RLS_OUT_PAGES, s->vm.pswpout);
		rec__obj(&r->rec, RLR_SWAP, &r->swap);
		rec__u64(&r->rec, RLR_ALLOCSTALLS, s->vm.allocstall);
	}
	for (c = 0; c < s->nz && c < RL_MAX_ZONES; c++)
		memstat__zone_rec(&r->zones[c], &s->zones[c]);
	rec__list(&r->rec, RLR_ZONES, r->zones, c);
	if (s->have_psi) {
		memstat__psi_rec(&r->psi, &s->psi);
		rec__obj(&r->rec, RLR_PSI, &r->psi);
	}
	rec__init(&r->lost, &lost_schema);
	rec__u64(&r->lost, RLL_PROCS, s->lost_procs);
	rec__obj(&r->rec, RLR_LOST, &r->lost);
}

/* "swap-in 12.0 pages/s, swap-out 3.5 pages/s, allocstalls 0, psi some 0.13% full 0.00%" */
static void print_pressure(FILE *out, const struct reclaimlat_report *r)
{
	char a[64], b[64], n[64];

	if (r->rec.v[RLR_SWAP].set) {
		schema__cell(&r->swap, RLS_IN_PPS, a, sizeof(a));
		schema__cell(&r->swap, RLS_OUT_PPS, b, sizeof(b));
		schema__cell(&r->rec, RLR_ALLOCSTALLS, n, sizeof(n));
		fprintf(out, "swap-in %s pages/s, swap-out %s pages/s, allocstalls %s", a, b, n);
	} else {
		fputs("swap and allocstalls: /proc/vmstat unreadable", out);
	}
	if (r->rec.v[RLR_PSI].set) {
		schema__cell(&r->psi, MP_SOME_AVG10, a, sizeof(a));
		schema__cell(&r->psi, MP_FULL_AVG10, b, sizeof(b));
		fprintf(out, ", psi some %s full %s\n", a, b);
	} else {
		fputs(", psi n/a\n", out);
	}
}

void reclaimlat__print_report(FILE *out, const struct reclaimlat_report *r, bool timestamp,
			      bool procs)
{
	char cell[64];
	int c;

	if (timestamp) {
		schema__cell(&r->rec, RLR_TIME, cell, sizeof(cell));
		fprintf(out, "%s\n", cell);
	}
	schema__table(out, &r->rec, RLR_CLASS_ROWS, 0);
	print_pressure(out, r);
	schema__table(out, &r->rec, RLR_ZONES, 0);
	for (c = 0; c < RL_NR_CLASSES; c++) {
		if (!(rec__num(&r->cls[c], RLC_STALLS) > 0))
			continue;
		fprintf(out, "\n%s stalls:\n", reclaimlat__class_names[c]);
		schema__block(out, &r->cls[c], RLC_HIST);
	}
	if (procs) {
		fputc('\n', out);
		schema__table(out, &r->rec, RLR_TOP, 0);
	}
	fputc('\n', out);
	fflush(out);
}

int reclaimlat__event_rec(struct rec *r, char comm[TASK_COMM_LEN + 1], const void *data,
			  size_t size, long long mono_to_real_ns, bool kswapd_pages)
{
	const struct rl_event *e = data;
	long long real;
	struct timespec ts;

	if (size < sizeof(*e))
		return -EINVAL;
	real = (long long)e->ts_ns + mono_to_real_ns;
	ts = (struct timespec){ .tv_sec = real / 1000000000LL, .tv_nsec = real % 1000000000LL };
	memcpy(comm, e->comm, TASK_COMM_LEN);
	comm[TASK_COMM_LEN] = '\0';
	rec__init(r, &reclaimlat__event_schema);
	rec__time(r, RLE_TIME, &ts);
	rec__str(r, RLE_COMM, comm);
	rec__u64(r, RLE_PID, e->pid);
	rec__u64(r, RLE_TID, e->tid);
	rec__str(r, RLE_CLASS, e->class < RL_NR_CLASSES ? reclaimlat__class_names[e->class] : "?");
	rec__dbl(r, RLE_LAT, ns_ms(e->lat_ns));
	if (e->pages != RL_NO_PAGES && (e->class != RL_KSWAPD || kswapd_pages))
		rec__u64(r, RLE_PAGES, e->pages);
	if (e->nid >= 0)
		rec__i64(r, RLE_NID, e->nid);
	return 0;
}

void reclaimlat__lost_rec(struct rec *r, struct rec *lost, const struct timespec *now,
			  unsigned long long events)
{
	rec__init(lost, &lost_schema);
	rec__u64(lost, RLL_EVENTS, events);
	rec__init(r, &reclaimlat__lost_line_schema);
	rec__time(r, RLD_TIME, now);
	rec__obj(r, RLD_LOST, lost);
}

void reclaimlat__print_lost(FILE *out, const struct rec *line)
{
	char n[64];

	schema__cell(line->v[RLD_LOST].list.recs, RLL_EVENTS, n, sizeof(n));
	fprintf(out, "# %s events dropped: the ring buffer was full\n", n);
}

void reclaimlat__print_begin(FILE *out, bool events)
{
	if (events)
		schema__header(out, &reclaimlat__event_schema, 0);
	else
		fputs("Tracing reclaim stalls... Ctrl-C to end.\n\n", out);
	fflush(out);
}
