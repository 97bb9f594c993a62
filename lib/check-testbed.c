/*
 * check-testbed.c - the autopkgtest and upgrade checks, in
 * autopkgtest-virt-unshare testbeds made from the Distribution's chroot
 * tarball (State-Dir/chroots/<dist>-<arch>.tar.zst), with the snapshot as
 * an apt source (Public-URL/snapshots/<ID>, verified with the archive
 * key).  Nothing runs as real root: the testbed's root is the check's
 * user mapped through its subordinate ids; the testbed sees its own tree
 * only (unshare --root), never State-Dir or Public-Dir.
 *
 * autopkgtest: the debian/tests of every source whose version changed
 * (Testsuite: autopkgtest in the snapshot's Sources), then of up to
 * Autopkgtest-Max-Reverse unchanged sources whose binaries depend on a
 * changed binary.  `autopkgtest -B DSC -- unshare --tarball T`; its exit
 * code says pass (0, 2: some skipped), neutral (8: no tests), fail (4, 6,
 * 12) or could not run (16, 20 and the rest: error).
 *
 * upgrade: a generated test (a source tree whose debian/tests/upgrade is
 * the fixed script below) installs the changed binaries at the versions
 * of the Upgrade-From environment's snapshot, upgrades them to the
 * candidate's, removes and purges them; a failing maintainer script, a
 * "trying to overwrite" file conflict or files left after purge fail it.
 * Package lists reach the script as files read with xargs, never as
 * shell text.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "check-int.h"
#include "chroot.h"
#include "db-env.h"
#include "db-snapshots.h"
#include "deb822.h"
#include "fsutil.h"
#include "spawn.h"
#include "xmalloc.h"

#define KEYRING_TB	"/usr/share/keyrings/debpipe-archive-keyring.gpg"
#define SOURCES_TB	"/etc/apt/sources.list.d/debpipe.list"

struct csrc {
	char	*name;
	char	*version;
	char	*dsc;		/* path in Public-Dir */
	char	**binaries;
	int	 tests;		/* Testsuite: autopkgtest */
};

struct csrcs {
	struct csrc	*v;
	size_t		 n, cap;
	const char	*base;	/* Public-Dir/snapshots/<ID> */
};

static void
csrcs_done(struct csrcs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].version);
		free(l->v[i].dsc);
		strv_free(l->v[i].binaries);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
