/*
 * cli/snapshot.c - debpipe snapshot now | list | show ID | diff ID1 ID2.
 *
 * `snapshot now` publishes in this process, under the same publish lock
 * as debpipe-snapshotter (so the two never interleave), after the same
 * crash recovery.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../snapshotter/publish.h"
#include "cli.h"
#include "db-env.h"
#include "db-packages.h"
#include "db-results.h"
#include "db-snapshots.h"
#include "snapid.h"
#include "version.h"
#include "xmalloc.h"

static void
snapshot_usage(FILE *f)
{
	fprintf(f, "usage: debpipe snapshot now [--force] [--allow-empty]\n"
	    "       debpipe snapshot list [--all]\n"
	    "       debpipe snapshot show ID\n"
	    "       debpipe snapshot diff ID1 ID2\n"
	    "\n"
	    "  now     publish a snapshot of the current package set now (when\n"
	    "          it changed since the last one, or always with --force;\n"
	    "          not while a Distribution has no packages, unless\n"
	    "          --allow-empty)\n"
	    "  list    published snapshots, newest first (--all: deleted too)\n"
	    "  show    one snapshot: environments and packages\n"
	    "  diff    what changed from ID1 to ID2, per distribution\n"
	    "\nAll take --json.\n");
}

static void
json_print(json_t *j)
{
	char	*s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s != NULL) {
		puts(s);
		free(s);
	}
}

static int
snapshot_now(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "allow-empty", no_argument, NULL, 'e' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dp_error	 err;
	char		*id = NULL;
	int		 ch, flags = 0, r;
	json_t		*j;

	while ((ch = getopt_long(argc, argv, "efh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			flags |= PUBLISH_ALLOW_EMPTY;
			break;
		case 'f':
			flags |= PUBLISH_FORCE;
			break;
		case 'h':
			snapshot_usage(stdout);
			return EXIT_OK;
		default:
			snapshot_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		snapshot_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_load_config(c) == -1 || cli_drop_to_user(c) == -1 ||
	    cli_open_db(c) == -1)
		return EXIT_FAIL;
	if (publish_recover(c->db, c->cfg, &err) == -1) {
		cli_err("recovery: %s", dp_error_str(&err));
		return EXIT_FAIL;
	}
	r = publish_snapshot(c->db, c->cfg, flags, &id, &err);
	if (r == PUBLISH_ERROR) {
		cli_err("%s", dp_error_str(&err));
		return EXIT_FAIL;
	}
	if (r == PUBLISH_EMPTY) {
		/* Refused, not failed: nothing was changed. */
		cli_err("%s", dp_error_str(&err));
		if (c->json) {
			j = json_pack("{s:b,s:s}", "published", 0, "reason",
			    dp_error_str(&err));
			json_print(j);
			json_decref(j);
		}
		return EXIT_FAIL;
	}
	/* Even when nothing was published: a run killed after recording its
	 * snapshot but before its GC left work, and environments may have
	 * moved off old snapshots since. */
	if (publish_gc(c->db, c->cfg, 0, NULL, NULL, &err) == -1)
		cli_err("warning: garbage collection: %s", dp_error_str(&err));
	if (c->json) {
		j = json_pack("{s:b,s:s?}", "published", r == PUBLISH_DONE,
		    "snapshot", id);
		json_print(j);
		json_decref(j);
	} else if (r == PUBLISH_DONE)
		printf("%s\n", id);
	else
		printf("package set unchanged since the last snapshot: nothing "
		    "published (use --force to publish anyway)\n");
	free(id);
	return EXIT_OK;
}

/* The environments a snapshot is on, as a JSON array (new reference). */
static void
env_cb(void *arg, const char *name)
{
	json_array_append_new(arg, json_string(name));
}

static json_t *
snapshot_envs(struct cli *c, const char *id)
{
	json_t		*a = json_array();
	struct dp_error	 err;

	(void)db_env_on(c->db, id, env_cb, a, &err);
	return a;
}

static void
print_envs(json_t *envs)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(envs, i, v)
		printf("%s%s", i > 0 ? "," : "", json_string_value(v));
}

struct list_ctx {
	struct cli	*c;
	json_t		*arr;
};

