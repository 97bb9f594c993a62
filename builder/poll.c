/*
 * poll.c - poll one watch: detect a change and queue the work.
 *
 * Git watches: the inputs of a build are the heads of the watched branch
 * and of every Merge branch ("head=<sha> merge1=<sha> ...").  When they
 * differ from watches.last_inputs a build is queued and last_inputs set
 * in the same transaction, so that a build that fails is not retried on
 * the same inputs (`debpipe build NAME` forces one).
 *
 * Apt watches import in the poll itself (watch-apt.c).  Apt-source
 * watches queue a build with inputs "poll": the build child asks
 * aptsrc_prepare whether there is a new source version and drops
 * the row when there is not.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "upstream.h"
#include "xmalloc.h"

void
poll_result_done(struct poll_result *res)
{
	if (res == NULL)
		return;
	free(res->inputs);
	free(res->summary);
	memset(res, 0, sizeof(*res));
}

static void
record_error(struct db *db, const struct conf_watch *w,
    struct dp_error *perr)
{
	struct dp_error err;

	str_printable(perr->msg);
	if (db_watch_polled(db, w->name, NULL, 0, dp_error_str(perr), &err)
	    == -1) {
		/* The caller reports perr; this one is secondary. */
	}
}

static int
poll_git(struct db *db, const struct config *cfg, const struct conf_watch *w,
    int dry_run, char ***fetched, struct poll_result *res,
    struct dp_error *err)
{
	struct gitw_heads	 heads;
	char			*last = NULL;
	int			 rv = -1, pending;

	if (gitw_fetch_heads(cfg, w, fetched, &heads, err) == -1) {
		if (!dry_run)
			record_error(db, w, err);
		return -1;
	}
	res->inputs = gitw_inputs_format(&heads);
	if (db_watch_get_inputs(db, w->name, &last, err) == -1)
		goto out;
	res->changed = last == NULL || strcmp(last, res->inputs) != 0;
	if (dry_run) {
		res->summary = xasprintf("%s: %s at %.7s%s", w->name,
		    res->changed ? "changed" : "unchanged", heads.head,
		    heads.nmerges > 0 ? " (+ merges)" : "");
		rv = 0;
		goto out;
	}
	if (db_begin(db, err) == -1)
		goto out;
	if (res->changed) {
		if ((pending = db_build_pending(db, w->name, res->inputs, err))
		    == -1)
			goto fail;
		if (!pending && db_build_add(db, w->name, res->inputs,
		    &res->build_id, err) == -1)
			goto fail;
	}
	if (db_watch_polled(db, w->name, res->changed ? res->inputs : NULL,
	    res->changed, NULL, err) == -1)
		goto fail;
	if (db_commit(db, err) == -1)
		goto out;
	if (res->build_id != 0)
		res->summary = xasprintf("%s: changed (%.7s), build %lld "
		    "queued", w->name, heads.head, (long long)res->build_id);
	else
		res->summary = xasprintf("%s: %s at %.7s", w->name,
		    res->changed ? "changed, build already queued" :
		    "unchanged", heads.head);
	rv = 0;
	goto out;
fail:
	db_rollback(db);
out:
	free(last);
	gitw_heads_done(&heads);
	return rv;
}

static int
poll_apt(struct db *db, const struct config *cfg, const struct conf_watch *w,
    int dry_run, struct poll_result *res, struct dp_error *err)
{
	struct aptw_report	 rep;
	struct buf		 msg;
	size_t			 i;
	int64_t			 id;
	int			 rv = -1;

	memset(&rep, 0, sizeof(rep));
	buf_init(&msg);
	if (aptw_sync(db, cfg, w, dry_run, &rep, err) == -1) {
		if (!dry_run)
			record_error(db, w, err);
		goto out;
	}
	res->changed = rep.nchanges > 0;
	if (rep.unchanged)
		buf_printf(&msg, "unchanged upstream");
	else if (dry_run)
		buf_printf(&msg, "%zu change(s)", rep.nchanges);
	else
		buf_printf(&msg, "%zu change(s), %zu package(s) imported",
		    rep.nchanges, rep.imported);
	for (i = 0; i < rep.nchanges && i < 50; i++) {
		const struct aptw_change *c = &rep.changes[i];

		buf_printf(&msg, "%s %s/%s %s -> %s", i == 0 ? ":" : ",",
		    c->name, c->arch != NULL ? c->arch : "?",
		    c->old_version != NULL ? c->old_version : "(new)",
		    c->new_version != NULL ? c->new_version : "(removed)");
	}
	res->summary = xasprintf("%s: %s", w->name, msg.data);
	if (dry_run) {
		rv = 0;
		goto out;
	}
	if (db_begin(db, err) == -1)
		goto out;
	/* An import is recorded as a finished build so `debpipe builds`
	 * shows it. */
	if (rep.imported > 0 && (db_build_add(db, w->name, "import", &id,
	    err) == -1 || db_build_finish(db, id, 1, NULL, msg.data, err) == -1))
		goto fail;
	if (db_watch_polled(db, w->name, NULL, rep.imported > 0, NULL, err)
	    == -1)
		goto fail;
	if (db_commit(db, err) == -1)
		goto out;
	rv = 0;
	goto out;
fail:
	db_rollback(db);
out:
	aptw_report_done(&rep);
	buf_done(&msg);
	return rv;
}

static int
poll_apt_source(struct db *db, const struct conf_watch *w, int dry_run,
    struct poll_result *res, struct dp_error *err)
{
	int pending;

	if (dry_run) {
		res->summary = xasprintf("%s: an apt-source watch is checked "
		    "by a build (debpipe build %s)", w->name, w->name);
		return 0;
	}
	if ((pending = db_build_pending(db, w->name, "poll", err)) == -1)
		return -1;
	if (!pending && db_build_add(db, w->name, "poll", &res->build_id,
	    err) == -1)
		return -1;
	if (db_watch_polled(db, w->name, NULL, 0, NULL, err) == -1)
		return -1;
	res->summary = xasprintf("%s: source check queued", w->name);
	return 0;
}

int
poll_watch(struct db *db, const struct config *cfg,
    const struct conf_watch *w, int dry_run, char ***fetched,
    struct poll_result *res, struct dp_error *err)
{
	memset(res, 0, sizeof(*res));
	switch (w->type) {
	case WATCH_GIT:
		return poll_git(db, cfg, w, dry_run, fetched, res, err);
	case WATCH_APT:
		return poll_apt(db, cfg, w, dry_run, res, err);
	case WATCH_APT_SOURCE:
		return poll_apt_source(db, w, dry_run, res, err);
	}
	dp_error_set(err, DP_ERR_INVALID, "watch %s: unknown type", w->name);
	return -1;
}
