/*
 * upstream-bg.c - the Build-Mirror suite as background for the built-in
 * checks (see upstream_background in upstream.h), through the Release
 * and index client of the apt watches (upstream.c).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "upstream.h"

/* Does the Release list path (in any compression)? */
static int
listed(const struct release *r, const char *path)
{
	static const char *const ext[] = { "", ".gz", ".xz", NULL };
	char	*name;
	int	 found = 0, i;

	for (i = 0; ext[i] != NULL && !found; i++) {
		name = xasprintf("%s%s", path, ext[i]);
		found = upstream_sums_find(r->files, r->nfiles, name) != NULL;
		free(name);
	}
	return found;
}

int
upstream_background(struct db *db, const struct config *cfg,
    const struct conf_dist *d, const char *arch, char ***paths,
    char **digest, struct dp_error *err)
{
	struct conf_watch	 w;
	struct up		 u;
	struct buf		 data;
	const struct sumfile	*sf;
	char			*dir = NULL, *lock = NULL, *index = NULL;
	char			*file = NULL, *sumpath = NULL, *have = NULL;
	char			**comps = NULL, *main_only[] = { "main", NULL };
	char			*const *cv;
	size_t			 n = 0, havelen, i;
	int			 lockfd = -1, rv = -1, inited = 0, complete;

	*paths = xcalloc(1, sizeof(char *));
	*digest = NULL;
	buf_init(&data);
	if (d->build_mirror == NULL) {
		*digest = xstrdup("none");
		return 0;
	}
	memset(&w, 0, sizeof(w));
	w.name = xasprintf("background:%s", d->name);
	w.type = WATCH_APT;
	w.url = d->build_mirror;
	w.suite = d->build_suite;
	w.signed_by = d->build_keyring;
	w.dist = d->name;
	w.file = d->file;
	w.line = d->line;

	dir = xasprintf("%s/checks/background/%s", cfg->state_dir, d->name);
	if (fs_mkdirs(dir, 0755, err) == -1)
		goto out;
	lock = fs_join(dir, ".lock");
	if ((lockfd = fs_lock(lock, 1, err)) == -1)
		goto out;
	if (upstream_ctx_init(&u, db, cfg, &w, err) == -1)
		goto out;
	inited = 1;

	/* Conditional only when every cached file of this arch is there. */
	complete = upstream_state_get(&u, "release_sha256") != NULL;
	for (cv = d->components; complete && *cv != NULL; cv++) {
		free(file);
		file = xasprintf("%s/%s_%s.sha256", dir, *cv, arch);
		complete = access(file, F_OK) == 0;
	}
	if (upstream_release_fetch(&u, complete, err) == -1)
		goto out;
	if (u.unchanged)
		*digest = xstrdup(upstream_state_get(&u, "release_sha256"));
	else
		*digest = xstrdup(u.digest);

	/* Components of d the mirror has, else main. */
	comps = xcalloc(strv_len(d->components) + 1, sizeof(char *));
	for (cv = d->components; *cv != NULL; cv++) {
		free(index);
		index = xasprintf("%s/binary-%s/Packages", *cv, arch);
		free(file);
		file = xasprintf("%s/%s_%s.sha256", dir, *cv, arch);
		if (u.unchanged ? access(file, F_OK) == 0 :
		    listed(&u.rel, index))
			comps[n++] = xstrdup(*cv);
	}
	cv = n > 0 ? comps : main_only;
	for (i = 0; cv[i] != NULL; i++) {
		free(index);
		index = xasprintf("%s/binary-%s/Packages", cv[i], arch);
		free(file);
		file = xasprintf("%s/%s_%s_Packages", dir, cv[i], arch);
		free(sumpath);
		sumpath = xasprintf("%s/%s_%s.sha256", dir, cv[i], arch);
		if (!u.unchanged) {
			/* The plain index's signed sum: fetch on change. */
			sf = upstream_sums_find(u.rel.files, u.rel.nfiles,
			    index);
			free(have);
			have = NULL;
			if (sf == NULL || fs_read_file(sumpath, 128, &have,
			    &havelen, NULL) == -1 || access(file, F_OK) != 0 ||
			    strncmp(have, sf->sha256, 64) != 0) {
				if (!listed(&u.rel, index)) {
					if (cv == main_only)
						break;	/* nothing at all */
					continue;
				}
				if (upstream_index_fetch(&u, index, &data,
				    err) == -1)
					goto out;
				if (fs_write_atomic(file, data.data, data.len,
				    0644, err) == -1)
					goto out;
				buf_reset(&data);
				if (fs_write_atomic(sumpath, sf != NULL ?
				    sf->sha256 : "unknown", sf != NULL ? 64 : 7,
				    0644, err) == -1)
					goto out;
			}
		} else if (access(file, F_OK) != 0)
			continue;
		*paths = xreallocarray(*paths, strv_len(*paths) + 2,
		    sizeof(char *));
		(*paths)[strv_len(*paths) + 1] = NULL;
		(*paths)[strv_len(*paths)] = xstrdup(file);
	}
	if (!u.unchanged) {
		upstream_state_set_release(&u);
		if (upstream_state_save(&u, err) == -1)
			goto out;
	}
	rv = 0;
out:
	if (inited)
		upstream_ctx_done(&u);
	if (lockfd != -1)
		close(lockfd);
	if (rv == -1) {
		strv_free(*paths);
		*paths = NULL;
		free(*digest);
		*digest = NULL;
	}
	buf_done(&data);
	strv_free(comps);
	free(w.name);
	free(dir);
	free(lock);
	free(index);
	free(file);
	free(sumpath);
	free(have);
	return rv;
}
