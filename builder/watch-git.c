/*
 * watch-git.c - git watches with libgit2: one bare mirror per repository
 * URL under State-Dir/git, fetch, branch heads, merges, export.
 *
 * A mirror is created in a temporary directory and renamed into place
 * once the first fetch succeeded, so a failed clone leaves nothing
 * behind.  Every operation on a mirror holds State-Dir/git/<name>.lock
 * (the daemon polls while build children merge).  Merge branches living
 * in other repositories reach the watch's mirror as in-memory odb
 * alternates: nothing is written to the other mirrors.
 *
 * libgit2 1.5 has no network timeout (GIT_OPT_SET_SERVER_TIMEOUT came
 * in 1.7): each fetch runs in a child process that is killed when it has
 * not finished within Fetch-Timeout; the locks and the half-received
 * pack it leaves in the mirror are removed (we hold the mirror's lock).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <openssl/evp.h>

#include "builder.h"
#include "deb822.h"
#include "fsutil.h"
#include "xmalloc.h"

#define CHANGELOG_MAX	(16 * 1024 * 1024)
#define CONFLICTS_MAX	20

/* The git adapter: DP_ERR_GIT with "what: libgit2 message". */
static void __attribute__((format(printf, 2, 3)))
dp_error_git(struct dp_error *err, const char *fmt, ...)
{
	const git_error	*ge = git_error_last();
	char		 what[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	dp_error_set(err, DP_ERR_GIT, "%s: %s", what,
	    ge != NULL && ge->message != NULL ? ge->message : "unknown error");
	str_printable(err != NULL ? err->msg : what);
}

void
gitw_init(void)
{
	git_libgit2_init();
	/* Mirrors are ours; file:// sources may belong to someone else. */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	/* $HOME may not be ours after the privilege drop (an unreadable
	 * ~/.gitconfig fails every fetch): only the system configuration
	 * (/etc/gitconfig) applies to the mirrors. */
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, "");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "");
}

void
gitw_heads_done(struct gitw_heads *h)
{
	if (h == NULL)
		return;
	free(h->head);
	strv_free(h->merges);
	memset(h, 0, sizeof(*h));
}

void
gitw_merged_done(struct gitw_merged *m)
{
	if (m == NULL)
		return;
	free(m->changelog);
	memset(m, 0, sizeof(*m));
}

static char *
git_dir(const struct config *cfg)
{
	return fs_join(cfg->state_dir, "git");
}

char *
gitw_mirror_path(const struct config *cfg, const char *url)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 name[64], *dir, *path, *full;
	const char	*p;
	size_t		 n = 0;

	EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL);
	/* Readable part: the URL without scheme and user info,
	 * [A-Za-z0-9._-] only. */
	if ((p = strstr(url, "://")) != NULL)
		url = p + 3;
	if ((p = strchr(url, '@')) != NULL && p < url + strcspn(url, "/"))
		url = p + 1;
	for (p = url; *p != '\0' && n < 40; p++) {
		unsigned char c = (unsigned char)*p;

		if (isalnum(c) || c == '.' || c == '-' || c == '_')
			name[n++] = (char)c;
		else if (n > 0 && name[n - 1] != '_')
			name[n++] = '_';
	}
	while (n > 0 && (name[n - 1] == '_' || name[n - 1] == '.'))
		n--;
	name[n] = '\0';
	if (n == 0 || name[0] == '.' || name[0] == '-')
		snprintf(name, sizeof(name), "repo");
	dir = git_dir(cfg);
	path = xasprintf("%s-%02x%02x%02x%02x%02x.git", name, md[0], md[1],
	    md[2], md[3], md[4]);
	full = fs_join(dir, path);
	free(dir);
	free(path);
	return full;
}

/* ---- credentials (the file: git-creds.c) ------------------------------- */

