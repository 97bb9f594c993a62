/*
 * cli/gc.c - debpipe gc [--dry-run]: remove snapshots beyond Keep-Snapshots
 * (never one an environment is on or was on recently), index files no kept
 * snapshot lists, and pool files no kept snapshot and no current package
 * uses.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../snapshotter/publish.h"
#include "cli.h"


struct gc_out {
	struct cli	*c;
	int		 dry_run;
	json_t		*items;
};

static void
gc_cb(const char *kind, const char *what, void *arg)
{
	struct gc_out	*o = arg;

	if (o->c->json)
		json_array_append_new(o->items, json_pack("{s:s,s:s}",
		    "kind", kind, "name", what));
	else
		printf("%s %-8s %s\n", o->dry_run ? "would remove" :
		    "removed", kind, what);
}

static void
gc_usage(FILE *f)
{
	fprintf(f, "usage: debpipe gc [--dry-run] [--json]\n"
	    "\n"
	    "Keeps the newest Keep-Snapshots snapshots, every snapshot an\n"
	    "environment is on (or was on among its last moves), and the\n"
	    "packages of the current set; removes the rest.  --dry-run only\n"
	    "prints what would go.\n");
}

int
cmd_gc(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gc_out	 o;
	struct dp_error	 err;
	json_t		*j;
	char		*s;
	int		 ch, nsnap = 0, nfiles = 0;

	memset(&o, 0, sizeof(o));
	o.c = c;
	while ((ch = getopt_long(argc, argv, "nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			o.dry_run = 1;
			break;
		case 'h':
			gc_usage(stdout);
			return EXIT_OK;
		default:
			gc_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		gc_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_load_config(c) == -1 || cli_drop_to_user(c) == -1 ||
	    cli_open_db(c) == -1)
		return EXIT_FAIL;
	o.items = json_array();
	if (!o.dry_run && publish_recover(c->db, c->cfg, &err) == -1) {
		cli_err("recovery: %s", dp_error_str(&err));
		json_decref(o.items);
		return EXIT_FAIL;
	}
	if (publish_gc_report(c->db, c->cfg, o.dry_run, gc_cb, &o, &nsnap,
	    &nfiles, &err) == -1) {
		cli_err("%s", dp_error_str(&err));
		json_decref(o.items);
		return EXIT_FAIL;
	}
	if (c->json) {
		j = json_pack("{s:b,s:i,s:i,s:O}", "dry_run", o.dry_run,
		    "snapshots", nsnap, "pool_files", nfiles, "removed",
		    o.items);
		if ((s = json_dumps(j, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER)) != NULL) {
			puts(s);
			free(s);
		}
		json_decref(j);
	} else
		printf("%s %d snapshot%s and %d pool file%s\n",
		    o.dry_run ? "would remove" : "removed", nsnap,
		    nsnap == 1 ? "" : "s", nfiles, nfiles == 1 ? "" : "s");
	json_decref(o.items);
	return EXIT_OK;
}
