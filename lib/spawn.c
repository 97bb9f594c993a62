/* spawn.c - run programs with execve(2) and an argv vector; no shell. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "xmalloc.h"

extern char **environ;

#define CAPTURE_MAX	(16 * 1024 * 1024)

char **
spawn_env(char *const overrides[])
{
	size_t	 n = 0, i, j, k;
	char	**env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + strv_len(overrides) + 1, sizeof(*env));
	k = 0;
	for (i = 0; i < n; i++) {
		size_t	len = strcspn(environ[i], "=");
		int	over = 0;

		for (j = 0; overrides != NULL && overrides[j] != NULL; j++)
			if (strncmp(overrides[j], environ[i], len) == 0 &&
			    overrides[j][len] == '=')
				over = 1;
		if (!over)
			env[k++] = xstrdup(environ[i]);
	}
	for (j = 0; overrides != NULL && overrides[j] != NULL; j++)
		env[k++] = xstrdup(overrides[j]);
	env[k] = NULL;
	return env;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* In the child: set up and exec; never returns.  Below a guard the
 * program stays in the guard's process group. */
static void __attribute__((noreturn))
child(char *const argv[], const struct spawn_opts *o, int outfd, int errpipe,
    int newpg)
{
	int	logfd = -1, devnull;
	int	e;

	if (newpg)
		setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if ((devnull = open("/dev/null", O_RDWR)) != -1)
		dup2(devnull, 0);
	if (o != NULL && o->log_path != NULL) {
		logfd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND, 0640);
		if (logfd == -1)
			goto fail;
	}
	if (outfd != -1) {
		dup2(outfd, 1);
		/* Not left open in the program (and what it starts). */
		if (outfd != 1)
			close(outfd);
	} else if (logfd != -1)
		dup2(logfd, 1);
	if (logfd != -1)
		dup2(logfd, 2);
	if (o != NULL && o->cwd != NULL && chdir(o->cwd) == -1)
		goto fail;
	if (o != NULL && o->drop) {
		if (setgroups(0, NULL) == -1 || setgid(o->gid) == -1 ||
		    setuid(o->uid) == -1)
			goto fail;
	}
	if (o != NULL && o->env != NULL)
		execvpe(argv[0], argv, o->env);
	else
		execvp(argv[0], argv);
fail:
	e = errno;
	if (write(errpipe, &e, sizeof(e)) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

/* -- the guard of spawn_opts.reap ---------------------------------- */

static volatile sig_atomic_t guard_stop;

static void
guard_sig(int sig)
{
	(void)sig;
	guard_stop = 1;
}

/*
 * Send sig to every descendant of this process (found through the
 * parent pids in /proc: sessions, process groups and PID namespaces do
 * not hide them).  The number signalled.
 */
static size_t
guard_kill_tree(int sig)
{
	DIR		*d;
	struct dirent	*de;
	pid_t		*pid = NULL, *ppid = NULL, self = getpid();
	size_t		 n = 0, cap = 0, i, nkilled = 0;
	char		 path[64], buf[512], *p;
	int		 fd, changed;
	ssize_t		 len;
	unsigned char	*mine;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		long	 v = strtol(de->d_name, &p, 10);
		int	 pp;
		char	 state;

		if (*p != '\0' || v <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", v);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "pid (comm) state ppid ...": comm may hold anything. */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %c %d", &state, &pp) != 2)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			pid = xreallocarray(pid, cap, sizeof(*pid));
			ppid = xreallocarray(ppid, cap, sizeof(*ppid));
		}
		/* A zombie keeps its place in the tree, is not signalled. */
		pid[n] = state == 'Z' ? -(pid_t)v : (pid_t)v;
		ppid[n++] = (pid_t)pp;
	}
	closedir(d);
	mine = xcalloc(n + 1, 1);
	do {
		changed = 0;
		for (i = 0; i < n; i++) {
			if (mine[i])
				continue;
			if (ppid[i] == self) {
				mine[i] = changed = 1;
				continue;
			}
			for (size_t j = 0; j < n; j++)
				if (mine[j] && (pid[j] == ppid[i] ||
				    -pid[j] == ppid[i])) {
					mine[i] = changed = 1;
					break;
				}
		}
	} while (changed);
	for (i = 0; i < n; i++)
		if (mine[i] && pid[i] > 0 && kill(pid[i], sig) == 0)
			nkilled++;
	free(mine);
	free(pid);
	free(ppid);
	return nkilled;
}

size_t
spawn_reap_descendants(void)
{
	size_t	total = 0, n;
	long	end = now_ms() + 10000;
	int	s;

	/* What cannot be signalled (a set-uid helper) gets 10 s to end. */
	for (;;) {
		while (waitpid(-1, &s, WNOHANG) > 0)
			;
		total += (n = guard_kill_tree(SIGKILL));
		if (n == 0 && (waitpid(-1, &s, WNOHANG) == -1 ||
		    now_ms() >= end))
			break;
		poll(NULL, 0, 20);
	}
	return total;
}

