// SPDX-License-Identifier: BSD-2-Clause
/* memscope-exporter: memscope's figures for Prometheus, over HTTP. */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "cli.h"
#include "exporter.h"
#include "log.h"

#define MAX_CLIENTS 32		/* concurrent connections; more are refused */
#define CLIENT_TIMEOUT_S 5	/* an idle or slow connection is closed after this */

static const char default_modules[] = "pagecache,faultstat,reclaimlat,oomkill,slab";
/* Sources that, when not asked for by name, the exporter serves without if
 * this kernel or these privileges refuse them (said once on stderr). */
static const bool optional_by_default[EXP_NR_SOURCES] = { [EXP_OOMKILL] = true, [EXP_SLAB] = true };

static struct env {
	struct cli_common c;
	const char *listen;
	const char *modules;
	unsigned long interval;
	unsigned long top_caches;
	unsigned long top_cgroups;
	unsigned long cgroup_depth;
} env = { .listen = "127.0.0.1:9935", .modules = default_modules, .interval = 1,
	  .top_caches = EXP_SLAB_TOP, .top_cgroups = EXP_CG_TOP, .cgroup_depth = EXP_CG_DEPTH };

static const char doc[] =
	"Serve memscope's page-cache, page-fault, reclaim-stall, OOM-kill, slab and "
	"memory-state figures "
	"to Prometheus.\n"
	"\n"
	"USAGE: memscope-exporter [--listen ADDR:PORT] [--modules LIST] [-i SECONDS]\n"
	"                         [--cgroup-depth N] [--top N] [--top-caches N] [-v]\n"
	"                         [--probes] [--skip-hooks KINDS]\n"
	"\n"
	"GET /metrics returns the Prometheus text format (0.0.4), or OpenMetrics 1.0 when "
	"the Accept header asks for application/openmetrics-text; / is a page of links. "
	"Counters are the kernel's totals since the exporter started, collected every "
	"interval (a scrape never resets them). Page cache, faults and reclaim stalls are "
	"also per memory cgroup (label cgroup: its path at --cgroup-depth), for the --top "
	"busiest cgroups of each interval, the rest summed in cgroup=\"other\": at most "
	"75 x (top + 1) such series. Metrics and PromQL examples: "
	"memscope-exporter(8).\n"
	"\n"
	"EXAMPLES:\n"
	"    memscope-exporter                         # 127.0.0.1:9935, every source\n"
	"    memscope-exporter --listen :9935          # every address\n"
	"    memscope-exporter --listen [::1]:9935     # IPv6 loopback\n"
	"    memscope-exporter --modules pagecache,reclaimlat\n"
	"    memscope-exporter --modules oomkill       # only the OOM kills\n"
	"    memscope-exporter --top 5 --cgroup-depth 1  # 5 top-level cgroups, + other\n"
	"    memscope-exporter --top 0                 # no per-cgroup series\n"
	"    memscope-exporter --top-caches 50         # 50 slab caches\n"
	"    memscope-exporter --probes                # the hooks each source gets here\n"
	"    curl -s localhost:9935/metrics | grep memscope_pagecache";

_Static_assert(EXP_CG_TOP == 20 && EXP_CG_MAX == 100 && EXP_CG_DEPTH == 3 && EXP_CG_SERIES == 75,
	       "--help and the options' help name them");

static void arg_none(struct argp_state *state, const char *arg)
{
	argp_error(state, "unexpected argument '%s'", arg);
}

static const struct cli_opt opts[] = {
	{ .name = "listen", .key = 'l', .arg = "ADDR:PORT", .type = CLI_STR, .dest = &env.listen,
	  .help = "Address and port to serve on (default 127.0.0.1:9935)" },
	{ .name = "modules", .key = 'm', .arg = "LIST", .type = CLI_STR, .dest = &env.modules,
	  .help = "Comma-separated sources: pagecache, faultstat, reclaimlat, oomkill, slab "
		  "(default all)" },
	{ .name = "interval", .key = 'i', .arg = "SECONDS", .type = CLI_ULONG,
	  .dest = &env.interval, .min = 1, .max = 3600,
	  .help = "Seconds between collections (default 1)" },
	{ .name = "top", .key = 'n', .arg = "CGROUPS", .type = CLI_ULONG, .dest = &env.top_cgroups,
	  .min = 0, .max = EXP_CG_MAX,
	  .help = "Memory cgroups with their own series, the busiest of each interval (default "
		  "20, at most 100, 0: no per-cgroup series); the rest in cgroup=\"other\"" },
	{ .name = "cgroup-depth", .key = 'd', .arg = "DEPTH", .type = CLI_ULONG,
	  .dest = &env.cgroup_depth, .min = 0, .max = 16,
	  .help = "Cgroups deeper than DEPTH levels below the hierarchy root count as their "
		  "ancestor at that depth (default 3; 0: the root \"/\" only)" },
	{ .name = "top-caches", .key = 't', .arg = "CACHES", .type = CLI_ULONG,
	  .dest = &env.top_caches, .min = 1, .max = EXP_SLAB_MAX,
	  .help = "Slab caches with their own series, the busiest first (default 20, at most 256); "
		  "the rest in cache=\"other\"" },
	{},
};

