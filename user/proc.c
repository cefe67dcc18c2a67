// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "proc.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

int proc__meminfo_kb(const char *path, const char *const names[], long long kb[], int n)
{
	char line[256], name[64];
	long long v;
	int i;
	FILE *f;

	for (i = 0; i < n; i++)
		kb[i] = -1;
	f = fopen(path ? path : "/proc/meminfo", "re");
	if (!f)
		return -errno;
	/* "Cached:          1605632 kB" */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %lld", name, &v) != 2)
			continue;
		for (i = 0; i < n; i++)
			if (!strcmp(name, names[i]))
				kb[i] = v;
	}
	fclose(f);
	return 0;
}

int proc__meminfo(const char *root, struct meminfo *m)
{
	static const char *const names[] = { "Buffers", "Cached" };
	char path[256];
	long long kb[2];
	int err;

	snprintf(path, sizeof(path), "%s/proc/meminfo", root ? root : "");
	err = proc__meminfo_kb(path, names, kb, 2);
	if (err)
		return err;
	if (kb[0] < 0 || kb[1] < 0)
		return -ENODATA;
	m->buffers_kb = kb[0];
	m->cached_kb = kb[1];
	return 0;
}

bool proc__pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

int proc__comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, size, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* CapEff of this process; every bit set when it cannot be read (the kernel decides) */
static unsigned long long proc__cap_eff(void)
{
	unsigned long long eff = ~0ULL;
	char line[256];
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return eff;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff;
}

bool proc__cap_sys_admin(void)
{
	return proc__cap_eff() & (1ULL << CAP_SYS_ADMIN_BIT);
}

int proc__check_bpf_caps(char *why, size_t size)
{
	unsigned long long eff = proc__cap_eff();

	if (eff & (1ULL << CAP_SYS_ADMIN_BIT))
		return 0;
	if ((eff & (1ULL << CAP_BPF_BIT)) && (eff & (1ULL << CAP_PERFMON_BIT)))
		return 0;
	if (eff & (1ULL << CAP_BPF_BIT))
		snprintf(why, size, "CAP_PERFMON (or CAP_SYS_ADMIN)");
	else if (eff & (1ULL << CAP_PERFMON_BIT))
		snprintf(why, size, "CAP_BPF (or CAP_SYS_ADMIN)");
	else
		snprintf(why, size, "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)");
	return -EPERM;
}

struct path_entry {
	unsigned long long dev, ino;
	char *path;
};

struct mount_fd {
	unsigned long long dev;
	int fd;			/* -1: no usable mount */
};

struct path_cache {
	struct path_entry *e;
	size_t n, cap;
	struct mount_fd mounts[64];
	int n_mounts;
};

struct path_cache *path_cache__new(void)
{
	return calloc(1, sizeof(struct path_cache));
}

void path_cache__free(struct path_cache *pc)
{
	size_t i;

	if (!pc)
		return;
	for (i = 0; i < pc->n; i++)
		free(pc->e[i].path);
	for (i = 0; i < (size_t)pc->n_mounts; i++)
		if (pc->mounts[i].fd >= 0)
			close(pc->mounts[i].fd);
	free(pc->e);
	free(pc);
}

static int path_cache__cmp(const void *a, const void *b)
{
	const struct path_entry *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* /proc/PID/maps: "start-end perms offset MAJ:MIN inode   path" (hex dev) */
static char *proc__path_from_maps(pid_t pid, unsigned int maj, unsigned int min,
				  unsigned long long ino)
{
	char file[64], line[4352], *path = NULL;
	unsigned int ma, mi;
	unsigned long long in;
	int off;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/maps", pid);
	f = fopen(file, "re");
	if (!f)
		return NULL;
	while (!path && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %x:%x %llu %n", &ma, &mi, &in, &off) != 3)
			continue;
		if (ma == maj && mi == min && in == ino && line[off] == '/') {
			line[strcspn(line, "\n")] = '\0';
			path = strdup(line + off);
		}
	}
	fclose(f);
	return path;
}

static char *proc__path_from_fds(pid_t pid, unsigned int maj, unsigned int min,
				 unsigned long long ino)
{
	char dir[64], link[320], target[4096];
	struct dirent *d;
	struct stat st;
	char *path = NULL;
	DIR *dp;
	ssize_t n;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	dp = opendir(dir);
	if (!dp)
		return NULL;
	while (!path && (d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, d->d_name);
		if (stat(link, &st) || st.st_ino != ino || major(st.st_dev) != maj ||
		    minor(st.st_dev) != min)
			continue;
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			path = strdup(target);
		}
	}
	closedir(dp);
	return path;
}

