/*
 * cli/publish.c - debpipe publish sync [TARGET]: bring object-storage
 * targets (Publish-To:) up to date with the local public tree.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "remote-publish.h"

static void
publish_usage(FILE *f)
{
	fprintf(f, "usage: debpipe publish sync [--if-needed] [TARGET]\n"
	    "\n"
	    "Uploads every published snapshot and environment to each\n"
	    "Publish-To: target (or only TARGET: its Publish-To: value or\n"
	    "bucket/container name) that it does not hold yet.\n");
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
publish_sync(struct cli *c, const char *which, int flags)
{
	const struct conf_target *t;
	struct remote_stats	 st;
	struct dp_error		 err;
	json_t			*arr = json_array(), *o;
	char			*s;
	double			 t0;
	size_t			 i;
	int			 rv = EXIT_OK, ok;

	if (which != NULL && config_target_find(c->cfg, which) == NULL) {
		cli_err("no Publish-To: target '%s' in %s", which,
		    c->cfg->path);
		json_decref(arr);
		return EXIT_FAIL;
	}
	if (c->cfg->ntargets == 0) {
		cli_err("no Publish-To: targets in %s", c->cfg->path);
		json_decref(arr);
		return EXIT_FAIL;
	}
	for (i = 0; i < c->cfg->ntargets; i++) {
		t = &c->cfg->targets[i];
		if (which != NULL && t != config_target_find(c->cfg, which))
			continue;
		t0 = now_s();
		ok = remote_sync(c->db, c->cfg, t, flags, &st, &err) == 0;
		o = json_pack("{s:s,s:b,s:i,s:I,s:i,s:i,s:i,s:f}", "target",
		    t->name, "ok", ok, "uploaded", (int)st.uploaded, "bytes",
		    (json_int_t)st.bytes, "skipped", (int)st.skipped,
		    "requests", (int)st.requests, "pending", (int)st.pending,
		    "seconds", now_s() - t0);
		if (!ok) {
			json_object_set_new(o, "error",
			    json_string(dp_error_str(&err)));
			cli_err("%s: %s", t->name, dp_error_str(&err));
			rv = EXIT_FAIL;
		}
		if (!c->json)
			printf("%s: %s %zu file%s (%llu bytes), %zu already "
			    "there, %zu requests, %.2f s%s\n", t->name,
			    ok ? "uploaded" : "FAILED after", st.uploaded,
			    st.uploaded == 1 ? "" : "s",
			    (unsigned long long)st.bytes, st.skipped,
			    st.requests, now_s() - t0, ok ? "" :
			    " (the rest is retried at the next sync)");
		json_array_append_new(arr, o);
	}
	if (c->json && (s = json_dumps(arr, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) != NULL) {
		puts(s);
		free(s);
	}
	json_decref(arr);
	return rv;
}

int
cmd_publish(struct cli *c, int argc, char **argv)
{
	int	flags = 0;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		publish_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "sync") == 0) {
		/* --if-needed (the daemons' workers): no request at all when
		 * the target is up to date. */
		if (argc > 2 && strcmp(argv[2], "--if-needed") == 0) {
			flags |= REMOTE_IF_NEEDED;
			argc--;
			argv++;
		}
		if (argc > 3) {
			publish_usage(stderr);
			return EXIT_USAGE;
		}
		if (cli_open_db(c) == -1)
			return EXIT_FAIL;
		return publish_sync(c, argc == 3 ? argv[2] : NULL, flags);
	}
	publish_usage(stderr);
	return EXIT_USAGE;
}
