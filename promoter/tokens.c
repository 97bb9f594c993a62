/*
 * tokens.c - the Tokens-File: "TOKEN ROLE NAME" per line, '#' comments,
 * TOKEN plain or "sha256:<hex>".  Only digests are kept in memory and a
 * presented token is compared with every entry in constant time.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "promoter.h"
#include "xmalloc.h"

#define TOKENS_MAX_SIZE	(1024 * 1024)

static void
tokens_digest(const char *s, size_t len, unsigned char md[32])
{
	unsigned int	mdlen = 32;

	if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		abort();	/* sha256 always exists */
}

static int
tokens_hex(const char *hex, unsigned char out[32])
{
	size_t	i;
	int	hi, lo;

	if (strlen(hex) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)hex[2 * i]) ||
		    !isxdigit((unsigned char)hex[2 * i + 1]))
			return -1;
		hi = isdigit((unsigned char)hex[2 * i]) ? hex[2 * i] - '0' :
		    tolower((unsigned char)hex[2 * i]) - 'a' + 10;
		lo = isdigit((unsigned char)hex[2 * i + 1]) ?
		    hex[2 * i + 1] - '0' :
		    tolower((unsigned char)hex[2 * i + 1]) - 'a' + 10;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

const char *
tokens_role_name(int role)
{
	switch (role) {
	case ROLE_ADMIN:
		return "admin";
	case ROLE_HOOK:
		return "hook";
	case ROLE_REPORTER:
		return "reporter";
	default:
		return "none";
	}
}

void
tokens_free(struct tokens *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	free(t->path);
	free(t);
}

int
tokens_parse(const char *path, const char *text, struct tokens **out,
    struct dp_error *err)
{
	struct tokens	*t;
	char		*copy, *line, *next, *f[4], *p, *save;
	int		 lineno = 0, nf, role, rv = -1;
	size_t		 i;
	struct token	 tok;

	t = xcalloc(1, sizeof(*t));
	t->path = xstrdup(path);
	copy = xstrdup(text);
	for (line = copy; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		nf = 0;
		for (p = strtok_r(line, " \t\r", &save); p != NULL;
		    p = strtok_r(NULL, " \t\r", &save)) {
			if (nf == 4)
				break;
			f[nf++] = p;
		}
		if (nf == 0)
			continue;
		if (nf != 3) {
			dp_error_set(err, DP_ERR_PARSE, "%s:%d: expected "
			    "\"TOKEN ROLE NAME\" (found %d field%s)", path,
			    lineno, nf, nf == 1 ? "" : "s");
			goto out;
		}
		if (strcmp(f[1], "admin") == 0)
			role = ROLE_ADMIN;
		else if (strcmp(f[1], "reporter") == 0)
			role = ROLE_REPORTER;
		else if (strcmp(f[1], "hook") == 0)
			role = ROLE_HOOK;
		else {
			dp_error_set(err, DP_ERR_PARSE, "%s:%d: unknown role "
			    "\"%s\" (use reporter, admin or hook)", path, lineno,
			    f[1]);
			goto out;
		}
		if (!util_name_ok(f[2])) {
			dp_error_set(err, DP_ERR_PARSE, "%s:%d: bad name "
			    "\"%s\" (letters, digits and ._:+@/- only)", path,
			    lineno, f[2]);
			goto out;
		}
		memset(&tok, 0, sizeof(tok));
		if (strncmp(f[0], "sha256:", 7) == 0) {
			if (tokens_hex(f[0] + 7, tok.digest) == -1) {
				dp_error_set(err, DP_ERR_PARSE, "%s:%d: "
				    "sha256: needs 64 hex digits", path,
				    lineno);
				goto out;
			}
		} else
			tokens_digest(f[0], strlen(f[0]), tok.digest);
		for (i = 0; i < t->n; i++) {
			if (memcmp(t->v[i].digest, tok.digest, 32) == 0) {
				dp_error_set(err, DP_ERR_PARSE, "%s:%d: the "
				    "token of %s is listed again", path,
				    lineno, f[2]);
				goto out;
			}
		}
		tok.role = role;
		tok.name = xstrdup(f[2]);
		t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = tok;
	}
	*out = t;
	t = NULL;
	rv = 0;
out:
	if (copy != NULL) {
		OPENSSL_cleanse(copy, strlen(text));
		free(copy);
	}
	tokens_free(t);
	return rv;
}

int
tokens_load(const char *path, struct tokens **out, struct dp_error *err)
{
	struct stat	 sb;
	char		*text = NULL;
	size_t		 len = 0, cap = 0;
	ssize_t		 n;
	int		 fd, rv = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		dp_error_errno(err, "Tokens-File %s", path);
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		dp_error_errno(err, "Tokens-File %s", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		dp_error_set(err, DP_ERR_INVALID, "Tokens-File %s is not a "
		    "regular file", path);
		goto out;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		dp_error_set(err, DP_ERR_PERM, "Tokens-File %s is accessible "
		    "by group or others (mode %04o): run \"chmod 600 %s\"",
		    path, (unsigned)(sb.st_mode & 07777), path);
		goto out;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			text = xreallocarray(text, cap, 1);
		}
		n = read(fd, text + len, cap - len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			dp_error_errno(err, "read %s", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > TOKENS_MAX_SIZE) {
			dp_error_set(err, DP_ERR_INVALID, "Tokens-File %s is "
			    "larger than 1 MiB", path);
			goto out;
		}
	}
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		dp_error_set(err, DP_ERR_PARSE, "Tokens-File %s contains a "
		    "NUL byte", path);
		goto out;
	}
	rv = tokens_parse(path, text, out, err);
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, cap);
		free(text);
	}
	close(fd);
	return rv;
}

int
tokens_check(const struct tokens *t, const char *token, const char **name)
{
	unsigned char	 md[32];
	size_t		 i;
	int		 role = ROLE_NONE;
	const char	*found = NULL;

	if (name != NULL)
		*name = NULL;
	if (t == NULL || token == NULL || *token == '\0')
		return ROLE_NONE;
	tokens_digest(token, strlen(token), md);
	/* Look at every entry: the time does not depend on which matched. */
	for (i = 0; i < t->n; i++) {
		if (CRYPTO_memcmp(md, t->v[i].digest, sizeof(md)) == 0) {
			role = t->v[i].role;
			found = t->v[i].name;
		}
	}
	if (name != NULL)
		*name = found;
	return role;
}
