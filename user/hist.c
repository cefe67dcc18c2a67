// SPDX-License-Identifier: BSD-2-Clause
#include <string.h>
#include "hist.h"

#define STARS 40

void hist__bounds(int i, unsigned long long *lo, unsigned long long *hi)
{
	if (i == 0) {
		*lo = *hi = 0;
		return;
	}
	*lo = 1ULL << (i - 1);
	*hi = i >= 64 ? ~0ULL : (1ULL << i) - 1;
}

const char *hist__label(const char *unit)
{
	static const char *const labels[][2] = {
		{ "us", "usecs" }, { "ms", "msecs" }, { "ns", "nsecs" },
	};
	size_t i;

	for (i = 0; unit && i < sizeof(labels) / sizeof(labels[0]); i++)
		if (!strcmp(unit, labels[i][0]))
			return labels[i][1];
	return unit ?: "";
}

static int hist__last(const struct hist_view *h)
{
	int i;

	for (i = h->n - 1; i >= 0; i--)
		if (h->slots[i])
			return i;
	return -1;
}

void hist__print(FILE *f, const struct hist_view *h, const char *unit)
{
	unsigned long long max = 0, lo, hi;
	int i, last = hist__last(h), width;
	char stars[STARS + 1];

	if (last < 0)
		return;
	for (i = 0; i <= last; i++)
		if (h->slots[i] > max)
			max = h->slots[i];
	hist__bounds(last, &lo, &hi);
	width = hi > 9999999999ULL ? 20 : 10;
	fprintf(f, "%*s%-*s : count    distribution\n", width, "", width + 2, unit);
	for (i = 0; i <= last; i++) {
		int n = (int)(h->slots[i] * STARS / max);

		hist__bounds(i, &lo, &hi);
		memset(stars, '*', n);
		stars[n] = '\0';
		fprintf(f, "%*llu -> %-*llu : %-8llu |%-*s|\n", width, lo, width, hi, h->slots[i],
			STARS, stars);
	}
}

void hist__json(struct json *j, const char *key, const struct hist_view *h, const char *unit)
{
	unsigned long long lo, hi;
	char klo[32], khi[32];
	int i;

	snprintf(klo, sizeof(klo), "lo_%s", unit);
	snprintf(khi, sizeof(khi), "hi_%s", unit);
	json__begin_array(j, key);
	for (i = 0; i < h->n; i++) {
		if (!h->slots[i])
			continue;
		hist__bounds(i, &lo, &hi);
		json__begin(j, NULL);
		json__u64(j, klo, lo);
		json__u64(j, khi, hi);
		json__u64(j, "count", h->slots[i]);
		json__end(j);
	}
	json__end_array(j);
}
