// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * memleak, user mode: uprobes on the allocator functions of one process.
 * With uprobe_multi links (v6.6+, commit 89ae89f53d20 "bpf: Add multi uprobe
 * link") one entry and one return program serve every function and the
 * attach cookie (enum memleak_fn) says which fired; with one link per
 * function each function has its own programs (cookies came in v5.15, commit
 * 7adfc6c9b315 "bpf: Add bpf_get_attach_cookie() BPF helper to access
 * bpf_cookie value"), built from the same code.
 *
 * Allocator functions call each other (glibc's malloc mmaps a 1 MiB block,
 * reallocarray calls realloc): only the outermost call of a thread is
 * recorded, so a 1 MiB malloc is 1048576 bytes from malloc's caller, not
 * glibc's internal mmap of 1 MiB + 4 KiB. The outermost call is known by
 * its stack pointer: a nested call runs below it. A return that never came
 * (longjmp out of an allocator) cannot wedge this: the next call at or above
 * the recorded stack pointer is outermost again.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "memleak.bpf.h"

const volatile __u32 targ_tgid;
const volatile __u64 min_size;
const volatile __u64 max_size = ~0ULL;
const volatile __u32 sample_rate = 1;	/* record 1 in sample_rate calls */
/* task storage (v5.11+, commit 4cf1bc1f1045 "bpf: Implement task local
 * storage"): set by user space where the kernel has it */
const volatile bool have_task_storage = true;

const volatile __u64 page_size = 4096;

/*
 * Mappings by their end (page-rounded) -> start, so that a munmap of a
 * mapping's tail finds the mapping (its start is the allocs key); stale
 * entries are told by the record no longer ending there, and an LRU map
 * lets them go.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} mmap_ends SEC(".maps");

static __always_inline __u64 ml__page_up(__u64 n)
{
	return (n + page_size - 1) & ~(page_size - 1);
}

static __always_inline void ml__mapped(__u64 addr, __u64 size)
{
	__u64 end = addr + ml__page_up(size);

	bpf_map_update_elem(&mmap_ends, &end, &addr, BPF_ANY);
}

/* The mapping recorded at `base` that ends at `end`, or NULL */
static __always_inline struct ml_alloc *ml__mapping(__u64 base, __u64 end)
{
	struct ml_alloc *a = bpf_map_lookup_elem(&allocs, &base);
	__u64 *e = bpf_map_lookup_elem(&mmap_ends, &end);

	if (!a || !e || *e != base || base + ml__page_up(a->size) != end)
		return NULL;
	return a;
}

/*
 * munmap(addr, len) of recorded mappings: whole ones (several adjacent
 * ones too), the head of one (the rest is recorded at its new start) or
 * its tail (the record shrinks). A hole punched in the middle of a mapping
 * is not seen: the mapping keeps its size. Any other address is freed as
 * before (nothing holds it, or an allocator unmapping its own chunk).
 */
#define ML_MUNMAP_SPAN 4

static __always_inline void ml__munmap(__u64 addr, __u64 len)
{
	struct ml_alloc *a, moved;
	__u64 end, size, *base;
	int i;

	len = ml__page_up(len);
	for (i = 0; i < ML_MUNMAP_SPAN && len; i++) {
		a = bpf_map_lookup_elem(&allocs, &addr);
		if (a) {
			size = ml__page_up(a->size);
			end = addr + size;
			if (!ml__mapping(addr, end)) {
				ml__free(addr);
				return;
			}
			bpf_map_delete_elem(&mmap_ends, &end);
			if (len >= size) {
				ml__free(addr);
				addr = end;
				len -= size;
				continue;
			}
			/* the head: the rest is a mapping of its own */
			moved = *a;
			moved.size = a->size - len;
			ml__combined_shrink(moved.stack_id, len);
			bpf_map_delete_elem(&allocs, &addr);
			addr += len;
			if (!bpf_map_update_elem(&allocs, &addr, &moved, BPF_ANY))
				ml__mapped(addr, moved.size);
			return;
		}
		/* the tail */
		end = addr + len;
		base = bpf_map_lookup_elem(&mmap_ends, &end);
		if (!base || *base >= addr)
			return;
		size = *base;
		a = ml__mapping(size, end);
		if (!a)
			return;
		ml__combined_shrink(a->stack_id, a->size - (addr - size));
		a->size = addr - size;
		bpf_map_delete_elem(&mmap_ends, &end);
		ml__mapped(size, a->size);
		return;
	}
}

/* a power of two above ML_NR_KINDS: indexes are masked for the verifier */
#define ML_FN_SLOTS 16
_Static_assert(ML_NR_KINDS <= ML_FN_SLOTS, "ML_FN_SLOTS too small");

/* In-flight calls per thread: the outermost call's stack pointer and, per
 * function, the size and argument seen at entry. */
struct ml_task {
	__u64 outer_sp;		/* 0: not inside an allocator */
	__u64 outer_ra;		/* session links: the outermost call's return address */
	__u64 free_sp, free_ra;	/* the last free or delete: stack pointer, return address */
	__u32 pending;		/* bit per function: entry seen, return due */
	__u32 record;		/* bit per function: sampled and within -z/-Z */
	__u64 size[ML_FN_SLOTS];
	__u64 arg[ML_FN_SLOTS];	/* realloc/mremap: old address; posix_memalign: memptr */
};

/* per-CPU LRU lists: one shared list is a lock every call of every thread
 * takes */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u32);
	__type(value, struct ml_task);
} tasks SEC(".maps");

