/*
 * daemon-int.h - the state of the debpipe-builder daemon loop (main.c)
 * shared by the files of its roles:
 *
 *	main.c		start-up, the loop, CLI requests, recovery
 *	daemon-poll.c	poll children (batches of watches), back-off
 *	daemon-build.c	build children, their timeouts
 *	daemon-refresh.c background refreshes of old chroot tarballs
 *
 * Only debpipe-builder links these (not builder/libbuilder.a).
 */
#ifndef DEBPIPE_DAEMON_INT_H
#define DEBPIPE_DAEMON_INT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "daemon.h"

#define HEARTBEAT_SECS		5
#define WAIT_CHECK_SECS		5	/* waiting builds checked this often */
#define CHROOT_CHECK_SECS	60	/* chroot ages checked this often */
#define CHROOT_RETRY_SECS	3600	/* after a failed refresh */
#define TIMEOUT_MARGIN		300	/* + the build timeout */
#define POLLERS_MAX		4	/* polls at once */
#define POLL_NEVER		((time_t)INT64_MAX)
#define POLL_TIMEOUT_MIN	20	/* a poll may take its Interval, */
#define POLL_TIMEOUT_MAX	600	/* within these bounds (seconds) */

struct job {
	int64_t	 id;
	pid_t	 pid;
	char	*watch;
	time_t	 started;
	long	 timeout;
	int	 killed;
};

/*
 * Polls run in child processes, each polling a batch of watches in turn
 * and writing the index of the watch it starts on a pipe, so that the
 * daemon knows which watch a hung poll is stuck on.
 */
struct poller {
	pid_t	 pid;
	int	 fd;		/* progress pipe, read end */
	char	**watches;	/* the batch */
	size_t	 nwatches;
	long	 cur;		/* index being polled, -1 at first */
	time_t	 cur_started;
	uint64_t seq;		/* order of the start */
};

/* A `watch check` request waiting for a poll of watch started after
 * it arrived (poller seq > after). */
struct waiter {
	int64_t	 id;
	char	*watch;
	uint64_t after;
};

/* A background refresh of a chroot older than Chroot-Max-Age. */
struct refresh {
	pid_t	 pid;
	char	*dist;
	time_t	 started;
};

struct builder {
	struct daemon	 d;
	int		 lockfd;
	struct job	*jobs;
	size_t		 njobs;
	struct poller	*pollers;
	size_t		 npollers;
	struct waiter	*waits;
	size_t		 nwaits;
	uint64_t	 poll_seq;	/* polls started so far */
	int64_t		 last_request;	/* requests seen so far */
	time_t		*next_poll;	/* per cfg->watches[i] */
	int		*fails;		/* failed polls in a row, same */
	size_t		 nnext;
	int		 failures;	/* for --once's exit status */
	time_t		 wait_checked;	/* last retry_waiting() */
	struct refresh	*refresh;	/* chroot refreshes running */
	size_t		 nrefresh;
	time_t		 chroot_checked;
	char		**refresh_failed; /* "dist\ttime" of failed ones */
};

/* ---- main.c ------------------------------------------------------------ */

/* Mark CLI request id answered. */
void	 bl_request_done(struct builder *bl, int64_t id);
/* In a fresh child: no daemon lock, default signals, die with the
 * daemon (exits when the daemon is already gone). */
void	 bl_child_setup(struct builder *bl, pid_t parent);
/* A database connection of the child's own (exits on failure). */
struct db *bl_child_db(struct builder *bl);

/* ---- daemon-poll.c ----------------------------------------------------- */

/* Start polls of the watches that are due, in up to POLLERS_MAX
 * children. */
void	 polls_start(struct builder *bl);
/* Reap finished polls, kill hung ones, answer the requests they
 * satisfy. */
void	 polls_reap(struct builder *bl);
/* Answer the `watch check` requests of watches no longer configured. */
void	 polls_drop_stale_waits(struct builder *bl);
/* Polls running or due (--once).  1/0 */
int	 polls_pending(struct builder *bl);
/* Kill every poll child and wait for it. */
void	 polls_stop(struct builder *bl);

/* ---- daemon-build.c ---------------------------------------------------- */

/* Start queued builds while there is room (Max-Builds). */
void	 jobs_start(struct builder *bl);
/* Reap finished builds, kill those over their timeout. */
void	 jobs_reap(struct builder *bl);
/* Kill every build child and queue its build again. */
void	 jobs_stop(struct builder *bl);

/* ---- daemon-refresh.c -------------------------------------------------- */

/* Start refreshes of chroot tarballs older than Chroot-Max-Age that an
 * sbuild watch uses; reap finished ones. */
void	 refresh_chroots(struct builder *bl);
/* Kill and wait for the refreshes running. */
void	 refresh_stop(struct builder *bl);

#endif
