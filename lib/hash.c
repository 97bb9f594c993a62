/*
 * hash.c - MD5/SHA1/SHA256 in one pass with OpenSSL EVP (see hash.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hash.h"
#include "xmalloc.h"

#define HASH_BUFSZ	(256 * 1024)

struct hash_ctx {
	EVP_MD_CTX	*md5;
	EVP_MD_CTX	*sha1;
	EVP_MD_CTX	*sha256;
	uint64_t	 size;
};

static EVP_MD_CTX *
hash_md_new(void)
{
	EVP_MD_CTX *c;

	if ((c = EVP_MD_CTX_new()) == NULL) {
		/* Only fails on out-of-memory: treated like xmalloc. */
		abort();
	}
	return c;
}

/* The algorithms, fetched once: EVP_md5() and friends make OpenSSL 3
 * look the implementation up again at every init (a tenth of the CPU time
 * of a 10,000-package add went there). */
static EVP_MD		*md_md5, *md_sha1, *md_sha256;
static pthread_once_t	 md_once = PTHREAD_ONCE_INIT;

static void
hash_fetch(void)
{
	md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void
hash_reset(struct hash_ctx *h)
{
	pthread_once(&md_once, hash_fetch);
	if (md_md5 == NULL || md_sha1 == NULL || md_sha256 == NULL ||
	    EVP_DigestInit_ex2(h->md5, md_md5, NULL) != 1 ||
	    EVP_DigestInit_ex2(h->sha1, md_sha1, NULL) != 1 ||
	    EVP_DigestInit_ex2(h->sha256, md_sha256, NULL) != 1)
		abort();		/* broken libcrypto: an invariant */
	h->size = 0;
}

struct hash_ctx *
hash_new(void)
{
	struct hash_ctx *h;

	h = xcalloc(1, sizeof(*h));
	h->md5 = hash_md_new();
	h->sha1 = hash_md_new();
	h->sha256 = hash_md_new();
	hash_reset(h);
	return h;
}

void
hash_free(struct hash_ctx *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->md5);
	EVP_MD_CTX_free(h->sha1);
	EVP_MD_CTX_free(h->sha256);
	free(h);
}

void
hash_update(struct hash_ctx *h, const void *data, size_t len)
{
	if (len == 0)
		return;
	EVP_DigestUpdate(h->md5, data, len);
	EVP_DigestUpdate(h->sha1, data, len);
	EVP_DigestUpdate(h->sha256, data, len);
	h->size += len;
}

static void
hash_hex(EVP_MD_CTX *c, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0, i;

	EVP_DigestFinal_ex(c, md, &n);
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[2 * n] = '\0';
}

void
hash_final(struct hash_ctx *h, struct hash_sums *out)
{
	out->size = h->size;
	hash_hex(h->md5, out->md5);
	hash_hex(h->sha1, out->sha1);
	hash_hex(h->sha256, out->sha256);
	hash_reset(h);
}

void
hash_buf(const void *data, size_t len, struct hash_sums *out)
{
	struct hash_ctx *h;

	h = hash_new();
	hash_update(h, data, len);
	hash_final(h, out);
	hash_free(h);
}

int
hash_write_all(int fd, const char *name, const void *buf, size_t len,
    struct dp_error *err)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			dp_error_errno(err, "write %s", name);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
hash_copy_fd(int infd, const char *inname, int outfd, const char *outname,
    struct hash_sums *out, struct dp_error *err)
{
	struct hash_ctx	*h;
	char		*buf;
	ssize_t		 n;
	int		 rv = -1;

	h = hash_new();
	buf = xmalloc(HASH_BUFSZ);
	for (;;) {
		n = read(infd, buf, HASH_BUFSZ);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			dp_error_errno(err, "read %s", inname);
			goto out;
		}
		if (n == 0)
			break;
		hash_update(h, buf, (size_t)n);
		if (outfd != -1 && hash_write_all(outfd, outname, buf,
		    (size_t)n, err) == -1)
			goto out;
	}
	hash_final(h, out);
	rv = 0;
out:
	free(buf);
	hash_free(h);
	return rv;
}

int
hash_fd(int fd, const char *name, struct hash_sums *out,
    struct dp_error *err)
{
	return hash_copy_fd(fd, name, -1, NULL, out, err);
}

int
hash_file(const char *path, struct hash_sums *out, struct dp_error *err)
{
	int fd, rv;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		dp_error_errno(err, "%s", path);
		return -1;
	}
	rv = hash_fd(fd, path, out, err);
	close(fd);
	return rv;
}

int
hash_hex_valid(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}