static int
cred_cb(git_credential **out, const char *url, const char *user_from_url,
    unsigned int allowed, void *payload)
{
	struct gitw_creds	*cs = payload;
	const char		*user;

	(void)url;
	user = cs->username != NULL ? cs->username : user_from_url;
	if (cs->tries++ > 0) {
		/* What we had was refused: do not loop. */
		git_error_set_str(GIT_ERROR_NET, cs->file != NULL ?
		    "authentication failed with the Credentials file" :
		    "authentication required (set Credentials: in the watch)");
		return GIT_EAUTH;
	}
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && cs->ssh_key != NULL)
		return git_credential_ssh_key_new(out,
		    user != NULL ? user : "git", cs->ssh_pubkey, cs->ssh_key,
		    cs->passphrase);
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) &&
	    cs->password != NULL)
		return git_credential_userpass_plaintext_new(out,
		    user != NULL ? user : "", cs->password);
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && cs->file == NULL)
		return git_credential_ssh_key_from_agent(out,
		    user != NULL ? user : "git");
	if ((allowed & GIT_CREDENTIAL_USERNAME) && user != NULL)
		return git_credential_username_new(out, user);
	git_error_set_str(GIT_ERROR_NET, cs->file != NULL ?
	    "the Credentials file has nothing the server accepts" :
	    "authentication required (set Credentials: in the watch)");
	return GIT_EAUTH;
}

/* ---- mirrors ---------------------------------------------------------- */

static int
mirror_lock(const char *mirror, struct dp_error *err)
{
	char	*lock = xasprintf("%.*s.lock", (int)(strlen(mirror) - 4),
	    mirror);
	int	 fd;

	fd = fs_lock(lock, 1, err);
	free(lock);
	return fd;
}

static int
fetch_run(git_repository *repo, const char *url, const char *credfile,
    struct dp_error *err)
{
	git_remote		*remote = NULL;
	git_remote_create_options ro;
	git_fetch_options	 fo;
	struct gitw_creds	 cs;
	char			*spec = "+refs/heads/*:refs/heads/*";
	git_strarray		 specs = { &spec, 1 };
	int			 rv = -1;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	memset(&cs, 0, sizeof(cs));
	cs.file = credfile;
	if (gitw_creds_load(&cs, err) == -1)
		goto out;
	/*
	 * Anonymous remote, without url.<base>.insteadOf rewriting: the
	 * watch says which URL to use, and libgit2 1.5 leaks the regex
	 * match data of every config entry it tries that rule on.
	 */
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, url, &ro) < 0) {
		dp_error_git(err, "%s", url);
		goto out;
	}
	fo.callbacks.credentials = cred_cb;
	fo.callbacks.payload = &cs;
	fo.proxy_opts.type = GIT_PROXY_AUTO;	/* http.proxy, $*_proxy */
	fo.prune = GIT_FETCH_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (git_remote_fetch(remote, &specs, &fo, NULL) < 0) {
		dp_error_git(err, "fetch %s", url);
		goto out;
	}
	rv = 0;
out:
	git_remote_free(remote);
	gitw_creds_done(&cs);
	return rv;
}

/* Remove what a killed fetch leaves in the mirror gitdir: lock files
 * (refs, packed-refs, config, FETCH_HEAD) and libgit2's temporary packs. */
static void
mirror_scrub(const char *gitdir, const char *sub, int depth)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir, *p;
	size_t		 len;
	struct stat	 sb;

	dir = sub != NULL ? fs_join(gitdir, sub) : xstrdup(gitdir);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		p = fs_join(dir, de->d_name);
		len = strlen(de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			if (depth > 0 && strcmp(de->d_name, "objects") != 0)
				mirror_scrub(p, NULL, depth - 1);
		} else if ((len > 5 &&
		    strcmp(de->d_name + len - 5, ".lock") == 0) ||
		    strncmp(de->d_name, "pack_git2_", 10) == 0)
			unlink(p);
		free(p);
	}
	closedir(d);
	free(dir);
}

static long
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * fetch_run in a child process, killed after limit seconds.  The child's
 * error message comes back on a pipe.
 */
