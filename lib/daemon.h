/*
 * daemon.h - what the three daemons share: command line, configuration,
 * database, signals (self-pipe), privilege drop, the wait loop.
 *
 *	struct daemon d;
 *	daemon_start(&d, "debpipe-snapshotter", argc, argv);
 *	for (;;) {
 *		do_one_cycle(&d);		// uses d.cfg, d.db
 *		if (d.once) break;
 *		if (daemon_wait(&d, -1, next_ms) == DAEMON_EV_TERM) break;
 *	}
 *	daemon_stop(&d);
 *
 * Options every daemon takes: --config F (or $DEBPIPE_CONFIG),
 * --foreground, --once, -v/--verbose, --help, --version.
 * daemon_start exits 0 after --help/--version, 2 on bad usage and 1 when
 * the configuration cannot be loaded or the database cannot be opened.
 */
#ifndef DEBPIPE_DAEMON_H
#define DEBPIPE_DAEMON_H

#include <signal.h>

#include "config.h"
#include "db.h"

enum daemon_event {
	DAEMON_EV_TIMEOUT = 0,	/* the timeout passed */
	DAEMON_EV_FD,		/* extra_fd is readable */
	DAEMON_EV_HUP,		/* configuration reloaded (or kept) */
	DAEMON_EV_TERM,		/* SIGTERM/SIGINT: stop */
	DAEMON_EV_CHLD,		/* a child exited */
};

struct daemon {
	const char	*name;		/* "debpipe-builder" ... */
	const char	*config_path;
	struct config	*cfg;		/* current good configuration */
	struct db	*db;
	int		 foreground;
	int		 once;
	int		 verbose;
	int		 sigfd;		/* read end of the self-pipe */
};

/* Parse the command line, load config, open db, install signal handlers,
 * drop privileges to User: when root.  usage_extra is printed after the
 * common options by --help (may be NULL). */
void	 daemon_start(struct daemon *d, const char *name, int argc,
	    char **argv, const char *usage_extra);

/* Wait for a signal, extra_fd (-1 = none) or timeout_ms (-1 = forever).
 * SIGHUP reloads the configuration (keeping the old one, with a warning,
 * when the new one is bad) before returning DAEMON_EV_HUP. */
enum daemon_event daemon_wait(struct daemon *d, int extra_fd,
	    long timeout_ms);

/* Milliseconds until the next wall-clock multiple of interval seconds. */
long	 daemon_ms_until_aligned(long interval);

void	 daemon_stop(struct daemon *d);

#endif
