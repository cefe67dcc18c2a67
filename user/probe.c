// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "log.h"
#include "probe.h"

static const char *const probe_kind_names[] = {
	[PROBE_TP_BTF] = "tp_btf",   [PROBE_RAW_TP] = "raw_tp",	      [PROBE_TP] = "tracepoint",
	[PROBE_FENTRY] = "fentry",   [PROBE_FEXIT] = "fexit",	      [PROBE_KPROBE] = "kprobe",
	[PROBE_KRETPROBE] = "kretprobe",
};

/* ---- kernel facts, computed once ---- */

static struct btf *vmlinux_btf;
static int vmlinux_btf_err;

const struct btf *probe__vmlinux_btf(void)
{
	if (!vmlinux_btf && !vmlinux_btf_err) {
		vmlinux_btf = btf__load_vmlinux_btf();
		if (!vmlinux_btf)
			vmlinux_btf_err = -errno ?: -ENOENT;
	}
	return vmlinux_btf;
}

void probe__drop_btf(void)
{
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
	vmlinux_btf_err = 0;
}

/* Sorted names of the kernel's text symbols, for kprobe targets: a function
 * that was inlined everywhere, or renamed with a .isra/.constprop suffix, has
 * no exact entry and cannot be kprobed by name. */
static char **ksyms;
static size_t n_ksyms;
static int ksyms_err;

static int probe__cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int probe__load_ksyms(void)
{
	char line[512], name[256], type;
	size_t cap = 0;
	unsigned long long addr;
	FILE *f;

	if (ksyms || ksyms_err)
		return ksyms_err;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return ksyms_err = -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (type != 't' && type != 'T')
			continue;
		if (n_ksyms == cap) {
			char **n = realloc(ksyms, (cap = cap ? cap * 2 : 65536) * sizeof(*ksyms));

			if (!n) {
				fclose(f);
				return ksyms_err = -ENOMEM;
			}
			ksyms = n;
		}
		ksyms[n_ksyms] = strdup(name);
		if (!ksyms[n_ksyms]) {
			fclose(f);
			return ksyms_err = -ENOMEM;
		}
		n_ksyms++;
	}
	fclose(f);
	qsort(ksyms, n_ksyms, sizeof(*ksyms), probe__cmp_str);
	return 0;
}

static bool probe__ksym_exists(const char *name)
{
	return bsearch(&name, ksyms, n_ksyms, sizeof(*ksyms), probe__cmp_str) != NULL;
}

/* fentry/fexit can be in BTF yet refused (this project's 6.18 CI kernel
 * answers EPERM, as do kernels without DYNAMIC_FTRACE_WITH_DIRECT_CALLS),
 * so the only reliable test is to load and attach an empty program to the
 * very target. Results are cached per (kind, target). */
struct tracing_check {
	enum probe_kind kind;
	const char *target;
	int err;
	char why[PROBE_WHY_LEN];
};
static struct tracing_check tracing_checks[64];
static int n_tracing_checks;

static int probe__try_tracing(enum probe_kind kind, const char *target, int btf_id, char *why,
			      size_t size)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .attach_btf_id = btf_id,
		    .expected_attach_type =
			    kind == PROBE_FENTRY ? BPF_TRACE_FENTRY : BPF_TRACE_FEXIT);
	struct tracing_check *c;
	int i, fd, lfd, err = 0;

	for (i = 0; i < n_tracing_checks; i++) {
		c = &tracing_checks[i];
		if (c->kind == kind && !strcmp(c->target, target)) {
			snprintf(why, size, "%s", c->why);
			return c->err;
		}
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "memscope_probe", "GPL", insns, 2, &opts);
	if (fd < 0) {
		err = -errno;
		snprintf(why, size, "kernel refuses %s programs (%s)", probe_kind_names[kind],
			 strerror(-err));
	} else {
		lfd = bpf_raw_tracepoint_open(NULL, fd);
		if (lfd < 0) {
			err = -errno;
			snprintf(why, size, "kernel refuses to attach %s to %s (%s)",
				 probe_kind_names[kind], target, strerror(-err));
		} else {
			close(lfd);
		}
		close(fd);
	}
	if (n_tracing_checks < (int)(sizeof(tracing_checks) / sizeof(tracing_checks[0]))) {
		c = &tracing_checks[n_tracing_checks++];
		c->kind = kind;
		c->target = target;
		c->err = err;
		snprintf(c->why, sizeof(c->why), "%s", why);
	}
	return err;
}