/* One line (or JSON object) of `snapshot list`. */
static int
list_cb(const struct db_snapshot *s, void *arg)
{
	struct list_ctx	*lc = arg;
	json_t		*o, *envs;

	envs = snapshot_envs(lc->c, s->id);
	if (lc->c->json) {
		o = json_pack("{s:s,s:s?,s:s?,s:I,s:I,s:O}", "id", s->id,
		    "created", s->created, "state", s->state,
		    "packages", (json_int_t)s->npkgs,
		    "sources", (json_int_t)s->nsrcs, "environments", envs);
		json_array_append_new(lc->arr, o);
	} else {
		printf("%-17s %-21s %-9s %8lld %7lld  ", s->id,
		    s->created != NULL ? s->created : "(null)",
		    s->state != NULL ? s->state : "(null)",
		    (long long)s->npkgs, (long long)s->nsrcs);
		print_envs(envs);
		putchar('\n');
	}
	json_decref(envs);
	return 0;
}

static int
snapshot_list(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_ctx	 lc;
	struct dp_error	 err;
	json_t		*arr, *o;
	int		 ch, all = 0;

	while ((ch = getopt_long(argc, argv, "ah", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'h':
			snapshot_usage(stdout);
			return EXIT_OK;
		default:
			snapshot_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		snapshot_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_open_db(c) == -1)
		return EXIT_FAIL;
	lc.c = c;
	lc.arr = json_array();
	if (!c->json)
		printf("%-17s %-21s %-9s %8s %7s  %s\n", "ID", "CREATED",
		    "STATE", "PACKAGES", "SOURCES", "ENVIRONMENTS");
	if (db_snapshot_foreach(c->db, all, 0, list_cb, &lc, &err) == -1) {
		json_decref(lc.arr);
		cli_err("%s", dp_error_str(&err));
		return EXIT_FAIL;
	}
	arr = lc.arr;
	if (c->json) {
		o = json_pack("{s:o}", "snapshots", arr);
		json_print(o);
		json_decref(o);
	} else
		json_decref(arr);
	return EXIT_OK;
}

/* One package of a snapshot. */
struct spkg {
	char	*dist;
	char	*comp;
	char	*name;
	char	*version;
	char	*arch;		/* "source" for sources */
};

struct snapinfo {
	char		*id;
	char		*created;
	char		*state;
	char		*digest;
	struct spkg	*p;
	size_t		 n;
};

static int
spkg_cmp(const void *a, const void *b)
{
	const struct spkg	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->dist, y->dist)) != 0 ||
	    (c = strcmp(x->name, y->name)) != 0 ||
	    (c = strcmp(x->arch, y->arch)) != 0)
		return c;
	return version_compare(x->version, y->version);
}

static void
snapinfo_done(struct snapinfo *si)
{
	size_t	i;

	for (i = 0; i < si->n; i++) {
		free(si->p[i].dist);
		free(si->p[i].comp);
		free(si->p[i].name);
		free(si->p[i].version);
		free(si->p[i].arch);
	}
	free(si->p);
	free(si->id);
	free(si->created);
	free(si->state);
	free(si->digest);
	memset(si, 0, sizeof(*si));
}

static void
load_members(struct cli *c, struct snapinfo *si, const int64_t *ids,
    size_t n, int sources)
{
	struct db_pkg_reader	*r;
	struct db_pkg		 row;
	size_t			 i;
	struct spkg		*p;

	r = db_pkg_reader_new(c->db);
	si->p = xreallocarray(si->p, si->n + n + 1, sizeof(*si->p));
	for (i = 0; i < n; i++) {
		if (db_pkg_reader_get(r, sources, ids[i], &row, NULL) != 1 ||
		    row.dist == NULL || row.component == NULL ||
		    row.name == NULL || row.version == NULL ||
		    (!sources && row.arch == NULL))
			continue;
		p = &si->p[si->n++];
		p->dist = xstrdup(row.dist);
		p->comp = xstrdup(row.component);
		p->name = xstrdup(row.name);
		p->version = xstrdup(row.version);
		p->arch = xstrdup(sources ? "source" : row.arch);
	}
	db_pkg_reader_free(r);
}

