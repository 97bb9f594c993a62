/*
 * release.c - the Release files of a staged snapshot, signed into
 * InRelease and Release.gpg, and the public keyring beside the tree.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "hash.h"
#include "index.h"
#include "publish-int.h"
#include "sign.h"
#include "xmalloc.h"

static int
write_file(const char *path, const void *data, size_t len,
    struct dp_error *err)
{
	int	fd, rv = -1;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		dp_error_errno(err, "create %s", path);
		return -1;
	}
	if (hash_write_all(fd, path, data, len, err) == -1)
		goto out;
	rv = 0;
out:
	if (close(fd) == -1 && rv == 0) {
		dp_error_errno(err, "close %s", path);
		rv = -1;
	}
	return rv;
}


void
release_text(const struct tree *t, size_t di, time_t now, struct buf *text)
{
	const struct conf_dist		*d = &t->cfg->dists[di];
	struct index_release		 rel;
	struct index_release_file	*rf;
	char				*snaps = NULL;
	size_t				 i, n = 0, k;
	int				 hasall = 0;

	rf = xcalloc(t->nfiles + 1, sizeof(*rf));
	for (i = 0; i < t->nfiles; i++) {
		if (t->files[i].dist != di || t->files[i].remove_tmp)
			continue;
		rf[n].path = t->files[i].relpath;
		rf[n].size = t->files[i].sums.size;
		memcpy(rf[n].md5, t->files[i].sums.md5, sizeof(rf[n].md5));
		memcpy(rf[n].sha256, t->files[i].sums.sha256,
		    sizeof(rf[n].sha256));
		n++;
	}
	for (k = 0; d->archs[k] != NULL; k++)
		if (strcmp(d->archs[k], "all") == 0)
			hasall = 1;
	memset(&rel, 0, sizeof(rel));
	rel.origin = t->cfg->origin != NULL ? t->cfg->origin : "debpipe";
	rel.label = t->cfg->label != NULL ? t->cfg->label : rel.origin;
	rel.suite = d->suite != NULL ? d->suite : d->name;
	rel.codename = d->name;
	rel.description = d->description;
	if (t->cfg->public_url != NULL) {
		snaps = xasprintf("%s%ssnapshots/@SNAPSHOTID@",
		    t->cfg->public_url,
		    t->cfg->public_url[0] != '\0' &&
		    t->cfg->public_url[strlen(t->cfg->public_url) - 1] == '/' ?
		    "" : "/");
		rel.snapshots = snaps;
	}
	rel.date = now;
	rel.archs = d->archs;
	rel.components = d->components;
	rel.no_support_all = hasall && strv_len(d->archs) > 1;
	rel.files = rf;
	rel.nfiles = n;
	index_release_write(&rel, text);
	free(snaps);
	free(rf);
}

int
release_write(struct tree *t, size_t di, const char *gnupg,
    const char *fpr, time_t now, struct dp_error *err)
{
	const struct conf_dist		*d = &t->cfg->dists[di];
	struct buf			 text, inrel, sig;
	char				*dir, *path = NULL;
	int				 rv = -1;

	buf_init(&text);
	buf_init(&inrel);
	buf_init(&sig);
	release_text(t, di, now, &text);

	if (sign_release(gnupg, fpr, text.data, text.len, &inrel, &sig,
	    err) == -1) {
		dp_error_prefix(err, "signing Release of %s", d->name);
		goto out;
	}
	path = xasprintf("dists/%s", d->name);
	dir = fs_join(t->tmpdir, path);
	free(path);
	path = fs_join(dir, "Release");
	if (write_file(path, text.data, text.len, err) == -1)
		goto out_dir;
	free(path);
	path = fs_join(dir, "Release.gpg");
	if (write_file(path, sig.data, sig.len, err) == -1)
		goto out_dir;
	free(path);
	path = fs_join(dir, "InRelease");
	if (write_file(path, inrel.data, inrel.len, err) == -1)
		goto out_dir;
	rv = 0;
out_dir:
	free(dir);
out:
	free(path);
	buf_done(&text);
	buf_done(&inrel);
	buf_done(&sig);
	return rv;
}


/* Public-Dir/debpipe-archive-keyring.gpg: the binary public key, written
 * when missing or different. */
int
release_keyring_write(const struct config *cfg, const char *gnupg,
    const char *fpr, struct dp_error *err)
{
	struct buf	 key;
	char		*path, *old = NULL;
	size_t		 oldlen = 0;
	int		 rv = -1;

	buf_init(&key);
	path = fs_join(cfg->public_dir, "debpipe-archive-keyring.gpg");
	if (sign_key_export(gnupg, fpr, 0, &key, err) == -1)
		goto out;
	if (fs_read_file(path, 1 << 20, &old, &oldlen, NULL) == 0 &&
	    oldlen == key.len && memcmp(old, key.data, key.len) == 0) {
		rv = 0;
		goto out;
	}
	rv = fs_write_atomic(path, key.data, key.len, 0644, err);
out:
	free(old);
	free(path);
	buf_done(&key);
	return rv;
}

