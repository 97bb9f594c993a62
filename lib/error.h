/*
 * error.h - error reporting for the debpipe library.
 *
 * Library functions return 0 on success and -1 on failure, filling the
 * struct dp_error the caller passed (which may be NULL when the caller does
 * not care).  The library never prints and never exits.  One adapter per
 * foreign library translates its errors: dp_error_sqlite (db.c),
 * dp_error_gpgme (sign.c), dp_error_archive (debfile.c), dp_error_curl
 * (http-client.c), dp_error_git (builder).
 */
#ifndef DEBPIPE_ERROR_H
#define DEBPIPE_ERROR_H

#include <stddef.h>

enum dp_error_code {
	DP_OK = 0,
	DP_ERR_SYSTEM,		/* a system call failed; errnum is set */
	DP_ERR_PARSE,		/* malformed input (config, control file, JSON) */
	DP_ERR_INVALID,		/* well-formed but not acceptable */
	DP_ERR_NOTFOUND,
	DP_ERR_EXISTS,		/* conflicts with something already there */
	DP_ERR_DB,
	DP_ERR_GPG,
	DP_ERR_ARCHIVE,
	DP_ERR_NET,
	DP_ERR_GIT,
	DP_ERR_CONFLICT,	/* merge conflict */
	DP_ERR_PERM,		/* refused: permissions, token, role */
	DP_ERR_TIMEOUT,
	DP_ERR_BUSY,		/* locked by someone else; try again */
	DP_ERR_NOSPACE,		/* a file system is full (ENOSPC, SQLITE_FULL) */
};

struct dp_error {
	int	code;		/* enum dp_error_code */
	int	errnum;		/* errno, when code == DP_ERR_SYSTEM */
	char	msg[1024];
};

#define DP_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Set code and message; err may be NULL. */
void	dp_error_set(struct dp_error *err, int code, const char *fmt, ...)
	    DP_PRINTF(3, 4);
/* DP_ERR_SYSTEM with the current errno appended as ": strerror". */
void	dp_error_errno(struct dp_error *err, const char *fmt, ...)
	    DP_PRINTF(2, 3);
/* Prepend "prefix: " to the message already in err. */
void	dp_error_prefix(struct dp_error *err, const char *fmt, ...)
	    DP_PRINTF(2, 3);
void	dp_error_clear(struct dp_error *err);
/* DP_ERR_NOSPACE: "no space left on MOUNT while WHAT (...)", MOUNT the
 * mount point of path (NULL: of the first absolute path in what).
 * dp_error_errno() gives it for ENOSPC and EDQUOT; dp_error_prefix()
 * keeps "no space left on ..." in front. */
void	dp_error_nospace(struct dp_error *err, const char *path,
	    const char *what);
/* Rewrite "a: no space left on X while b" as "no space left on X while
 * a: b" in place (messages made by other prefixes than ours). */
void	dp_error_msg_nospace_first(char *msg, size_t size);
/* The message, or "unknown error" if none was set. */
const char *dp_error_str(const struct dp_error *err);

#endif
