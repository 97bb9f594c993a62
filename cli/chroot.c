/*
 * cli/chroot.c - debpipe chroot create|update|list|remove [DIST] [--arch A]:
 * the clean-room chroot tarballs of lib/chroot.c.
 *
 * create makes the missing ones, update remakes them (a running build keeps
 * the old one), list shows each Distribution's chroot (suite, arch, size,
 * age), remove deletes one.  Without DIST: every Distribution.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chroot.h"
#include "cli.h"
#include "fsutil.h"
#include "xmalloc.h"

static void
chroot_usage(FILE *f)
{
	fprintf(f, "usage: debpipe chroot create|update|list|remove [DIST] "
	    "[--arch A]\n"
	    "\n"
	    "The buildd chroots (State-Dir/chroots/DIST-ARCH.tar.zst) that\n"
	    "Builder: sbuild builds in, made with mmdebstrap from the\n"
	    "Distribution's Build-Mirror, Build-Suite and Build-Keyring.\n"
	    "  create   make the chroots that are missing (takes minutes)\n"
	    "  update   make them again (the old one stays until the new one\n"
	    "           is complete)\n"
	    "  list     suite, architecture, size and age of each\n"
	    "  remove   delete one\n"
	    "Without DIST: every Distribution.  --arch: default the host's.\n");
}

static void
human_size(long long n, char *buf, size_t len)
{
	if (n >= 1024LL * 1024 * 1024)
		snprintf(buf, len, "%.1f GiB", (double)n / (1 << 30));
	else if (n >= 1024 * 1024)
		snprintf(buf, len, "%.0f MiB", (double)n / (1 << 20));
	else
		snprintf(buf, len, "%lld B", n);
}

static void
human_age(long s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%ldd%ldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%ldh%ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%ldm%lds", s / 60, s % 60);
}

json_t *
cli_chroots_json(struct cli *c, const struct conf_dist *only,
    const char *arch)
{
	struct chroot_source	 src;
	struct dp_error		 err;
	json_t			*arr = json_array();
	time_t			 mt;
	long long		 size;
	size_t			 i;
	char			*path, *tmp;
	struct stat		 sb;

	for (i = 0; i < c->cfg->ndists; i++) {
		const struct conf_dist *d = &c->cfg->dists[i];
		int have, making;
		long agesec = 0;

		if (only != NULL && d != only)
			continue;
		chroot_source_get(d, &src);
		have = chroot_stat(c->cfg, d->name, arch, &mt, &size,
		    &err) == 0;
		if (have)
			agesec = (long)(time(NULL) - mt);
		path = chroot_tarball_path(c->cfg, d->name, arch);
		/* A create or refresh in progress holds the lock beside. */
		tmp = xasprintf("%s/chroots/.%s-%s.lock", c->cfg->state_dir,
		    d->name, arch);
		making = 0;
		if (stat(tmp, &sb) == 0) {
			int fd = fs_lock(tmp, 0, &err);

			if (fd != -1)
				close(fd);
			else
				making = err.code == DP_ERR_BUSY;
		}
		json_array_append_new(arr, json_pack(
		    "{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:b,s:b}",
		    "dist", d->name, "suite", src.suite, "arch", arch,
		    "mirror", src.mirror, "keyring", src.keyring,
		    "path", path, "present", have,
		    "size", (json_int_t)(have ? size : 0),
		    "age", (json_int_t)agesec,
		    "stale", have && agesec > c->cfg->chroot_max_age,
		    "making", making));
		free(tmp);
		free(path);
		chroot_source_done(&src);
	}
	return arr;
}

