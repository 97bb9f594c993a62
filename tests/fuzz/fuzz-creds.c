/*
 * fuzz-creds.c - libFuzzer target for the Credentials file of git
 * watches (builder/git-creds.c): the input is the file, mode 0600, in a
 * directory of its own.  What must hold: it loads or fails with a
 * message; key paths come out absolute (relative ones are taken from the
 * file's directory); a second load of the same file gives the same.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../builder/builder.h"
#include "fuzz.h"

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 path[512];
	struct gitw_creds	 a, b;
	struct dp_error		 err;
	int			 ra, rb;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "%s/keys", fuzz_dir());
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/keys/credentials",
		    fuzz_dir());
	}
	fuzz_file("keys/credentials", data, size);
	chmod(path, 0600);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.file = b.file = path;
	memset(&err, 0, sizeof(err));
	ra = gitw_creds_load(&a, &err);
	if (ra == -1 && err.msg[0] == '\0')
		abort();
	if ((a.ssh_key != NULL && a.ssh_key[0] != '/') ||
	    (a.ssh_pubkey != NULL && a.ssh_pubkey[0] != '/'))
		abort();
	rb = gitw_creds_load(&b, &err);
	if (ra != rb || (ra == 0 && (!same(a.username, b.username) ||
	    !same(a.password, b.password) || !same(a.ssh_key, b.ssh_key) ||
	    !same(a.ssh_pubkey, b.ssh_pubkey) ||
	    !same(a.passphrase, b.passphrase))))
		abort();
	gitw_creds_done(&a);
	gitw_creds_done(&b);
	return 0;
}
