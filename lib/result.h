/*
 * result.h - job results of a snapshot (the results table): what CI jobs
 * report through POST /api/v1/snapshots/{id}/results and what the
 * built-in checks (check.h) record, by the same code.
 */
#ifndef DEBPIPE_RESULT_H
#define DEBPIPE_RESULT_H

#include "db.h"
#include "error.h"

/* "success", "failure" or "error" (could not run; gates like failure). */
int	 result_valid(const char *result);

/*
 * Append one report: snapshot id, job, result (result_valid), url (may be
 * NULL), actor (who reported: a token's name, or "check"), at the current
 * time.  The latest report of a job counts (promotion rules).  0, or -1
 * with err filled.
 */
int	 result_record(struct db *db, const char *id, const char *job,
	    const char *result, const char *url, const char *actor,
	    struct dp_error *err);

#endif
