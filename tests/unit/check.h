/* SPDX-License-Identifier: BSD-2-Clause */
/* A minimal test harness: each CHECK prints one "ok"/"not ok" line. */
#ifndef MEMSCOPE_CHECK_H
#define MEMSCOPE_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond, name)                                                                    \
	do {                                                                                 \
		if (cond) {                                                                  \
			printf("ok %s\n", name);                                             \
		} else {                                                                     \
			printf("not ok %s: %s (%s:%d)\n", name, #cond, __FILE__, __LINE__);  \
			check_failures++;                                                    \
		}                                                                            \
	} while (0)

#define CHECK_STR(got, want, name)                                                           \
	do {                                                                                 \
		const char *g_ = (got), *w_ = (want);                                        \
		if (!strcmp(g_, w_)) {                                                       \
			printf("ok %s\n", name);                                             \
		} else {                                                                     \
			printf("not ok %s: got [%s] want [%s]\n", name, g_, w_);             \
			check_failures++;                                                    \
		}                                                                            \
	} while (0)

/* Runs fn with output captured into buf. */
#define CAPTURE(buf, f, code)                                                                \
	do {                                                                                 \
		size_t n_;                                                                   \
		char *p_ = NULL;                                                             \
		FILE *f = open_memstream(&p_, &n_);                                          \
		code;                                                                        \
		fclose(f);                                                                   \
		snprintf(buf, sizeof(buf), "%s", p_ ? p_ : "");                              \
		free(p_);                                                                    \
	} while (0)

#endif
