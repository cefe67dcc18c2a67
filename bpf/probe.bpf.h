/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Thin per-attach-type wrappers: an event's logic lives in one
 * __always_inline handler, and these declare one program per hook kind
 * around it, named <name>_btf, _raw, _fentry, _kprobe, _fexit and
 * _kretprobe: the names the user/ probe candidate tables use. `call` is a
 * statement that sees `ctx` and the declared arguments (the return wrappers
 * also `ret`); every program returns 0.
 */
#ifndef MEMSCOPE_PROBE_BPF_H
#define MEMSCOPE_PROBE_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define TP_BTF_PROG(name, tp, call, ...)                                                   \
	SEC("tp_btf/" #tp)                                                                   \
	int BPF_PROG(name##_btf, ##__VA_ARGS__)                                              \
	{                                                                                    \
		call;                                                                        \
		return 0;                                                                    \
	}

#define RAW_TP_PROG(name, tp, call, ...)                                                   \
	SEC("raw_tp/" #tp)                                                                   \
	int BPF_PROG(name##_raw, ##__VA_ARGS__)                                              \
	{                                                                                    \
		call;                                                                        \
		return 0;                                                                    \
	}

#define TRACEPOINT_PROGS(name, tp, call, ...)                                              \
	TP_BTF_PROG(name, tp, call, ##__VA_ARGS__)                                           \
	RAW_TP_PROG(name, tp, call, ##__VA_ARGS__)

/* A function's entry: the fallbacks where a tracepoint is missing. */
#define FUNCTION_PROGS(name, func, call, ...)                                              \
	SEC("fentry/" #func)                                                                 \
	int BPF_PROG(name##_fentry, ##__VA_ARGS__)                                           \
	{                                                                                    \
		call;                                                                        \
		return 0;                                                                    \
	}                                                                                    \
	SEC("kprobe/" #func)                                                                 \
	int BPF_KPROBE(name##_kprobe, ##__VA_ARGS__)                                         \
	{                                                                                    \
		call;                                                                        \
		return 0;                                                                    \
	}

/* A function's return, `ret` its return value. bpf_get_func_ret() (v5.17,
 * commit f92c1e183604 "bpf: Add get_func_[arg|ret|arg_cnt] helpers") reads
 * it without declaring the arguments, which change often. */
#define RETURN_PROGS(name, func, call)                                                     \
	SEC("fexit/" #func)                                                                  \
	int BPF_PROG(name##_fexit)                                                           \
	{                                                                                    \
		__u64 ret = 0;                                                               \
		bpf_get_func_ret(ctx, &ret);                                                 \
		call;                                                                        \
		return 0;                                                                    \
	}                                                                                    \
	SEC("kretprobe/" #func)                                                              \
	int BPF_KRETPROBE(name##_kretprobe, unsigned long ret)                               \
	{                                                                                    \
		call;                                                                        \
		return 0;                                                                    \
	}

#endif
