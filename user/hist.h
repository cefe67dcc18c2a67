/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_HIST_H
#define MEMSCOPE_HIST_H

#include <stdio.h>
#include "output.h"

/* Matches bpf/hist.bpf.h: slot i counts values v with 2^(i-1) <= v < 2^i
 * (slot 0: v == 0). 64-bit counts, so nothing saturates. */
#define HIST_SLOTS 64

struct hist_view {
	const unsigned long long *slots;
	int n;			/* slots in use, <= HIST_SLOTS */
	const char *unit;	/* what a slot's bounds count ("us", "ms"), when it is
				 * chosen at run time; NULL: the schema field's unit */
};

/* bcc-style text histogram: "     usecs : count    distribution". */
void hist__print(FILE *f, const struct hist_view *h, const char *unit);
/* JSON array of {"lo_<unit>": lo, "hi_<unit>": hi, "count": n} for non-empty
 * slots; hi is inclusive, as in the text view. */
void hist__json(struct json *j, const char *key, const struct hist_view *h, const char *unit);
/* The bcc-style label of a unit in hist__print's header: "us" is "usecs",
 * "ms" "msecs", "ns" "nsecs"; any other unit is its own label. */
const char *hist__label(const char *unit);
/* Lower and upper (inclusive) bound of slot i. */
void hist__bounds(int i, unsigned long long *lo, unsigned long long *hi);

#endif
