/*
 * snapshotter/check.c - `debpipe-snapshotter --config F --check ID JOB`:
 * one built-in check, run by the scheduler (lib/check.c) in a child
 * process of the snapshotter, as the snapshotter's user.  Exits 0 when a
 * result was recorded, 1 when not even that was possible.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "snapshotter.h"

int
snapshotter_check_main(int argc, char **argv)
{
	struct config	*cfg = NULL;
	struct db	*db = NULL;
	struct dp_error	 err;
	const char	*path = NULL, *id = NULL, *job = NULL, *res;
	char		*dbpath;
	int		 i, rc = 1;

	log_init("debpipe-snapshotter", 1);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--check") == 0 && i + 2 < argc) {
			id = argv[++i];
			job = argv[++i];
		}
	}
	if (id == NULL || job == NULL) {
		log_warnx("usage: debpipe-snapshotter [--config F] --check ID "
		    "JOB");
		return 2;
	}
	if (config_load(config_path(path), &cfg, &err) == -1) {
		log_warnx("%s", dp_error_str(&err));
		goto out;
	}
	dbpath = config_db_path(cfg);
	if (db_open(dbpath, &db, &err) == -1) {
		free(dbpath);
		log_warnx("%s", dp_error_str(&err));
		goto out;
	}
	free(dbpath);
	if (check_run(db, cfg, id, job, &res, &err) == -1) {
		log_warnx("check %s of %s: %s", job, id, dp_error_str(&err));
		goto out;
	}
	log_info("check %s of %s: %s", job, id, res);
	rc = 0;
out:
	db_close(db);
	config_free(cfg);
	return rc;
}
