/*
 * recover.c - clean up after an interrupted publish or GC: half-built
 * trees, snapshots the database and the disk disagree on, temporary
 * files, a stale `latest`.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db-snapshots.h"
#include "fsutil.h"
#include "publish.h"
#include "publish-int.h"
#include "snapid.h"
#include "strlist.h"
#include "xmalloc.h"

/* Remove ".tmp-*" files below dir (the by-hash store). */
static void
remove_tmp_files(const char *dir, int *n)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*p;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = fs_join(dir, de->d_name);
		if (lstat(p, &sb) == 0) {
			if (S_ISDIR(sb.st_mode))
				remove_tmp_files(p, n);
			else if (strncmp(de->d_name, ".tmp-", 5) == 0 &&
			    unlink(p) == 0)
				(*n)++;
		}
		free(p);
	}
	closedir(d);
}

/* Remove "<name>.tmp.<pid>" files in dir. */
static void
remove_atomic_leftovers(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*p;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp.") == NULL)
			continue;
		p = fs_join(dir, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
}

static int
fix_latest(struct db *db, const struct config *cfg, struct dp_error *err)
{
	char		*latest, *newest = NULL, *target = NULL, cur[PATH_MAX];
	ssize_t		 n;
	int		 rv = -1;

	latest = fs_join(cfg->public_dir, "latest");
	if (db_snapshot_newest(db, &newest, NULL, err) == -1)
		goto out;
	n = readlink(latest, cur, sizeof(cur) - 1);
	cur[n >= 0 ? n : 0] = '\0';
	if (newest == NULL) {
		if (n >= 0 && unlink(latest) == -1 && errno != ENOENT) {
			dp_error_errno(err, "remove %s", latest);
			goto out;
		}
		rv = 0;
		goto out;
	}
	target = xasprintf("snapshots/%s", newest);
	if (n < 0 || strcmp(cur, target) != 0) {
		if (fs_symlink_atomic(target, latest, err) == -1)
			goto out;
	}
	rv = 0;
out:
	free(latest);
	free(target);
	free(newest);
	return rv;
}

int
publish_recover(struct db *db, const struct config *cfg,
    struct dp_error *err)
{
	struct strlist	 published = STRLIST_INIT, gone = STRLIST_INIT;
	DIR		*d = NULL;
	struct dirent	*de;
	char		*snapdir = NULL, *p, *state, *store = NULL;
	size_t		 i;
	int		 lockfd, rv = -1, ntmp = 0, removed = 0;

	if ((lockfd = publish_lock(cfg, err)) == -1)
		return -1;
	snapdir = fs_join(cfg->public_dir, "snapshots");

	/* Half-built trees and snapshots the database does not know. */
	if ((d = opendir(snapdir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, ".tmp-", 5) != 0 &&
			    !snapid_valid(de->d_name))
				continue;
			if (snapid_valid(de->d_name)) {
				if (db_snapshot_state(db, de->d_name, &state,
				    err) == -1)
					goto out;
				if (state != NULL &&
				    strcmp(state, "published") == 0) {
					free(state);
					continue;
				}
				free(state);
			}
			p = fs_join(snapdir, de->d_name);
			if (fs_remove_tree(p, err) == -1) {
				free(p);
				goto out;
			}
			free(p);
			removed++;
		}
		closedir(d);
		d = NULL;
		if (removed > 0)
			fs_fsync_dir(snapdir, NULL);
	}

	/* Store files that were being written, temporary names of atomic
	 * writes (fs_write_atomic, fs_symlink_atomic). */
	store = fs_join(cfg->public_dir, "by-hash");
	remove_tmp_files(store, &ntmp);
	remove_atomic_leftovers(cfg->public_dir);
	p = fs_join(cfg->state_dir, "index-cache");
	remove_atomic_leftovers(p);
	free(p);

	/* Snapshots recorded but missing on disk. */
	if (db_snapshot_list_published(db, &published, err) == -1)
		goto out;
	for (i = 0; i < published.n; i++) {
		p = xasprintf("%s/%s/dists", snapdir, published.v[i]);
		if (access(p, F_OK) == -1 && errno == ENOENT)
			strlist_add(&gone, published.v[i]);
		free(p);
	}
	if (gone.n > 0) {
		if (db_begin(db, err) == -1)
			goto out;
		for (i = 0; i < gone.n; i++) {
			if (db_snapshot_set_deleted(db, gone.v[i], err) ==
			    -1) {
				db_rollback(db);
				goto out;
			}
		}
		if (db_commit(db, err) == -1)
			goto out;
	}

	if (fix_latest(db, cfg, err) == -1)
		goto out;
	rv = 0;
out:
	if (d != NULL)
		closedir(d);
	strlist_free(&published);
	strlist_free(&gone);
	free(snapdir);
	free(store);
	close(lockfd);
	return rv;
}
