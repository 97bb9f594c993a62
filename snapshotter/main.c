/*
 * debpipe-snapshotter - take a snapshot of the package set at every
 * wall-clock multiple of Snapshot-Interval (when it changed), publish it
 * signed, then collect garbage.  Also serves `snapshot` requests queued in
 * the requests table (published at once, even when nothing changed).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <limits.h>
#include <unistd.h>

#include "check.h"
#include "daemon.h"
#include "log.h"
#include "snapshotter.h"
#include "publish.h"
#include "remote-sched.h"
#include "xmalloc.h"

#define NAME		"debpipe-snapshotter"
#define POLL_MS		(10 * 1000)	/* heartbeat and request polling */
#define CHECK_POLL_MS	(2 * 1000)	/* while built-in checks are on */

static int
checks_wanted(const struct config *cfg)
{
	return check_enabled(cfg, CHECK_INSTALLABILITY) ||
	    check_enabled(cfg, CHECK_AUTOPKGTEST) ||
	    check_enabled(cfg, CHECK_UPGRADE);
}

static void
run_gc(struct daemon *d)
{
	struct dp_error	err;
	int		nsnap = 0, nfiles = 0;

	if (publish_gc(d->db, d->cfg, 0, &nsnap, &nfiles, &err) == -1)
		log_warnx("garbage collection: %s", dp_error_str(&err));
	if (check_gc(d->db, d->cfg, &err) == -1)
		log_warnx("garbage collection of checks: %s",
		    dp_error_str(&err));
	else if (nsnap > 0 || nfiles > 0)
		log_info("garbage collection: %d snapshots, %d pool files "
		    "removed", nsnap, nfiles);
}

/* The reason the last cycle took no snapshot of an empty set. */
static char	*last_empty;

/* One snapshot; force publishes even an unchanged set.  1 if one was
 * published. */
static int
cycle(struct daemon *d, int force)
{
	struct dp_error	 err;
	char		*id = NULL;
	struct timespec	 t0, t1;
	int		 r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = publish_snapshot(d->db, d->cfg, force ? PUBLISH_FORCE : 0, &id,
	    &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	switch (r) {
	case PUBLISH_DONE:
		log_info("published snapshot %s in %.2f s", id,
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		free(id);
		free(last_empty);
		last_empty = NULL;
		run_gc(d);
		return 1;
	case PUBLISH_NOTHING:
		log_debug("package set unchanged: nothing to publish");
		/* What a killed run or a promotion left to collect. */
		run_gc(d);
		break;
	case PUBLISH_EMPTY:
		/* Said once, again when it changes. */
		if (last_empty == NULL ||
		    strcmp(last_empty, dp_error_str(&err)) != 0) {
			log_info("%s", dp_error_str(&err));
			free(last_empty);
			last_empty = xstrdup(dp_error_str(&err));
		}
		return 0;
	default:
		log_warnx("snapshot failed: %s", dp_error_str(&err));
		break;
	}
	return 0;
}

/* Pending `snapshot` requests: mark them done; 1 if there were any. */
static int
take_requests(struct daemon *d)
{
	struct dp_error	 err;
	int		 n;

	if ((n = db_request_done_kind(d->db, "snapshot", &err)) == -1) {
		log_warnx("requests: %s", dp_error_str(&err));
		return 0;
	}
	return n > 0;
}

static void
heartbeat(struct daemon *d)
{
	struct dp_error	err;

	if (db_daemon_heartbeat(d->db, NAME, &err) == -1)
		log_warnx("heartbeat: %s", dp_error_str(&err));
}

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
main(int argc, char **argv)
{
	struct daemon		d;
	struct dp_error		err;
	enum daemon_event	ev;
	long			due, wait, now;
	struct check_sched	*checks;
	struct remote_sched	*remote;
	char			 exe[PATH_MAX];
	ssize_t			 n;
	int			 i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--check") == 0)
			return snapshotter_check_main(argc, argv);
	daemon_start(&d, NAME, argc, argv,
	    "Publishes a signed snapshot of the package set at every multiple "
	    "of\nSnapshot-Interval (wall-clock UTC) when the set changed; "
	    "--once publishes\nnow if it changed and exits.\n");
	heartbeat(&d);
	if (publish_recover(d.db, d.cfg, &err) == -1)
		log_warnx("recovery: %s", dp_error_str(&err));
	/* Object storage (Publish-To:): in the background, never waited
	 * for; --once leaves its workers to finish. */
	remote = remote_sched_new(d.config_path);
	if (d.once) {
		cycle(&d, take_requests(&d));
		remote_sched_tick(remote, d.db, d.cfg);
		remote_sched_free(remote);
		daemon_stop(&d);
		return 0;
	}
	log_info("snapshots every %ld s", d.cfg->snapshot_interval);
	/* Checks run as children of this very program (--check). */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0)
		exe[n] = '\0';
	else
		snprintf(exe, sizeof(exe), "%s", argv[0]);
	checks = check_sched_new(exe, d.cfg->path);
	due = now_ms() + daemon_ms_until_aligned(d.cfg->snapshot_interval);
	for (;;) {
		now = now_ms();
		if (take_requests(&d)) {
			if (cycle(&d, 1))
				remote_sched_kick(remote);
		} else if (now >= due) {
			if (cycle(&d, 0))
				remote_sched_kick(remote);
			due = now_ms() + daemon_ms_until_aligned(
			    d.cfg->snapshot_interval);
		}
		check_sched_tick(checks, d.db, d.cfg);
		remote_sched_tick(remote, d.db, d.cfg);
		heartbeat(&d);
		wait = due - now_ms();
		if (wait > POLL_MS)
			wait = POLL_MS;
		/* Queued checks start within CHECK_POLL_MS of a snapshot. */
		if (wait > CHECK_POLL_MS && checks_wanted(d.cfg))
			wait = CHECK_POLL_MS;
		if (wait < 0)
			wait = 0;
		ev = daemon_wait(&d, -1, wait);
		if (ev == DAEMON_EV_TERM)
			break;
		if (ev == DAEMON_EV_HUP)
			due = now_ms() + daemon_ms_until_aligned(
			    d.cfg->snapshot_interval);
	}
	check_sched_stop(checks, d.db);
	check_sched_free(checks);
	remote_sched_free(remote);
	daemon_stop(&d);
	return 0;
}
