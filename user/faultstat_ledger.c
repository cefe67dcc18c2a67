// SPDX-License-Identifier: BSD-2-Clause
/* faultstat's ledger (faultstat.h): thread records to per-process counts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "faultstat.h"

static int fs__cmp_task(const void *pa, const void *pb)
{
	const struct fs_task *a = pa, *b = pb;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return 0;
}

int fs_ledger__cmp_row(const void *pa, const void *pb)
{
	const struct faultstat_row *a = pa, *b = pb;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return 0;
}

static __u64 fs__sub(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
}

/* Dead threads are remembered this many intervals, so a zombie seen after
 * its exit record adds nothing; threads neither seen nor reported dead
 * (their exit record was lost) are forgotten after FS_UNSEEN_MAX. */
#define FS_DEAD_KEEP 2
#define FS_UNSEEN_MAX 5

static void fs__thread_from(struct fs_thread *t, const struct fs_task *r)
{
	t->pid = r->pid;
	t->tgid = r->tgid;
	t->start_ns = r->start_ns;
	t->leader_start_ns = r->leader_start_ns;
	t->min_flt = r->min_flt;
	t->maj_flt = r->maj_flt;
	memcpy(t->comm, r->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
	t->dead = r->flags & FS_TASK_EXITED;
	t->unseen = 0;
}

int fs_ledger__update(struct fs_ledger *l, struct fs_task *recs, size_t n,
		      struct faultstat_row **rows, size_t *nrows)
{
	struct fs_thread *nt;
	struct faultstat_row *dr;
	size_t i = 0, j = 0, k = 0, nd = 0, m, w;

	*rows = NULL;
	*nrows = 0;
	qsort(recs, n, sizeof(*recs), fs__cmp_task);
	/* one record per thread: an exit record and an iterator record of the
	 * same thread carry the same final counts or the exit's are higher */
	for (m = 0, w = 0; m < n; m++) {
		if (w && !fs__cmp_task(&recs[w - 1], &recs[m])) {
			struct fs_task *p = &recs[w - 1];

			if (recs[m].min_flt > p->min_flt)
				p->min_flt = recs[m].min_flt;
			if (recs[m].maj_flt > p->maj_flt)
				p->maj_flt = recs[m].maj_flt;
			if (recs[m].flags & FS_TASK_EXITED) {
				p->flags |= FS_TASK_EXITED;
				memcpy(p->comm, recs[m].comm, sizeof(p->comm));
			}
			continue;
		}
		recs[w++] = recs[m];
	}
	n = w;
	nt = calloc(l->n + n + 1, sizeof(*nt));
	dr = calloc(n + 1, sizeof(*dr));
	if (!nt || !dr) {
		free(nt);
		free(dr);
		return -ENOMEM;
	}
	while (i < l->n || j < n) {
		struct fs_thread *o = i < l->n ? &l->t[i] : NULL;
		struct fs_task *r = j < n ? &recs[j] : NULL;
		__u64 dmin = 0, dmaj = 0;
		int c;

		if (!o)
			c = 1;
		else if (!r)
			c = -1;
		else if (o->pid != r->pid)
			c = o->pid < r->pid ? -1 : 1;
		else
			c = o->start_ns < r->start_ns ? -1 : o->start_ns > r->start_ns;
		if (c < 0) {
			i++;
			if (++o->unseen <= (o->dead ? FS_DEAD_KEEP : FS_UNSEEN_MAX))
				nt[k++] = *o;
			continue;
		}
		j++;
		if (c > 0) {
			/* new to us: born since the baseline, all its faults are
			 * new; else it predates us and this is its baseline */
			if (r->start_ns >= l->since_ns) {
				dmin = r->min_flt;
				dmaj = r->maj_flt;
			}
			fs__thread_from(&nt[k++], r);
		} else {
			i++;
			if (o->dead && o->min_flt == r->min_flt && o->maj_flt == r->maj_flt) {
				/* its zombie, or its exit record again */
				nt[k++] = *o;
				continue;
			}
			if (!o->dead) {
				dmin = fs__sub(r->min_flt, o->min_flt);
				dmaj = fs__sub(r->maj_flt, o->maj_flt);
			}
			/* else another thread took over the id and start time
			 * (a non-leader thread's exec: de_thread() gives it the
			 * leader's): this is its baseline */
			fs__thread_from(&nt[k++], r);
		}
		if (dmin || dmaj) {
			struct faultstat_row *d = &dr[nd++];

			d->pid = r->tgid;
			d->start_ns = r->leader_start_ns;
			memcpy(d->comm, r->comm, sizeof(d->comm));
			d->comm[sizeof(d->comm) - 1] = '\0';
			d->minor = dmin;
			d->major = dmaj;
			d->memcg_id = r->memcg_id;
		}
	}
	free(l->t);
	l->t = nt;
	l->n = k;
	/* threads to processes */
	qsort(dr, nd, sizeof(*dr), fs_ledger__cmp_row);
	for (m = 0, w = 0; m < nd; m++) {
		if (w && !fs_ledger__cmp_row(&dr[w - 1], &dr[m])) {
			dr[w - 1].minor += dr[m].minor;
			dr[w - 1].major += dr[m].major;
			/* the leader's record names the process best */
			if (dr[m].comm[0])
				memcpy(dr[w - 1].comm, dr[m].comm, sizeof(dr[m].comm));
			continue;
		}
		dr[w++] = dr[m];
	}
	*rows = dr;
	*nrows = w;
	return 0;
}

void fs_ledger__free(struct fs_ledger *l)
{
	free(l->t);
	l->t = NULL;
	l->n = 0;
}

void faultstat__sum(const struct faultstat_row *rows, size_t n, struct faultstat_row *total)
{
	size_t i;
	int c;

	memset(total, 0, sizeof(*total));
	for (i = 0; i < n; i++) {
		total->minor += rows[i].minor;
		total->major += rows[i].major;
		for (c = 0; c < FS_NR_CLASSES; c++)
			total->cls[c] += rows[i].cls[c];
	}
}
