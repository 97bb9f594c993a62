/* t-config.c - unit tests for lib/config.c. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <ftw.h>

#include "config.h"
#include "error.h"
#include "xmalloc.h"

#define G	"State-Dir: /var/lib/debpipe\nPublic-Dir: /srv/debpipe\n"
#define D	"\nDistribution: bookworm\nComponents: main contrib\n"

/*
 * A test instance: a temporary directory with debpipe.conf and watch.d/.
 * Files are given as "name", "content" pairs; names ending in "/" make
 * directories.
 */
struct inst {
	char	dir[64];
};

static void
write_file(const char *path, const char *text)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

static void
inst_make(struct inst *in, const char *conf, const char *const *files)
{
	char	*p;
	size_t	 i;

	strcpy(in->dir, "/tmp/t-config.XXXXXX");
	assert_non_null(mkdtemp(in->dir));
	p = xasprintf("%s/watch.d", in->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	if (conf != NULL) {
		p = xasprintf("%s/debpipe.conf", in->dir);
		write_file(p, conf);
		free(p);
	}
	for (i = 0; files != NULL && files[i] != NULL; i += 2) {
		p = xasprintf("%s/%s", in->dir, files[i]);
		if (p[strlen(p) - 1] == '/')
			assert_int_equal(mkdir(p, 0755), 0);
		else
			write_file(p, files[i + 1]);
		free(p);
	}
}

static int
remove_cb(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
inst_remove(struct inst *in)
{
	assert_int_equal(nftw(in->dir, remove_cb, 16, FTW_DEPTH | FTW_PHYS),
	    0);
}

static int
inst_load(struct inst *in, struct config **cfg, struct dp_error *err)
{
	char	*p;
	int	 rv;

	p = xasprintf("%s/debpipe.conf", in->dir);
	*cfg = NULL;
	dp_error_clear(err);
	rv = config_load(p, cfg, err);
	free(p);
	return rv;
}

/* ------------------------------------------------------------------ */
/* Error cases: table driven, one TAP line per case. */

struct bad {
	const char	*name;
	const char	*conf;
	const char	*files[7];	/* name, content pairs */
	const char	*where;		/* "debpipe.conf:3" relative to dir */
	const char	*what;		/* substring of the message */
};

#define W1(name, text)	{ "watch.d/" name, text, NULL }

static const struct bad bad_cases[] = {
	{ "unknown global field", G "Foo: bar\n", { NULL },
	  "debpipe.conf:3", "unknown field 'Foo' in the global section "
	  "(known: State-Dir, Public-Dir" },
	{ "missing State-Dir", "Public-Dir: /srv\n", { NULL },
	  "debpipe.conf:1", "State-Dir: is required" },
	{ "missing Public-Dir", "\n# c\nState-Dir: /s\n", { NULL },
	  "debpipe.conf:3", "Public-Dir: is required" },
	{ "empty file", "# nothing\n\n", { NULL },
	  "debpipe.conf:1", "no global section" },
	{ "bad duration", G "Snapshot-Interval: 5x\n", { NULL },
	  "debpipe.conf:3", "bad duration '5x' for 'Snapshot-Interval'" },
	{ "negative duration", G "Build-Timeout: -5m\n", { NULL },
	  "debpipe.conf:3", "bad duration '-5m'" },
	{ "overflowing duration", G "Build-Timeout: 99999999999999999999d\n",
	  { NULL }, "debpipe.conf:3", "bad duration" },
	{ "zero interval", G "Snapshot-Interval: 0\n", { NULL },
	  "debpipe.conf:3", "'Snapshot-Interval' must be at least 1s" },
	{ "bad bool", G "Serve-Public: maybe\n", { NULL },
	  "debpipe.conf:3", "bad boolean 'maybe' for 'Serve-Public'" },
	{ "bad number", G "Keep-Snapshots: lots\n", { NULL },
	  "debpipe.conf:3", "bad number 'lots' for 'Keep-Snapshots'" },
	{ "zero max builds", G "Max-Builds: 0\n", { NULL },
	  "debpipe.conf:3", "at least 1" },
	{ "empty value", G "Origin:\n", { NULL },
	  "debpipe.conf:3", "empty value for 'Origin'" },
	{ "empty value after comment", G "Origin: # none\n", { NULL },
	  "debpipe.conf:3", "empty value for 'Origin'" },
	{ "multi-line scalar", G "Origin: a\n b\n", { NULL },
	  "debpipe.conf:3", "'Origin' takes a single line" },
	{ "bad Listen", G "Listen: localhost\n", { NULL },
	  "debpipe.conf:3", "use HOST:PORT" },
	{ "bad Listen port", G "Listen: 127.0.0.1:99999\n", { NULL },
	  "debpipe.conf:3", "port must be a number" },
	{ "bad Public-URL", G "Public-URL: ftp://x/\n", { NULL },
	  "debpipe.conf:3", "bad URL 'ftp://x/' for 'Public-URL'" },
	{ "bad Builder", G "Builder: make\n", { NULL },
	  "debpipe.conf:3", "use sbuild (a clean-room chroot) or host" },
	{ "bad Maintainer", G "Maintainer: nobody\n", { NULL },
	  "debpipe.conf:3", "Full Name <email@address>" },
	{ "bad Version-Suffix", G "Version-Suffix: a-b\n", { NULL },
	  "debpipe.conf:3", "bad value 'a-b' for 'Version-Suffix'" },
	{ "continuation before first field", " State-Dir: /x\n", { NULL },
	  "debpipe.conf:1", "continuation line" },
	{ "line without colon", G "Origin example\n", { NULL },
	  "debpipe.conf:3", "line without ':'" },
	{ "duplicate field", G "state-dir: /y\n", { NULL },
	  "debpipe.conf:3", "duplicate field 'state-dir' (first at line 1)" },
	{ "first stanza is a distribution", "Distribution: bookworm\n",
	  { NULL }, "debpipe.conf:1", "the first stanza must be the global "
	  "section" },
	{ "stanza of unknown kind", G "\nFoo: bar\n", { NULL },
	  "debpipe.conf:4", "must start with 'Distribution:' or "
	  "'Environment:' (found 'Foo:'" },
	{ "missing blank line before Distribution",
	  G "Distribution: bookworm\n", { NULL },
	  "debpipe.conf:3", "'Distribution:' must start a stanza of its own" },
	{ "watch in debpipe.conf", G "\nWatch: x\nType: git\n", { NULL },
	  "debpipe.conf:4", "watches in watch.d/*.watch" },
	{ "unknown distribution field", G D "Color: red\n", { NULL },
	  "debpipe.conf:6", "unknown field 'Color' in distribution "
	  "'bookworm'" },
	{ "bad distribution name", G "\nDistribution: Book/worm\n", { NULL },
	  "debpipe.conf:4", "bad distribution name 'Book/worm'" },
	{ "dot-dot distribution", G "\nDistribution: ..\n", { NULL },
	  "debpipe.conf:4", "bad distribution name '..'" },
	{ "bad component name", G "\nDistribution: b\nComponents: main Non\n",
	  { NULL }, "debpipe.conf:5", "bad name 'Non' in 'Components'" },
	{ "component listed twice", G "\nDistribution: b\n"
	  "Components: main main\n", { NULL },
	  "debpipe.conf:5", "'main' is listed twice in 'Components'" },
	{ "bad architecture", G "\nDistribution: b\nArchitectures: amd64 "
	  "../x\n", { NULL }, "debpipe.conf:5", "bad name '../x'" },
	{ "duplicate distribution", G D D, { NULL },
	  "debpipe.conf:7", "duplicate distribution 'bookworm' (first "
	  "defined at " },
	{ "bad environment name", G "\nEnvironment: Prod\n", { NULL },
	  "debpipe.conf:4", "bad environment name 'Prod'" },
	{ "reserved environment name", G "\nEnvironment: latest\n", { NULL },
	  "debpipe.conf:4", "environment name 'latest' is reserved" },
	{ "duplicate environment", G "\nEnvironment: test\n\n"
	  "Environment: test\n", { NULL },
	  "debpipe.conf:6", "duplicate environment 'test'" },
	{ "unknown Promote-From", G "\nEnvironment: test\n\n"
	  "Environment: prod\nPromote-From: staging\n", { NULL },
	  "debpipe.conf:7", "Promote-From: 'staging' is not a configured "
	  "environment (defined: test, prod)" },
	{ "Promote-From itself", G "\nEnvironment: test\n"
	  "Promote-From: test\n", { NULL },
	  "debpipe.conf:5", "cannot promote from itself" },
	{ "Promote-From cycle", G "\nEnvironment: a\nPromote-From: c\n\n"
	  "Environment: b\nPromote-From: a\n\nEnvironment: c\n"
	  "Promote-From: b\n", { NULL },
	  "debpipe.conf:5", "Promote-From cycle: a <- c <- b <- a" },
	{ "bad Notify URL", G "\nEnvironment: test\nNotify: "
	  "https://ok.example/\n mailto:x\n", { NULL },
	  "debpipe.conf:5", "bad URL 'mailto:x' in 'Notify'" },
	{ "bad Auto-Promote", G "\nEnvironment: test\nAuto-Promote: "
	  "sometimes\n", { NULL }, "debpipe.conf:5", "bad boolean" },
	{ "unknown environment field", G "\nEnvironment: test\n"
	  "Requires: a\nRequire: b\n", { NULL },
	  "debpipe.conf:6", "unknown field 'Require' in environment 'test'" },
	{ "missing Watch-Dir", G "Watch-Dir: nowhere\n", { NULL },
	  "debpipe.conf:3", "Watch-Dir " },
	{ "watch of unknown type", G D, W1("a.watch",
	  "Watch: a\nType: svn\nURL: x\n"),
	  "watch.d/a.watch:2", "unknown watch Type: 'svn' (use git, apt or "
	  "apt-source)" },
	{ "watch without type", G D, W1("a.watch", "Watch: a\nURL: x\n"),
	  "watch.d/a.watch:1", "watch 'a' has no Type:" },
	{ "git watch without URL", G D, W1("a.watch",
	  "# c\nWatch: a\nType: git\n"),
	  "watch.d/a.watch:2", "watch 'a' (Type: git) needs URL:" },
	{ "apt watch without Suite", G D, W1("a.watch",
	  "Watch: a\nType: apt\nURL: http://x/\n"),
	  "watch.d/a.watch:1", "needs Suite:" },
	{ "apt-source watch without Source", G D, W1("a.watch",
	  "Watch: a\nType: apt-source\nURL: http://x/\nSuite: s\n"),
	  "watch.d/a.watch:1", "needs Source:" },
	{ "apt watch with a git URL", G D, W1("a.watch",
	  "Watch: a\nType: apt\nURL: git@x:y\nSuite: s\n"),
	  "watch.d/a.watch:3", "bad URL 'git@x:y'" },
	{ "field of the wrong type", G D, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\nSuite: bookworm\n"),
	  "watch.d/a.watch:4", "field 'Suite' does not apply to watch 'a' of "
	  "Type: git (only to Type: apt, apt-source)" },
	{ "Source on an apt watch", G D, W1("a.watch",
	  "Watch: a\nType: apt\nURL: http://x/\nSuite: s\nSource: y\n"),
	  "watch.d/a.watch:5", "field 'Source' does not apply" },
	{ "unknown watch field", G D, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\nBrnach: main\n"),
	  "watch.d/a.watch:4", "unknown field 'Brnach' in watch 'a' (Type: "
	  "git; did you mean 'Branch'? known: Watch, Type, URL, Branch, "
	  "Merge," },
	{ "unknown field in a watch without Type", G D, W1("a.watch",
	  "Watch: a\nTpye: git\nURL: x\n"),
	  "watch.d/a.watch:2", "unknown field 'Tpye' in watch 'a' (did you "
	  "mean 'Type'?" },
	{ "control characters in messages", G "Origin\033[31m: x\n",
	  { NULL }, "debpipe.conf:3", "bad field name 'Origin?[31m'" },
	{ "misspelt global field", G "Snapshot-Intervall: 5m\n", { NULL },
	  "debpipe.conf:3", "unknown field 'Snapshot-Intervall' in the global "
	  "section (did you mean 'Snapshot-Interval'? known: State-Dir," },
	{ "watch stanza without Watch first", G D, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\n\nType: git\nWatch: b\n"),
	  "watch.d/a.watch:5", "must start with 'Watch: NAME' (found "
	  "'Type:')" },
	{ "missing blank line between watches", G D, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\nWatch: b\n"),
	  "watch.d/a.watch:4", "duplicate field 'Watch'" },
	{ "bad watch name", G D, W1("a.watch",
	  "Watch: Hello\nType: git\nURL: x\n"),
	  "watch.d/a.watch:1", "bad watch name 'Hello'" },
	{ "underscore in watch name", G D, W1("a.watch",
	  "Watch: a_b\nType: git\nURL: x\n"),
	  "watch.d/a.watch:1", "bad watch name 'a_b'" },
	{ "distribution not configured", G D, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\nDistribution: sid\n"),
	  "watch.d/a.watch:4", "distribution 'sid' is not configured" },
	{ "no distribution at all", G, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\n"),
	  "watch.d/a.watch:1", "no Distribution stanza is configured" },
	{ "distribution required with two", G D "\nDistribution: trixie\n",
	  W1("a.watch", "Watch: a\nType: git\nURL: x\n"),
	  "watch.d/a.watch:1", "needs Distribution: (one of bookworm, "
	  "trixie)" },
	{ "component not in distribution", G D, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\nComponent: non-free\n"),
	  "watch.d/a.watch:4", "component 'non-free' is not one of "
	  "distribution 'bookworm' (Components: main contrib)" },
	{ "bad Interval", G D, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\nInterval: soon\n"),
	  "watch.d/a.watch:4", "bad duration 'soon' for 'Interval'" },
	{ "bad Build-Source", G D, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\nBuild-Source: perhaps\n"),
	  "watch.d/a.watch:4", "bad boolean 'perhaps'" },
	{ "bad Merge line", G D, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\nMerge:\n u1 b1\n u2 b2 extra\n"),
	  "watch.d/a.watch:6", "bad Merge: line 'u2 b2 extra'" },
	{ "Merge without branch", G D, W1("a.watch",
	  "Watch: a\nType: git\nURL: x\nMerge: u1\n"),
	  "watch.d/a.watch:4", "one 'URL BRANCH' per line" },
	{ "continuation before first field in a watch", G D, W1("a.watch",
	  " Watch: a\n"), "watch.d/a.watch:1", "continuation line" },
	{ "line without colon in a watch", G D, W1("a.watch",
	  "Watch: a\nType git\n"), "watch.d/a.watch:2", "line without ':'" },
	{ "duplicate watch across files", G D,
	  { "watch.d/a.watch", "Watch: hello\nType: git\nURL: x\n",
	    "watch.d/b.watch", "\n\nWatch: hello\nType: git\nURL: y\n",
	    NULL },
	  "watch.d/b.watch:3", "duplicate watch 'hello' (first defined at " },
	{ "Chroot-Include none with packages", G
	  "\nDistribution: bookworm\nChroot-Include: debhelper\n none\n",
	  { NULL }, "debpipe.conf:5", "'none' goes alone" },
	{ "Chroot-Include bad package name", G
	  "\nDistribution: bookworm\nChroot-Include: Debhelper\n",
	  { NULL }, "debpipe.conf:5", "bad name 'Debhelper' in "
	  "'Chroot-Include'" },
	{ "bad Source name", G D, W1("a.watch",
	  "Watch: a\nType: apt-source\nURL: http://x/\nSuite: s\n"
	  "Source: Open SSL\n"),
	  "watch.d/a.watch:5", "not a Debian source package name" },
	{ "unknown Publish-To field", G
	  "\nPublish-To: s3://bkt/apt\nPublish-Regoin: x\n", { NULL },
	  "debpipe.conf:5", "unknown field 'Publish-Regoin' in a Publish-To: "
	  "stanza (did you mean 'Publish-Region'? known: Publish-To, "
	  "Publish-Endpoint, Publish-Region, Publish-Credentials, "
	  "Publish-Jobs, Publish-URL, Publish-Detached-Release, "
	  "Publish-Addressing)" },
	{ "Environment: inside a Publish-To stanza", G
	  "\nPublish-To: s3://bkt/apt\nEnvironment: test\n", { NULL },
	  "debpipe.conf:5", "'Environment:' must start a stanza of its own "
	  "(put a blank line before it)" },
};

static void
test_bad(void **state)
{
	const struct bad	*c = *state;
	struct inst		 in;
	struct config		*cfg = NULL;
	struct dp_error		 err;
	char			*where;

	inst_make(&in, c->conf, c->files);
	assert_int_equal(inst_load(&in, &cfg, &err), -1);
	assert_null(cfg);
	where = xasprintf("%s/%s: ", in.dir, c->where);
	if (strncmp(err.msg, where, strlen(where)) != 0)
		fail_msg("error '%s' does not start with '%s'", err.msg,
		    where);
	if (strstr(err.msg, c->what) == NULL)
		fail_msg("error '%s' does not contain '%s'", err.msg,
		    c->what);
	free(where);
	inst_remove(&in);
}

/* The conf names a Watch-Dir that is a file: an error, not "no watches". */
static void
test_watch_dir_file(void **state)
{
	struct inst	 in;
	struct config	*cfg;
	struct dp_error	 err;
	char		*p;

	(void)state;
	inst_make(&in, G, NULL);
	p = xasprintf("%s/watch.d", in.dir);
	assert_int_equal(rmdir(p), 0);
	write_file(p, "");
	assert_int_equal(inst_load(&in, &cfg, &err), -1);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "cannot read the watch directory"));
	free(p);
	inst_remove(&in);
}