static bool probe__tracefs_event(const char *target, char *why, size_t size)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256], cat[64];
	const char *colon = strchr(target, ':');
	size_t i;

	if (!colon || colon - target >= (long)sizeof(cat)) {
		snprintf(why, size, "bad tracepoint name '%s'", target);
		return false;
	}
	memcpy(cat, target, colon - target);
	cat[colon - target] = '\0';
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events", roots[i]);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/events/%s/%s/id", roots[i], cat, colon + 1);
		if (!access(path, R_OK))
			return true;
		snprintf(why, size, "no tracepoint %s in this kernel", target);
		return false;
	}
	snprintf(why, size, "tracefs not mounted (classic tracepoints need it)");
	return false;
}

/* Name of the type behind pointers, const and volatile: "kiocb" for
 * struct kiocb *, "size_t" for size_t. */
static const char *probe__base_type_name(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_ptr(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	if (t && btf_kind(t) == BTF_KIND_UNKN)
		return "void"; /* type 0: so "const void *" can be named in args */
	return t ? btf__name_by_offset(btf, t->name_off) : "";
}

/* The function prototype behind a tracepoint (btf_trace_X: a pointer to a
 * proto whose first parameter is the context) or a function. */
static const struct btf_type *probe__proto(const struct btf *btf, enum probe_kind kind,
					   const char *target, int *skip)
{
	const struct btf_type *t;
	char name[160];
	int id;

	*skip = 0;
	if (kind == PROBE_TP_BTF || kind == PROBE_RAW_TP) {
		snprintf(name, sizeof(name), "btf_trace_%s", target);
		id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
		*skip = 1;
	} else {
		id = btf__find_by_name_kind(btf, target, BTF_KIND_FUNC);
	}
	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	while (t && (btf_is_typedef(t) || btf_is_ptr(t) || btf_is_func(t)))
		t = btf__type_by_id(btf, t->type);
	return t && btf_is_func_proto(t) ? t : NULL;
}

static int probe__args_match(enum probe_kind kind, const char *target, const char *args,
			     char *why, size_t size)
{
	const struct btf *btf = probe__vmlinux_btf();
	const struct btf_type *proto;
	const struct btf_param *p;
	char want[160], *tok, *save = NULL;
	int skip, i = 0;

	if (!args || !btf || kind == PROBE_TP)
		return 0;
	proto = probe__proto(btf, kind, target, &skip);
	if (!proto)
		return 0; /* kprobe target without BTF: cannot tell, trust the name */
	p = btf_params(proto);
	snprintf(want, sizeof(want), "%s", args);
	for (tok = strtok_r(want, ",", &save); tok; tok = strtok_r(NULL, ",", &save), i++) {
		const char *have;

		if (skip + i >= btf_vlen(proto)) {
			snprintf(why, size, "%s has fewer arguments than this program expects",
				 target);
			return -ENOENT;
		}
		have = probe__base_type_name(btf, p[skip + i].type);
		if (strcmp(have, tok)) {
			snprintf(why, size, "argument %d is %s here, this program is for %s", i + 1,
				 have[0] ? have : "unnamed", tok);
			return -ENOENT;
		}
	}
	return 0;
}

static int probe__hook_exists(enum probe_kind kind, const char *target, char *why, size_t size)
{
	const struct btf *btf = probe__vmlinux_btf();
	char name[160];
	int id;

	switch (kind) {
	case PROBE_TP_BTF:
	case PROBE_RAW_TP:
		if (!btf) {
			snprintf(why, size, "kernel BTF unavailable");
			return -ENOENT;
		}
		snprintf(name, sizeof(name), "btf_trace_%s", target);
		if (btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) < 0) {
			snprintf(why, size, "no tracepoint %s in this kernel", target);
			return -ENOENT;
		}
		return 0;
	case PROBE_TP:
		return probe__tracefs_event(target, why, size) ? 0 : -ENOENT;
	case PROBE_FENTRY:
	case PROBE_FEXIT:
		if (!btf) {
			snprintf(why, size, "kernel BTF unavailable");
			return -ENOENT;
		}
		id = btf__find_by_name_kind(btf, target, BTF_KIND_FUNC);
		if (id < 0) {
			snprintf(why, size, "no function %s in kernel BTF", target);
			return -ENOENT;
		}
		return probe__try_tracing(kind, target, id, why, size);
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		if (access("/sys/bus/event_source/devices/kprobe/type", F_OK)) {
			snprintf(why, size, "kprobes not configured in this kernel");
			return -EOPNOTSUPP;
		}
		if (probe__load_ksyms()) {
			snprintf(why, size, "cannot read /proc/kallsyms");
			return ksyms_err;
		}
		if (!probe__ksym_exists(target)) {
			snprintf(why, size, "no traceable function %s (inlined or absent)", target);
			return -ENOENT;
		}
		return 0;
	}
	snprintf(why, size, "unknown probe kind");
	return -EINVAL;
}