void
cli_chroots_print(json_t *arr, const char *indent)
{
	json_t	*o;
	size_t	 i;
	char	 sz[32], age[32];

	printf("%s%-16s %-16s %-8s %-9s %-8s %s\n", indent, "DISTRIBUTION",
	    "SUITE", "ARCH", "SIZE", "AGE", "STATE");
	json_array_foreach(arr, i, o) {
		int have = json_is_true(json_object_get(o, "present"));
		int making = json_is_true(json_object_get(o, "making"));

		if (have) {
			human_size((long long)json_integer_value(
			    json_object_get(o, "size")), sz, sizeof(sz));
			human_age((long)json_integer_value(
			    json_object_get(o, "age")), age, sizeof(age));
		}
		printf("%s%-16s %-16s %-8s %-9s %-8s %s\n", indent,
		    json_string_value(json_object_get(o, "dist")),
		    json_string_value(json_object_get(o, "suite")),
		    json_string_value(json_object_get(o, "arch")),
		    have ? sz : "-", have ? age : "-",
		    making ? (have ? "ok, being refreshed" : "being made") :
		    !have ? "missing (debpipe chroot create, or the first "
		    "build makes it)" :
		    json_is_true(json_object_get(o, "stale")) ?
		    "stale (older than Chroot-Max-Age; the builder refreshes "
		    "it)" : "ok");
	}
}

static int
do_list(struct cli *c, const struct conf_dist *only, const char *arch)
{
	json_t	*arr = cli_chroots_json(c, only, arch);
	char	*s;

	if (c->json) {
		s = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	} else
		cli_chroots_print(arr, "");
	json_decref(arr);
	return EXIT_OK;
}

int
cmd_chroot(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct conf_dist	*only = NULL;
	struct dp_error		 err;
	const char		*verb, *arch = NULL;
	time_t			 mt;
	long long		 size;
	size_t			 i;
	int			 ch, rv = EXIT_OK;

	while ((ch = getopt_long(argc, argv, "a:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			arch = optarg;
			break;
		case 'h':
			chroot_usage(stdout);
			return EXIT_OK;
		default:
			chroot_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		chroot_usage(stderr);
		return EXIT_USAGE;
	}
	verb = argv[optind];
	if (strcmp(verb, "create") != 0 && strcmp(verb, "update") != 0 &&
	    strcmp(verb, "list") != 0 && strcmp(verb, "remove") != 0) {
		cli_err("chroot: unknown command '%s'", verb);
		chroot_usage(stderr);
		return EXIT_USAGE;
	}
	if (arch == NULL)
		arch = chroot_host_arch();
	if (arch[0] == '\0' || strchr(arch, '/') != NULL || arch[0] == '.' ||
	    arch[0] == '-' || strlen(arch) > 32) {
		cli_err("chroot: bad architecture '%s'", arch);
		return EXIT_USAGE;
	}
	if (cli_drop_to_user(c) == -1)
		return EXIT_FAIL;
	if (optind + 1 < argc &&
	    (only = config_dist_find(c->cfg, argv[optind + 1])) == NULL) {
		cli_err("chroot: no Distribution %s in %s", argv[optind + 1],
		    c->cfg->path);
		return EXIT_FAIL;
	}
	if (strcmp(verb, "list") == 0)
		return do_list(c, only, arch);
	for (i = 0; i < c->cfg->ndists; i++) {
		const struct conf_dist *d = &c->cfg->dists[i];

		if (only != NULL && d != only)
			continue;
		if (strcmp(verb, "remove") == 0) {
			if (chroot_remove(c->cfg, d->name, arch, &err) == -1) {
				cli_err("%s", dp_error_str(&err));
				rv = EXIT_FAIL;
			} else
				printf("removed the chroot %s-%s\n", d->name,
				    arch);
			continue;
		}
		if (strcmp(verb, "create") == 0 &&
		    chroot_stat(c->cfg, d->name, arch, &mt, &size, &err) == 0) {
			printf("the chroot %s-%s exists (debpipe chroot update "
			    "makes it again)\n", d->name, arch);
			continue;
		}
		if (isatty(1))
			printf("making the chroot %s-%s with mmdebstrap (this "
			    "takes minutes)...\n", d->name, arch);
		fflush(stdout);
		if (chroot_create(c->cfg, d, arch, NULL, 1, &err) == -1) {
			cli_err("%s", dp_error_str(&err));
			rv = EXIT_FAIL;
			continue;
		}
		if (chroot_stat(c->cfg, d->name, arch, &mt, &size, &err) == 0)
			printf("made the chroot %s-%s (%lld MiB)\n", d->name,
			    arch, size >> 20);
	}
	return rv;
}