static int
snapinfo_load(struct cli *c, const char *id, struct snapinfo *si)
{
	struct db_snapshot	 row;
	struct dp_error		 err;
	int			 rc, rv = -1;

	memset(si, 0, sizeof(*si));
	if (!snapid_valid(id)) {
		cli_err("'%s' is not a snapshot ID (YYYYMMDDTHHMMSSZ; see "
		    "debpipe snapshot list)", id);
		return -1;
	}
	if ((rc = db_snapshot_get(c->db, id, &row, &err)) == -1) {
		cli_err("%s", dp_error_str(&err));
		return -1;
	}
	if (rc == 0) {
		cli_err("no snapshot %s (see debpipe snapshot list)", id);
		goto out;
	}
	si->id = row.id;
	si->created = row.created;
	si->state = row.state;
	si->digest = row.digest;
	row.id = row.created = row.state = row.digest = NULL;
	load_members(c, si, row.pkgs, row.npkgs, 0);
	load_members(c, si, row.srcs, row.nsrcs, 1);
	if (si->n > 1)
		qsort(si->p, si->n, sizeof(*si->p), spkg_cmp);
	rv = 0;
out:
	db_snapshot_done(&row);
	return rv;
}

/* The latest result of each job of snapshot id (CI reports and built-in
 * checks), as a JSON array of {job, result, url, time, actor}. */
static void
result_cb(void *arg, const struct db_result *r)
{
	json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s,s:s}",
	    "job", r->job, "result", r->result, "url",
	    r->url != NULL ? r->url : "", "time", r->time, "actor",
	    r->actor != NULL ? r->actor : ""));
}

static json_t *
snapshot_results(struct cli *c, const char *id)
{
	struct dp_error	 err;
	json_t		*a = json_array();

	(void)db_results_of(c->db, id, 0, result_cb, a, &err);
	return a;
}

static int
snapshot_show(struct cli *c, int argc, char **argv)
{
	struct snapinfo	 si;
	json_t		*o, *pk, *envs, *res, *r;
	size_t		 i;

	if (argc != 2 || strcmp(argv[1], "--help") == 0) {
		snapshot_usage(argc == 2 ? stdout : stderr);
		return argc == 2 ? EXIT_OK : EXIT_USAGE;
	}
	if (cli_open_db(c) == -1 || snapinfo_load(c, argv[1], &si) == -1)
		return EXIT_FAIL;
	envs = snapshot_envs(c, si.id);
	res = snapshot_results(c, si.id);
	if (c->json) {
		pk = json_array();
		for (i = 0; i < si.n; i++)
			json_array_append_new(pk, json_pack(
			    "{s:s,s:s,s:s,s:s,s:s}", "dist", si.p[i].dist,
			    "component", si.p[i].comp, "name", si.p[i].name,
			    "version", si.p[i].version, "arch", si.p[i].arch));
		o = json_pack("{s:s,s:s,s:s,s:s,s:O,s:O,s:o}", "id", si.id,
		    "created", si.created, "state", si.state, "digest",
		    si.digest, "environments", envs, "results", res,
		    "packages", pk);
		json_print(o);
		json_decref(o);
	} else {
		printf("Snapshot: %s\nCreated: %s\nState: %s\n"
		    "Environments: ", si.id, si.created, si.state);
		print_envs(envs);
		printf("\nResults:%s\n", json_array_size(res) ? "" : " none");
		json_array_foreach(res, i, r)
			printf("  %-16s %-8s %s%s%s\n",
			    json_string_value(json_object_get(r, "job")),
			    json_string_value(json_object_get(r, "result")),
			    json_string_value(json_object_get(r, "time")),
			    *json_string_value(json_object_get(r, "url")) ?
			    "  " : "",
			    json_string_value(json_object_get(r, "url")));
		printf("Packages: %zu\n", si.n);
		for (i = 0; i < si.n; i++)
			printf("  %-12s %-10s %-30s %-24s %s\n", si.p[i].dist,
			    si.p[i].comp, si.p[i].name, si.p[i].version,
			    si.p[i].arch);
	}
	json_decref(envs);
	json_decref(res);
	snapinfo_done(&si);
	return EXIT_OK;
}

/* Newest version of (dist, name, arch) in a sorted member list: the last
 * of its run. */
static size_t
run_end(const struct spkg *p, size_t n, size_t i)
{
	while (i + 1 < n && strcmp(p[i].dist, p[i + 1].dist) == 0 &&
	    strcmp(p[i].name, p[i + 1].name) == 0 &&
	    strcmp(p[i].arch, p[i + 1].arch) == 0)
		i++;
	return i;
}

