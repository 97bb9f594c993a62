/*
 * daemon-poll.c - the poll children of the builder daemon.  Polls run
 * in up to POLLERS_MAX child processes, each polling a batch of watches
 * in turn and writing the index of the watch it starts on a pipe; a
 * poll stuck longer than its watch's Interval is killed and recorded as
 * that watch's error.  A watch whose polls fail backs off: after n
 * failures in a row the next poll waits Interval * 2^(n-1), at most 8
 * Intervals (and at most an hour, unless the Interval is longer).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builder.h"
#include "chroot.h"
#include "daemon.h"
#include "fsutil.h"
#include "log.h"
#include "spawn.h"
#include "xmalloc.h"

#include "daemon-int.h"

/* The poll process: poll each watch of the batch in turn. */
static void __attribute__((noreturn))
poll_child(struct builder *bl, char **batch, int fd, pid_t parent)
{
	const struct conf_watch	*w;
	struct poll_result	 res;
	struct dp_error		 err;
	struct db		*db;
	int			 i, failed = 0;

	bl_child_setup(bl, parent);
	db = bl_child_db(bl);
	for (i = 0; batch[i] != NULL; i++) {
		if (write(fd, &i, sizeof(i)) != (ssize_t)sizeof(i))
			_exit(3);
		if ((w = config_watch_find(bl->d.cfg, batch[i])) == NULL)
			continue;
		if (poll_watch(db, bl->d.cfg, w, 0, NULL, &res, &err) == -1) {
			log_warnx("watch %s: %s", w->name, dp_error_str(&err));
			failed = 1;
		} else if (res.changed || log_getverbose() > 0)
			log_info("%s", res.summary);
		poll_result_done(&res);
	}
	db_close(db);
	_exit(failed);
}

static int
polling(struct builder *bl, const char *watch)
{
	size_t i, j;

	for (i = 0; i < bl->npollers; i++)
		for (j = 0; j < bl->pollers[i].nwatches; j++)
			if (strcmp(bl->pollers[i].watches[j], watch) == 0)
				return 1;
	return 0;
}

/* How long the poll of watch may take: its Interval, within bounds. */
static long
poll_timeout(const struct config *cfg, const char *watch)
{
	const struct conf_watch	*w = config_watch_find(cfg, watch);
	long			 t;

	t = w != NULL ? w->interval : POLL_TIMEOUT_MIN;
	if (t < POLL_TIMEOUT_MIN)
		t = POLL_TIMEOUT_MIN;
	if (t > POLL_TIMEOUT_MAX)
		t = POLL_TIMEOUT_MAX;
	return t;
}

/* Start polls of the watches that are due: spread over the free poll
 * processes, POLLERS_MAX at once. */
void
polls_start(struct builder *bl)
{
	const struct config	*cfg = bl->d.cfg;
	struct poller		*p;
	char			**due = NULL, **batch;
	time_t			 now = time(NULL);
	pid_t			 pid, self = getpid();
	size_t			 i, k, n = 0, nchild, nb;
	int			 fds[2];

	if (bl->npollers >= POLLERS_MAX)
		return;
	for (i = 0; i < cfg->nwatches && i < bl->nnext; i++) {
		if (bl->next_poll[i] > now ||
		    polling(bl, cfg->watches[i].name))
			continue;
		due = xreallocarray(due, n + 2, sizeof(*due));
		due[n++] = cfg->watches[i].name;	/* borrowed */
		due[n] = NULL;
		/* --once: one poll per watch, however short its Interval. */
		bl->next_poll[i] = bl->d.once ? POLL_NEVER :
		    now + cfg->watches[i].interval;
	}
	if (n == 0)
		return;
	nchild = POLLERS_MAX - bl->npollers;
	if (nchild > n)
		nchild = n;
	for (k = 0; k < nchild; k++) {
		/* Round robin: watch k, k + nchild, ... */
		nb = (n - k + nchild - 1) / nchild;
		batch = xcalloc(nb + 1, sizeof(*batch));
		for (i = 0; i < nb; i++)
			batch[i] = xstrdup(due[k + i * nchild]);
		if (pipe2(fds, O_CLOEXEC) == -1 ||
		    fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1 ||
		    (pid = fork()) == -1) {
			log_warn("poll process");
			strv_free(batch);
			goto out;
		}
		if (pid == 0) {
			close(fds[0]);
			poll_child(bl, batch, fds[1], self);
		}
		close(fds[1]);
		bl->pollers = xreallocarray(bl->pollers, bl->npollers + 1,
		    sizeof(*bl->pollers));
		p = &bl->pollers[bl->npollers++];
		p->pid = pid;
		p->fd = fds[0];
		p->watches = batch;
		p->nwatches = nb;
		p->cur = -1;
		p->cur_started = now;
		p->seq = ++bl->poll_seq;
	}
out:
	free(due);
}

/* Answer the check requests that poll number seq of watch covers. */
static void
answer_waits(struct builder *bl, const char *watch, uint64_t seq)
{
	size_t i = 0;

	while (i < bl->nwaits) {
		if (strcmp(bl->waits[i].watch, watch) == 0 &&
		    seq > bl->waits[i].after) {
			bl_request_done(bl, bl->waits[i].id);
			free(bl->waits[i].watch);
			bl->waits[i] = bl->waits[--bl->nwaits];
			continue;
		}
		i++;
	}
}

