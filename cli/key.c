/*
 * cli/key.c - debpipe key init | export: the archive signing key.
 *
 * `key init` creates a passphrase-less signing key in State-Dir/gnupg and
 * writes its public part to Public-Dir/debpipe-archive-keyring.gpg (the
 * file apt clients install under /usr/share/keyrings).  `key export`
 * prints the public key of the key snapshots are signed with.
 */
#include "autoconfig.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fsutil.h"
#include "sign.h"
#include "xmalloc.h"

#define KEYRING_NAME	"debpipe-archive-keyring.gpg"

static uid_t	key_chown_uid;
static gid_t	key_chown_gid;

static int
key_chown_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	if (lchown(path, key_chown_uid, key_chown_gid) == -1 &&
	    errno != ENOENT)
		return -1;
	return 0;
}

/*
 * Run as root for a configuration with User: the gnupg home must belong
 * to that user, or the daemons (which drop to it) could not sign.  The
 * agent gpg started as root goes first.
 */
static int
key_give_home(const struct config *cfg, const char *home)
{
	struct passwd	*pw;
	struct dp_error	 err;

	if (geteuid() != 0 || cfg->user == NULL)
		return 0;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		cli_err("User %s (from %s) does not exist; %s stays owned by "
		    "root", cfg->user, cfg->path, home);
		return -1;
	}
	if (sign_home_close(home, &err) == -1)
		cli_err("warning: %s", dp_error_str(&err));
	key_chown_uid = pw->pw_uid;
	key_chown_gid = pw->pw_gid;
	if (nftw(home, key_chown_cb, 16, FTW_PHYS) == -1) {
		cli_err("chown %s to %s: %s", home, cfg->user,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
key_usage(FILE *f)
{
	fprintf(f, "usage: debpipe key init [--force]\n"
	    "       debpipe key export [--armor]\n"
	    "\n"
	    "init    create the archive signing key in State-Dir/gnupg and write\n"
	    "        Public-Dir/" KEYRING_NAME "\n"
	    "        --force  replace an existing key (clients must get the new\n"
	    "                 public key before they can update again)\n"
	    "export  print the public key (binary OpenPGP, as in\n"
	    "        /usr/share/keyrings; --armor for ASCII)\n");
}

/*
 * The options of key init or export: flag (optstring's first letter) sets
 * *flag.  -1 to go on, else the exit code (--help, a bad option).
 */
static int
key_getopt(int argc, char **argv, const char *optstring,
    const struct option *longopts, int *flag)
{
	int ch;

	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL))
	    != -1) {
		if (ch == optstring[0])
			*flag = 1;
		else if (ch == 'h') {
			key_usage(stdout);
			return EXIT_OK;
		} else {
			key_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		key_usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

static char *
key_uid(const struct config *cfg)
{
	char	host[256];

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	return xasprintf("%s archive signing key <debpipe@%s>",
	    cfg->origin != NULL ? cfg->origin : "debpipe", host);
}

static int
key_init(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dp_error	 err;
	struct buf	 pub;
	char		*home = NULL, *uid = NULL, *fpr = NULL, *path = NULL;
	int		 rc, force = 0, rv = EXIT_FAIL;

	buf_init(&pub);
	if ((rc = key_getopt(argc, argv, "fh", longopts, &force)) != -1)
		return rc;
	if (cli_load_config(c) == -1)
		return EXIT_FAIL;
	home = config_gnupg_dir(c->cfg);
	uid = key_uid(c->cfg);
	if (fs_mkdirs(c->cfg->state_dir, 0750, &err) == -1) {
		cli_err("%s", dp_error_str(&err));
		goto out;
	}
	if (sign_key_init(home, uid, force, &fpr, &err) == -1) {
		cli_err("key init: %s", dp_error_str(&err));
		goto out;
	}
	if (sign_key_export(home, fpr, 0, &pub, &err) == -1) {
		cli_err("key init: %s", dp_error_str(&err));
		goto out;
	}
	path = fs_join(c->cfg->public_dir, KEYRING_NAME);
	if (fs_mkdirs(c->cfg->public_dir, 0755, &err) == -1 ||
	    fs_write_atomic(path, pub.data, pub.len, 0644, &err) == -1) {
		cli_err("key init: %s", dp_error_str(&err));
		goto out;
	}
	/* fs_write_atomic honours the umask; the keyring is public. */
	if (chmod(path, 0644) == -1) {
		cli_err("chmod %s: %s", path, strerror(errno));
		goto out;
	}
	if (key_give_home(c->cfg, home) == -1)
		goto out;
	(void)sign_home_close(home, NULL);
	if (c->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "fingerprint",
		    fpr, "uid", uid, "gnupg_home", home, "keyring", path);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		printf("created key %s\n  %s\n", fpr, uid);
		printf("in %s\npublic key: %s\n", home, path);
		if (c->cfg->sign_with != NULL)
			printf("note: %s names Sign-With: %s; remove it or set "
			    "it to %s to sign with the new key\n",
			    c->cfg->path, c->cfg->sign_with, fpr);
	}
	rv = EXIT_OK;
out:
	buf_done(&pub);
	free(home);
	free(uid);
	free(fpr);
	free(path);
	return rv;
}

static int
key_export(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "armor", no_argument, NULL, 'a' },
		{ "armour", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dp_error	 err;
	struct buf	 pub;
	char		*home = NULL, *fpr = NULL;
	int		 rc, armor = 0, rv = EXIT_FAIL;

	buf_init(&pub);
	if ((rc = key_getopt(argc, argv, "ah", longopts, &armor)) != -1)
		return rc;
	if (!armor && isatty(STDOUT_FILENO)) {
		cli_err("key export: binary output to a terminal; redirect it "
		    "to a file or use --armor");
		return EXIT_USAGE;
	}
	if (cli_load_config(c) == -1)
		return EXIT_FAIL;
	home = config_gnupg_dir(c->cfg);
	if (sign_key_find(home, c->cfg->sign_with, &fpr, &err) == -1 ||
	    sign_key_export(home, fpr, armor, &pub, &err) == -1) {
		cli_err("key export: %s", dp_error_str(&err));
		goto out;
	}
	if (fwrite(pub.data, 1, pub.len, stdout) != pub.len ||
	    fflush(stdout) == EOF) {
		cli_err("key export: write: %s", strerror(errno));
		goto out;
	}
	rv = EXIT_OK;
out:
	buf_done(&pub);
	free(home);
	free(fpr);
	return rv;
}

int
cmd_key(struct cli *c, int argc, char **argv)
{
	if (argc < 2) {
		key_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		key_usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "init") == 0)
		return key_init(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return key_export(c, argc - 1, argv + 1);
	cli_err("key: unknown subcommand '%s' (init or export)", argv[1]);
	return EXIT_USAGE;
}
