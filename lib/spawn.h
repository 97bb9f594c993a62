/*
 * spawn.h - run programs safely: execve with an argv vector, never a shell.
 */
#ifndef DEBPIPE_SPAWN_H
#define DEBPIPE_SPAWN_H

#include <sys/types.h>

#include "error.h"

struct spawn_opts {
	const char	*cwd;		/* chdir there first, or NULL */
	char *const	*env;		/* full environment, or NULL = inherit */
	const char	*log_path;	/* stdout+stderr appended here, or NULL */
	int		 capture;	/* capture stdout into *out (max 16 MiB) */
	long		 timeout;	/* seconds; 0 = none.  SIGTERM, then
					   SIGKILL 10 s later, to the group */
	uid_t		 uid;		/* drop to uid/gid when gid/uid != -1 */
	gid_t		 gid;
	int		 drop;		/* use uid/gid above */
	int		 reap;		/* run it below a guard process that
					   kills its whole tree (see below) */
};

/*
 * Run argv[0] (looked up in PATH when it has no '/') with argv, wait for it.
 * *status gets the wait(2) status (may be NULL).  Returns 0 when the
 * program ran and exited 0; -1 otherwise with err describing it ("prog
 * exited with status 2", "prog killed after timeout of 60 s", "cannot run
 * prog: No such file or directory").  With capture, *out receives stdout
 * (NUL-terminated; caller frees) even on failure.
 */
int	 spawn_run(char *const argv[], const struct spawn_opts *opts,
	    int *status, char **out, struct dp_error *err);

/*
 * With reap, the forked child is a guard (a child subreaper, with
 * PR_SET_PDEATHSIG) that runs the program as its own child and exits
 * with its status, after killing with SIGKILL every process the program
 * left behind, whatever session, process group or namespaces they made
 * (autopkgtest-virt-unshare's testbed).  When the caller dies, even by
 * SIGKILL, or the guard gets SIGTERM (Check-Timeout), it sends SIGTERM
 * to the program's process group and SIGKILL to the whole tree
 * SPAWN_REAP_GRACE seconds later.
 */
#define SPAWN_REAP_GRACE	5

/*
 * In a child subreaper (the guard, a build child): SIGKILL every
 * descendant, whatever session or namespace it made, and reap them all
 * (up to 10 s for what cannot be signalled).  How many were killed.
 */
size_t	 spawn_reap_descendants(void);

/* Environment vector = current environment with NAME=VALUE overrides
 * (NULL-terminated list of "NAME=VALUE" strings).  Caller strv_free()s. */
char	**spawn_env(char *const overrides[]);

#endif