/*
 * The stack's buffer (stack.bpf.h). Since v6.0 uprobe programs can be
 * preempted (commit 8c7dcb84e3b7 "bpf: implement sleepable uprobes by
 * chaining gps"), so it is the thread's own: task storage, which every such
 * kernel has. Before v6.0 they ran with preemption disabled and one per-CPU
 * buffer is safe; where task storage is missing (v5.10), user space turns
 * `frames` into a per-CPU array and this branch is never verified.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct stack_frames);
} frames SEC(".maps");

/* Records an allocation with the current user stack */
static __always_inline void ml__record_here(struct pt_regs *ctx, __u64 addr, __u64 size)
{
	struct stack_frames *f;
	__u32 zero = 0;

	if (have_task_storage)
		f = bpf_task_storage_get(&frames, bpf_get_current_task_btf(), NULL,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
	else
		f = bpf_map_lookup_elem(&frames, &zero);
	ml__record(addr, size, f ? stack__read_user_fp(ctx, f) : 0, f);
}

static __always_inline bool ml__traced(void)
{
	return !targ_tgid || (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

/*
 * `session`: a uprobe session link (v6.13+, commit d920179b3d48 "bpf: Add
 * support for uprobe multi session attach"), where returning 1 from the
 * entry skips the call's return probe. Calls that record nothing and free
 * nothing (sampled out by -s, outside -z/-Z, nested) then cost one trap
 * instead of two. An outermost call whose return is skipped cannot clear
 * outer_sp when it returns, so a later call below outer_sp is nested only
 * while that call's return address is still in its stack slot: once it
 * returned, the caller's next call (needed to get deeper) overwrote it.
 */
/*
 * Is the call whose return address was `ra` still running, its slot now
 * holding `slot`? Yes when the slot is unchanged, and also when it holds the
 * uprobe trampoline's address: another tool's return probe on the same
 * function (bpftrace's uretprobe:libc:free, bcc's memleak, ...) swapped the
 * return address for it at entry (prepare_uretprobe()). Without this, glibc's
 * 64 MiB arena heap mapped inside free was reported as a leak whenever such
 * a tool ran. The trampoline is the first slot of the mm's XOL area
 * (uprobe_get_trampoline_vaddr()); read only on a mismatch.
 */
static __always_inline bool ml__ra_live(__u64 slot, __u64 ra)
{
	struct task_struct *task;

	if (slot == ra)
		return true;
	task = (struct task_struct *)bpf_get_current_task();
	return slot && slot == BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
}

static __always_inline int ml__entry(struct pt_regs *ctx, __u32 fn, bool session)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 sp = PT_REGS_SP(ctx), size, arg = 0, ra = 0, slot;
	struct ml_task *t, fresh = {};
	bool is_full, returns;

	if (!ml__traced() || fn >= ML_NR_KINDS)
		return session;
	/* free, delete and munmap need no return probe: an address no table
	 * holds (glibc unmapping its own chunk inside free, free inside
	 * delete) is ignored */
	if (fn == ML_FREE || fn == ML_DELETE || fn == ML_MUNMAP) {
		__u64 addr = PT_REGS_PARM1(ctx);

		if (fn == ML_MUNMAP) {
			ml__munmap(addr, PT_REGS_PARM2(ctx));
			return session;
		}
		if (addr)
			ml__free(addr);
		/* glibc's free sets up a thread's tcache, and may then mmap a
		 * 64 MiB arena heap inside it (tcache_init): that mmap is
		 * nested in free, which has no return probe. The call is known
		 * to be running while its return address is in its slot. */
		t = map__lookup_or_init(&tasks, &tid, &fresh, &is_full);
		if (t && (!t->outer_sp || sp >= t->outer_sp) &&
		    !bpf_probe_read_user(&ra, sizeof(ra), (void *)sp)) {
			t->free_sp = sp;
			t->free_ra = ra;
		}
		return session;
	}
	t = map__lookup_or_init(&tasks, &tid, &fresh, &is_full);
	if (!t)
		return session;
	if (t->free_sp && sp < t->free_sp) {
		if (!bpf_probe_read_user(&slot, sizeof(slot), (void *)t->free_sp) &&
		    ml__ra_live(slot, t->free_ra))
			return session;
		t->free_sp = 0;
	}
	if (session && bpf_probe_read_user(&ra, sizeof(ra), (void *)sp))
		return 1;
	if (t->outer_sp && sp < t->outer_sp) {
		/* nested inside another allocator call */
		if (!session || t->pending)
			return session;
		if (!bpf_probe_read_user(&slot, sizeof(slot), (void *)t->outer_sp) &&
		    ml__ra_live(slot, t->outer_ra))
			return 1;
		/* that call returned long ago: this one is outermost */
	}
	t->outer_sp = sp;
	t->outer_ra = ra;
	t->pending = 1U << fn;
	t->record = 0;

	switch (fn) {
	case ML_MALLOC:
	case ML_VALLOC:
	case ML_PVALLOC:
	case ML_NEW:
		size = PT_REGS_PARM1(ctx);
		break;
	case ML_CALLOC:
		size = PT_REGS_PARM1(ctx) * PT_REGS_PARM2(ctx);
		break;
	case ML_REALLOC:
		arg = PT_REGS_PARM1(ctx);
		size = PT_REGS_PARM2(ctx);
		break;
	case ML_REALLOCARRAY:
		arg = PT_REGS_PARM1(ctx);
		size = PT_REGS_PARM2(ctx) * PT_REGS_PARM3(ctx);
		break;
	case ML_POSIX_MEMALIGN:
		arg = PT_REGS_PARM1(ctx);
		size = PT_REGS_PARM3(ctx);
		break;
	case ML_ALIGNED_ALLOC:
	case ML_MEMALIGN:
	case ML_MMAP:
		size = PT_REGS_PARM2(ctx);
		break;
	case ML_MREMAP:
		arg = PT_REGS_PARM1(ctx);
		size = PT_REGS_PARM3(ctx);
		break;
	default:
		return 0;
	}
	/* clang drops the mask it can prove redundant; the verifier cannot */
	barrier_var(fn);
	t->size[fn & (ML_FN_SLOTS - 1)] = size;
	t->arg[fn & (ML_FN_SLOTS - 1)] = arg;
	if (size >= min_size && size <= max_size &&
	    (sample_rate <= 1 || bpf_get_prandom_u32() % sample_rate == 0))
		t->record = 1U << fn;
	/* realloc, reallocarray and mremap free the old block: their return
	 * always counts */
	returns = t->record || fn == ML_REALLOC || fn == ML_REALLOCARRAY || fn == ML_MREMAP;
	if (session && !returns) {
		t->pending = 0;
		return 1;
	}
	return 0;
}

static __always_inline int ml__return(struct pt_regs *ctx, __u32 fn)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 ret = PT_REGS_RC(ctx), size, arg, addr;
	struct ml_task *t;
	bool rec;

	if (!ml__traced() || fn >= ML_NR_KINDS)
		return 0;
	t = bpf_map_lookup_elem(&tasks, &tid);
	if (!t || !(t->pending & (1U << fn)))
		return 0;
	/* the return of the outermost call pops its return address */
	if (PT_REGS_SP(ctx) != t->outer_sp + 8)
		return 0;
	barrier_var(fn);
	size = t->size[fn & (ML_FN_SLOTS - 1)];
	arg = t->arg[fn & (ML_FN_SLOTS - 1)];
	rec = t->record & (1U << fn);
	t->outer_sp = 0;
	t->pending = 0;
	t->record = 0;

	switch (fn) {
	case ML_REALLOC:
	case ML_REALLOCARRAY:
		/* NULL with size 0 freed the block (glibc); NULL otherwise is a
		 * failure that leaves the old block allocated */
		if (!ret) {
			if (!size && arg)
				ml__free(arg);
			return 0;
		}
		if (arg)
			ml__free(arg);
		break;
	case ML_POSIX_MEMALIGN:
		if (ret)
			return 0; /* an error number: nothing allocated */
		if (!rec || bpf_probe_read_user(&addr, sizeof(addr), (void *)arg))
			return 0;
		ml__record_here(ctx, addr, size);
		return 0;
	case ML_MMAP:
		if (ret == (__u64)-1)
			return 0;
		if (rec) {
			ml__record_here(ctx, ret, size);
			ml__mapped(ret, size);
		}
		return 0;
	case ML_MREMAP:
		if (ret == (__u64)-1)
			return 0;
		ml__free(arg);
		if (rec) {
			ml__record_here(ctx, ret, size);
			ml__mapped(ret, size);
		}
		return 0;
	default:
		if (!ret)
			return 0;
	}
	if (rec)
		ml__record_here(ctx, ret, size);
	return 0;
}

/* uprobe_multi links (v6.6+): one program per direction for every
 * function, told apart by the attach cookie */
SEC("uprobe")
int BPF_KPROBE(memleak_entry)
{
	return ml__entry(ctx, ML_COOKIE_FN(bpf_get_attach_cookie(ctx)), false);
}

SEC("uretprobe")
int BPF_KRETPROBE(memleak_return)
{
	return ml__return(ctx, ML_COOKIE_FN(bpf_get_attach_cookie(ctx)));
}

/*
 * A uprobe session link (v6.13+): this one program runs at entry and, when
 * the entry returned 0, at the return. The two are told apart without the
 * session kfuncs (libbpf 1.1 refuses the whole object when a kfunc's
 * prototype differs from the kernel's, and theirs is not the same on every
 * kernel since): an entry runs at the function's first instruction, always
 * the same address in one image of the traced process, a return at a return
 * address. A function's first run in an image is an entry, which teaches its
 * address. An exec makes a new image (its own address space, its libraries
 * elsewhere): an address learnt in another is learnt again. Without that a
 * process attached before its exec (-c, or a pid stopped before it, as the
 * bench does) that called malloc in between had every later entry taken for
 * a return, recorded nothing and ran both probes of every call.
 */
__u64 entry_ip[ML_MAX_PROBES];
__u64 entry_mm[ML_MAX_PROBES];	/* the address space entry_ip was learnt in */
_Static_assert(!(ML_MAX_PROBES & (ML_MAX_PROBES - 1)), "ML_MAX_PROBES: a power of two");

SEC("uprobe")
int BPF_KPROBE(memleak_session)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), ip = PT_REGS_IP(ctx), *e, *m, mm;
	__u32 fn = ML_COOKIE_FN(cookie), slot = ML_COOKIE_SLOT(cookie);

	if (!ml__traced() || fn >= ML_NR_KINDS || slot >= ML_MAX_PROBES)
		return 1;
	barrier_var(slot);
	e = &entry_ip[slot & (ML_MAX_PROBES - 1)];
	m = &entry_mm[slot & (ML_MAX_PROBES - 1)];
	mm = (__u64)bpf_get_current_task_btf()->mm;
	if (!*e || *m != mm) {
		*e = ip;
		*m = mm;
	}
	if (ip != *e) {
		ml__return(ctx, fn);
		return 0;
	}
	return ml__entry(ctx, fn, true);
}

