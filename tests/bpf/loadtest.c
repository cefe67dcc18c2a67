// SPDX-License-Identifier: BSD-2-Clause
/*
 * Loads every BPF object with each probe candidate forced in turn, so the
 * verifier sees every program this kernel can run, and checks that the
 * candidates this kernel cannot run are rejected by the probe layer with a
 * reason instead of failing later. One line per candidate:
 *   ok|not ok|skip <object> <event> <hook>: detail
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "pagecache.h"
#include "probe.h"
#include "pagecache.skel.h"

static int failures;

static void loadtest__pagecache(void)
{
	const struct probe_event *evs = pagecache__events;
	int e, c;

	for (e = 0; e < PAGECACHE_NR_EVENTS; e++) {
		for (c = 0; c < evs[e].n_cands; c++) {
			int forced[PAGECACHE_NR_EVENTS];
			struct pagecache_opts o = { .forced = forced };
			struct pagecache pc;
			char desc[128];
			const char *why;
			int err, i;

			for (i = 0; i < PAGECACHE_NR_EVENTS; i++)
				forced[i] = -1;
			forced[e] = c;
			probe__describe(&evs[e].cands[c], desc, sizeof(desc));
			err = pagecache__open(&pc, &o);
			if (err == -ENOENT && pc.probes.chosen && pc.probes.chosen[e] < 0) {
				why = probe__reason(&pc.probes, e, c);
				if (why[0])
					printf("ok pagecache '%s' %s: rejected cleanly: %s\n",
					       evs[e].name, desc, why);
				else {
					printf("not ok pagecache '%s' %s: rejected without a reason\n",
					       evs[e].name, desc);
					failures++;
				}
			} else if (err) {
				printf("not ok pagecache '%s' %s: open failed: %s\n", evs[e].name,
				       desc, strerror(-err));
				failures++;
			} else if ((err = pagecache__attach(&pc))) {
				printf("not ok pagecache '%s' %s: load/attach failed: %s\n",
				       evs[e].name, desc, strerror(-err));
				failures++;
			} else {
				printf("ok pagecache '%s' %s: loaded and attached\n", evs[e].name,
				       desc);
			}
			pagecache__close(&pc);
		}
	}
}

/* Every program the object ships is some event's candidate: none escapes
 * the load test above. */
static void loadtest__pagecache_coverage(void)
{
	struct pagecache pc;
	struct pagecache_opts o = {};
	struct bpf_program *prog;
	int n = 0, missing = 0, e, c;

	if (pagecache__open(&pc, &o) && !pc.skel) {
		printf("not ok pagecache coverage: cannot open the object\n");
		failures++;
		return;
	}
	bpf_object__for_each_program(prog, pc.skel->obj) {
		bool found = false;

		n++;
		for (e = 0; e < PAGECACHE_NR_EVENTS && !found; e++)
			for (c = 0; c < pagecache__events[e].n_cands && !found; c++)
				found = !strcmp(pagecache__events[e].cands[c].prog,
						bpf_program__name(prog));
		if (!found) {
			printf("not ok pagecache coverage: program %s is no event's candidate\n",
			       bpf_program__name(prog));
			missing++;
		}
	}
	if (!missing)
		printf("ok pagecache coverage: all %d programs are probe candidates\n", n);
	failures += missing;
	pagecache__close(&pc);
}

int main(int argc, char **argv)
{
	log__init("loadtest", argc > 1 && !strcmp(argv[1], "-v") ? 1 : 0);
	if (geteuid() != 0) {
		printf("skip loadtest: needs root\n");
		return 0;
	}
	loadtest__pagecache();
	loadtest__pagecache_coverage();
	return failures ? 1 : 0;
}
