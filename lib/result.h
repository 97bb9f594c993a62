/*
 * result.h - job results of a snapshot (the results table): what CI jobs
 * report through POST /api/v1/snapshots/{id}/results and what the
 * built-in checks (check.h) record, by the same code.
 */
#ifndef DEBPIPE_RESULT_H
#define DEBPIPE_RESULT_H

#include "db.h"
#include "error.h"

/*
 * What a CI job may report (POST .../results, snapshot-promote report):
 * "success", "failure" or "error" (could not run; gates like failure).
 */
int	 result_valid(const char *result);

/*
 * What can be recorded: result_valid() or "neutral", which only the
 * built-in checks record (nothing to check, e.g. no changed source has
 * tests).
 */
int	 result_known(const char *result);

/* Whether a recorded result satisfies a Requires: gate: "success" or
 * "neutral" (like a neutral GitHub check conclusion). */
int	 result_passes(const char *result);

/*
 * Append one report: snapshot id, job, result (result_known), url (may be
 * NULL), actor (who reported: a token's name, or "check"), at the current
 * time.  The latest report of a job counts (promotion rules).  0, or -1
 * with err filled.
 */
int	 result_record(struct db *db, const char *id, const char *job,
	    const char *result, const char *url, const char *actor,
	    struct dp_error *err);

#endif
