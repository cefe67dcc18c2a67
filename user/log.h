/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_LOG_H
#define MEMSCOPE_LOG_H

/* Exit codes shared by every tool. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

extern const char *log_tool;	/* prefix of every message: "cachestat" */
extern int log_verbosity;	/* -v: 1 (probe choices, libbpf warnings), -vv: 2 (libbpf debug) */

/* Names the tool and installs the one libbpf print callback. */
void log__init(const char *tool, int verbosity);
/* "tool: message" on stderr, always. */
void log__err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "tool: message" on stderr at -v and above. */
void log__info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