static int
fetch_into(git_repository *repo, const char *gitdir, const char *url,
    const char *credfile, long limit, struct dp_error *err)
{
	struct dp_error	 cerr;
	struct pollfd	 pfd;
	char		 msg[sizeof(cerr.msg)];
	size_t		 len = 0;
	ssize_t		 r;
	long		 deadline, left;
	pid_t		 pid;
	int		 fds[2], status, rv = -1, rc;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		dp_error_errno(err, "pipe");
		return -1;
	}
	if ((pid = fork()) == -1) {
		dp_error_errno(err, "fork");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		memset(&cerr, 0, sizeof(cerr));
		rc = fetch_run(repo, url, credfile, &cerr);
		if (rc == -1)
			(void)!write(fds[1], cerr.msg, strlen(cerr.msg));
		_exit(rc == 0 ? 0 : 1);
	}
	close(fds[1]);
	deadline = mono_ms() + limit * 1000L;
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		if ((left = deadline - mono_ms()) <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			mirror_scrub(gitdir, NULL, 0);
			mirror_scrub(gitdir, "refs", 8);
			mirror_scrub(gitdir, "objects/pack", 0);
			dp_error_set(err, DP_ERR_TIMEOUT, "fetch %s: no answer "
			    "within %ld s (Fetch-Timeout)", url, limit);
			goto out;
		}
		if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) <= 0)
			continue;
		r = read(fds[0], msg + len, sizeof(msg) - 1 - len);
		if (r > 0 && len + (size_t)r < sizeof(msg) - 1) {
			len += (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		break;		/* end of file: the child is done */
	}
	msg[len] = '\0';
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rv = 0;
	else if (len > 0)
		dp_error_set(err, DP_ERR_GIT, "%s", msg);
	else
		dp_error_set(err, DP_ERR_GIT, "fetch %s: the fetch process "
		    "failed", url);
out:
	close(fds[0]);
	return rv;
}

/* Fetch url into its mirror (cloning it first when missing). */
static int
mirror_fetch(const struct config *cfg, const char *url, const char *credfile,
    struct dp_error *err)
{
	git_repository	*repo = NULL;
	char		*mirror, *tmp = NULL, *dir;
	int		 lockfd = -1, rv = -1;
	struct stat	 sb;

	mirror = gitw_mirror_path(cfg, url);
	dir = git_dir(cfg);
	if (fs_mkdirs(dir, 0750, err) == -1)
		goto out;
	if ((lockfd = mirror_lock(mirror, err)) == -1)
		goto out;
	if (stat(mirror, &sb) == 0) {
		if (git_repository_open_bare(&repo, mirror) < 0) {
			dp_error_git(err, "open mirror %s", mirror);
			goto out;
		}
		if (fetch_into(repo, mirror, url, credfile,
		    cfg->fetch_timeout, err) == -1)
			goto out;
	} else {
		tmp = xasprintf("%s.tmp.%ld", mirror, (long)getpid());
		if (fs_remove_tree(tmp, err) == -1)
			goto out;
		if (git_repository_init(&repo, tmp, 1) < 0) {
			dp_error_git(err, "create mirror %s", tmp);
			goto out;
		}
		if (fetch_into(repo, tmp, url, credfile, cfg->fetch_timeout,
		    err) == -1)
			goto out;
		git_repository_free(repo);
		repo = NULL;
		if (rename(tmp, mirror) == -1) {
			dp_error_errno(err, "rename %s", tmp);
			goto out;
		}
	}
	rv = 0;
out:
	git_repository_free(repo);
	if (tmp != NULL) {
		if (rv == -1)
			fs_remove_tree(tmp, NULL);
		free(tmp);
	}
	if (lockfd != -1)
		close(lockfd);
	free(mirror);
	free(dir);
	return rv;
}

static int
branch_head(const struct config *cfg, const char *url, const char *branch,
    char **hex, struct dp_error *err)
{
	git_repository	*repo = NULL;
	git_reference	*ref = NULL;
	git_object	*obj = NULL;
	char		*mirror, *refname = NULL, buf[GIT_OID_HEXSZ + 1];
	int		 rv = -1, rc;

	mirror = gitw_mirror_path(cfg, url);
	if (git_repository_open_bare(&repo, mirror) < 0) {
		dp_error_git(err, "open mirror of %s", url);
		goto out;
	}
	refname = xasprintf("refs/heads/%s", branch);
	if ((rc = git_reference_lookup(&ref, repo, refname)) < 0) {
		if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC)
			dp_error_set(err, DP_ERR_NOTFOUND, "branch '%s' not "
			    "found in %s", branch, url);
		else
			dp_error_git(err, "%s branch %s", url, branch);
		goto out;
	}
	if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0) {
		dp_error_git(err, "%s branch %s", url, branch);
		goto out;
	}
	git_oid_tostr(buf, sizeof(buf), git_object_id(obj));
	*hex = xstrdup(buf);
	rv = 0;
out:
	git_object_free(obj);
	git_reference_free(ref);
	git_repository_free(repo);
	free(refname);
	free(mirror);
	return rv;
}

