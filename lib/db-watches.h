/*
 * db-watches.h - the watches table: one row per watch (created on its
 * first poll), with the outcome of the last poll and, for apt watches,
 * a JSON state (validators, digests).  Every statement on the table is in
 * db-watches.c.
 */
#ifndef DEBPIPE_DB_WATCHES_H
#define DEBPIPE_DB_WATCHES_H

#include <stdint.h>

#include "db.h"
#include "error.h"

/* The inputs of the last poll that found a change (*inputs NULL when
 * none; caller frees). */
int	 db_watch_get_inputs(struct db *db, const char *watch, char **inputs,
	    struct dp_error *err);
/* Record a poll: error NULL = success (clears last_error); inputs (when
 * not NULL) become last_inputs, and last_change is set when changed. */
int	 db_watch_polled(struct db *db, const char *watch, const char *inputs,
	    int changed, const char *error, struct dp_error *err);
int	 db_watch_set_error(struct db *db, const char *watch,
	    const char *error, struct dp_error *err);
/* Seconds since the last poll, -1 if never. */
long	 db_watch_since_poll(struct db *db, const char *watch);
/* The last poll failed.  1/0 */
int	 db_watch_failing(struct db *db, const char *watch);

/* watches.state (text, JSON for apt watches): *state NULL when there is
 * none (caller frees); set creates the row when missing. */
int	 db_watch_state_get(struct db *db, const char *watch, char **state,
	    struct dp_error *err);
int	 db_watch_state_set(struct db *db, const char *watch,
	    const char *state, struct dp_error *err);

/* What `debpipe watch` shows of a watch (strings NULL when not known,
 * ids 0).  db_watch_status: the last poll, the last build and the last
 * good version (found is 1 even without a watches row);
 * db_watch_check_status: the last poll and the build queued or running
 * (found 0 when the watch was never polled).  1 when the query returned
 * no row.  Free with db_watch_status_done. */
struct db_watch_status {
	int	 found;
	char	*last_poll;
	char	*last_change;
	char	*last_inputs;
	char	*last_error;
	int64_t	 last_build;
	char	*last_build_state;
	char	*last_good_version;
	int64_t	 pending_build;
};
int	 db_watch_status(struct db *db, const char *watch,
	    struct db_watch_status *s, struct dp_error *err);
int	 db_watch_check_status(struct db *db, const char *watch,
	    struct db_watch_status *s, struct dp_error *err);
void	 db_watch_status_done(struct db_watch_status *s);

/* The watches row of watch as the promoter's API and `debpipe status`
 * show it (found 0 and NULL strings without a row).  Free with
 * db_watch_row_done. */
struct db_watch_row {
	int	 found;
	char	*last_poll;
	char	*last_change;
	char	*last_error;
	char	*state;
};
int	 db_watch_row_get(struct db *db, const char *watch,
	    struct db_watch_row *w, struct dp_error *err);
void	 db_watch_row_done(struct db_watch_row *w);
/* Is a poll of watch requested ("check" request: `debpipe watch check`,
 * a push hook) and not done yet?  1/0/-1. */
int	 db_watch_check_requested(struct db *db, const char *watch,
	    struct dp_error *err);

#endif