/* A directory fd on a mount of the file system `dev`, from mountinfo. */
static int path_cache__mount(struct path_cache *pc, unsigned int maj, unsigned int min)
{
	unsigned long long dev = (unsigned long long)maj << 20 | min;
	char line[4352], root[4096], point[4096];
	unsigned int ma, mi;
	struct stat st;
	int i, fd = -1;
	FILE *f;

	for (i = 0; i < pc->n_mounts; i++)
		if (pc->mounts[i].dev == dev)
			return pc->mounts[i].fd;
	f = fopen("/proc/self/mountinfo", "re");
	while (f && fd < 0 && fgets(line, sizeof(line), f)) {
		/* "36 35 98:0 /root /mnt ..." */
		if (sscanf(line, "%*d %*d %u:%u %4095s %4095s", &ma, &mi, root, point) != 4)
			continue;
		if (ma == maj && mi == min && !strcmp(root, "/"))
			fd = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (f)
		fclose(f);
	/* In a chroot, mountinfo leaves out the mounts above the root, so the
	 * file system holding the root itself may be missing there: "/" is a
	 * directory on it, which is all open_by_handle_at needs. */
	if (fd < 0 && !stat("/", &st) && major(st.st_dev) == maj && minor(st.st_dev) == min)
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pc->n_mounts < (int)(sizeof(pc->mounts) / sizeof(pc->mounts[0])))
		pc->mounts[pc->n_mounts++] = (struct mount_fd){ dev, fd };
	return fd;
}

/* FILEID_INO32_GEN (include/linux/exportfs.h): what ext4 and xfs (with
 * 32-bit inode numbers) hand out; other file systems answer EINVAL. */
static char *path_cache__by_handle(struct path_cache *pc, unsigned int maj, unsigned int min,
				   unsigned long long ino, unsigned int gen)
{
	struct {
		struct file_handle fh;
		__u32 body[2];
	} h;
	char link[64], target[4096];
	int mfd = path_cache__mount(pc, maj, min), fd;
	ssize_t n;

	if (mfd < 0 || ino > 0xffffffffULL)
		return NULL;
	h.fh.handle_bytes = sizeof(h.body);
	h.fh.handle_type = 1;
	h.body[0] = (__u32)ino;
	h.body[1] = gen;
	fd = open_by_handle_at(mfd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	return strdup(target);
}

const char *path_cache__get(struct path_cache *pc, unsigned long long dev, unsigned long long ino,
			    unsigned int generation, pid_t pid)
{
	struct path_entry key = { dev, ino, NULL }, *hit;
	unsigned int maj = dev >> 20, min = dev & 0xfffff;
	char *path;

	hit = pc->n ? bsearch(&key, pc->e, pc->n, sizeof(key), path_cache__cmp) : NULL;
	if (hit)
		return hit->path;
	path = proc__path_from_maps(pid, maj, min, ino);
	if (!path)
		path = proc__path_from_fds(pid, maj, min, ino);
	if (!path)
		path = path_cache__by_handle(pc, maj, min, ino, generation);
	if (!path)
		return NULL;
	if (pc->n == pc->cap) {
		size_t cap = pc->cap ? pc->cap * 2 : 256;
		struct path_entry *e = realloc(pc->e, cap * sizeof(*e));

		if (!e) {
			free(path);
			return NULL;
		}
		pc->e = e;
		pc->cap = cap;
	}
	key.path = path;
	pc->e[pc->n++] = key;
	qsort(pc->e, pc->n, sizeof(key), path_cache__cmp);
	hit = bsearch(&key, pc->e, pc->n, sizeof(key), path_cache__cmp);
	return hit ? hit->path : NULL;
}
