/*
 * git-creds.c - the Credentials file of a git watch (doc/admin-guide.md
 * "Credentials file"): deb822, # comments, the first paragraph only;
 * refused when others may read it.  watch-git.c hands what it holds to
 * libgit2 through its credential callback; tests/fuzz/fuzz-creds.c
 * feeds it anything.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder.h"
#include "deb822.h"
#include "fsutil.h"
#include "xmalloc.h"

/* A key file named in the Credentials file: relative to its directory. */
static char *
cred_path(const struct gitw_creds *cs, const char *v)
{
	const char	*slash;
	char		*dir, *p;

	if (v[0] == '/' || (slash = strrchr(cs->file, '/')) == NULL)
		return xstrdup(v);
	dir = xstrndup(cs->file, (size_t)(slash - cs->file));
	p = fs_join(dir, v);
	free(dir);
	return p;
}

static int
cred_para_cb(const struct deb822_para *para, void *arg, struct dp_error *err)
{
	struct gitw_creds	*cs = arg;
	const char		*v;

	(void)err;
	if (cs->nparas++ > 0)
		return 0;	/* the first paragraph only */
	if ((v = deb822_get(para, "Username")) != NULL)
		cs->username = xstrdup(v);
	if ((v = deb822_get(para, "Password")) != NULL ||
	    (v = deb822_get(para, "Token")) != NULL)
		cs->password = xstrdup(v);
	if ((v = deb822_get(para, "SSH-Key")) != NULL)
		cs->ssh_key = cred_path(cs, v);
	if ((v = deb822_get(para, "SSH-Public-Key")) != NULL)
		cs->ssh_pubkey = cred_path(cs, v);
	if ((v = deb822_get(para, "SSH-Passphrase")) != NULL)
		cs->passphrase = xstrdup(v);
	return 0;
}

int
gitw_creds_load(struct gitw_creds *cs, struct dp_error *err)
{
	struct stat sb;

	if (cs->file == NULL)
		return 0;
	if (stat(cs->file, &sb) == -1) {
		dp_error_errno(err, "Credentials file %s", cs->file);
		return -1;
	}
	if (sb.st_mode & 007) {
		dp_error_set(err, DP_ERR_PERM, "Credentials file %s is "
		    "accessible by others (chmod 600 it)", cs->file);
		return -1;
	}
	return deb822_parse_file(cs->file, DEB822_COMMENTS, cred_para_cb, cs,
	    err);
}

void
gitw_creds_done(struct gitw_creds *cs)
{
	if (cs->password != NULL)
		explicit_bzero(cs->password, strlen(cs->password));
	if (cs->passphrase != NULL)
		explicit_bzero(cs->passphrase, strlen(cs->passphrase));
	free(cs->username);
	free(cs->password);
	free(cs->ssh_key);
	free(cs->ssh_pubkey);
	free(cs->passphrase);
	cs->username = cs->password = cs->ssh_key = cs->ssh_pubkey =
	    cs->passphrase = NULL;
}