int probe__available(enum probe_kind kind, const char *target, const char *args, char *why,
		     size_t size)
{
	int err;

	why[0] = '\0';
	/* the signature first: it is cheap, and a test load of a wrong one is moot */
	err = probe__args_match(kind, target, args, why, size);
	if (!err)
		err = probe__hook_exists(kind, target, why, size);
	return err;
}

int probe__kernel_enum_has(const char *enum_name, const char *value)
{
	const struct btf *btf = probe__vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *v;
	int id, i;

	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	v = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, v++)
		if (!strcmp(btf__name_by_offset(btf, v->name_off), value))
			return 1;
	return 0;
}

/* A helper exists when the kernel's enum bpf_func_id names it: helpers are
 * only ever added, each with its BPF_FUNC_ enumerator. */
static bool probe__helper_exists(const char *helper)
{
	char name[96];

	if (!probe__vmlinux_btf())
		return false;
	snprintf(name, sizeof(name), "BPF_FUNC_%s", helper);
	/* no such enum: cannot tell, let the load decide */
	return probe__kernel_enum_has("bpf_func_id", name) != 0;
}

/* ---- probe sets ---- */

int probe__parse_kinds(const char *list, unsigned int *mask)
{
	char buf[256], *tok, *save = NULL;
	size_t k;

	snprintf(buf, sizeof(buf), "%s", list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < sizeof(probe_kind_names) / sizeof(probe_kind_names[0]); k++)
			if (!strcmp(tok, probe_kind_names[k]))
				break;
		if (k == sizeof(probe_kind_names) / sizeof(probe_kind_names[0]))
			return -EINVAL;
		*mask |= 1U << k;
	}
	return *mask ? 0 : -EINVAL;
}

static int probe__n_cands(const struct probe_set *ps)
{
	int i, n = 0;

	for (i = 0; i < ps->n_events; i++)
		n += ps->events[i].n_cands;
	return n;
}

char *probe__reason(const struct probe_set *ps, int event, int cand)
{
	int i, off = 0;

	for (i = 0; i < event; i++)
		off += ps->events[i].n_cands;
	return ps->why[off + cand];
}

int probe__init(struct probe_set *ps, const char *object, const struct probe_event *events,
		int n_events)
{
	int i;

	memset(ps, 0, sizeof(*ps));
	ps->object = object;
	ps->events = events;
	ps->n_events = n_events;
	ps->chosen = calloc(n_events, sizeof(*ps->chosen));
	ps->forced = calloc(n_events, sizeof(*ps->forced));
	ps->links = calloc(n_events, sizeof(*ps->links));
	ps->why = calloc(probe__n_cands(ps), sizeof(*ps->why));
	if (!ps->chosen || !ps->forced || !ps->links || !ps->why) {
		probe__free(ps);
		return -ENOMEM;
	}
	for (i = 0; i < n_events; i++)
		ps->chosen[i] = ps->forced[i] = -1;
	return 0;
}

