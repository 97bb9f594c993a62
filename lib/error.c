/* error.c - struct dp_error helpers. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

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
