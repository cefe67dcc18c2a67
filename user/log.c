// SPDX-License-Identifier: BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

const char *log_tool = "memscope";
int log_verbosity;

static int log__libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Probe rejections make libbpf warn on purpose: show them only at -v. */
	if (level == LIBBPF_DEBUG && log_verbosity < 2)
		return 0;
	if (level != LIBBPF_DEBUG && log_verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log__init(const char *tool, int verbosity)
{
	log_tool = tool;
	log_verbosity = verbosity;
	libbpf_set_print(log__libbpf_print);
}

static void log__vprint(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", log_tool);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log__err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log__vprint(fmt, ap);
	va_end(ap);
}

void log__info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 1)
		return;
	va_start(ap, fmt);
	log__vprint(fmt, ap);
	va_end(ap);
}