/* Poll again soon: watch was not polled (its batch was cut short). */
static void
poll_again(struct builder *bl, const char *watch)
{
	size_t i;

	for (i = 0; i < bl->nnext && i < bl->d.cfg->nwatches; i++)
		if (strcmp(bl->d.cfg->watches[i].name, watch) == 0)
			bl->next_poll[i] = 0;
}

/* After a poll of watch ended: back off while it fails. */
static void
poll_backoff(struct builder *bl, const char *watch, time_t now)
{
	const struct conf_watch	*w;
	long			 delay, cap;
	size_t			 i;
	int			 k;

	for (i = 0; i < bl->nnext && i < bl->d.cfg->nwatches; i++) {
		w = &bl->d.cfg->watches[i];
		if (strcmp(w->name, watch) != 0)
			continue;
		if (!db_watch_failing(bl->d.db, watch)) {
			bl->fails[i] = 0;
			return;
		}
		bl->fails[i]++;
		cap = w->interval > 3600 ? w->interval : 3600;
		if (cap > 8 * w->interval)
			cap = 8 * w->interval;
		delay = w->interval;
		for (k = 1; k < bl->fails[i] && delay < cap; k++)
			delay *= 2;
		if (delay > cap)
			delay = cap;
		if (bl->next_poll[i] != 0 && bl->next_poll[i] != POLL_NEVER &&
		    bl->next_poll[i] < now + delay)
			bl->next_poll[i] = now + delay;
		if (bl->fails[i] > 1)
			log_info("watch %s: %d failed polls in a row, next "
			    "poll in %ld s", watch, bl->fails[i], delay);
		return;
	}
}

static void
poller_done(struct poller *p)
{
	close(p->fd);
	strv_free(p->watches);
}

void
polls_reap(struct builder *bl)
{
	struct poller	*p;
	struct dp_error	 err;
	char		*msg;
	time_t		 now = time(NULL);
	size_t		 i = 0, j, done;
	int		 status, idx, exited;
	long		 cur;

	while (i < bl->npollers) {
		p = &bl->pollers[i];
		while (read(p->fd, &idx, sizeof(idx)) == (ssize_t)sizeof(idx))
			if (idx >= 0 && (size_t)idx < p->nwatches &&
			    idx != p->cur) {
				p->cur = idx;
				p->cur_started = now;
			}
		msg = NULL;
		cur = p->cur < 0 ? 0 : p->cur;
		exited = waitpid(p->pid, &status, WNOHANG) == p->pid;
		if (exited && WIFEXITED(status) && WEXITSTATUS(status) != 3) {
			if (WEXITSTATUS(status) != 0)
				bl->failures++;
			done = p->nwatches;
		} else if (exited) {
			msg = WIFSIGNALED(status) ? xasprintf("the poll "
			    "process was killed by signal %d",
			    WTERMSIG(status)) :
			    xstrdup("the poll process failed");
			done = (size_t)cur + 1;
		} else if (now - p->cur_started > poll_timeout(bl->d.cfg,
		    p->watches[cur])) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			msg = xasprintf("the poll did not finish within %ld s "
			    "(upstream not answering?)",
			    poll_timeout(bl->d.cfg, p->watches[cur]));
			done = (size_t)cur + 1;
		} else {
			i++;
			continue;
		}
		if (msg != NULL) {
			log_warnx("watch %s: %s", p->watches[cur], msg);
			bl->failures++;
			if (db_watch_polled(bl->d.db, p->watches[cur], NULL, 0,
			    msg, &err) == -1)
				log_warnx("%s", dp_error_str(&err));
			free(msg);
		}
		for (j = 0; j < done; j++) {
			answer_waits(bl, p->watches[j], p->seq);
			poll_backoff(bl, p->watches[j], now);
		}
		for (j = done; j < p->nwatches; j++)
			poll_again(bl, p->watches[j]);
		poller_done(p);
		bl->pollers[i] = bl->pollers[--bl->npollers];
	}
}

/* Check requests for watches that are no longer configured. */
void
polls_drop_stale_waits(struct builder *bl)
{
	size_t i = 0;

	while (i < bl->nwaits) {
		if (config_watch_find(bl->d.cfg, bl->waits[i].watch) == NULL) {
			bl_request_done(bl, bl->waits[i].id);
			free(bl->waits[i].watch);
			bl->waits[i] = bl->waits[--bl->nwaits];
			continue;
		}
		i++;
	}
}

int
polls_pending(struct builder *bl)
{
	time_t	now = time(NULL);
	size_t	i;

	if (bl->npollers > 0)
		return 1;
	for (i = 0; i < bl->nnext; i++)
		if (bl->next_poll[i] <= now)
			return 1;
	return 0;
}


/* Kill every poll child and wait for it (the daemon stops). */
void
polls_stop(struct builder *bl)
{
	int	status;
	size_t	i;

	for (i = 0; i < bl->npollers; i++) {
		kill(bl->pollers[i].pid, SIGKILL);
		waitpid(bl->pollers[i].pid, &status, 0);
		poller_done(&bl->pollers[i]);
	}
	bl->npollers = 0;
}