/* One link per function: a program per function, since attach cookies
 * came in v5.15 (user space loads these or the two above, never both).
 * free, munmap and delete have no return probe; every form of operator new
 * (or delete) is attached to the same program. */
#define ML_ENTRY(name, fn)                                                                   \
	SEC("uprobe") int ml_e_##name(struct pt_regs *ctx)                                   \
	{                                                                                    \
		return ml__entry(ctx, fn, false);                                            \
	}
#define ML_PROGS(name, fn)                                                                   \
	ML_ENTRY(name, fn)                                                                   \
	SEC("uretprobe") int ml_r_##name(struct pt_regs *ctx)                                \
	{                                                                                    \
		return ml__return(ctx, fn);                                                  \
	}

ML_PROGS(malloc, ML_MALLOC)
ML_PROGS(calloc, ML_CALLOC)
ML_PROGS(realloc, ML_REALLOC)
ML_PROGS(reallocarray, ML_REALLOCARRAY)
ML_PROGS(posix_memalign, ML_POSIX_MEMALIGN)
ML_PROGS(aligned_alloc, ML_ALIGNED_ALLOC)
ML_PROGS(memalign, ML_MEMALIGN)
ML_PROGS(valloc, ML_VALLOC)
ML_PROGS(pvalloc, ML_PVALLOC)
ML_PROGS(mmap, ML_MMAP)
ML_PROGS(mremap, ML_MREMAP)
ML_ENTRY(free, ML_FREE)
ML_ENTRY(munmap, ML_MUNMAP)
ML_PROGS(new, ML_NEW)
ML_ENTRY(delete, ML_DELETE)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
