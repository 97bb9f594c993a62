/*
 * publish.c - take a snapshot of the current package set and publish it
 * as a signed apt repository (see publish.h for the public tree): choose
 * the ID, stage the tree (tree.c), sign it (release.c), move it into
 * place and record it.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db-snapshots.h"
#include "fsutil.h"
#include "publish.h"
#include "publish-int.h"
#include "sign.h"
#include "xmalloc.h"

static int
id_taken(struct db *db, const char *snapdir, const char *id)
{
	char	*p;
	int	 taken = 0;

	p = fs_join(snapdir, id);
	if (access(p, F_OK) == 0)
		taken = 1;
	free(p);
	return taken || db_snapshot_exists(db, id);
}

/* The ID: the current UTC second, later than the newest one and free. */
static char *
choose_id(struct db *db, const char *snapdir, const char *newest)
{
	char		id[32];
	time_t		t = time(NULL), now;
	struct tm	tm;

	for (;;) {
		gmtime_r(&t, &tm);
		strftime(id, sizeof(id), "%Y%m%dT%H%M%SZ", &tm);
		if ((newest == NULL || strcmp(id, newest) > 0) &&
		    !id_taken(db, snapdir, id))
			break;
		t++;
	}
	/* Do not publish from the future: wait for a bumped second (unless
	 * the clock went backwards by more than that). */
	now = time(NULL);
	if (t > now && t - now <= 2)
		sleep((unsigned int)(t - now));
	return xstrdup(id);
}

static int
record_snapshot(struct db *db, const char *id, const struct pset *set,
    struct dp_error *err)
{
	if (db_begin(db, err) == -1)
		return -1;
	if (db_snapshot_add(db, id, set->pkgs, set->npkgs, set->srcs,
	    set->nsrcs, set->digest, err) == -1) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db, err);
}

/* The first configured Distribution without a single binary or source
 * package in the set, or cfg->ndists. */
static size_t
empty_dist(const struct config *cfg, const struct pset *set)
{
	size_t	di, i;
	int	any;

	for (di = 0; di < cfg->ndists; di++) {
		any = 0;
		for (i = 0; i < set->nbin && !any; i++)
			any = set->bin[i].dist == di && set->bin[i].n > 0;
		for (i = 0; i < set->nsrc && !any; i++)
			any = set->src[i].dist == di && set->src[i].n > 0;
		if (!any)
			return di;
	}
	return cfg->ndists;
}

int
publish_snapshot(struct db *db, const struct config *cfg, int flags,
    char **idp, struct dp_error *err)
{
	struct tree	 t;
	struct pset	 set;
	char		*gnupg = NULL, *fpr = NULL, *newest = NULL,
			*digest = NULL, *snapdir = NULL, *final = NULL,
			*target = NULL, *latest = NULL;
	size_t		 i;
	int		 lockfd = -1, rv = PUBLISH_ERROR, reading = 0;
	time_t		 now;

	memset(&t, 0, sizeof(t));
	memset(&set, 0, sizeof(set));
	if (idp != NULL)
		*idp = NULL;
	if ((lockfd = publish_lock(cfg, err)) == -1)
		goto out;
	gnupg = config_gnupg_dir(cfg);
	if (sign_key_find(gnupg, cfg->sign_with, &fpr, err) == -1) {
		dp_error_prefix(err, "no key to sign snapshots with (run "
		    "`debpipe key init` or fix Sign-With:)");
		goto out;
	}
	if (release_keyring_write(cfg, gnupg, fpr, err) == -1)
		goto out;

	/* One read transaction: the set and the rows it names agree. */
	if (db_exec(db, "BEGIN", err) == -1)
		goto out;
	reading = 1;
	if (pset_compute(db, cfg, fpr, &set, err) == -1)
		goto out;
	if (db_snapshot_newest(db, &newest, &digest, err) == -1)
		goto out;
	if (!(flags & PUBLISH_FORCE) && digest != NULL &&
	    strcmp(digest, set.digest) == 0) {
		rv = PUBLISH_NOTHING;
		goto out;
	}
	if (!(flags & PUBLISH_ALLOW_EMPTY) && (i = empty_dist(cfg, &set)) <
	    cfg->ndists) {
		dp_error_set(err, DP_ERR_INVALID, "distribution %s has no "
		    "packages yet (nothing built, imported or added): no "
		    "snapshot taken; `debpipe snapshot now --allow-empty` "
		    "publishes one anyway", cfg->dists[i].name);
		rv = PUBLISH_EMPTY;
		goto out;
	}

	snapdir = fs_join(cfg->public_dir, "snapshots");
	if (fs_mkdirs(snapdir, 0755, err) == -1)
		goto out;
	t.cfg = cfg;
	t.db = db;
	t.set = &set;
	t.id = choose_id(db, snapdir, newest);
	t.tmpdir = xasprintf("%s/.tmp-%s", snapdir, t.id);
	t.cachedir = fs_join(cfg->state_dir, "index-cache");
	t.storeroot = fs_join(cfg->public_dir, "by-hash");
	if (fs_remove_tree(t.tmpdir, err) == -1 ||
	    fs_mkdirs(t.cachedir, 0750, err) == -1 ||
	    tree_write(&t, err) == -1)
		goto out;
	db_exec(db, "COMMIT", NULL);
	reading = 0;
	if (compress_runner_wait(t.runner, err) == -1 ||
	    tree_finish_files(&t, err) == -1)
		goto out;

	now = time(NULL);
	for (i = 0; i < cfg->ndists; i++)
		if (release_write(&t, i, gnupg, fpr, now, err) == -1)
			goto out;
	/* Store names, snapshot tree, Release files: durable before the
	 * rename makes the snapshot visible. */
	if (tree_syncfs(t.storeroot, err) == -1 ||
	    tree_syncfs(t.tmpdir, err) == -1)
		goto out;

	/* Into place: from here on the snapshot is complete on disk. */
	final = fs_join(snapdir, t.id);
	if (rename(t.tmpdir, final) == -1) {
		dp_error_errno(err, "rename %s to %s", t.tmpdir, final);
		goto out;
	}
	if (fs_fsync_dir(snapdir, err) == -1 ||
	    record_snapshot(db, t.id, &set, err) == -1) {
		/* Not recorded: not published. */
		fs_remove_tree(final, NULL);
		goto out;
	}
	target = xasprintf("snapshots/%s", t.id);
	latest = fs_join(cfg->public_dir, "latest");
	if (fs_symlink_atomic(target, latest, err) == -1)
		goto out;
	if (idp != NULL) {
		*idp = t.id;
		t.id = NULL;
	}
	rv = PUBLISH_DONE;
out:
	if (reading)
		db_rollback(db);
	if (t.tmpdir != NULL && rv != PUBLISH_DONE)
		fs_remove_tree(t.tmpdir, NULL);
	tree_done(&t);
	free(t.id);
	pset_done(&set);
	free(gnupg);
	free(fpr);
	free(newest);
	free(digest);
	free(snapdir);
	free(final);
	free(target);
	free(latest);
	if (lockfd != -1)
		close(lockfd);
	return rv;
}
