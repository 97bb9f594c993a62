/* result.c - record a job result of a snapshot (see result.h). */
#include "autoconfig.h"

#include <string.h>

#include "db-results.h"
#include "result.h"

int
result_valid(const char *result)
{
	return result != NULL && (strcmp(result, "success") == 0 ||
	    strcmp(result, "failure") == 0 || strcmp(result, "error") == 0);
}

int
result_known(const char *result)
{
	return result_valid(result) || (result != NULL &&
	    strcmp(result, "neutral") == 0);
}

int
result_passes(const char *result)
{
	return result != NULL && (strcmp(result, "success") == 0 ||
	    strcmp(result, "neutral") == 0);
}

int
result_record(struct db *db, const char *id, const char *job,
    const char *result, const char *url, const char *actor,
    struct dp_error *err)
{
	char		 now[32];
	int		 rv = -1;

	if (!result_known(result)) {
		dp_error_set(err, DP_ERR_INVALID, "bad result \"%s\" (success, "
		    "neutral, failure or error)", result != NULL ? result : "");
		goto out;
	}
	/* db_now() uses a static buffer: copy it before anything else. */
	strncpy(now, db_now(), sizeof(now) - 1);
	now[sizeof(now) - 1] = '\0';
	if (db_result_add(db, id, job, result, url, now, actor, err) == -1)
		goto out;
	rv = 0;
out:
	return rv;
}
