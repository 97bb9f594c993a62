/*
 * remote-status.h - each Publish-To: target's state, for `debpipe
 * status`, GET /api/v1/targets and /metrics (remote-status.c).
 */
#ifndef DEBPIPE_REMOTE_STATUS_H
#define DEBPIPE_REMOTE_STATUS_H

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "xmalloc.h"

/* An array with one object per target: target, url, last_attempt,
 * last_success, last_error, pending, behind, lag_seconds, objects, bytes,
 * sources (apt lines).  db may be NULL (nothing has run yet). */
json_t	*remote_status(struct db *db, const struct config *cfg);

/* The same as Prometheus gauges (debpipe_publish_*{target="..."}). */
void	 remote_metrics(struct db *db, const struct config *cfg,
	    struct buf *b);

#endif
