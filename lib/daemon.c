/* daemon.c - shared daemon skeleton: options, config, db, signals, wait. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "fsutil.h"
#include "log.h"
#include "xmalloc.h"

static int sigpipe_w = -1;

static void
sig_cb(int sig)
{
	unsigned char	c = (unsigned char)sig;
	int		saved = errno;

	if (sigpipe_w != -1 && write(sigpipe_w, &c, 1) < 0) {
		/* pipe full: the signal is already pending */
	}
	errno = saved;
}

static void
usage(FILE *f, const char *name, const char *extra)
{
	fprintf(f,
	    "usage: %s [--config FILE] [--foreground] [--once] [-v]\n"
	    "\n"
	    "  -c, --config FILE   configuration (default $DEBPIPE_CONFIG or\n"
	    "                      /etc/debpipe/debpipe.conf)\n"
	    "  -f, --foreground    stay in the foreground, log to stderr\n"
	    "      --once          run one cycle now, then exit\n"
	    "  -v, --verbose       more logging (repeat for more)\n"
	    "  -h, --help          this help\n"
	    "  -V, --version       print the version\n", name);
	if (extra != NULL)
		fprintf(f, "\n%s", extra);
}

static void
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0 || user == NULL)
		return;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("User: %s: no such user (create it, e.g. adduser "
		    "--system --group %s)", user, user);
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		fatal("cannot switch to user %s", user);
	if (setuid(0) != -1)
		fatalx("privilege drop to %s failed", user);
	/* Tools we run (dpkg-buildpackage, sbuild, gpg) read HOME. */
	setenv("HOME", pw->pw_dir, 1);
	setenv("USER", pw->pw_name, 1);
	setenv("LOGNAME", pw->pw_name, 1);
	log_info("running as user %s", user);
}

static int
ensure_dirs(const struct config *cfg, struct dp_error *err)
{
	char *logdir = config_log_dir(cfg);
	int rv;

	rv = fs_mkdirs(cfg->state_dir, 0750, err);
	if (rv == 0)
		rv = fs_mkdirs(logdir, 0750, err);
	if (rv == 0)
		rv = fs_mkdirs(cfg->public_dir, 0755, err);
	free(logdir);
	return rv;
}

void
daemon_start(struct daemon *d, const char *name, int argc, char **argv,
    const char *usage_extra)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dp_error		 err;
	struct sigaction	 sa;
	int			 ch, p[2];
	char			*dbpath;
	const char		*cfgarg = NULL;

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->sigfd = -1;
	while ((ch = getopt_long(argc, argv, "c:fvhV", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'c':
			cfgarg = optarg;
			break;
		case 'f':
			d->foreground = 1;
			break;
		case 'o':
			d->once = 1;
			d->foreground = 1;
			break;
		case 'v':
			d->verbose++;
			break;
		case 'h':
			usage(stdout, name, usage_extra);
			exit(0);
		case 'V':
			printf("%s %s\n", name, PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr, name, usage_extra);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", name,
		    argv[optind]);
		usage(stderr, name, usage_extra);
		exit(2);
	}
	log_init(name, 1);
	log_setverbose(d->verbose);

	d->config_path = config_path(cfgarg);
	if (config_load(d->config_path, &d->cfg, &err) == -1) {
		fprintf(stderr, "%s: %s\n", name, dp_error_str(&err));
		exit(1);
	}
	drop_privileges(d->cfg->user);
	if (ensure_dirs(d->cfg, &err) == -1) {
		fprintf(stderr, "%s: %s\n", name, dp_error_str(&err));
		exit(1);
	}
	if (!d->foreground) {
		/* Detach; from here on log to syslog. */
		if (daemon(1, 0) == -1)
			fatal("daemon");
		log_init(name, 0);
	}
	dbpath = config_db_path(d->cfg);
	if (db_open(dbpath, &d->db, &err) == -1) {
		fprintf(stderr, "%s: %s\n", name, dp_error_str(&err));
		exit(1);
	}
	free(dbpath);
	if (!d->once && db_daemon_heartbeat(d->db, name, &err) == -1)
		log_warnx("%s", dp_error_str(&err));

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe");
	d->sigfd = p[0];
	sigpipe_w = p[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_cb;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("started (config %s)", d->config_path);
}

static void
reload(struct daemon *d)
{
	struct config	*ncfg;
	struct dp_error	 err;

	if (config_load(d->config_path, &ncfg, &err) == -1) {
		log_warnx("reload: %s; keeping the previous configuration",
		    dp_error_str(&err));
		return;
	}
	config_free(d->cfg);
	d->cfg = ncfg;
	log_info("configuration reloaded");
}

enum daemon_event
daemon_wait(struct daemon *d, int extra_fd, long timeout_ms)
{
	struct pollfd	pfd[2];
	unsigned char	sig;
	int		n, nfds = 1;
	enum daemon_event ev = DAEMON_EV_TIMEOUT;

	pfd[0].fd = d->sigfd;
	pfd[0].events = POLLIN;
	if (extra_fd != -1) {
		pfd[1].fd = extra_fd;
		pfd[1].events = POLLIN;
		nfds = 2;
	}
	if (timeout_ms > 0x7fffffff)
		timeout_ms = 0x7fffffff;
	n = poll(pfd, (nfds_t)nfds, (int)timeout_ms);
	if (n <= 0)
		return DAEMON_EV_TIMEOUT;
	if (pfd[0].revents & POLLIN) {
		while (read(d->sigfd, &sig, 1) == 1) {
			switch (sig) {
			case SIGTERM:
			case SIGINT:
				ev = DAEMON_EV_TERM;
				break;
			case SIGHUP:
				reload(d);
				if (ev != DAEMON_EV_TERM)
					ev = DAEMON_EV_HUP;
				break;
			case SIGCHLD:
				if (ev == DAEMON_EV_TIMEOUT)
					ev = DAEMON_EV_CHLD;
				break;
			}
		}
		if (ev != DAEMON_EV_TIMEOUT)
			return ev;
	}
	if (nfds == 2 && (pfd[1].revents & (POLLIN | POLLHUP)))
		return DAEMON_EV_FD;
	return DAEMON_EV_TIMEOUT;
}

long
daemon_ms_until_aligned(long interval)
{
	struct timespec	ts;
	long long	now_ms, iv_ms, next;

	if (interval <= 0)
		interval = 900;
	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	iv_ms = (long long)interval * 1000;
	next = (now_ms / iv_ms + 1) * iv_ms;
	return (long)(next - now_ms);
}

void
daemon_stop(struct daemon *d)
{
	log_info("stopping");
	db_close(d->db);
	d->db = NULL;
	config_free(d->cfg);
	d->cfg = NULL;
	if (d->sigfd != -1)
		close(d->sigfd);
	if (sigpipe_w != -1)
		close(sigpipe_w);
	sigpipe_w = -1;
	d->sigfd = -1;
}
