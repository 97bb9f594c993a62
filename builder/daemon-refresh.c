/*
 * daemon-refresh.c - background refreshes of the chroot tarballs
 * (lib/chroot.c) that sbuild watches use, when older than
 * Chroot-Max-Age; a failed refresh is tried again after
 * CHROOT_RETRY_SECS.
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

/* Does some watch of Distribution d build with sbuild? */
static int
dist_uses_sbuild(const struct config *cfg, const char *dist)
{
	size_t i;

	for (i = 0; i < cfg->nwatches; i++) {
		const struct conf_watch *w = &cfg->watches[i];

		if (w->type != WATCH_APT && strcmp(w->dist, dist) == 0 &&
		    strcmp(w->builder, "sbuild") == 0)
			return 1;
	}
	return 0;
}

/* Seconds since the last failed refresh of dist, or -1. */
static long
refresh_failed_since(struct builder *bl, const char *dist, int set)
{
	size_t	i, n = strlen(dist);
	long	t = -1;

	for (i = 0; bl->refresh_failed != NULL && bl->refresh_failed[i] !=
	    NULL; i++)
		if (strncmp(bl->refresh_failed[i], dist, n) == 0 &&
		    bl->refresh_failed[i][n] == '\t') {
			if (set) {
				free(bl->refresh_failed[i]);
				bl->refresh_failed[i] = xasprintf("%s\t%lld",
				    dist, (long long)time(NULL));
				return 0;
			}
			t = (long)(time(NULL) - strtoll(bl->refresh_failed[i] +
			    n + 1, NULL, 10));
			return t;
		}
	if (set) {
		bl->refresh_failed = xreallocarray(bl->refresh_failed, i + 2,
		    sizeof(char *));
		bl->refresh_failed[i] = xasprintf("%s\t%lld", dist,
		    (long long)time(NULL));
		bl->refresh_failed[i + 1] = NULL;
	}
	return t;
}

static void __attribute__((noreturn))
refresh_child(struct builder *bl, const struct conf_dist *d, pid_t parent)
{
	struct dp_error	 err;
	const char	*arch = chroot_host_arch();
	char		*dir, *log;
	FILE		*f;
	int		 rc;

	setsid();
	bl_child_setup(bl, parent);
	dir = config_log_dir(bl->d.cfg);
	fs_mkdirs(dir, 0750, NULL);
	log = xasprintf("%s/chroot-%s-%s.log", dir, d->name, arch);
	if ((f = fopen(log, "w")) != NULL) {
		fprintf(f, "debpipe: refreshing the chroot %s-%s (older than "
		    "Chroot-Max-Age), %s\n", d->name, arch, db_now());
		fclose(f);
	}
	rc = chroot_create(bl->d.cfg, d, arch, log, 0, &err);
	if ((f = fopen(log, "a")) != NULL) {
		fprintf(f, "debpipe: %s\n", rc == 0 ? "done" :
		    dp_error_str(&err));
		fclose(f);
	}
	if (rc == -1 && err.code != DP_ERR_BUSY)
		log_warnx("refreshing the chroot %s-%s: %s (log: %s)",
		    d->name, arch, dp_error_str(&err), log);
	_exit(rc == 0 ? 0 : err.code == DP_ERR_BUSY ? 3 : 1);
}

/*
 * Refresh, in the background, each chroot that a Distribution building
 * with sbuild has and that is older than Chroot-Max-Age (a missing one
 * is made by the first build that needs it).  The new tarball replaces
 * the old one by a rename: running builds keep their link to the old.
 */
void
refresh_chroots(struct builder *bl)
{
	const struct config	*cfg = bl->d.cfg;
	struct refresh		*r;
	struct stat		 sb;
	char			*tb;
	time_t			 now = time(NULL);
	size_t			 i, k;
	pid_t			 pid, self = getpid();
	int			 status, busy;

	for (i = 0; i < bl->nrefresh; ) {
		r = &bl->refresh[i];
		if (waitpid(r->pid, &status, WNOHANG) != r->pid) {
			i++;
			continue;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_info("refreshed the chroot of %s in %lld s",
			    r->dist, (long long)(now - r->started));
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 3)
			refresh_failed_since(bl, r->dist, 1);
		free(r->dist);
		bl->refresh[i] = bl->refresh[--bl->nrefresh];
	}
	if (!bl->d.once && now - bl->chroot_checked < CHROOT_CHECK_SECS)
		return;
	if (bl->d.once && bl->chroot_checked != 0)
		return;		/* --once: one look */
	bl->chroot_checked = now;
	for (i = 0; i < cfg->ndists; i++) {
		const struct conf_dist *d = &cfg->dists[i];
		long failed;

		if (!dist_uses_sbuild(cfg, d->name))
			continue;
		for (k = 0, busy = 0; k < bl->nrefresh; k++)
			if (strcmp(bl->refresh[k].dist, d->name) == 0)
				busy = 1;
		failed = refresh_failed_since(bl, d->name, 0);
		if (busy || (failed >= 0 && failed < CHROOT_RETRY_SECS))
			continue;
		tb = chroot_tarball_path(cfg, d->name, chroot_host_arch());
		if (stat(tb, &sb) == -1 || now - sb.st_mtime <=
		    cfg->chroot_max_age) {
			free(tb);
			continue;
		}
		free(tb);
		if ((pid = fork()) == -1) {
			log_warn("chroot refresh");
			return;
		}
		if (pid == 0)
			refresh_child(bl, d, self);
		log_info("the chroot of %s is %lld s old (Chroot-Max-Age %ld "
		    "s): refreshing it in the background (pid %ld)", d->name,
		    (long long)(now - sb.st_mtime), cfg->chroot_max_age,
		    (long)pid);
		bl->refresh = xreallocarray(bl->refresh, bl->nrefresh + 1,
		    sizeof(*bl->refresh));
		r = &bl->refresh[bl->nrefresh++];
		r->pid = pid;
		r->dist = xstrdup(d->name);
		r->started = now;
	}
}

void
refresh_stop(struct builder *bl)
{
	size_t	i;
	int	status;

	for (i = 0; i < bl->nrefresh; i++) {
		/* Its own session: mmdebstrap and what it runs.  The old
		 * tarball stays (the new one was never renamed over it). */
		kill(-bl->refresh[i].pid, SIGTERM);
		waitpid(bl->refresh[i].pid, &status, 0);
		free(bl->refresh[i].dist);
	}
	bl->nrefresh = 0;
}

