/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Contract of bpf/pagecache.bpf.c, the one page-cache counter behind cachestat
 * and cachetop. The kernel side counts raw page events; user/pagecache.c turns
 * them into hits, misses and dirties, so there is one formula.
 */
#ifndef MEMSCOPE_PAGECACHE_H
#define MEMSCOPE_PAGECACHE_H

#include "common.h"

enum pc_stat {
	PC_READ_PAGES,		/* pages asked for by read/pread/readv/sendfile/splice */
	PC_FAULT_PAGES,		/* file pages mapped by page faults (fault + fault-around) */
	PC_ADDED,		/* pages inserted into the page cache */
	PC_ADDED_BY_WRITE,	/* of those, pages a write created (then dirtied) */
	PC_DIRTIED,		/* pages that went from clean to dirty */
	PC_NR_STATS,
};

struct pc_stats {
	__u64 v[PC_NR_STATS];
};

#endif
