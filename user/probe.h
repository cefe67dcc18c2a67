/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_PROBE_H
#define MEMSCOPE_PROBE_H

#include <stdbool.h>
#include <stdio.h>
#include <bpf/libbpf.h>

/*
 * The probe layer. A BPF object declares, per logical event, its candidate
 * hooks in order of preference; each candidate is one program of the object.
 * probe__resolve() reads kernel BTF once, enables exactly one candidate per
 * event (autoload on, every other candidate off) and remembers why the ones
 * before it were rejected. Tracepoints come first (stable ABI, no kprobes
 * needed), fentry next, kprobe last. Nothing here needs tracefs: tp_btf and
 * raw_tp attach by name, fentry by BTF id, kprobes through the kprobe PMU.
 */
enum probe_kind {
	PROBE_TP_BTF,	/* target: tracepoint name, "mm_filemap_get_pages" */
	PROBE_RAW_TP,	/* target: tracepoint name */
	PROBE_TP,	/* classic tracepoint, target "category:name"; needs tracefs */
	PROBE_FENTRY,	/* target: kernel function */
	PROBE_FEXIT,
	PROBE_KPROBE,
	PROBE_KRETPROBE,
};

struct probe_cand {
	const char *prog;	/* program name in the BPF object */
	enum probe_kind kind;
	const char *target;
	const char *accuracy;	/* NULL: exact; else how the numbers are approximate */
	/* Type names the leading arguments must have in kernel BTF, e.g.
	 * "kiocb,iov_iter": picks between signatures of one hook across kernel
	 * versions. NULL: no check. */
	const char *args;
	/* A BPF helper the program calls that older kernels lack, e.g.
	 * "get_func_ret" (v5.17, commit f92c1e183604 "bpf: Add
	 * get_func_[arg|ret|arg_cnt] helpers"): looked up in kernel BTF's
	 * enum bpf_func_id. NULL: none. */
	const char *helper;
};

struct probe_event {
	const char *name;	/* logical event, e.g. "read access" */
	const struct probe_cand *cands;
	int n_cands;
	bool optional;		/* the object works (with less) when none is available */
};

#define PROBE_WHY_LEN 112

struct probe_set {
	const char *object;		/* for messages: "pagecache" */
	const struct probe_event *events;
	int n_events;
	/* filled by probe__resolve */
	int *chosen;			/* per event: candidate index, -1 none */
	int *forced;			/* per event: only this candidate (-1: any) */
	char (*why)[PROBE_WHY_LEN];	/* per candidate, flattened: why not chosen */
	struct bpf_link **links;	/* per event */
	bool evaluated_all;		/* every candidate's availability is known */
	struct bpf_object *obj;		/* what probe__resolve picked hooks of */
	unsigned int skip_kinds;	/* (1 << kind) for kinds the user ruled out */
};

/* "fentry,kprobe" -> (1 << PROBE_FENTRY) | (1 << PROBE_KPROBE); -EINVAL on
 * an unknown kind. */
int probe__parse_kinds(const char *list, unsigned int *mask);

/* Allocates per-event state. Returns 0 or -ENOMEM. */
int probe__init(struct probe_set *ps, const char *object, const struct probe_event *events,
		int n_events);
void probe__free(struct probe_set *ps);

/* Restricts `event` to one candidate (by program name), for load tests. */
int probe__force(struct probe_set *ps, int event, int cand);

/*
 * Picks one candidate per event on the running kernel and sets autoload and
 * attach targets on `obj` (opened, not loaded). With `all`, every candidate
 * is evaluated so probe__print can say why each was or was not chosen.
 * Returns 0, or -ENOENT when a required event has no usable hook (the reason
 * is logged as one line naming the event and each rejection).
 */
int probe__resolve(struct probe_set *ps, struct bpf_object *obj, bool all);

/* Attaches the chosen program of every event. Returns 0 or -errno (logged). */
int probe__attach(struct probe_set *ps, struct bpf_object *obj);
/* Destroys every link; safe to call twice. */
void probe__detach(struct probe_set *ps);

/* Table of events, chosen hooks, accuracy and rejections (for --probes). */
void probe__print(const struct probe_set *ps, FILE *f);
/* "tp_btf:mm_filemap_get_pages" */
void probe__describe(const struct probe_cand *c, char *buf, size_t size);
/* Why candidate `cand` of `event` was not chosen ("" when not evaluated). */
char *probe__reason(const struct probe_set *ps, int event, int cand);
/* The chosen candidate of an event, or NULL. */
const struct probe_cand *probe__chosen(const struct probe_set *ps, int event);

/* Kernel facts, computed once per process. */
const struct btf *probe__vmlinux_btf(void);
/* Frees that copy (a later probe__vmlinux_btf() reads it again): called
 * before a BPF object's load, where libbpf parses a copy of its own, so that
 * the two are never held at once (several MiB each) */
void probe__drop_btf(void);
/* Is `target` hookable with `kind` here, with arguments of the types named
 * in `args` (may be NULL)? 0 or -errno with the reason in why. */
/* Whether kernel BTF's enum `enum_name` has the enumerator `value`: 1 or 0;
 * -ENOENT without BTF or without that enum. Enumerators of the BPF UAPI
 * (attach types, helpers) are only ever added. */
int probe__kernel_enum_has(const char *enum_name, const char *value);
int probe__available(enum probe_kind kind, const char *target, const char *args, char *why,
		     size_t size);

#endif