static int
strv_has(char *const *v, const char *s)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static void
strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);

	*v = xreallocarray(*v, n + 2, sizeof(**v));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

static int
fetch_once(const struct config *cfg, const char *url, const char *credfile,
    char ***fetched, struct dp_error *err)
{
	if (fetched != NULL && strv_has(*fetched, url))
		return 0;
	if (mirror_fetch(cfg, url, credfile, err) == -1)
		return -1;
	if (fetched != NULL)
		strv_push(fetched, url);
	return 0;
}

int
gitw_fetch_heads(const struct config *cfg, const struct conf_watch *w,
    char ***fetched, struct gitw_heads *heads, struct dp_error *err)
{
	size_t i;

	memset(heads, 0, sizeof(*heads));
	if (fetch_once(cfg, w->url, w->credentials, fetched, err) == -1 ||
	    branch_head(cfg, w->url, w->branch, &heads->head, err) == -1)
		goto fail;
	heads->merges = xcalloc(w->nmerges + 1, sizeof(char *));
	for (i = 0; i < w->nmerges; i++) {
		if (fetch_once(cfg, w->merges[i].url, w->credentials, fetched,
		    err) == -1 ||
		    branch_head(cfg, w->merges[i].url, w->merges[i].branch,
		    &heads->merges[i], err) == -1) {
			dp_error_prefix(err, "Merge %s %s", w->merges[i].url,
			    w->merges[i].branch);
			goto fail;
		}
		heads->nmerges++;
	}
	return 0;
fail:
	gitw_heads_done(heads);
	return -1;
}

char *
gitw_inputs_format(const struct gitw_heads *h)
{
	struct buf	b;
	size_t		i;

	buf_init(&b);
	buf_printf(&b, "head=%s", h->head);
	for (i = 0; i < h->nmerges; i++)
		buf_printf(&b, " merge%zu=%s", i + 1, h->merges[i]);
	return buf_steal(&b);
}

static int
hex_valid(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[len] == '\0' || s[len] == ' ';
}

int
gitw_inputs_parse(const char *inputs, const struct conf_watch *w,
    struct gitw_heads *h, struct dp_error *err)
{
	const char	*p = inputs;
	char		 key[32];
	size_t		 i;

	memset(h, 0, sizeof(*h));
	h->merges = xcalloc(w->nmerges + 1, sizeof(char *));
	for (i = 0; i <= w->nmerges; i++) {
		if (i == 0)
			snprintf(key, sizeof(key), "head=");
		else
			snprintf(key, sizeof(key), " merge%zu=", i);
		if (strncmp(p, key, strlen(key)) != 0)
			goto bad;
		p += strlen(key);
		if (!hex_valid(p, GIT_OID_HEXSZ))
			goto bad;
		if (i == 0)
			h->head = xstrndup(p, GIT_OID_HEXSZ);
		else {
			h->merges[i - 1] = xstrndup(p, GIT_OID_HEXSZ);
			h->nmerges++;
		}
		p += GIT_OID_HEXSZ;
	}
	if (*p != '\0')
		goto bad;
	return 0;
bad:
	dp_error_set(err, DP_ERR_INVALID, "build inputs '%s' do not match the "
	    "watch %s (its Merge list changed?)", inputs, w->name);
	gitw_heads_done(h);
	return -1;
}

/* The watch's mirror with the mirrors of its Merge URLs as alternates. */
static int
open_watch_repo(const struct config *cfg, const struct conf_watch *w,
    git_repository **out, struct dp_error *err)
{
	git_repository	*repo = NULL;
	git_odb		*odb = NULL;
	char		*mirror, *other, *objects;
	size_t		 i;
	int		 rv = -1;

	mirror = gitw_mirror_path(cfg, w->url);
	if (git_repository_open_bare(&repo, mirror) < 0) {
		dp_error_git(err, "open mirror of %s", w->url);
		goto out;
	}
	if (git_repository_odb(&odb, repo) < 0) {
		dp_error_git(err, "%s", mirror);
		goto out;
	}
	for (i = 0; i < w->nmerges; i++) {
		if (strcmp(w->merges[i].url, w->url) == 0)
			continue;
		other = gitw_mirror_path(cfg, w->merges[i].url);
		objects = fs_join(other, "objects");
		free(other);
		if (git_odb_add_disk_alternate(odb, objects) < 0) {
			dp_error_git(err, "%s", objects);
			free(objects);
			goto out;
		}
		free(objects);
	}
	*out = repo;
	repo = NULL;
	rv = 0;
out:
	git_odb_free(odb);
	git_repository_free(repo);
	free(mirror);
	return rv;
}