static void
test_nul(void **state)
{
	static const char text[] = G "Origin: a\0b\n";
	struct inst	 in;
	struct config	*cfg;
	struct dp_error	 err;
	char		*p;
	FILE		*fp;

	(void)state;
	inst_make(&in, NULL, NULL);
	p = xasprintf("%s/debpipe.conf", in.dir);
	assert_non_null(fp = fopen(p, "w"));
	fwrite(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	assert_int_equal(inst_load(&in, &cfg, &err), -1);
	assert_null(cfg);
	free(p);
	p = xasprintf("%s/debpipe.conf:3: NUL byte in text", in.dir);
	assert_string_equal(err.msg, p);
	free(p);
	inst_remove(&in);
}

static void
test_missing_file(void **state)
{
	struct config	*cfg = NULL;
	struct dp_error	 err;

	(void)state;
	assert_int_equal(config_load("/nonexistent/debpipe.conf", &cfg, &err),
	    -1);
	assert_null(cfg);
	assert_int_equal(err.code, DP_ERR_SYSTEM);
	assert_non_null(strstr(err.msg, "/nonexistent/debpipe.conf"));
}

/* ------------------------------------------------------------------ */
/* Good configurations. */

static void
test_defaults(void **state)
{
	struct inst		 in;
	struct config		*cfg;
	struct dp_error		 err;
	const struct conf_dist	*d;
	char			*p;

	(void)state;
	inst_make(&in, "state-dir: state\nPUBLIC-DIR: ./pub/\n"
	    "\ndistribution: bookworm\n", NULL);
	if (inst_load(&in, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	p = xasprintf("%s/state", in.dir);
	assert_string_equal(cfg->state_dir, p);
	free(p);
	p = xasprintf("%s/pub", in.dir);
	assert_string_equal(cfg->public_dir, p);
	free(p);
	p = xasprintf("%s/debpipe.conf", in.dir);
	assert_string_equal(cfg->path, p);
	free(p);
	p = xasprintf("%s/watch.d", in.dir);
	assert_string_equal(cfg->watch_dir, p);
	free(p);
	assert_string_equal(cfg->public_url, "http://127.0.0.1:8742");
	assert_string_equal(cfg->listen, "127.0.0.1:8742");
	assert_string_equal(cfg->origin, "debpipe");
	assert_string_equal(cfg->label, "debpipe");
	assert_null(cfg->sign_with);
	assert_null(cfg->tokens_file);
	assert_null(cfg->user);
	assert_int_equal(cfg->snapshot_interval, 900);
	assert_int_equal(cfg->keep_snapshots, 96);
	assert_int_equal(cfg->serve_public, 0);
	assert_int_equal(cfg->max_builds, 1);
	assert_string_equal(cfg->builder, "sbuild");
	assert_int_equal(cfg->build_timeout, 3600);
	assert_string_equal(cfg->maintainer, "debpipe <debpipe@localhost>");
	assert_string_equal(cfg->version_suffix, "debpipe");
	assert_int_equal(cfg->ndists, 1);
	assert_int_equal(cfg->nenvs, 0);
	assert_int_equal(cfg->nwatches, 0);
	assert_non_null(d = config_dist_find(cfg, "bookworm"));
	assert_null(config_dist_find(cfg, "sid"));
	assert_string_equal(d->suite, "bookworm");
	assert_int_equal(strv_len(d->components), 1);
	assert_string_equal(d->components[0], "main");
	assert_int_equal(strv_len(d->archs), 2);
	assert_string_equal(d->archs[0], "amd64");
	assert_string_equal(d->archs[1], "all");
	assert_int_equal(d->line, 4);
	/* debhelper and fakeroot in every chroot unless told otherwise */
	assert_int_equal(strv_len(d->chroot_include), 2);
	assert_string_equal(d->chroot_include[0], "debhelper");
	assert_string_equal(d->chroot_include[1], "fakeroot");

	p = config_db_path(cfg);
	assert_non_null(strstr(p, "/state/state.db"));
	free(p);
	p = config_gnupg_dir(cfg);
	assert_non_null(strstr(p, "/state/gnupg"));
	free(p);
	p = config_log_dir(cfg);
	assert_non_null(strstr(p, "/state/logs"));
	free(p);
	p = config_pool_dir(cfg);
	assert_non_null(strstr(p, "/pub/pool"));
	free(p);
	config_free(cfg);
	config_free(NULL);
	inst_remove(&in);
}

static void
test_full(void **state)
{
	static const char *const files[] = {
		"watch.d/b.watch",
		"# two watches in one file\n"
		"Watch: zlib\nType: apt-source\nURL: https://deb.example/d/\n"
		"Suite: trixie\nSource: zlib\nSigned-By: ../keys/d.gpg\n"
		"Patches: patches/zlib\nBuild-Source: yes\n"
		"Build-Options: nocheck parallel=4\nBuilder: sbuild\n"
		"Distribution: bookworm\n\n"
		"Watch: nginx\ntype: apt\nurl: http://nginx.org/packages/debian"
		"\nsuite: bookworm\nComponents: nginx\nPackages: nginx\n"
		" nginx-module-*\nDistribution: trixie\n",
		"watch.d/a.watch",
		"Watch: hello\nType: git\nURL: file:///srv/git/hello.git\n"
		"Branch: debian/latest\n"
		"Merge:\n"
		" https://git.example.com/hello.git pending-fix # a comment\n"
		"# a comment line between\n"
		" https://git.example.com/org/hello.git org-branding\n"
		"Distribution: bookworm\nComponent: contrib\nInterval: 1h30m\n"
		"Credentials: creds\nBuild-Timeout: 2h\n\n"
		"Watch: local\nType: git\nURL: ../repos/local.git\n"
		"Distribution: trixie\n"
		"Merge: other.git b1\n git@host:x.git b2\n"
		" ssh://h/y.git b3\n",
		"watch.d/c.watch.disabled", "Watch: x\n",
		"watch.d/.hidden.watch", "Watch: y\n",
		"watch.d/empty.watch", "# nothing yet\n",
		NULL
	};
	struct inst		 in;
	struct config		*cfg;
	struct dp_error		 err;
	const struct conf_watch	*w;
	const struct conf_env	*e;
	char			*p;

	(void)state;
	inst_make(&in,
	    "# global\n"
	    "State-Dir: /var/lib/debpipe   # state\n"
	    "Public-Dir: /srv/debpipe\n"
	    "Public-URL: https://host.example/debpipe/\n"
	    "Sign-With: 0xKEYID          # key in State-Dir/gnupg\n"
	    "Snapshot-Interval: 10s\n"
	    "Keep-Snapshots: 3\n"
	    "Listen: [::1]:9000\n"
	    "Serve-Public: TRUE\n"
	    "Tokens-File: tokens\n"
	    "User: debpipe\n"
	    "Max-Builds: 4\n"
	    "Build-Timeout: 2d\n"
	    "Maintainer: CI Bot <ci@example.org>\n"
	    "Version-Suffix: org1\n"
	    "\n"
	    "Distribution: bookworm\nComponents: main contrib\n"
	    "Architectures: amd64 arm64 all\nContents: yes\n"
	    "Keep-Versions: 3\nDescription: Example packages\n"
	    "Chroot-Include: none\n"
	    "\n"
	    "Distribution: trixie\nSuite: testing\n"
	    "Chroot-Include: debhelper dh-python python3-all\n"
	    "\n"
	    "Environment: prod\nPromote-From: staging\n"
	    "Requires:\n staging-deploy\n smoke\nMin-Soak: 1h\n"
	    "\n"
	    "# comment between stanzas\n"
	    "Environment: staging\nPromote-From: test\n"
	    "\n"
	    "Environment: test\nAuto-Promote: yes\n"
	    "Notify: https://ci.example/job?SNAPSHOT={snapshot}#frag\n"
	    " http://other.example/hook\n",
	    files);
	if (inst_load(&in, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->state_dir, "/var/lib/debpipe");
	assert_string_equal(cfg->public_url, "https://host.example/debpipe");
	assert_string_equal(cfg->sign_with, "0xKEYID");
	assert_int_equal(cfg->snapshot_interval, 10);
	assert_int_equal(cfg->keep_snapshots, 3);
	assert_string_equal(cfg->listen, "[::1]:9000");
	assert_int_equal(cfg->serve_public, 1);
	p = xasprintf("%s/tokens", in.dir);
	assert_string_equal(cfg->tokens_file, p);
	free(p);
	assert_string_equal(cfg->user, "debpipe");
	assert_int_equal(cfg->max_builds, 4);
	assert_int_equal(cfg->build_timeout, 2 * 86400);
	assert_string_equal(cfg->maintainer, "CI Bot <ci@example.org>");
	assert_string_equal(cfg->version_suffix, "org1");

	assert_int_equal(cfg->ndists, 2);
	assert_int_equal(cfg->dists[0].contents, 1);
	assert_int_equal(cfg->dists[0].keep_versions, 3);
	assert_string_equal(cfg->dists[0].description, "Example packages");
	assert_int_equal(strv_len(cfg->dists[0].archs), 3);
	assert_string_equal(cfg->dists[1].suite, "testing");
	/* "none": a plain buildd chroot; else the packages named. */
	assert_int_equal(strv_len(cfg->dists[0].chroot_include), 0);
	assert_int_equal(strv_len(cfg->dists[1].chroot_include), 3);
	assert_string_equal(cfg->dists[1].chroot_include[2], "python3-all");

	assert_int_equal(cfg->nenvs, 3);
	assert_non_null(e = config_env_find(cfg, "prod"));
	assert_string_equal(e->promote_from, "staging");
	assert_int_equal(strv_len(e->requires), 2);
	assert_string_equal(e->requires[1], "smoke");
	assert_int_equal(strv_len(e->notify), 0);
	assert_int_equal(e->min_soak, 3600);
	assert_int_equal(e->auto_promote, 0);
	assert_non_null(e = config_env_find(cfg, "test"));
	assert_int_equal(e->auto_promote, 1);
	assert_null(e->promote_from);
	assert_int_equal(strv_len(e->notify), 2);
	assert_string_equal(e->notify[0],
	    "https://ci.example/job?SNAPSHOT={snapshot}#frag");
	assert_null(config_env_find(cfg, "dev"));

	/* a.watch before b.watch; others ignored */
	assert_int_equal(cfg->nwatches, 4);
	assert_string_equal(cfg->watches[0].name, "hello");
	assert_string_equal(cfg->watches[1].name, "local");
	assert_string_equal(cfg->watches[2].name, "zlib");
	assert_string_equal(cfg->watches[3].name, "nginx");

	/* relative git paths are resolved, URLs are not */
	assert_non_null(w = config_watch_find(cfg, "local"));
	p = xasprintf("%s/watch.d/../repos/local.git", in.dir);
	assert_string_equal(w->url, p);
	free(p);
	assert_int_equal(w->nmerges, 3);
	p = xasprintf("%s/watch.d/other.git", in.dir);
	assert_string_equal(w->merges[0].url, p);
	free(p);
	assert_string_equal(w->merges[1].url, "git@host:x.git");
	assert_string_equal(w->merges[2].url, "ssh://h/y.git");

	assert_non_null(w = config_watch_find(cfg, "hello"));
	assert_int_equal(w->type, WATCH_GIT);
	assert_string_equal(config_watch_type_name(w->type), "git");
	assert_string_equal(w->url, "file:///srv/git/hello.git");
	assert_string_equal(w->branch, "debian/latest");
	assert_int_equal(w->nmerges, 2);
	assert_string_equal(w->merges[0].url,
	    "https://git.example.com/hello.git");
	assert_string_equal(w->merges[0].branch, "pending-fix");
	assert_string_equal(w->merges[1].branch, "org-branding");
	assert_string_equal(w->dist, "bookworm");
	assert_string_equal(w->component, "contrib");
	assert_int_equal(w->interval, 5400);
	assert_int_equal(w->build_timeout, 7200);
	assert_string_equal(w->builder, "sbuild");
	p = xasprintf("%s/watch.d/creds", in.dir);
	assert_string_equal(w->credentials, p);
	free(p);
	p = xasprintf("%s/watch.d/a.watch", in.dir);
	assert_string_equal(w->file, p);
	free(p);
	assert_int_equal(w->line, 1);

	assert_non_null(w = config_watch_find(cfg, "zlib"));
	assert_int_equal(w->type, WATCH_APT_SOURCE);
	assert_int_equal(w->line, 2);
	assert_string_equal(w->source, "zlib");
	assert_string_equal(w->suite, "trixie");
	p = xasprintf("%s/watch.d/../keys/d.gpg", in.dir);
	assert_string_equal(w->signed_by, p);
	free(p);
	p = xasprintf("%s/watch.d/patches/zlib", in.dir);
	assert_string_equal(w->patches, p);
	free(p);
	assert_int_equal(w->build_source, 1);
	assert_string_equal(w->build_options, "nocheck parallel=4");
	assert_string_equal(w->builder, "sbuild");
	assert_int_equal(w->build_timeout, 2 * 86400);
	assert_int_equal(w->interval, 300);
	assert_null(w->branch);

	assert_non_null(w = config_watch_find(cfg, "nginx"));
	assert_int_equal(w->type, WATCH_APT);
	assert_string_equal(w->dist, "trixie");
	assert_string_equal(w->component, "main");
	assert_int_equal(strv_len(w->packages), 2);
	assert_string_equal(w->packages[1], "nginx-module-*");
	assert_int_equal(strv_len(w->components), 1);
	/* Architectures default to the distribution's */
	assert_int_equal(strv_len(w->archs), 2);
	assert_string_equal(w->archs[0], "amd64");
	assert_null(config_watch_find(cfg, "x"));
	config_free(cfg);
	inst_remove(&in);
}

/* The single distribution is the default; a watch file may be empty;
 * Watch-Dir relative to the conf; CRLF line ends. */
static void
test_watch_dir(void **state)
{
	static const char *const files[] = {
		"w/", "",
		"w/git.watch", "Watch: hello\r\nType: git\r\nURL: x\r\n",
		NULL
	};
	struct inst		 in;
	struct config		*cfg;
	struct dp_error		 err;
	const struct conf_watch	*w;

	(void)state;
	inst_make(&in, G "Watch-Dir: w\r\n\r\nDistribution: sid\r\n"
	    "Components: main non-free\r\n", files);
	if (inst_load(&in, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->nwatches, 1);
	assert_non_null(w = config_watch_find(cfg, "hello"));
	assert_string_equal(w->dist, "sid");
	assert_string_equal(w->component, "main");
	assert_string_equal(w->branch, "main");
	assert_int_equal(w->interval, 300);
	assert_int_equal(w->nmerges, 0);
	config_free(cfg);
	inst_remove(&in);
}

static void
test_no_watch_dir(void **state)
{
	struct inst	 in;
	struct config	*cfg;
	struct dp_error	 err;
	char		*p;

	(void)state;
	inst_make(&in, G, NULL);
	p = xasprintf("%s/watch.d", in.dir);
	assert_int_equal(rmdir(p), 0);
	free(p);
	if (inst_load(&in, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->nwatches, 0);
	config_free(cfg);
	inst_remove(&in);
}

/* The shipped etc/debpipe.conf and etc/watch.d/ examples. */
static void
test_example(void **state)
{
	const char		*top = getenv("top_srcdir");
	char			*path;
	struct config		*cfg;
	struct dp_error		 err;
	const struct conf_watch	*w;

	(void)state;
	path = xasprintf("%s/etc/debpipe.conf", top != NULL ? top : "../..");
	if (config_load(path, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->ndists, 1);
	assert_int_equal(cfg->nenvs, 3);
	assert_non_null(config_env_find(cfg, "prod"));
	assert_int_equal(cfg->nwatches, 3);
	assert_non_null(w = config_watch_find(cfg, "hello"));
	assert_int_equal(w->type, WATCH_GIT);
	assert_int_equal(w->nmerges, 2);
	assert_non_null(w = config_watch_find(cfg, "nginx"));
	assert_int_equal(w->type, WATCH_APT);
	assert_non_null(w = config_watch_find(cfg, "openssl"));
	assert_int_equal(w->type, WATCH_APT_SOURCE);
	config_free(cfg);
	free(path);
}

static void
test_duration(void **state)
{
	static const struct { const char *s; long v; } good[] = {
		{ "0", 0 }, { "30", 30 }, { "30s", 30 }, { "5m", 300 },
		{ "1h", 3600 }, { "2d", 172800 }, { "1h30m", 5400 },
		{ "1d2h3m4s", 93784 },
	};
	static const char *const bad[] = {
		"", "-5", "-5m", "5x", "m", "5 m", " 5m", "5m ", "1.5h",
		"99999999999999999999", "9999999999999999999d", "1h30", "0x10",
		"+5",
	};
	size_t	i;
	long	v;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		assert_int_equal(config_parse_duration(good[i].s, &v), 0);
		assert_int_equal(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_parse_duration(bad[i], &v) != -1)
			fail_msg("duration '%s' accepted", bad[i]);
	assert_int_equal(config_parse_duration(NULL, &v), -1);
}

static void
test_bool(void **state)
{
	static const char *const yes[] = { "yes", "Yes", "true", "TRUE", "1" };
	static const char *const no[] = { "no", "NO", "false", "0" };
	static const char *const bad[] = { "", "y", "on", "2", "yes " };
	size_t	i;
	int	b;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		assert_int_equal(config_parse_bool(yes[i], &b), 0);
		assert_int_equal(b, 1);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		assert_int_equal(config_parse_bool(no[i], &b), 0);
		assert_int_equal(b, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(config_parse_bool(bad[i], &b), -1);
}

static void
test_path(void **state)
{
	(void)state;
	assert_string_equal(config_path("/x.conf"), "/x.conf");
	setenv("DEBPIPE_CONFIG", "/env.conf", 1);
	assert_string_equal(config_path(NULL), "/env.conf");
	assert_string_equal(config_path(""), "/env.conf");
	unsetenv("DEBPIPE_CONFIG");
	assert_non_null(strstr(config_path(NULL), "/debpipe/debpipe.conf"));
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_watch_dir_file),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_watch_dir),
		cmocka_unit_test(test_no_watch_dir),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_path),
	};
	size_t			 nbad, nfixed;
	struct CMUnitTest	*tests;
	size_t			 i, n = 0;
	int			 rv;

	nbad = sizeof(bad_cases) / sizeof(bad_cases[0]);
	nfixed = sizeof(fixed) / sizeof(fixed[0]);
	tests = xcalloc(nbad + nfixed, sizeof(*tests));
	for (i = 0; i < nbad; i++) {
		if (bad_cases[i].where == NULL)
			continue;
		tests[n].name = bad_cases[i].name;
		tests[n].test_func = test_bad;
		tests[n].initial_state = (void *)(uintptr_t)&bad_cases[i];
		n++;
	}
	for (i = 0; i < nfixed; i++)
		tests[n++] = fixed[i];
	rv = _cmocka_run_group_tests("t-config", tests, n, NULL, NULL);
	free(tests);
	return rv;
}
