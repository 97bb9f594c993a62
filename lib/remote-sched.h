/*
 * remote-sched.h - the daemons' side of publishing to object storage: after
 * a local change (a new snapshot, an environment moved) and on every tick,
 * start one background `debpipe publish sync TARGET` per target that lacks
 * something, never two for one target, and retry a failed one with
 * exponential backoff.  Local publishing and promotion never wait for it:
 * a target that is slow or down delays only itself.
 *
 *	struct remote_sched *rs = remote_sched_new(cfg->path);
 *	for (;;) {
 *		...local change...
 *		remote_sched_kick(rs);
 *		remote_sched_tick(rs, db, cfg);	// cheap: state.db only
 *	}
 */
#ifndef DEBPIPE_REMOTE_SCHED_H
#define DEBPIPE_REMOTE_SCHED_H

#include "config.h"
#include "db.h"

struct remote_sched;

struct remote_sched *remote_sched_new(const char *config_path);
/* Retry failed targets now rather than at the end of their backoff. */
void	 remote_sched_kick(struct remote_sched *rs);
/* Reap finished workers (logging their outcome), start the ones due. */
void	 remote_sched_tick(struct remote_sched *rs, struct db *db,
	    const struct config *cfg);
/* Workers still running are left to finish. */
void	 remote_sched_free(struct remote_sched *rs);

#endif