static int
lookup_commit(git_repository *repo, const char *hex, git_commit **out,
    struct dp_error *err)
{
	git_oid oid;

	if (git_oid_fromstr(&oid, hex) < 0 ||
	    git_commit_lookup(out, repo, &oid) < 0) {
		dp_error_git(err, "commit %s", hex);
		return -1;
	}
	return 0;
}

/* "a, b, c" of the conflicting paths (at most CONFLICTS_MAX). */
static char *
conflict_paths(git_index *index)
{
	git_index_conflict_iterator	*it = NULL;
	const git_index_entry		*anc, *ours, *theirs;
	struct buf			 b;
	int				 n = 0;

	buf_init(&b);
	if (git_index_conflict_iterator_new(&it, index) < 0)
		return buf_steal(&b);
	while (git_index_conflict_next(&anc, &ours, &theirs, it) == 0) {
		const char *path = ours != NULL ? ours->path :
		    theirs != NULL ? theirs->path : anc->path;

		if (n++ == CONFLICTS_MAX) {
			buf_adds(&b, ", ...");
			break;
		}
		if (b.len > 0)
			buf_adds(&b, ", ");
		buf_adds(&b, path);
	}
	git_index_conflict_iterator_free(it);
	return str_printable(buf_steal(&b));
}

static int
read_changelog(git_repository *repo, git_commit *commit, char **out,
    struct dp_error *err)
{
	git_tree	*tree = NULL;
	git_tree_entry	*ent = NULL;
	git_blob	*blob = NULL;
	git_object_size_t size;
	int		 rv = -1;

	if (git_commit_tree(&tree, commit) < 0) {
		dp_error_git(err, "tree of the merged commit");
		goto out;
	}
	if (git_tree_entry_bypath(&ent, tree, "debian") < 0) {
		dp_error_set(err, DP_ERR_INVALID, "the repository has no "
		    "debian/ directory: not a Debian source package");
		goto out;
	}
	git_tree_entry_free(ent);
	ent = NULL;
	if (git_tree_entry_bypath(&ent, tree, "debian/changelog") < 0 ||
	    git_tree_entry_type(ent) != GIT_OBJECT_BLOB) {
		dp_error_set(err, DP_ERR_INVALID, "the repository has no "
		    "debian/changelog");
		goto out;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(ent)) < 0) {
		dp_error_git(err, "debian/changelog");
		goto out;
	}
	size = git_blob_rawsize(blob);
	if (size > CHANGELOG_MAX) {
		dp_error_set(err, DP_ERR_INVALID, "debian/changelog is larger "
		    "than %d bytes", CHANGELOG_MAX);
		goto out;
	}
	if (memchr(git_blob_rawcontent(blob), '\0', (size_t)size) != NULL) {
		dp_error_set(err, DP_ERR_PARSE, "debian/changelog contains a "
		    "NUL byte");
		goto out;
	}
	*out = xstrndup(git_blob_rawcontent(blob), (size_t)size);
	rv = 0;
out:
	git_blob_free(blob);
	git_tree_entry_free(ent);
	git_tree_free(tree);
	return rv;
}

int
gitw_merge(const struct config *cfg, const struct conf_watch *w,
    const struct gitw_heads *heads, struct gitw_merged *out,
    struct dp_error *err)
{
	git_repository	*repo = NULL;
	git_commit	*cur = NULL, *other = NULL, *next = NULL;
	git_index	*index = NULL;
	git_tree	*tree = NULL;
	git_signature	*sig = NULL;
	git_oid		 tree_oid, commit_oid;
	git_merge_options mo;
	char		*mirror = NULL, *msg = NULL, *paths;
	time_t		 maxt;
	size_t		 i;
	int		 lockfd = -1, rv = -1;

