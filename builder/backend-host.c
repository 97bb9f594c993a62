/*
 * backend-host.c - Builder: host (alias dpkg-buildpackage): check the
 * build dependencies on the build host, run dpkg-buildpackage under
 * bubblewrap (cleanroom.c) as the build user.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "xmalloc.h"

#include "build-int.h"

static int
check_build_deps(struct build *b, const char *src, struct dp_error *err)
{
	char	*argv[] = { "dpkg-checkbuilddeps", NULL };
	char	*line;
	long	 off = build_log_size(b->log);

	if (build_tool_run(b, argv, src, 300, err) == 0)
		return 0;
	if ((line = build_log_find(b->log, off, "Unmet build dependencies"))
	    != NULL) {
		char *deps = strstr(line, "dependencies:");

		dp_error_set(err, DP_ERR_INVALID, "missing build "
		    "dependencies:%s (install them on the build host or use "
		    "Builder: sbuild)", deps != NULL ? deps + 13 : line);
		free(line);
	} else if ((line = build_log_find(b->log, off, "error:")) != NULL) {
		dp_error_set(err, DP_ERR_INVALID, "dpkg-checkbuilddeps: %s",
		    line);
		free(line);
	}
	return -1;
}

/* Builder: host: dpkg-buildpackage under bubblewrap (cleanroom.c). */
static int
run_dpkg_buildpackage(struct build *b, const char *src, struct dp_error *err)
{
	char	*argv[8], **bw = NULL, *wsrc;
	int	 n = 0, rv = -1;
	long	 off;

	wsrc = cleanroom_path(&b->cr, b->dir, src);
	if (check_build_deps(b, wsrc, err) == -1)
		goto out;
	argv[n++] = "dpkg-buildpackage";
	argv[n++] = "-us";
	argv[n++] = "-uc";
	/* -F (full: source and binaries); "-S -b" is not a valid pair. */
	argv[n++] = b->w->build_source ? "-F" : "-b";
	argv[n++] = "-rfakeroot";
	argv[n] = NULL;
	bw = cleanroom_bwrap_argv(&b->cr, b->cfg, b->w, wsrc, argv);
	off = build_log_size(b->log);
	if ((rv = build_tool_run_as(b, bw, wsrc, build_tool_timeout(b), 1, err)) == -1) {
		/* "bwrap exited ..." is dpkg-buildpackage's status. */
		if (strncmp(err->msg, "bwrap ", 6) == 0) {
			char tail[sizeof(err->msg)];

			snprintf(tail, sizeof(tail), "%s", err->msg + 6);
			dp_error_set(err, err->code, "dpkg-buildpackage %.900s",
			    tail);
		}
		build_tool_explain(b, off, err);
	} else
		rv = cleanroom_take(&b->cr, b->dir, err);
out:
	strv_free(bw);
	free(wsrc);
	return rv;
}

static int
host_build(struct build *b, const char *src, struct dp_error *err)
{
	if (cleanroom_check_tools(b->cfg, b->w, 0, err) == -1)
		return -1;
	if (cleanroom_init(&b->cr, b->cfg, b->row.id, b->dir, 0, err) == -1)
		return -1;
	return run_dpkg_buildpackage(b, src, err);
}

const struct build_backend build_backend_host = {
	"host",
	host_build,
};
