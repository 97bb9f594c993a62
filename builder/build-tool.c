/*
 * build-tool.c - running the tools of a build (as the build user, with
 * the build's environment and timeout, into its log) and reading what
 * they said back from the log (for builds.message).
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "builder.h"
#include "spawn.h"
#include "xmalloc.h"

#include "build-int.h"

#define LOG_TAIL_MAX	(256 * 1024)
#define LINE_MAX_MSG	300	/* of a log line quoted in a message */

/* Append a "debpipe: ..." line to the build log. */
void
build_logf(struct build *b, const char *fmt, ...)
{
	FILE	*f;
	va_list	 ap;

	if (b->log == NULL || (f = fopen(b->log, "a")) == NULL)
		return;
	fprintf(f, "debpipe: ");
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

/* The log after offset (its last LOG_TAIL_MAX bytes at most), NUL
 * terminated; NULL when it cannot be read or is empty.  Caller frees. */
static char *
log_tail(const char *log, long offset)
{
	char	*data = NULL;
	size_t	 len;
	FILE	*f;
	long	 size;

	if ((f = fopen(log, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0) {
		if (size - offset > LOG_TAIL_MAX)
			offset = size - LOG_TAIL_MAX;
		if (offset < 0)
			offset = 0;
		fseek(f, offset, SEEK_SET);
		data = xmalloc((size_t)(size - offset) + 1);
		len = fread(data, 1, (size_t)(size - offset), f);
		data[len] = '\0';
	}
	fclose(f);
	return data;
}

/* The last line of the log containing needle (after offset), or NULL. */
char *
build_log_find(const char *log, long offset, const char *needle)
{
	char	*data, *line, *found = NULL, *save = NULL;

	if ((data = log_tail(log, offset)) == NULL)
		return NULL;
	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, needle) != NULL)
			found = line;
	/* It goes into builds.message: short, printable. */
	if (found != NULL)
		found = str_printable(xstrndup(found, LINE_MAX_MSG));
	free(data);
	return found;
}

long
build_log_size(const char *log)
{
	struct stat sb;

	return stat(log, &sb) == 0 ? (long)sb.st_size : 0;
}

/* The values after needle on every line of the log (after offset) that
 * has it, unique, joined by ", "; or NULL. */
char *
build_log_collect(const char *log, long offset, const char *needle)
{
	char		*data, *line, *save = NULL, *v, *e;
	struct buf	 out;

	buf_init(&out);
	if ((data = log_tail(log, offset)) == NULL)
		return NULL;
	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((v = strstr(line, needle)) == NULL)
			continue;
		v += strlen(needle);
		while (*v == ' ')
			v++;
		for (e = v + strlen(v); e > v && e[-1] == ' '; e--)
			;
		*e = '\0';
		if (*v == '\0' || (out.len > 0 && strstr(out.data, v) != NULL))
			continue;
		if (out.len + strlen(v) > LINE_MAX_MSG)
			break;
		buf_printf(&out, "%s%s", out.len > 0 ? ", " : "", v);
	}
	free(data);
	if (out.len == 0) {
		buf_done(&out);
		return NULL;
	}
	return str_printable(buf_steal(&out));
}

long
build_tool_timeout(const struct build *b)
{
	/* Both set by config.c (the watch's from the global one). */
	return b->w->build_timeout > 0 ? b->w->build_timeout :
	    b->cfg->build_timeout;
}

/* The environment of a build tool: a clean one (PATH kept), HOME the
 * work directory (a build does not get the daemon's home). */
static char **
build_env(const struct build *b)
{
	const char	*path = getenv("PATH");
	char		**env;
	int		 n = 0;

	env = xcalloc(10, sizeof(*env));
	env[n++] = xasprintf("PATH=%s", path != NULL ? path :
	    "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
	env[n++] = xstrdup("LC_ALL=C.UTF-8");
	env[n++] = xasprintf("HOME=%s", b->cr.work != NULL ? b->cr.work :
	    b->dir);
	if (b->cr.user != NULL) {
		env[n++] = xasprintf("USER=%s", b->cr.user);
		env[n++] = xasprintf("LOGNAME=%s", b->cr.user);
	}
	if (b->w->build_options != NULL)
		env[n++] = xasprintf("DEB_BUILD_OPTIONS=%s",
		    b->w->build_options);
	if (b->sbuild_conf != NULL)
		env[n++] = xasprintf("SBUILD_CONFIG=%s", b->sbuild_conf);
	env[n] = NULL;
	return env;
}

/* Run argv in cwd with the timeout; as_user: as the build user. */
int
build_tool_run_as(struct build *b, char *const argv[], const char *cwd,
    long timeout, int as_user, struct dp_error *err)
{
	struct spawn_opts	 so;
	char			**env;
	struct buf		 cmd;
	struct timespec		 t0, t1;
	size_t			 i;
	int			 rv;

	buf_init(&cmd);
	i = 0;
	if (strcmp(argv[0], "bwrap") == 0) {
		/* Say what runs, then the sandbox it runs in. */
		for (; argv[i] != NULL && strcmp(argv[i], "--") != 0; i++)
			buf_printf(&cmd, "%s%s", i > 0 ? " " : "", argv[i]);
		build_logf(b, "sandbox: %s", cmd.data);
		buf_reset(&cmd);
		if (argv[i] != NULL)
			i++;
	}
	for (; argv[i] != NULL; i++)
		buf_printf(&cmd, "%s%s", cmd.len > 0 ? " " : "", argv[i]);
	build_logf(b, "running %s (in %s%s%s)", cmd.data, cwd, as_user &&
	    b->cr.drop ? ", as " : "", as_user && b->cr.drop ? b->cr.user :
	    "");
	buf_done(&cmd);
	env = build_env(b);
	memset(&so, 0, sizeof(so));
	so.cwd = cwd;
	so.env = env;
	so.log_path = b->log;
	so.timeout = timeout;
	if (as_user && b->cr.drop) {
		so.drop = 1;
		so.uid = b->cr.uid;
		so.gid = b->cr.gid;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rv = spawn_run(argv, &so, &b->status, NULL, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	build_logf(b, "%s %s after %.2f s", argv[0], rv == 0 ? "succeeded" :
	    "failed", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	strv_free(env);
	return rv;
}

int
build_tool_run(struct build *b, char *const argv[], const char *cwd, long timeout,
    struct dp_error *err)
{
	return build_tool_run_as(b, argv, cwd, timeout, 0, err);
}

/* Add the last "error:" line of the log to err. */
void
build_tool_explain(struct build *b, long off, struct dp_error *err)
{
	char *line;

	if (err->code == DP_ERR_TIMEOUT)
		return;
	if ((line = build_log_find(b->log, off, "error:")) != NULL) {
		size_t len = strlen(err->msg);

		snprintf(err->msg + len, sizeof(err->msg) - len, " (%s)",
		    line);
		free(line);
	}
}
