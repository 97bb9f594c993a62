/*
 * db-hooks.h - the hook_deliveries table: the delivery IDs of the forge
 * push hooks the promoter took (promoter/hooks.c), so that a repeated
 * delivery triggers nothing more.  Not a schema migration: a table of
 * the promoter alone, made when missing (older databases get it at the
 * promoter's first start).
 */
#ifndef DEBPIPE_DB_HOOKS_H
#define DEBPIPE_DB_HOOKS_H

#include <time.h>

#include "db.h"
#include "error.h"

/* Make the table when missing.  0 or -1 with err filled. */
int	 db_hook_init(struct db *db, struct dp_error *err);

/* Record delivery id of forge at now, forgetting those older than keep
 * seconds: 1 new, 0 seen before, -1 error. */
int	 db_hook_delivery(struct db *db, const char *forge, const char *id,
	    time_t now, long keep, struct dp_error *err);

#endif
