// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "cgroup.h"

#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270

int cgroup__resolve(const char *path, struct cgroup_filter *f, char *why, size_t size)
{
	struct statfs sfs;
	struct stat st;
	int dfd;

	memset(f, 0, sizeof(*f));
	if (stat(path, &st) || statfs(path, &sfs)) {
		int err = -errno;

		snprintf(why, size, "cgroup %s: %s", path, strerror(-err));
		return err;
	}
	if (!S_ISDIR(st.st_mode) ||
	    (sfs.f_type != CGROUP2_SUPER_MAGIC && sfs.f_type != CGROUP_SUPER_MAGIC)) {
		snprintf(why, size, "%s is not a cgroup directory", path);
		return -ENOTDIR;
	}
	/* the directory's inode number is its kernfs node id, as BPF reads it */
	f->id = st.st_ino;
	if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
		f->mode = CGROUP_FILTER_V2;
		return 0;
	}
	/* every directory of the v1 memory hierarchy has memory.stat */
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0 && !faccessat(dfd, "memory.stat", F_OK, 0)) {
		close(dfd);
		f->mode = CGROUP_FILTER_V1_MEMORY;
		return 0;
	}
	if (dfd >= 0)
		close(dfd);
	snprintf(why, size, "%s is a cgroup v1 directory outside the memory hierarchy", path);
	return -EINVAL;
}

const char *cgroup__memcg_root(void)
{
	/* v1: the memory controller's own mount; v2: the unified one */
	if (!access("/sys/fs/cgroup/memory/memory.stat", F_OK))
		return "/sys/fs/cgroup/memory";
	return "/sys/fs/cgroup";
}

static struct {
	__u64 id;
	char *buf;
	size_t size;
	size_t root_len;
	bool found;
} walk;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type != FTW_D || st->st_ino != walk.id)
		return 0;
	snprintf(walk.buf, walk.size, "%s", path[walk.root_len] ? path + walk.root_len : "/");
	walk.found = true;
	return 1;
}

int cgroup__path(__u64 id, char *buf, size_t size)
{
	const char *root = cgroup__memcg_root();

	if (!id)
		return -ENOENT;
	walk.id = id;
	walk.buf = buf;
	walk.size = size;
	walk.root_len = strlen(root);
	walk.found = false;
	/* the kernfs id is the directory's inode number (cgroup.bpf.h) */
	nftw(root, walk_one, 16, FTW_PHYS | FTW_MOUNT);
	return walk.found ? 0 : -ENOENT;
}

static struct {
	struct cgroup_entry *e;
	size_t n, cap;
	size_t root_len;
	int err;
} list;

static int list_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type != FTW_D)
		return 0;
	if (list.n == list.cap) {
		size_t cap = list.cap ? list.cap * 2 : 64;
		struct cgroup_entry *e = realloc(list.e, cap * sizeof(*e));

		if (!e) {
			list.err = -ENOMEM;
			return 1;
		}
		list.e = e;
		list.cap = cap;
	}
	list.e[list.n].id = st->st_ino;
	snprintf(list.e[list.n].path, sizeof(list.e[0].path), "%s",
		 path[list.root_len] ? path + list.root_len : "/");
	list.n++;
	return 0;
}

int cgroup__list(struct cgroup_entry **out, size_t *n)
{
	const char *root = cgroup__memcg_root();

	memset(&list, 0, sizeof(list));
	list.root_len = strlen(root);
	/* a directory removed during the walk is skipped, not an error */
	if (nftw(root, list_one, 16, FTW_PHYS | FTW_MOUNT) < 0 && !list.n)
		list.err = -errno;
	if (list.err) {
		free(list.e);
		*out = NULL;
		*n = 0;
		return list.err;
	}
	*out = list.e;
	*n = list.n;
	return 0;
}

void cgroup__fold(const char *path, int depth, char *buf, size_t size)
{
	const char *p = path;
	int d = 0;

	/* "/" is the root at every depth */
	while (*p == '/' && p[1] && d < depth) {
		p = strchr(p + 1, '/');
		d++;
		if (!p) {
			snprintf(buf, size, "%s", path);
			return;
		}
	}
	if (p == path) {
		snprintf(buf, size, "/");
		return;
	}
	snprintf(buf, size, "%.*s", (int)(p - path), path);
}