src_cb(const struct deb822_para *para, void *arg, struct dp_error *err)
{
	struct csrcs	*l = arg;
	struct csrc	*s;
	const char	*name, *ver, *dir, *ts, *v, *nover;
	char		**w;

	name = deb822_get(para, "Package");
	ver = deb822_get(para, "Version");
	dir = deb822_get(para, "Directory");
	if (name == NULL || ver == NULL || dir == NULL ||
	    !fs_name_is_safe(name) || !fs_relpath_is_safe(dir))
		return 0;	/* not one we can test */
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	s = &l->v[l->n++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->version = xstrdup(ver);
	nover = strchr(ver, ':') != NULL ? strchr(ver, ':') + 1 : ver;
	s->dsc = xasprintf("%s/%s/%s_%s.dsc", l->base, dir, name, nover);
	s->binaries = cpkgs_dep_names(deb822_get(para, "Binary"));
	ts = deb822_get(para, "Testsuite");
	w = cpkgs_dep_names(ts);
	for (char **p = w; *p != NULL; p++)
		if (strcmp(*p, "autopkgtest") == 0 ||
		    strncmp(*p, "autopkgtest-pkg-", 16) == 0)
			s->tests = 1;
	strv_free(w);
	(void)v;
	(void)err;
	return 0;
}

static int
load_sources(struct check_ctx *c, const char *id, const struct conf_dist *d,
    struct csrcs *l, struct dp_error *err)
{
	char	*base, *path, *index;
	size_t	 i;
	int	 rv = 0;

	memset(l, 0, sizeof(*l));
	base = xasprintf("%s/snapshots/%s", c->cfg->public_dir, id);
	l->base = base;
	for (i = 0; d->components[i] != NULL && rv == 0; i++) {
		index = xasprintf("%s/source/Sources", d->components[i]);
		path = check_index_path(c, id, d->name, index);
		if (access(path, F_OK) == 0)
			rv = deb822_parse_file(path, 0, src_cb, l, err);
		free(index);
		free(path);
	}
	l->base = NULL;
	free(base);
	return rv;
}

static const struct csrc *
src_find(const struct csrcs *l, const char *name)
{
	size_t i;

	for (i = 0; l != NULL && i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* The testbed architecture of d (the first that is not "all"). */
static const char *
tb_arch(const struct conf_dist *d)
{
	char *const *a;

	for (a = d->archs; *a != NULL; a++)
		if (strcmp(*a, "all") != 0)
			return *a;
	return NULL;
}

/* The apt source line of snapshot id for d, into path. */
static int
write_source(struct check_ctx *c, const char *id, const struct conf_dist *d,
    const char *path, struct dp_error *err)
{
	struct buf	b;
	char *const	*p;
	int		rv;

	buf_init(&b);
	buf_printf(&b, "deb [signed-by=%s] %s/snapshots/%s %s", KEYRING_TB,
	    c->cfg->public_url, id, d->name);
	for (p = d->components; *p != NULL; p++)
		buf_printf(&b, " %s", *p);
	buf_addc(&b, '\n');
	rv = fs_write_atomic(path, b.data, b.len, 0644, err);
	buf_done(&b);
	return rv;
}

/* Things every testbed run needs: the tarball, keyring, environment. */
struct tb {
	char	*tarball;
	char	*keyring;
	char	**env;
	char	*tmp;
};

static void
tb_done(struct tb *t)
{
	free(t->tarball);
	free(t->keyring);
	strv_free(t->env);
	free(t->tmp);
	memset(t, 0, sizeof(*t));
}

static int
tb_init(struct check_ctx *c, const struct conf_dist *d, const char *arch,
    struct tb *t, struct dp_error *err)
{
	char	*ov[4];

	memset(t, 0, sizeof(*t));
	if (geteuid() == 0) {
		/* The testbed's root must be a mapped user, never real root. */
		dp_error_set(err, DP_ERR_PERM, "refusing to run %s testbeds as "
		    "root: set User: in %s (e.g. debpipe, with /etc/subuid and "
		    "/etc/subgid ranges) or run debpipe-snapshotter as that "
		    "user", c->job, c->cfg->path);
		return -1;
	}
	/* The chroot of `debpipe chroot create`, made here when missing
	 * (as the builder does); one being made elsewhere: error, retried. */
	t->tarball = chroot_tarball_path(c->cfg, d->name, arch);
	if (access(t->tarball, R_OK) != 0) {
		check_log(c, "no chroot %s-%s yet: making it with mmdebstrap "
		    "(takes minutes)\n", d->name, arch);
		if (chroot_create(c->cfg, d, arch, c->log_path, 0, err) == -1) {
			dp_error_prefix(err, "no chroot tarball %s for %s/%s "
			    "(make it with `debpipe chroot create %s`)",
			    t->tarball, d->name, arch, d->name);
			return -1;
		}
	}
	t->keyring = xasprintf("%s/debpipe-archive-keyring.gpg",
	    c->cfg->public_dir);
	if (access(t->keyring, R_OK) != 0) {
		dp_error_set(err, DP_ERR_NOTFOUND, "no archive key %s (debpipe "
		    "key init)", t->keyring);
		return -1;
	}
	/* The testbed is unpacked below the work directory. */
	t->tmp = xasprintf("%s/tmp", c->work);
	if (fs_mkdirs(t->tmp, 0755, err) == -1)
		return -1;
	ov[0] = xasprintf("TMPDIR=%s", t->tmp);
	ov[1] = xasprintf("HOME=%s", c->work);
	ov[2] = xstrdup("LC_ALL=C.UTF-8");
	ov[3] = NULL;
	t->env = spawn_env(ov);
	free(ov[0]);
	free(ov[1]);
	free(ov[2]);
	return 0;
}

enum run_result { RUN_PASS, RUN_NEUTRAL, RUN_FAIL, RUN_ERROR };

/*
 * autopkgtest -B [--copy ...] TARGET -- unshare --tarball T; what the
 * summary file says is appended to names (failed tests).
 */
static enum run_result
run_autopkgtest(struct check_ctx *c, struct tb *t, const char *target,
    const char *srclist, const char *outdir, struct buf *names,
    struct dp_error *err)
{
	struct dp_error	 serr;
	char		*copy_key, *copy_list, *sum = NULL, *line, *next;
	size_t		 len;
	int		 st = 0, code;
	enum run_result	 r;

	copy_key = xasprintf("%s:%s", t->keyring, KEYRING_TB);
	copy_list = xasprintf("%s:%s", srclist, SOURCES_TB);
	char *argv[] = { "autopkgtest", "-B", "-o", (char *)outdir,
	    "--copy", copy_key, "--copy", copy_list,
	    "--setup-commands", "apt-get update -q",
	    (char *)target, "--", "unshare", "--tarball", t->tarball, NULL };
	check_spawn(c, argv, t->env, c->work, &st, &serr);
	if (c->timed_out) {
		dp_error_set(err, serr.code, "%s", serr.msg);
		r = RUN_ERROR;
		goto out;
	}
	if (!WIFEXITED(st)) {
		dp_error_set(err, DP_ERR_SYSTEM, "autopkgtest was killed "
		    "(signal %d)", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		r = RUN_ERROR;
		goto out;
	}
	code = WEXITSTATUS(st);
	sum = xasprintf("%s/summary", outdir);
	if (fs_read_file(sum, 1 << 20, &line, &len, NULL) == 0) {
		free(sum);
		sum = line;
		for (; line != NULL && *line != '\0'; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			if (strstr(line, " FAIL") != NULL) {
				len = strcspn(line, " ");
				buf_printf(names, "%s%.*s", names->len ? ", " :
				    "", (int)len, line);
			}
		}
	} else {
		free(sum);
		sum = NULL;
	}
	switch (code) {
	case 0:
	case 2:
		r = RUN_PASS;
		break;
	case 8:
		r = RUN_NEUTRAL;
		break;
	case 4:
	case 6:
	case 12:
	case 14:
		r = RUN_FAIL;
		if (names->len == 0)
			buf_adds(names, code >= 12 ? "erroneous package "
			    "(unsatisfiable test dependencies or a failed "
			    "build)" : "?");
		break;
	default:
		dp_error_set(err, DP_ERR_SYSTEM, "autopkgtest could not run "
		    "the testbed (exit status %d; see the log)", code);
		r = RUN_ERROR;
		break;
	}
out:
	free(copy_key);
	free(copy_list);
	free(sum);
	return r;
}

/* -- autopkgtest ---------------------------------------------------- */

enum check_outcome
check_autopkgtest(struct check_ctx *c, struct dp_error *err)
{
	const struct conf_dist	*d;
	struct csrcs		 cur, prev;
	struct cpkgs		 pk, ppk;
	struct tb		 t;
	struct buf		 failed, names;
	const struct csrc	*s, *ps;
	const char		*arch;
	char			*list = NULL, *out = NULL, **changedbin = NULL;
	size_t			 i, j, k, nrun = 0, nfail = 0, npass = 0;
	size_t			 nrev, nchb;
	int			*pick = NULL;
	enum check_outcome	 o = CHECK_ERROR;
	enum run_result		 r;

	memset(&cur, 0, sizeof(cur));
	memset(&prev, 0, sizeof(prev));
	memset(&pk, 0, sizeof(pk));
	memset(&ppk, 0, sizeof(ppk));
	memset(&t, 0, sizeof(t));
	buf_init(&failed);
	buf_init(&names);
	for (i = 0; i < c->cfg->ndists; i++) {
		d = &c->cfg->dists[i];
		if ((arch = tb_arch(d)) == NULL)
			continue;
		if (load_sources(c, c->id, d, &cur, err) == -1 ||
		    (c->prev != NULL && load_sources(c, c->prev, d, &prev,
		    err) == -1) ||
		    cpkgs_load_dist(&pk, c, c->id, d, arch, err) == -1 ||
		    (c->prev != NULL && cpkgs_load_dist(&ppk, c, c->prev, d,
		    arch, err) == -1))
			goto out;
		cpkgs_index(&pk);
		/* Changed binaries (new name or version). */
		changedbin = xcalloc(pk.n + 1, sizeof(char *));
		nchb = 0;
		for (j = 0; j < pk.n; j++) {
			for (k = 0; k < ppk.n; k++)
				if (strcmp(ppk.v[k].name, pk.v[j].name) == 0 &&
				    strcmp(ppk.v[k].version,
				    pk.v[j].version) == 0)
					break;
			if (k == ppk.n)
				changedbin[nchb++] = pk.v[j].name;
		}
		/* 1 = changed source, 2 = reverse dependency. */
		pick = xcalloc(cur.n + 1, sizeof(int));
		for (j = 0; j < cur.n; j++) {
			ps = src_find(&prev, cur.v[j].name);
			if (ps == NULL || strcmp(ps->version,
			    cur.v[j].version) != 0)
				pick[j] = 1;
		}
		/* Sources of changed binaries that have no Sources
		 * change of their own (binary-only uploads). */
		for (j = 0; j < pk.n; j++)
			for (k = 0; k < nchb; k++)
				if (strcmp(changedbin[k], pk.v[j].name) == 0)
					for (size_t m = 0; m < cur.n; m++)
						if (strcmp(cur.v[m].name,
						    pk.v[j].source) == 0 &&
						    !pick[m])
							pick[m] = 1;
		nrev = 0;
		for (j = 0; j < cur.n &&
		    nrev < (size_t)c->cfg->autopkgtest_max_reverse; j++) {
			if (pick[j] || !cur.v[j].tests)
				continue;
			/* Does a binary of it depend on a changed binary? */
			for (char **b = cur.v[j].binaries; *b != NULL &&
			    !pick[j]; b++)
				for (k = 0; k < pk.n && !pick[j]; k++) {
					if (strcmp(pk.v[k].name, *b) != 0)
						continue;
					for (char **dp = pk.v[k].deps;
					    *dp != NULL; dp++)
						for (size_t m = 0; m < nchb;
						    m++)
							if (strcmp(*dp,
							    changedbin[m]) == 0)
								pick[j] = 2;
				}
			if (pick[j])
				nrev++;
		}
		for (j = 0; j < cur.n; j++) {
			s = &cur.v[j];
			if (!pick[j])
				continue;
			if (!s->tests) {
				check_log(c, "%s %s: no debian/tests "
				    "(neutral)\n", s->name, s->version);
				continue;
			}
			if (t.tarball == NULL) {
				if (tb_init(c, d, arch, &t, err) == -1)
					goto out;
				list = xasprintf("%s/debpipe.list", c->work);
				if (write_source(c, c->id, d, list,
				    err) == -1)
					goto out;
			}
			check_log(c, "\n== %s %s (%s): autopkgtest on %s\n",
			    s->name, s->version, pick[j] == 1 ? "changed" :
			    "reverse dependency", t.tarball);
			free(out);
			out = xasprintf("%s/out-%s-%zu", c->work, d->name, j);
			buf_reset(&names);
			nrun++;
			r = run_autopkgtest(c, &t, s->dsc, list, out, &names,
			    err);
			if (r == RUN_ERROR)
				goto out;
			check_log(c, "== %s %s: %s%s%s\n", s->name, s->version,
			    r == RUN_PASS ? "pass" : r == RUN_NEUTRAL ?
			    "neutral (no tests ran)" : "FAIL",
			    names.len ? ": " : "", names.len ? names.data :
			    "");
			if (r == RUN_PASS)
				npass++;
			if (r == RUN_FAIL) {
				if (nfail++ < 5)
					buf_printf(&failed, "%s%s (%s)",
					    failed.len ? "; " : "", s->name,
					    names.data);
			}
		}
		csrcs_done(&cur);
		csrcs_done(&prev);
		cpkgs_done(&pk);
		cpkgs_done(&ppk);
		free(changedbin);
		changedbin = NULL;
		free(pick);
		pick = NULL;
		tb_done(&t);
		free(list);
		list = NULL;
	}
	if (nfail > 0) {
		check_summary(c, "%zu of %zu failed: %s", nfail, nrun,
		    failed.data);
		o = CHECK_FAILURE;
	} else if (nrun == 0) {
		/* Nothing to test is no reason to stall promotion. */
		check_summary(c, "neutral: no changed source has tests");
		o = CHECK_NEUTRAL;
	} else if (npass == 0) {
		check_summary(c, "neutral: no test ran (%zu sources)", nrun);
		o = CHECK_NEUTRAL;
	} else {
		check_summary(c, "%zu passed", npass);
		o = CHECK_SUCCESS;
	}
out:
	csrcs_done(&cur);
	csrcs_done(&prev);
	cpkgs_done(&pk);
	cpkgs_done(&ppk);
	free(changedbin);
	free(pick);
	tb_done(&t);
	free(list);
	free(out);
	buf_done(&failed);
	buf_done(&names);
	return o;
}

/* -- upgrade -------------------------------------------------------- */

/* The test the testbed runs, as root inside it.  Fixed text: the package
 * lists are files next to it, read by xargs (no shell parsing). */
static const char UPGRADE_SCRIPT[] =
"#!/bin/sh\n"
"# debpipe upgrade check: install the Upgrade-From versions, upgrade to\n"
"# the candidate, remove, purge; fail on a maintainer script error, a\n"
"# file conflict or files left behind.\n"
"set -u\n"
"d=$(cd \"$(dirname \"$0\")\" && pwd)\n"
"export DEBIAN_FRONTEND=noninteractive\n"
"fail() { echo \"DEBPIPE-UPGRADE-FAIL: $*\"; exit 1; }\n"
"setup() { echo \"DEBPIPE-UPGRADE-ERROR: $*\"; exit 3; }\n"
"apt() {\n"
"\twhat=$1; list=$2; shift 2\n"
"\txargs -r -d '\\n' -a \"$list\" apt-get -q -y \"$@\" >\"$d/apt.out\" 2>&1\n"
"\trc=$?\n"
"\tcat \"$d/apt.out\"\n"
"\tif grep -q 'trying to overwrite' \"$d/apt.out\"; then\n"
"\t\tfail \"$what: file conflict: $(grep -m 1 'trying to overwrite' \"$d/apt.out\")\"\n"
"\tfi\n"
"\treturn $rc\n"
"}\n"
"tree() {\n"
"\tfind / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /tmp \\\n"
"\t    -o -path /run -o -path /var/lib/apt -o -path /var/lib/dpkg \\\n"
"\t    -o -path /var/cache -o -path /var/log -o -path /var/tmp \\\n"
"\t    -o -path /root -o -path /etc/apt -o -path /usr/share/keyrings \\) \\\n"
"\t    -prune -o -print | sort\n"
"}\n"
"tree >\"$d/before\"\n"
"if [ -s \"$d/old.list\" ]; then\n"
"\tcp \"$d/from.list\" " SOURCES_TB "\n"
"\tapt-get -q update || setup 'apt-get update (Upgrade-From snapshot)'\n"
"\techo '== install the Upgrade-From versions'\n"
"\tapt install \"$d/old.list\" install || setup 'installing the Upgrade-From versions failed'\n"
"fi\n"
"cp \"$d/cand.list\" " SOURCES_TB "\n"
"apt-get -q update || setup 'apt-get update (candidate)'\n"
"echo '== upgrade to the candidate'\n"
"apt upgrade \"$d/new.list\" install || fail 'installing or upgrading to the candidate failed (a maintainer script?)'\n"
"echo '== remove'\n"
"apt remove \"$d/names.list\" remove || fail 'removing failed (a maintainer script?)'\n"
"echo '== purge'\n"
"apt purge \"$d/names.list\" purge || fail 'purging failed (a maintainer script?)'\n"
"apt-get -q -y autoremove --purge || fail 'autoremove --purge failed'\n"
"tree >\"$d/after\"\n"
"left=$(comm -13 \"$d/before\" \"$d/after\")\n"
"if [ -n \"$left\" ]; then\n"
"\techo \"$left\" | sed 's/^/left after purge: /'\n"
"\tfail \"files left after purge: $(echo \"$left\" | head -n 3 | tr '\\n' ' ')\"\n"
"fi\n"
"echo DEBPIPE-UPGRADE-OK\n";

static int
version_ok(const char *v)
{
	if (*v == '\0' || strlen(v) > 200)
		return 0;
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.+~:-") == strlen(v);
}

static int
pkgname_ok(const char *s)
{
	return strlen(s) >= 2 && strlen(s) < 200 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.+-") == strlen(s) &&
	    ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'));
}

/* The environment an upgrade is checked from, and its snapshot (NULL if
 * it has none yet; caller frees). */
static const struct conf_env *
upgrade_from(struct check_ctx *c, char **snap)
{
	const struct conf_env	*e = NULL, *from = NULL;
	char			**r, *on = NULL, *since = NULL;
	size_t			 i;

	*snap = NULL;
	for (i = 0; i < c->cfg->nenvs && e == NULL; i++)
		for (r = c->cfg->envs[i].requires; *r != NULL; r++)
			if (strcmp(*r, CHECK_UPGRADE) == 0)
				e = &c->cfg->envs[i];
	if (e == NULL)
		return NULL;
	if (e->upgrade_from != NULL)
		from = config_env_find(c->cfg, e->upgrade_from);
	/* Default: the environment after e (what it feeds: prod for
	 * staging), else e itself. */
	for (i = 0; from == NULL && i < c->cfg->nenvs; i++)
		if (c->cfg->envs[i].promote_from != NULL &&
		    strcmp(c->cfg->envs[i].promote_from, e->name) == 0)
			from = &c->cfg->envs[i];
	if (from == NULL)
		from = e;
	/* Its snapshot, when that one is published. */
	if (db_env_get(c->db, from->name, &on, &since, NULL) == 0 &&
	    on != NULL && db_snapshot_published(c->db, on, NULL, NULL) == 1) {
		*snap = on;
		on = NULL;
	}
	free(on);
	free(since);
	return from;
}

static int
write_tree(struct check_ctx *c, const char *tree, struct dp_error *err)
{
	static const char control[] =
	    "Source: debpipe-upgrade-check\nMaintainer: debpipe "
	    "<debpipe@localhost>\n\nPackage: debpipe-upgrade-check\n"
	    "Architecture: all\nDescription: debpipe upgrade check\n";
	static const char changelog[] =
	    "debpipe-upgrade-check (0) unstable; urgency=medium\n\n  * check\n"
	    "\n -- debpipe <debpipe@localhost>  Thu, 01 Jan 1970 00:00:00 "
	    "+0000\n";
	static const char tests[] =
	    "Tests: upgrade\nDepends:\nRestrictions: needs-root, "
	    "allow-stderr, breaks-testbed\n";
	char	*p;
	int	 rv = -1;

	p = xasprintf("%s/debian/tests", tree);
	if (fs_mkdirs(p, 0755, err) == -1)
		goto out;
	free(p);
	p = xasprintf("%s/debian/source", tree);
	if (fs_mkdirs(p, 0755, err) == -1)
		goto out;
	free(p);
	p = xasprintf("%s/debian/control", tree);
	if (fs_write_atomic(p, control, strlen(control), 0644, err) == -1)
		goto out;
	free(p);
	p = xasprintf("%s/debian/changelog", tree);
	if (fs_write_atomic(p, changelog, strlen(changelog), 0644, err) == -1)
		goto out;
	free(p);
	p = xasprintf("%s/debian/source/format", tree);
	if (fs_write_atomic(p, "3.0 (native)\n", 13, 0644, err) == -1)
		goto out;
	free(p);
	p = xasprintf("%s/debian/tests/control", tree);
	if (fs_write_atomic(p, tests, strlen(tests), 0644, err) == -1)
		goto out;
	free(p);
	p = xasprintf("%s/debian/tests/upgrade", tree);
	if (fs_write_atomic(p, UPGRADE_SCRIPT, strlen(UPGRADE_SCRIPT), 0755,
	    err) == -1)
		goto out;
	rv = 0;
out:
	free(p);
	return rv;
}

static int
tree_file(const char *tree, const char *name, const struct buf *b,
    struct dp_error *err)
{
	char	*p = xasprintf("%s/debian/tests/%s", tree, name);
	int	 rv;

	rv = fs_write_atomic(p, b->data != NULL ? b->data : "", b->len, 0644,
	    err);
	free(p);
	return rv;
}

/* What the test printed: its DEBPIPE-UPGRADE-* line, in the log. */
static char *
upgrade_verdict(const char *logpath)
{
	char	*data = NULL, *p, *q, *v = NULL, *last = NULL;
	size_t	 len;

	if (fs_read_file(logpath, 64UL << 20, &data, &len, NULL) == -1)
		return NULL;
	for (p = data; (p = strstr(p, "DEBPIPE-UPGRADE-")) != NULL; p++)
		if (p == data || p[-1] == '\n' || p[-1] == ' ')
			last = p;
	if (last != NULL) {
		q = strchr(last, '\n');
		v = q != NULL ? xstrndup(last, (size_t)(q - last)) :
		    xstrdup(last);
	}
	free(data);
	return v;
}

enum check_outcome
check_upgrade(struct check_ctx *c, struct dp_error *err)
{
	const struct conf_dist	*d;
	const struct conf_env	*from;
	struct cpkgs		 cand, old;
	struct tb		 t;
	struct buf		 oldl, newl, names, fails, tnames;
	const char		*arch;
	char			*fromsnap = NULL, *tree = NULL, *p = NULL;
	char			*target = NULL, *out = NULL, *verdict = NULL;
	char			*candlist = NULL;
	size_t			 i, j, k, nchanged, nfail = 0, ntotal = 0;
	enum check_outcome	 o = CHECK_ERROR;
	enum run_result		 r;

	memset(&cand, 0, sizeof(cand));
	memset(&old, 0, sizeof(old));
	memset(&t, 0, sizeof(t));
	buf_init(&oldl);
	buf_init(&newl);
	buf_init(&names);
	buf_init(&fails);
	buf_init(&tnames);
	from = upgrade_from(c, &fromsnap);
	check_log(c, "upgrade from: environment %s, snapshot %s\n",
	    from != NULL ? from->name : "(none)",
	    fromsnap != NULL ? fromsnap : "(none: fresh installs only)");
	for (i = 0; i < c->cfg->ndists; i++) {
		d = &c->cfg->dists[i];
		if ((arch = tb_arch(d)) == NULL)
			continue;
		if (cpkgs_load_dist(&cand, c, c->id, d, arch, err) == -1 ||
		    (fromsnap != NULL && cpkgs_load_dist(&old, c, fromsnap, d,
		    arch, err) == -1))
			goto out;
		buf_reset(&oldl);
		buf_reset(&newl);
		buf_reset(&names);
		nchanged = 0;
		for (j = 0; j < cand.n; j++) {
			const struct cpkg *pk = &cand.v[j], *op = NULL;

			if (!pkgname_ok(pk->name) || !version_ok(pk->version))
				continue;
			for (k = 0; k < old.n; k++)
				if (strcmp(old.v[k].name, pk->name) == 0 &&
				    strcmp(old.v[k].arch, pk->arch) == 0)
					op = &old.v[k];
			if (op != NULL && strcmp(op->version, pk->version) == 0)
				continue;
			if (op != NULL && version_ok(op->version))
				buf_printf(&oldl, "%s=%s\n", op->name,
				    op->version);
			buf_printf(&newl, "%s=%s\n", pk->name, pk->version);
			buf_printf(&names, "%s\n", pk->name);
			check_log(c, "  %s %s -> %s\n", pk->name, op != NULL ?
			    op->version : "(new)", pk->version);
			nchanged++;
		}
		cpkgs_done(&cand);
		cpkgs_done(&old);
		if (nchanged == 0) {
			check_log(c, "%s: nothing changed\n", d->name);
			continue;
		}
		ntotal += nchanged;
		if (tb_init(c, d, arch, &t, err) == -1)
			goto out;
		free(tree);
		tree = xasprintf("%s/upgrade-%s", c->work, d->name);
		if (write_tree(c, tree, err) == -1 ||
		    tree_file(tree, "old.list", &oldl, err) == -1 ||
		    tree_file(tree, "new.list", &newl, err) == -1 ||
		    tree_file(tree, "names.list", &names, err) == -1)
			goto out;
		free(candlist);
		candlist = xasprintf("%s/debian/tests/cand.list", tree);
		if (write_source(c, c->id, d, candlist, err) == -1)
			goto out;
		free(p);
		p = xasprintf("%s/debian/tests/from.list", tree);
		if (fromsnap != NULL && write_source(c, fromsnap, d, p,
		    err) == -1)
			goto out;
		if (fromsnap == NULL && fs_write_atomic(p, "", 0, 0644,
		    err) == -1)
			goto out;
		free(target);
		target = xasprintf("%s/", tree);
		free(out);
		out = xasprintf("%s/out-upgrade-%s", c->work, d->name);
		check_log(c, "\n== %s: %zu packages in a testbed from %s\n",
		    d->name, nchanged, t.tarball);
		buf_reset(&tnames);
		/* The candidate's list is the test's own apt source. */
		r = run_autopkgtest(c, &t, target, candlist, out, &tnames,
		    err);
		free(verdict);
		verdict = upgrade_verdict(c->log_path);
		if (r == RUN_ERROR)
			goto out;
		if (verdict != NULL &&
		    strncmp(verdict, "DEBPIPE-UPGRADE-ERROR", 21) == 0) {
			dp_error_set(err, DP_ERR_SYSTEM, "%s: %s", d->name,
			    verdict + 22);
			goto out;
		}
		if (r != RUN_PASS) {
			nfail++;
			buf_printf(&fails, "%s%s: %s", fails.len ? "; " : "",
			    d->name, verdict != NULL &&
			    strncmp(verdict, "DEBPIPE-UPGRADE-FAIL: ", 22) == 0 ?
			    verdict + 22 : "the upgrade test failed");
		}
		tb_done(&t);
	}
	if (nfail > 0) {
		check_summary(c, "%s", fails.data);
		o = CHECK_FAILURE;
	} else if (ntotal == 0) {
		check_summary(c, "neutral: no binary package changed");
		o = CHECK_NEUTRAL;
	} else {
		check_summary(c, "%zu packages upgraded, removed and purged "
		    "cleanly", ntotal);
		o = CHECK_SUCCESS;
	}
out:
	cpkgs_done(&cand);
	cpkgs_done(&old);
	tb_done(&t);
	buf_done(&oldl);
	buf_done(&newl);
	buf_done(&names);
	buf_done(&fails);
	buf_done(&tnames);
	free(fromsnap);
	free(tree);
	free(p);
	free(target);
	free(out);
	free(verdict);
	free(candlist);
	return o;
}