void probe__free(struct probe_set *ps)
{
	probe__detach(ps);
	free(ps->chosen);
	free(ps->forced);
	free(ps->links);
	free(ps->why);
	ps->chosen = ps->forced = NULL;
	ps->links = NULL;
	ps->why = NULL;
	ps->obj = NULL;
}

int probe__force(struct probe_set *ps, int event, int cand)
{
	if (event < 0 || event >= ps->n_events || cand < -1 || cand >= ps->events[event].n_cands)
		return -EINVAL;
	ps->forced[event] = cand;
	return 0;
}

void probe__describe(const struct probe_cand *c, char *buf, size_t size)
{
	if (c->args)
		snprintf(buf, size, "%s:%s(%s)", probe_kind_names[c->kind], c->target, c->args);
	else
		snprintf(buf, size, "%s:%s", probe_kind_names[c->kind], c->target);
}

const struct probe_cand *probe__chosen(const struct probe_set *ps, int event)
{
	if (event < 0 || event >= ps->n_events || ps->chosen[event] < 0)
		return NULL;
	return &ps->events[event].cands[ps->chosen[event]];
}

static int probe__resolve_event(struct probe_set *ps, int e, bool all)
{
	const struct probe_event *ev = &ps->events[e];
	int c;

	ps->chosen[e] = -1;
	for (c = 0; c < ev->n_cands; c++) {
		const struct probe_cand *cand = &ev->cands[c];
		char *why = probe__reason(ps, e, c);

		why[0] = '\0';
		if (ps->forced[e] >= 0 && ps->forced[e] != c) {
			snprintf(why, PROBE_WHY_LEN, "not tried (another hook forced)");
			continue;
		}
		if (ps->chosen[e] >= 0 && !all)
			continue;
		if (ps->skip_kinds & (1U << cand->kind)) {
			snprintf(why, PROBE_WHY_LEN, "skipped (--skip-hooks)");
			continue;
		}
		if (probe__available(cand->kind, cand->target, cand->args, why, PROBE_WHY_LEN))
			continue;
		if (cand->helper && !probe__helper_exists(cand->helper)) {
			snprintf(why, PROBE_WHY_LEN, "kernel lacks the BPF helper bpf_%s()",
				 cand->helper);
			continue;
		}
		if (ps->chosen[e] < 0)
			ps->chosen[e] = c;
		else
			snprintf(why, PROBE_WHY_LEN, "available; a preferred hook was chosen");
	}
	return ps->chosen[e];
}

static void probe__log_missing(const struct probe_set *ps, int e)
{
	const struct probe_event *ev = &ps->events[e];
	char msg[1024], desc[128];
	int c, n;

	n = snprintf(msg, sizeof(msg), "no usable hook for %s:", ev->name);
	for (c = 0; c < ev->n_cands && n < (int)sizeof(msg); c++) {
		probe__describe(&ev->cands[c], desc, sizeof(desc));
		n += snprintf(msg + n, sizeof(msg) - n, "%s %s: %s", c ? ";" : "", desc,
			      probe__reason(ps, e, c));
	}
	log__err("%s", msg);
}

