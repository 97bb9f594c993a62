/*
 * ui.h - what the files of the web interface share (not for the rest of
 * the promoter, which goes through ui_answer() and ui_http()):
 *   ui.c		the page frame, the helpers below, caching and
 *			compression of answers, the routing of /ui/
 *   ui-overview.c	/ui/ (the overview), /ui/watches, /ui/audit
 *   ui-snapshot.c	/ui/snapshots/{id}
 *   ui-builds.c	/ui/builds, /ui/builds/{id}, /ui/builds/{id}/log
 */
#ifndef DEBPIPE_PROMOTER_UI_H
#define DEBPIPE_PROMOTER_UI_H

#include <time.h>

#include "promoter.h"

#define UI_REFRESH	30		/* seconds, overview and lists */
#define UI_LOG_PAGE	(64 * 1024)	/* bytes of log per page */

/* A page being written. */
struct ui_page {
	struct buf	 b;
	int		 status;
	int		 refresh;	/* seconds, 0 = none */
	time_t		 mtime;		/* the database's last write */
};

/* ui.c */
/* GET path (and q) through the API; the answer (caller decrefs) with
 * *status, NULL only when nothing came back. */
json_t	*ui_api(struct promoter *p, const char *path,
	    const struct api_query *q, int *status);
/* The string o.key, NULL when absent or not a string. */
const char *ui_str(json_t *o, const char *key);
/* "3m ago" for an RFC 3339 time; nothing when t is NULL or malformed. */
void	 ui_age(struct buf *b, const char *t);
/* A state as a coloured badge. */
void	 ui_badge(struct buf *b, const char *state);
/* The page's head and header, and its foot. */
void	 ui_begin(struct ui_page *pg, const char *title);
void	 ui_end(struct ui_page *pg);
/* Replace the page with an error page of status. */
void	 ui_error(struct ui_page *pg, int status, const char *msg);
/* An API answer that is an error: show it.  1 when j was an error. */
int	 ui_api_failed(struct ui_page *pg, json_t *j, int status);
/* A link to /ui/snapshots/{id}. */
void	 ui_snapshot_link(struct buf *b, const char *id);
/* A table of the builds of arr (an API answer's "builds"). */
void	 ui_builds_table(struct buf *b, json_t *arr);
/* The results of a snapshot (an API answer's "results"). */
void	 ui_results(struct buf *b, json_t *arr);
/* Add a header to the answer (name and value must outlive it). */
void	 ui_hdr(struct ui_answer *a, const char *name, const char *value);
/* Answer body with an ETag, Last-Modified mtime, gzip'd when the client
 * takes it, 304 when If-None-Match has the ETag. */
void	 ui_send(const struct ui_req *rq, struct ui_answer *a, int status,
	    const char *type, const void *body, size_t len, time_t mtime,
	    int cacheable);

/* The pages: each writes pg (status and body). */
/* ui-overview.c */
void	 ui_overview(struct promoter *p, struct ui_page *pg);
void	 ui_watches(struct promoter *p, struct ui_page *pg);
void	 ui_audit(struct promoter *p, struct ui_page *pg,
	    const struct ui_req *rq);
/* ui-snapshot.c */
void	 ui_snapshot(struct promoter *p, struct ui_page *pg, const char *id);
/* ui-builds.c */
void	 ui_builds(struct promoter *p, struct ui_page *pg,
	    const struct ui_req *rq);
void	 ui_build(struct promoter *p, struct ui_page *pg,
	    const struct ui_req *rq, const char *id);
/* /ui/builds/{id}/log: the file itself, streamed (a->fd). */
void	 ui_log_raw(struct promoter *p, const struct ui_req *rq,
	    const char *id, struct ui_answer *a);

#endif
