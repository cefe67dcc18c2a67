// SPDX-License-Identifier: BSD-2-Clause
/*
 * floor OBJ PID LIB OFFSET[r]...: attaches bench/floor.bpf.c's empty program
 * to LIB at each OFFSET (hex or decimal; a trailing "r": a uretprobe) for
 * process PID, prints "ready", and detaches when PID is gone or on SIGINT
 * or SIGTERM. The bench's floor row for memleak: the same uprobes (malloc's
 * entry and return, free past its first instruction) with nothing in them.
 * floor OBJ tp_btf: the same for its empty tp_btf programs (cachestat's read
 * hook), until SIGINT or SIGTERM.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLOOR_MAX_LINKS 16

static volatile sig_atomic_t floor_stop;

static void floor_on_signal(int sig)
{
	floor_stop = 1;
}

static int floor_tp_btf(const char *path)
{
	struct bpf_link *links[FLOOR_MAX_LINKS] = {};
	struct bpf_program *prog;
	struct bpf_object *obj;
	int n = 0, rc = 1;

	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		goto fail;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, bpf_program__type(prog) == BPF_PROG_TYPE_TRACING);
	if (bpf_object__load(obj))
		goto fail;
	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__type(prog) != BPF_PROG_TYPE_TRACING || n == FLOOR_MAX_LINKS)
			continue;
		links[n] = bpf_program__attach(prog);
		if (!links[n]) {
			fprintf(stderr, "floor: cannot attach %s: %s\n", bpf_program__name(prog),
				strerror(errno));
			goto out;
		}
		n++;
	}
	printf("ready\n");
	fflush(stdout);
	while (!floor_stop)
		pause();
	rc = 0;
out:
	while (n--)
		bpf_link__destroy(links[n]);
	bpf_object__close(obj);
	return rc;
fail:
	fprintf(stderr, "floor: cannot load %s: %s\n", path, strerror(errno));
	bpf_object__close(obj);
	return 1;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[FLOOR_MAX_LINKS] = {};
	struct bpf_program *prog;
	struct bpf_object *obj;
	int i, n = 0, rc = 1;
	pid_t pid;

	signal(SIGINT, floor_on_signal);
	signal(SIGTERM, floor_on_signal);
	if (argc == 3 && !strcmp(argv[2], "tp_btf"))
		return floor_tp_btf(argv[1]);
	if (argc < 5 || argc - 4 > FLOOR_MAX_LINKS) {
		fprintf(stderr, "usage: floor OBJ PID LIB OFFSET[r]... (at most %d), or floor OBJ tp_btf\n",
			FLOOR_MAX_LINKS);
		return 2;
	}
	pid = atoi(argv[2]);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s: %s\n", argv[1], strerror(errno));
		bpf_object__close(obj);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "floor_uprobe");
	for (i = 4; i < argc; i++) {
		char *end;
		size_t off = strtoul(argv[i], &end, 0);
		bool ret = *end == 'r';

		links[n] = bpf_program__attach_uprobe(prog, ret, pid, argv[3], off);
		if (!links[n]) {
			fprintf(stderr, "floor: cannot attach to %s at %s: %s\n", argv[3], argv[i],
				strerror(errno));
			goto out;
		}
		n++;
	}
	printf("ready\n");
	fflush(stdout);
	while (!floor_stop && !kill(pid, 0))
		usleep(10000);
	rc = 0;
out:
	while (n--)
		bpf_link__destroy(links[n]);
	bpf_object__close(obj);
	return rc;
}