int probe__resolve(struct probe_set *ps, struct bpf_object *obj, bool all)
{
	int e, c, err = 0;

	ps->obj = obj;
	if (!probe__vmlinux_btf()) {
		log__err("kernel BTF not found (/sys/kernel/btf/vmlinux): this kernel needs "
			 "CONFIG_DEBUG_INFO_BTF=y");
		return -ENOENT;
	}
	ps->evaluated_all = all;
	for (e = 0; e < ps->n_events; e++) {
		const struct probe_event *ev = &ps->events[e];
		int chosen = probe__resolve_event(ps, e, all);

		if (chosen < 0 && !ev->optional && !err) {
			probe__log_missing(ps, e);
			err = -ENOENT;
		}
		for (c = 0; c < ev->n_cands; c++) {
			const struct probe_cand *cand = &ev->cands[c];
			struct bpf_program *prog =
				obj ? bpf_object__find_program_by_name(obj, cand->prog) : NULL;

			if (!obj)
				continue;
			if (!prog) {
				log__err("BPF object %s has no program %s", ps->object, cand->prog);
				return -EINVAL;
			}
			bpf_program__set_autoload(prog, c == chosen);
			if (c != chosen)
				continue;
			if (cand->kind == PROBE_TP_BTF || cand->kind == PROBE_FENTRY ||
			    cand->kind == PROBE_FEXIT) {
				int r = bpf_program__set_attach_target(prog, 0, cand->target);

				if (r) {
					log__err("cannot target %s: %s", cand->target, strerror(-r));
					return r;
				}
			}
		}
		if (chosen >= 0) {
			char desc[128];

			probe__describe(&ev->cands[chosen], desc, sizeof(desc));
			log__info("%s: %s (%s)", ev->name, desc,
				  ev->cands[chosen].accuracy ?: "exact");
		}
	}
	return err;
}

int probe__attach(struct probe_set *ps, struct bpf_object *obj)
{
	int e;

	for (e = 0; e < ps->n_events; e++) {
		const struct probe_cand *c = probe__chosen(ps, e);
		struct bpf_program *prog;
		struct bpf_link *link = NULL;
		char cat[64], desc[128];
		const char *colon;

		if (!c)
			continue;
		prog = bpf_object__find_program_by_name(obj, c->prog);
		switch (c->kind) {
		case PROBE_TP_BTF:
		case PROBE_FENTRY:
		case PROBE_FEXIT:
			link = bpf_program__attach_trace(prog);
			break;
		case PROBE_RAW_TP:
			link = bpf_program__attach_raw_tracepoint(prog, c->target);
			break;
		case PROBE_TP:
			colon = strchr(c->target, ':');
			snprintf(cat, sizeof(cat), "%.*s", (int)(colon - c->target), c->target);
			link = bpf_program__attach_tracepoint(prog, cat, colon + 1);
			break;
		case PROBE_KPROBE:
		case PROBE_KRETPROBE:
			link = bpf_program__attach_kprobe(prog, c->kind == PROBE_KRETPROBE,
							  c->target);
			break;
		}
		if (!link) {
			int err = -errno;

			probe__describe(c, desc, sizeof(desc));
			log__err("cannot attach %s for %s: %s", desc, ps->events[e].name,
				 strerror(-err));
			probe__detach(ps);
			return err;
		}
		ps->links[e] = link;
	}
	return 0;
}

void probe__detach(struct probe_set *ps)
{
	int e;

	if (!ps->links)
		return;
	for (e = 0; e < ps->n_events; e++) {
		bpf_link__destroy(ps->links[e]);
		ps->links[e] = NULL;
	}
}

void probe__print(const struct probe_set *ps, FILE *f)
{
	char desc[128];
	int e, c;

	fprintf(f, "%-20s %-52s %s\n", "EVENT", "HOOK", "STATUS");
	for (e = 0; e < ps->n_events; e++) {
		const struct probe_event *ev = &ps->events[e];

		for (c = 0; c < ev->n_cands; c++) {
			const struct probe_cand *cand = &ev->cands[c];
			const char *why = probe__reason(ps, e, c);

			probe__describe(cand, desc, sizeof(desc));
			fprintf(f, "%-20s %-52s ", c ? "" : ev->name, desc);
			if (c == ps->chosen[e])
				fprintf(f, "CHOSEN, %s\n", cand->accuracy ?: "exact");
			else if (why[0])
				fprintf(f, "%s\n", why);
			else
				fprintf(f, "not needed\n");
		}
		if (ps->chosen[e] < 0)
			fprintf(f, "%-20s %-52s %s\n", "", "(none)",
				ev->optional ? "optional: counted without it" : "MISSING");
	}
}
