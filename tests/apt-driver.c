/*
 * apt-driver - call the apt watches (builder/watch-apt*.c) directly, for
 * the apt integration tests and the import benchmark.
 *
 *   apt-driver CONFIG sync WATCH [--dry-run]
 *   apt-driver CONFIG source WATCH WORKDIR [LAST-VERSION]
 *
 * sync prints "change NAME ARCH OLD NEW" lines, then "unchanged N",
 * "imported N" and "requests N"; source prints "srcdir DIR" and
 * "version V", or "unchanged" (exit 0) when nothing is new.  Errors go to
 * stderr as "apt-driver: message" with exit 1.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "error.h"
#include "fsutil.h"
#include "xmalloc.h"

#include "../builder/builder.h"

static void
usage(void)
{
	fprintf(stderr, "usage: apt-driver CONFIG sync WATCH [--dry-run]\n"
	    "       apt-driver CONFIG source WATCH WORKDIR [LAST-VERSION]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct config			*cfg = NULL;
	struct db			*db = NULL;
	const struct conf_watch		*w;
	struct aptw_report		 rep;
	struct dp_error			 err;
	char				*dbpath = NULL, *srcdir = NULL;
	char				*ver = NULL;
	size_t				 i;
	int				 dry = 0, r, rv = 1;

	memset(&err, 0, sizeof(err));
	if (argc < 4)
		usage();
	if (config_load(argv[1], &cfg, &err) == -1)
		goto fail;
	if ((w = config_watch_find(cfg, argv[3])) == NULL) {
		dp_error_set(&err, DP_ERR_NOTFOUND, "no watch %s", argv[3]);
		goto fail;
	}
	if (fs_mkdirs(cfg->state_dir, 0755, &err) == -1)
		goto fail;
	dbpath = config_db_path(cfg);
	if (db_open(dbpath, &db, &err) == -1)
		goto fail;
	if (strcmp(argv[2], "sync") == 0) {
		if (argc == 5 && strcmp(argv[4], "--dry-run") == 0)
			dry = 1;
		else if (argc != 4)
			usage();
		if (aptw_sync(db, cfg, w, dry, &rep, &err) == -1)
			goto fail;
		for (i = 0; i < rep.nchanges; i++)
			printf("change %s %s %s %s\n", rep.changes[i].name,
			    rep.changes[i].arch,
			    rep.changes[i].old_version ?
			    rep.changes[i].old_version : "-",
			    rep.changes[i].new_version ?
			    rep.changes[i].new_version : "-");
		printf("unchanged %d\nimported %zu\nrequests %zu\n",
		    rep.unchanged, rep.imported, rep.requests);
		aptw_report_done(&rep);
	} else if (strcmp(argv[2], "source") == 0) {
		if (argc != 5 && argc != 6)
			usage();
		r = aptsrc_prepare(db, cfg, w,
		    argc == 6 ? argv[5] : NULL, argv[4], &srcdir, &ver, &err);
		if (r == -1)
			goto fail;
		if (r == 1)
			printf("unchanged\n");
		else
			printf("srcdir %s\nversion %s\n", srcdir, ver);
	} else
		usage();
	rv = 0;
	goto out;
fail:
	fprintf(stderr, "apt-driver: %s\n", dp_error_str(&err));
out:
	free(srcdir);
	free(ver);
	free(dbpath);
	db_close(db);
	config_free(cfg);
	return rv;
}