static const struct cli_spec spec = { .doc = doc, .args_doc = "", .opts = opts,
				      .arg = arg_none };

static struct exporter exp;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static char not_found[] = "404 not found: try /metrics\n";
	static char not_allowed[] = "405 method not allowed\n";
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
			     sizeof(not_allowed) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") && strcmp(url, "/")) {
		exporter__scraped(&exp, 0, false);
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT);
	}
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	if (!strcmp(url, "/")) {
		fputs("<html><head><title>memscope-exporter</title></head><body>\n"
		      "<h1>memscope-exporter</h1>\n<p><a href=\"/metrics\">/metrics</a></p>\n"
		      "<p>Sources:</p><ul>\n", f);
		for (int i = 0; i < EXP_NR_SOURCES; i++)
			if (exp.enabled[i])
				fprintf(f, "<li>%s</li>\n", exporter__source_names[i]);
		fputs("</ul></body></html>\n", f);
		fclose(f);
		return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", body, len,
			     MHD_RESPMEM_MUST_FREE);
	}
	double t0 = now_s();
	enum om_format fmt = om__negotiate(
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));

	exporter__render(&exp, f, fmt);
	fclose(f);
	exporter__scraped(&exp, now_s() - t0, true);
	return reply(conn, MHD_HTTP_OK, om__content_type(fmt), body, len, MHD_RESPMEM_MUST_FREE);
}

/* A listening socket on "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" (every
 * address); -1 with the cause logged. */
static int listen_on(const char *spec_str)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	char host[128];
	const char *colon = strrchr(spec_str, ':'), *h = host;
	struct addrinfo *ai;
	int fd, one = 1, err;
	size_t hl;

	if (!colon || !colon[1] || (size_t)(colon - spec_str) >= sizeof(host)) {
		log__err("invalid listen address '%s': want ADDR:PORT", spec_str);
		return -2;
	}
	hl = colon - spec_str;
	memcpy(host, spec_str, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		h = host + 1;
	}
	err = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &ai);
	if (err) {
		log__err("invalid listen address '%s': %s", spec_str, gai_strerror(err));
		return -2;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		log__err("cannot listen on %s: %s", spec_str, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int tick(void *ctx, const struct timespec *now)
{
	return exporter__collect(ctx);
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d = NULL;
	char *list, *tok, *save;
	int fd, err = 0, i;

	if (cli__parse_spec(&spec, argc, argv, &env.c))
		return EXIT_USAGE;
	if (env.c.json || env.c.timestamp) {
		log__err("--json and -T do not apply: the exporter serves /metrics");
		return EXIT_USAGE;
	}
	list = strdup(env.modules);
	if (!list)
		return EXIT_RUNTIME;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		i = exporter__find(tok);
		if (i < 0) {
			log__err("unknown module '%s' (known: pagecache, faultstat, reclaimlat, oomkill, slab)",
				 tok);
			free(list);
			return EXIT_USAGE;
		}
		exp.enabled[i] = true;
		exp.optional[i] = env.modules == default_modules && optional_by_default[i];
	}
	exp.top_caches = (int)env.top_caches;
	exp.top_cgroups = (int)env.top_cgroups;
	exp.cgroup_depth = (int)env.cgroup_depth;
	free(list);
	if (env.c.probes)
		return exporter__print_probes(&exp, env.c.skip_kinds, stdout) ? EXIT_RUNTIME : EXIT_OK;
	fd = listen_on(env.listen);
	if (fd == -2)
		return EXIT_USAGE;
	if (fd < 0)
		return EXIT_RUNTIME;
	if (cli__preflight(0)) {
		close(fd);
		return EXIT_RUNTIME;
	}
	loop__install_signals();
	if (exporter__start(&exp, env.c.skip_kinds)) {
		err = -1;
		goto cleanup;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
			     handle, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CLIENTS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CLIENT_TIMEOUT_S,
			     MHD_OPTION_END);
	if (!d) {
		log__err("cannot start the HTTP server on %s", env.listen);
		err = -1;
		goto cleanup;
	}
	fd = -1;	/* the daemon's now */
	log__info("serving on %s", env.listen);
	err = loop__run(&(struct loop_opts){ .interval_s = env.interval }, tick, &exp);
cleanup:
	if (d)
		MHD_stop_daemon(d);
	if (fd >= 0)
		close(fd);
	exporter__stop(&exp);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