	memset(out, 0, sizeof(*out));
	git_merge_options_init(&mo, GIT_MERGE_OPTIONS_VERSION);
	mirror = gitw_mirror_path(cfg, w->url);
	if ((lockfd = mirror_lock(mirror, err)) == -1)
		goto out;
	if (open_watch_repo(cfg, w, &repo, err) == -1)
		goto out;
	if (lookup_commit(repo, heads->head, &cur, err) == -1)
		goto out;
	maxt = (time_t)git_commit_time(cur);
	for (i = 0; i < heads->nmerges; i++) {
		if (lookup_commit(repo, heads->merges[i], &other, err) == -1)
			goto out;
		if ((time_t)git_commit_time(other) > maxt)
			maxt = (time_t)git_commit_time(other);
		git_commit_free(other);
		other = NULL;
	}
	if (git_signature_new(&sig, "debpipe-builder", "debpipe@localhost",
	    (git_time_t)maxt, 0) < 0) {
		dp_error_git(err, "signature");
		goto out;
	}
	for (i = 0; i < heads->nmerges; i++) {
		const git_commit *parents[2];

		if (lookup_commit(repo, heads->merges[i], &other, err) == -1)
			goto out;
		/* Already contained: nothing to merge. */
		if (git_oid_equal(git_commit_id(cur), git_commit_id(other)) ||
		    git_graph_descendant_of(repo, git_commit_id(cur),
		    git_commit_id(other)) == 1) {
			git_commit_free(other);
			other = NULL;
			continue;
		}
		if (git_merge_commits(&index, repo, cur, other, &mo) < 0) {
			dp_error_git(err, "merge %s %s", w->merges[i].url,
			    w->merges[i].branch);
			goto out;
		}
		if (git_index_has_conflicts(index)) {
			paths = conflict_paths(index);
			dp_error_set(err, DP_ERR_CONFLICT, "merging branch "
			    "'%s' of %s (%.7s) conflicts in: %s",
			    w->merges[i].branch, w->merges[i].url,
			    heads->merges[i], paths);
			free(paths);
			goto out;
		}
		if (git_index_write_tree_to(&tree_oid, index, repo) < 0 ||
		    git_tree_lookup(&tree, repo, &tree_oid) < 0) {
			dp_error_git(err, "write merged tree");
			goto out;
		}
		msg = xasprintf("Merge branch '%s' of %s\n",
		    w->merges[i].branch, w->merges[i].url);
		parents[0] = cur;
		parents[1] = other;
		if (git_commit_create(&commit_oid, repo, NULL, sig, sig,
		    NULL, msg, tree, 2, parents) < 0) {
			dp_error_git(err, "write merge commit");
			goto out;
		}
		if (git_commit_lookup(&next, repo, &commit_oid) < 0) {
			dp_error_git(err, "merge commit");
			goto out;
		}
		git_commit_free(cur);
		cur = next;
		next = NULL;
		git_commit_free(other);
		other = NULL;
		git_tree_free(tree);
		tree = NULL;
		git_index_free(index);
		index = NULL;
		free(msg);
		msg = NULL;
	}
	git_oid_tostr(out->hash, sizeof(out->hash), git_commit_id(cur));
	out->time = maxt;
	if (read_changelog(repo, cur, &out->changelog, err) == -1)
		goto out;
	rv = 0;
out:
	free(msg);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(index);
	git_commit_free(next);
	git_commit_free(other);
	git_commit_free(cur);
	git_repository_free(repo);
	if (lockfd != -1)
		close(lockfd);
	free(mirror);
	return rv;
}

int
gitw_export(const struct config *cfg, const struct conf_watch *w,
    const char *hash, const char *dir, struct dp_error *err)
{
	git_repository		*repo = NULL;
	git_commit		*commit = NULL;
	git_checkout_options	 co;
	int			 rv = -1;

	if (open_watch_repo(cfg, w, &repo, err) == -1)
		goto out;
	if (lookup_commit(repo, hash, &commit, err) == -1)
		goto out;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE |
	    GIT_CHECKOUT_DONT_UPDATE_INDEX | GIT_CHECKOUT_DONT_WRITE_INDEX;
	co.target_directory = dir;
	co.disable_filters = 1;
	if (git_checkout_tree(repo, (const git_object *)commit, &co) < 0) {
		dp_error_git(err, "export %.7s into %s", hash, dir);
		goto out;
	}
	rv = 0;
out:
	git_commit_free(commit);
	git_repository_free(repo);
	return rv;
}
