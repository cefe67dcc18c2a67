// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests of slabratetop's user side: kmalloc cache names from their
 * keys and back, /proc/meminfo and /proc/slabinfo parsing from fixture files, and
 * a cache row rendered to text and JSON (absent slabinfo: "-" and null).
 * No root. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "output.h"
#include "slab.h"

static void fixture(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_names(void)
{
	char buf[64];

	slab__kmalloc_name(SLAB_KMALLOC_KEY | 4096, buf, sizeof(buf));
	CHECK_STR(buf, "kmalloc-4k", "kmalloc name: 4096 bytes");
	slab__kmalloc_name(SLAB_KMALLOC_KEY | (__u64)SLAB_KM_CG << 32 | 192, buf, sizeof(buf));
	CHECK_STR(buf, "kmalloc-cg-192", "kmalloc name: accounted 192");
	slab__kmalloc_name(SLAB_KMALLOC_KEY | (__u64)SLAB_KM_RCL << 32 | 1024, buf, sizeof(buf));
	CHECK_STR(buf, "kmalloc-rcl-1k", "kmalloc name: reclaimable 1k");
	slab__kmalloc_name(SLAB_KMALLOC_KEY | (__u64)SLAB_KM_DMA << 32 | 8, buf, sizeof(buf));
	CHECK_STR(buf, "dma-kmalloc-8", "kmalloc name: dma 8");
	slab__kmalloc_name(SLAB_KMALLOC_KEY | (__u64)SLAB_KM_LARGE << 32 | 16384, buf, sizeof(buf));
	CHECK_STR(buf, "kmalloc-large", "kmalloc name: above 8 KiB");
	CHECK(SLAB_IS_KMALLOC(SLAB_KMALLOC_KEY | (__u64)SLAB_KM_LARGE << 32 | 0xffffffffU),
	      "kmalloc key: below kernel addresses");
	CHECK(!SLAB_IS_KMALLOC(0xffff888100042300ULL), "cache key: a kernel address");
}

/* --stacks CACHE: a kmalloc-N name back to the key the BPF side counts in */
static void test_keys(void)
{
	static const __u64 keys[] = {
		SLAB_KMALLOC_KEY | 4096,
		SLAB_KMALLOC_KEY | 8,
		SLAB_KMALLOC_KEY | (__u64)SLAB_KM_CG << 32 | 192,
		SLAB_KMALLOC_KEY | (__u64)SLAB_KM_RCL << 32 | 1024,
		SLAB_KMALLOC_KEY | (__u64)SLAB_KM_DMA << 32 | 96,
	};
	static const char *const bad[] = { "kmalloc-large", "kmalloc-", "kmalloc-0", "kmalloc-4x",
					   "dentry", "kmalloc-cg-", "kmalloc-rnd-01-64" };
	char buf[64], what[160];
	size_t i;
	__u64 k;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		slab__kmalloc_name(keys[i], buf, sizeof(buf));
		snprintf(what, sizeof(what), "kmalloc key of %s: its name's inverse", buf);
		CHECK(!slab__kmalloc_key(buf, &k) && k == keys[i], what);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what), "kmalloc key: '%s' is none", bad[i]);
		CHECK(slab__kmalloc_key(bad[i], &k) == -EINVAL, what);
	}
}

static void test_proc(void)
{
	char mi_path[] = "/tmp/unit_slab_meminfo.XXXXXX", si_path[] = "/tmp/unit_slab_info.XXXXXX";
	struct slab_meminfo mi;
	struct slabinfo_line l;
	int fd;

	fd = mkstemp(mi_path);
	close(fd);
	fixture(mi_path, "MemTotal:  4000000 kB\nSlab:  151980 kB\nSReclaimable:  122928 kB\n"
			 "SUnreclaim:  29052 kB\n");
	CHECK(!slab__meminfo(mi_path, &mi) && mi.slab_kb == 151980 &&
		      mi.reclaimable_kb == 122928 && mi.unreclaim_kb == 29052,
	      "meminfo: Slab, SReclaimable, SUnreclaim");
	fixture(mi_path, "MemTotal:  4000000 kB\n");
	CHECK(!slab__meminfo(mi_path, &mi) && mi.slab_kb == -1 && mi.unreclaim_kb == -1,
	      "meminfo: missing lines are absent, not 0");
	unlink(mi_path);
	fd = mkstemp(si_path);
	close(fd);
	fixture(si_path, "slabinfo - version: 2.1\n"
			 "# name <active_objs> <num_objs> <objsize> <objperslab> ...\n"
			 "dentry 88683 88704 192 21 1 : tunables 0 0 0 : slabdata 4224 4224 0\n"
			 "kmalloc-4k 77 88 4096 8 8 : tunables 0 0 0 : slabdata 11 11 0\n");
	CHECK(!slab__slabinfo(si_path, "kmalloc-4k", &l) && l.active_objs == 77 &&
		      l.num_objs == 88 && l.objsize == 4096,
	      "slabinfo: a cache's line");
	CHECK(slab__slabinfo(si_path, "kmalloc-large", &l) == -ENOENT, "slabinfo: no such cache");
	unlink(si_path);
}

static void test_rec(void)
{
	struct slab_row row = { .name = "kmalloc-large", .allocs = 3, .frees = 1,
				.alloc_bytes = 49152, .free_bytes = 16384, .net_objs = 2,
				.net_bytes = 32768, .size = 16384, .reclaimable = -1 };
	struct json j;
	struct rec r;
	char buf[1024];

	slab__row_rec(&r, &row);
	CAPTURE(buf, f, schema__row(f, &r, 0));
	CHECK_STR(buf, "kmalloc-large                    3       49152         1         2       32768"
		       "         -        -    -\n",
		  "row: text, slabinfo values absent");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &r)));
	CHECK_STR(buf, "{\"cache\":\"kmalloc-large\",\"allocs\":3,\"alloc_bytes\":49152,\"frees\":1,"
		       "\"net_objs\":2,\"net_bytes\":32768,\"objs\":null,\"size_mb\":null,"
		       "\"obj_size_bytes\":16384,\"reclaimable\":null}\n",
		  "row: JSON, absent values null");
}

int main(void)
{
	test_names();
	test_keys();
	test_proc();
	test_rec();
	return check_failures ? 1 : 0;
}