static int
key_cmp(const struct spkg *x, const struct spkg *y)
{
	int	c;

	if ((c = strcmp(x->dist, y->dist)) != 0 ||
	    (c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->arch, y->arch);
}

static json_t *
dist_obj(json_t *dists, const char *dist)
{
	json_t	*d;

	if ((d = json_object_get(dists, dist)) == NULL) {
		d = json_pack("{s:[],s:[],s:[],s:[]}", "added", "removed",
		    "upgraded", "downgraded");
		json_object_set_new(dists, dist, d);
	}
	return d;
}

static int
snapshot_diff(struct cli *c, int argc, char **argv)
{
	struct snapinfo	 a, b;
	json_t		*dists, *o, *d, *kind;
	const char	*dist, *k;
	size_t		 i = 0, j = 0, ie, je, idx;
	int		 cmp, changes = 0;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		snapshot_usage(stdout);
		return EXIT_OK;
	}
	if (argc != 3) {
		snapshot_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_open_db(c) == -1 || snapinfo_load(c, argv[1], &a) == -1)
		return EXIT_FAIL;
	if (snapinfo_load(c, argv[2], &b) == -1) {
		snapinfo_done(&a);
		return EXIT_FAIL;
	}
	dists = json_object();
	while (i < a.n || j < b.n) {
		ie = i < a.n ? run_end(a.p, a.n, i) : i;
		je = j < b.n ? run_end(b.p, b.n, j) : j;
		if (i == a.n)
			cmp = 1;
		else if (j == b.n)
			cmp = -1;
		else
			cmp = key_cmp(&a.p[i], &b.p[j]);
		if (cmp < 0) {
			d = dist_obj(dists, a.p[i].dist);
			json_array_append_new(json_object_get(d, "removed"),
			    json_pack("{s:s,s:s,s:s}", "name", a.p[ie].name,
			    "version", a.p[ie].version, "arch",
			    a.p[ie].arch));
			i = ie + 1;
		} else if (cmp > 0) {
			d = dist_obj(dists, b.p[j].dist);
			json_array_append_new(json_object_get(d, "added"),
			    json_pack("{s:s,s:s,s:s}", "name", b.p[je].name,
			    "version", b.p[je].version, "arch",
			    b.p[je].arch));
			j = je + 1;
		} else {
			cmp = version_compare(a.p[ie].version,
			    b.p[je].version);
			if (cmp != 0) {
				d = dist_obj(dists, a.p[i].dist);
				json_array_append_new(json_object_get(d,
				    cmp < 0 ? "upgraded" : "downgraded"),
				    json_pack("{s:s,s:s,s:s,s:s}", "name",
				    a.p[ie].name, "arch", a.p[ie].arch,
				    "from", a.p[ie].version, "to",
				    b.p[je].version));
			}
			i = ie + 1;
			j = je + 1;
		}
	}
	if (c->json) {
		o = json_pack("{s:s,s:s,s:O}", "from", a.id, "to", b.id,
		    "distributions", dists);
		json_print(o);
		json_decref(o);
	} else {
		json_object_foreach(dists, dist, d) {
			printf("%s:\n", dist);
			json_object_foreach(d, k, kind) {
				json_array_foreach(kind, idx, o) {
					changes++;
					if (json_object_get(o, "from") != NULL)
						printf("  %-10s %s %s -> %s "
						    "(%s)\n", k,
						    json_string_value(
						    json_object_get(o, "name")),
						    json_string_value(
						    json_object_get(o, "from")),
						    json_string_value(
						    json_object_get(o, "to")),
						    json_string_value(
						    json_object_get(o, "arch")));
					else
						printf("  %-10s %s %s (%s)\n",
						    k, json_string_value(
						    json_object_get(o, "name")),
						    json_string_value(
						    json_object_get(o,
						    "version")),
						    json_string_value(
						    json_object_get(o, "arch")));
				}
			}
		}
		if (changes == 0)
			printf("no differences between %s and %s\n", a.id,
			    b.id);
	}
	json_decref(dists);
	snapinfo_done(&a);
	snapinfo_done(&b);
	return EXIT_OK;
}

int
cmd_snapshot(struct cli *c, int argc, char **argv)
{
	if (argc < 2) {
		snapshot_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		snapshot_usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "now") == 0)
		return snapshot_now(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return snapshot_list(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return snapshot_show(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "diff") == 0)
		return snapshot_diff(c, argc - 1, argv + 1);
	cli_err("snapshot: unknown subcommand '%s'", argv[1]);
	snapshot_usage(stderr);
	return EXIT_USAGE;
}