/* The forked child with reap: run the program, clean up, exit like it. */
static void __attribute__((noreturn))
guard(char *const argv[], const struct spawn_opts *o, int outfd, int errpipe,
    pid_t parent)
{
	struct sigaction sa;
	pid_t		 tool, w;
	long		 killat = 0, fdmax;
	int		 st = 0, s, done = 0, termed = 0;

	setpgid(0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = guard_sig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* The caller dying (even by SIGKILL) is a SIGTERM; re-check
	 * afterwards in case it died before prctl(). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		guard_stop = 1;
	if ((tool = fork()) == -1) {
		s = errno;
		if (write(errpipe, &s, sizeof(s)) < 0) {
			/* nothing more to do */
		}
		_exit(127);
	}
	if (tool == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		child(argv, o, outfd, errpipe, 0);
	}
	/* Hold nothing of the caller's (its locks, its pipes' ends). */
	fdmax = sysconf(_SC_OPEN_MAX);
	for (long fd = 3; fd < (fdmax > 0 && fdmax < 65536 ? fdmax : 65536);
	    fd++)
		close((int)fd);
	if (outfd != -1)
		close(outfd);
	for (;;) {
		w = waitpid(-1, &s, WNOHANG);
		if (w == tool) {
			st = s;
			done = 1;
		} else if (w > 0)
			continue;		/* an orphan we adopted */
		if (done)
			break;
		if (w == -1 && errno == ECHILD)
			break;
		if (guard_stop && !termed) {
			termed = 1;
			kill(-getpid(), SIGTERM);
			killat = now_ms() + SPAWN_REAP_GRACE * 1000L;
		}
		if (killat != 0 && now_ms() >= killat) {
			guard_kill_tree(SIGKILL);
			killat = 0;
		}
		poll(NULL, 0, 50);
	}
	/* Whatever the program left (daemons, testbeds) goes too. */
	spawn_reap_descendants();
	if (WIFSIGNALED(st)) {
		prctl(PR_SET_PDEATHSIG, 0);
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
		_exit(128 + WTERMSIG(st));
	}
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 127);
}

int
spawn_run(char *const argv[], const struct spawn_opts *o, int *status,
    char **out, struct dp_error *err)
{
	int		 errp[2] = { -1, -1 }, outp[2] = { -1, -1 };
	int		 st = 0, childerr = 0, rv = -1, timed_out = 0;
	pid_t		 pid, w, parent;
	struct buf	 cap;
	long		 deadline = 0, killat = 0;
	ssize_t		 n;

	buf_init(&cap);
	if (out != NULL)
		*out = NULL;
	if (pipe2(errp, O_CLOEXEC) == -1 ||
	    (o != NULL && o->capture && pipe2(outp, O_CLOEXEC) == -1)) {
		dp_error_errno(err, "pipe");
		goto done;
	}
	parent = getpid();
	if ((pid = fork()) == -1) {
		dp_error_errno(err, "fork");
		goto done;
	}
	if (pid == 0) {
		int fd = -1;

		/* dup2 clears O_CLOEXEC on the new descriptor */
		if (outp[1] != -1)
			fd = dup(outp[1]);
		if (o != NULL && o->reap)
			guard(argv, o, fd, errp[1], parent);
		child(argv, o, fd, errp[1], 1);
	}
	close(errp[1]);
	errp[1] = -1;
	if (outp[1] != -1) {
		close(outp[1]);
		outp[1] = -1;
	}
	if (o != NULL && o->timeout > 0)
		deadline = now_ms() + o->timeout * 1000L;

	/* Read captured output (if any) and wait, honouring the timeout. */
	for (;;) {
		struct pollfd	pfd;
		long		wait_ms = 200;

		if (outp[0] != -1) {
			pfd.fd = outp[0];
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)wait_ms) > 0) {
				char chunk[65536];

				n = read(outp[0], chunk, sizeof(chunk));
				if (n > 0 && cap.len + (size_t)n <= CAPTURE_MAX)
					buf_add(&cap, chunk, (size_t)n);
				if (n == 0) {
					close(outp[0]);
					outp[0] = -1;
				}
				continue;
			}
		}
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w == -1 && errno != EINTR) {
			dp_error_errno(err, "waitpid");
			goto done;
		}
		if (deadline != 0 && !timed_out && now_ms() >= deadline) {
			timed_out = 1;
			kill(-pid, SIGTERM);
			kill(pid, SIGTERM);
			killat = now_ms() + 10000;
		}
		if (timed_out && killat != 0 && now_ms() >= killat) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killat = 0;
		}
		if (outp[0] == -1)
			poll(NULL, 0, 50);
	}
	/*
	 * Killed at its timeout: what it started in its process group may
	 * still be cleaning up (sbuild removing its unpacked chroot after
	 * SIGTERM).  Give them time to finish, then kill what is left, so
	 * nothing outlives the timeout by much.
	 */
	if (timed_out) {
		long end = now_ms() + 30000;

		while (kill(-pid, 0) == 0 && now_ms() < end)
			poll(NULL, 0, 100);
		kill(-pid, SIGKILL);
	}
	/* Drain what is left of the output. */
	while (outp[0] != -1) {
		char chunk[65536];

		n = read(outp[0], chunk, sizeof(chunk));
		if (n <= 0)
			break;
		if (cap.len + (size_t)n <= CAPTURE_MAX)
			buf_add(&cap, chunk, (size_t)n);
	}
	if (status != NULL)
		*status = st;
	if (read(errp[0], &childerr, sizeof(childerr)) ==
	    (ssize_t)sizeof(childerr)) {
		errno = childerr;
		dp_error_errno(err, "cannot run %s", argv[0]);
		goto done;
	}
	if (timed_out) {
		dp_error_set(err, DP_ERR_TIMEOUT, "%s killed after the timeout "
		    "of %ld s", argv[0], o->timeout);
		goto done;
	}
	if (WIFSIGNALED(st)) {
		dp_error_set(err, DP_ERR_SYSTEM, "%s killed by signal %d",
		    argv[0], WTERMSIG(st));
		goto done;
	}
	if (WEXITSTATUS(st) != 0) {
		dp_error_set(err, DP_ERR_SYSTEM, "%s exited with status %d",
		    argv[0], WEXITSTATUS(st));
		goto done;
	}
	rv = 0;
done:
	if (out != NULL)
		*out = buf_steal(&cap);
	buf_done(&cap);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	if (outp[0] != -1)
		close(outp[0]);
	if (outp[1] != -1)
		close(outp[1]);
	return rv;
}
