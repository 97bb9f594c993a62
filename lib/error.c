/* error.c - struct dp_error helpers. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

#define NOSPACE		"no space left on "
#define NOSPACE_WHILE	" while "

/*
 * The mount point of the file system path lives on (of its nearest
 * existing ancestor), into out; "device" when nothing of it exists.
 */
static void
mount_of(const char *path, char *out, size_t size)
{
	char		 p[512], *slash;
	struct stat	 sb, up;

	snprintf(p, sizeof(p), "%s", path);
	while (stat(p, &sb) == -1) {
		if ((slash = strrchr(p, '/')) == NULL || slash == p) {
			snprintf(out, size, "device");
			return;
		}
		*slash = '\0';
	}
	for (;;) {
		if ((slash = strrchr(p, '/')) == NULL)
			break;
		if (slash == p) {
			if (stat("/", &up) == 0 && up.st_dev != sb.st_dev)
				break;
			p[1] = '\0';
			break;
		}
		*slash = '\0';
		if (stat(p, &up) == -1 || up.st_dev != sb.st_dev) {
			*slash = '/';
			break;
		}
	}
	snprintf(out, size, "%s", p);
}

void
dp_error_nospace(struct dp_error *err, const char *path, const char *what)
{
	char	mnt[512];
	size_t	len;

	if (err == NULL)
		return;
	if (path == NULL) {
		/* the first absolute path the message names */
		const char *q = what;
		char p[512];

		while ((q = strchr(q, '/')) != NULL && q != what &&
		    strchr(" ('\"", q[-1]) == NULL)
			q += strspn(q, "/");

		if (q != NULL) {
			len = strcspn(q, " :,;()'\"");
			snprintf(p, sizeof(p), "%.*s", (int)len, q);
			mount_of(p, mnt, sizeof(mnt));
		} else
			snprintf(mnt, sizeof(mnt), "device");
	} else
		mount_of(path, mnt, sizeof(mnt));
	err->code = DP_ERR_NOSPACE;
	err->errnum = ENOSPC;
	snprintf(err->msg, sizeof(err->msg), NOSPACE "%s" NOSPACE_WHILE "%s "
	    "(free some space: what failed changed nothing and can be done "
	    "again)", mnt, what);
}

void
dp_error_msg_nospace_first(char *msg, size_t size)
{
	char	*at, *w, buf[2048];
	size_t	 plen;

	if ((at = strstr(msg, NOSPACE)) == NULL || at == msg ||
	    (w = strstr(at, NOSPACE_WHILE)) == NULL)
		return;
	/* "a: b: no space left on X while c" -> "no space left on X while
	 * a: b: c" */
	plen = (size_t)(at - msg);
	w += strlen(NOSPACE_WHILE);
	snprintf(buf, sizeof(buf), "%.*s%.*s%s", (int)(w - at), at,
	    (int)plen, msg, w);
	snprintf(msg, size, "%s", buf);
}

void
dp_error_set(struct dp_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->code = code;
	err->errnum = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
dp_error_errno(struct dp_error *err, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;
	size_t	len;

	if (err == NULL)
		return;
	err->code = DP_ERR_SYSTEM;
	err->errnum = saved;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (saved == ENOSPC || saved == EDQUOT) {
		char what[sizeof(err->msg)];

		memcpy(what, err->msg, sizeof(what));
		dp_error_nospace(err, NULL, what);
		errno = saved;
		return;
	}
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
	    strerror(saved));
	errno = saved;
}

void
dp_error_prefix(struct dp_error *err, const char *fmt, ...)
{
	char	prefix[512], old[sizeof(err->msg)];
	va_list	ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation is acceptable: the message is for people. */
	size_t plen = strlen(prefix);
	if (plen > sizeof(err->msg) - 3)
		plen = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, plen);
	memcpy(err->msg + plen, ": ", 2);
	size_t rest = sizeof(err->msg) - plen - 3;
	size_t olen = strnlen(old, rest);
	memcpy(err->msg + plen + 2, old, olen);
	err->msg[plen + 2 + olen] = '\0';
	dp_error_msg_nospace_first(err->msg, sizeof(err->msg));
}

void
dp_error_clear(struct dp_error *err)
{
	if (err == NULL)
		return;
	err->code = DP_OK;
	err->errnum = 0;
	err->msg[0] = '\0';
}

const char *
dp_error_str(const struct dp_error *err)
{
	if (err == NULL || err->msg[0] == '\0')
		return "unknown error";
	return err->msg;
}
