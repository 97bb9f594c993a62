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
	    "       debpipe publish verify [--repair] [TARGET]\n"
	    "\n"
	    "sync uploads every published snapshot and environment to each\n"
	    "Publish-To: target (or only TARGET: its Publish-To: value or\n"
	    "bucket/container name) that it does not hold yet, and removes\n"
	    "what local garbage collection removed.  verify lists each\n"
	    "target and compares it with what state.db says it holds;\n"
	    "--repair uploads what is missing or wrong again.\n");
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

struct vout {
	struct cli	*c;
	const char	*target;
	json_t		*diffs;
};

static void
verify_cb(const char *kind, const char *key, void *arg)
{
	struct vout	*vo = arg;

	if (vo->c->json)
		json_array_append_new(vo->diffs, json_pack("{s:s,s:s}",
		    "kind", kind, "key", key));
	else
		printf("%s: %s %s\n", vo->target, kind, key);
}

static int
publish_verify(struct cli *c, const char *which, int repair)
{
	const struct conf_target	*t;
	struct remote_verify_stats	 vs;
	struct dp_error			 err;
	struct vout			 vo;
	json_t				*arr = json_array(), *o;
	char				*s;
	size_t				 i;
	int				 rv = EXIT_OK, ok;

	if (c->cfg->ntargets == 0 || (which != NULL &&
	    config_target_find(c->cfg, which) == NULL)) {
		cli_err("no Publish-To: target%s%s in %s", which != NULL ?
		    " " : "s", which != NULL ? which : "", c->cfg->path);
		json_decref(arr);
		return EXIT_FAIL;
	}
	for (i = 0; i < c->cfg->ntargets; i++) {
		t = &c->cfg->targets[i];
		if (which != NULL && t != config_target_find(c->cfg, which))
			continue;
		vo.c = c;
		vo.target = t->name;
		vo.diffs = json_array();
		ok = remote_verify(c->db, c->cfg, t, repair, verify_cb, &vo,
		    &vs, &err) == 0;
		o = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
		    "target", t->name, "ok", ok,
		    "recorded", (json_int_t)vs.recorded,
		    "listed", (json_int_t)vs.listed,
		    "missing", (json_int_t)vs.missing,
		    "wrong", (json_int_t)vs.wrong,
		    "unknown", (json_int_t)vs.unknown,
		    "repaired", (json_int_t)vs.repaired,
		    "differences", vo.diffs);
		if (!ok) {
			json_object_set_new(o, "error",
			    json_string(dp_error_str(&err)));
			cli_err("%s: %s", t->name, dp_error_str(&err));
			rv = EXIT_FAIL;
		} else if (!repair && vs.missing + vs.wrong > 0)
			rv = EXIT_FAIL;
		if (!c->json && !ok)
			/* No counts: what was not listed was not compared. */
			printf("%s: verify FAILED: nothing was compared "
			    "(the error is above)\n", t->name);
		else if (!c->json)
			printf("%s: %zu objects recorded, %zu listed: %zu "
			    "missing, %zu wrong, %zu unknown%s\n", t->name,
			    vs.recorded, vs.listed, vs.missing, vs.wrong,
			    vs.unknown, repair &&
			    vs.missing + vs.wrong > 0 ? "; repaired" :
			    vs.missing + vs.wrong > 0 ? " (repair with "
			    "--repair)" : "");
		if (ok && repair && vs.missing + vs.wrong > 0 && !c->json)
			printf("%s: uploaded %zu file%s again\n", t->name,
			    vs.repaired, vs.repaired == 1 ? "" : "s");
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
	if (strcmp(argv[1], "verify") == 0) {
		if (argc > 2 && strcmp(argv[2], "--repair") == 0) {
			flags = 1;
			argc--;
			argv++;
		}
		if (argc > 3) {
			publish_usage(stderr);
			return EXIT_USAGE;
		}
		if (cli_open_db(c) == -1)
			return EXIT_FAIL;
		return publish_verify(c, argc == 3 ? argv[2] : NULL, flags);
	}
	publish_usage(stderr);
	return EXIT_USAGE;
}
