/*
 * cli/add.c - debpipe add FILE.deb|FILE.dsc ... --dist D [--component C]
 *
 * Ingest packages by hand.  All files of one call go in together or not at
 * all (pool_add); one line per package on success:
 *   added hello 1.0-1 amd64
 *   present hello 1.0-1 amd64      (the identical package was already in)
 * or with --json: {"dist": ..., "component": ..., "packages": [{"name":
 * ..., "version": ..., "arch": ..., "id": N, "existed": false}, ...]}.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pool.h"
#include "xmalloc.h"

/* "reading 1234/10000 (12%)" on a terminal, at most 10 times a second. */
static void
add_progress_cb(size_t done, size_t total, void *arg)
{
	static struct timespec	last;
	struct timespec		now;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done != total && (now.tv_sec - last.tv_sec) * 1000 +
	    (now.tv_nsec - last.tv_nsec) / 1000000 < 100)
		return;
	last = now;
	fprintf(stderr, "\rreading %zu/%zu (%zu%%)%s", done, total,
	    done * 100 / total, done == total ? "\n" : "");
}

static void
add_usage(FILE *f)
{
	fprintf(f, "usage: debpipe add FILE.deb|FILE.dsc ... --dist DIST "
	    "[--component COMP] [--link] [--json]\n"
	    "\nAdd binary (.deb) and source (.dsc, with the files it lists,\n"
	    "found beside it) packages to the pool of DIST.  Either every\n"
	    "file is added or none: a bad file changes nothing.  Adding a\n"
	    "package that is already there, identical, is not an error.\n"
	    "Files are copied into the pool; with --link a file on the\n"
	    "pool's file system is hard-linked instead and made read-only\n"
	    "(faster for big imports of files you will not touch again).\n");
}

int
cmd_add(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dist", required_argument, NULL, 'd' },
		{ "component", required_argument, NULL, 'C' },
		{ "link", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pool_add_opts	 opts;
	struct pool_added	*added = NULL;
	struct dp_error		 err;
	json_t			*o, *arr, *p;
	size_t			 n = 0, i;
	int			 ch;

	memset(&opts, 0, sizeof(opts));
	opts.origin = "add";
	while ((ch = getopt_long(argc, argv, "d:C:Lh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			opts.dist = optarg;
			break;
		case 'L':
			opts.link = 1;
			break;
		case 'C':
			opts.component = optarg;
			break;
		case 'h':
			add_usage(stdout);
			return EXIT_OK;
		default:
			add_usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		cli_err("add: no files given");
		add_usage(stderr);
		return EXIT_USAGE;
	}
	if (opts.dist == NULL) {
		cli_err("add: --dist is required");
		add_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_open_db(c) == -1)
		return EXIT_FAIL;

	if (isatty(STDERR_FILENO) && argc > 20 && !c->json)
		opts.progress_cb = add_progress_cb;
	dp_error_clear(&err);
	if (pool_add(c->db, c->cfg, argv, &opts, &added, &n, &err) == -1) {
		cli_err("add: %s", dp_error_str(&err));
		cli_err("add: nothing was added");
		return EXIT_FAIL;
	}
	if (opts.component == NULL) {
		const struct conf_dist *d = config_dist_find(c->cfg, opts.dist);

		opts.component = d->components[0];
	}
	if (c->json) {
		o = json_object();
		arr = json_array();
		json_object_set_new(o, "dist", json_string(opts.dist));
		json_object_set_new(o, "component",
		    json_string(opts.component));
		for (i = 0; i < n; i++) {
			p = json_object();
			json_object_set_new(p, "name",
			    json_string(added[i].name));
			json_object_set_new(p, "version",
			    json_string(added[i].version));
			json_object_set_new(p, "arch",
			    json_string(added[i].arch));
			json_object_set_new(p, "id",
			    json_integer(added[i].id));
			json_object_set_new(p, "existed",
			    json_boolean(added[i].existed));
			json_array_append_new(arr, p);
		}
		json_object_set_new(o, "packages", arr);
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	} else {
		for (i = 0; i < n; i++)
			printf("%s %s %s %s\n", added[i].existed ? "present" :
			    "added", added[i].name, added[i].version,
			    added[i].arch);
	}
	pool_added_free(added, n);
	return EXIT_OK;
}
