/*
 * hash.h - MD5, SHA1 and SHA256 of the same bytes in one pass (OpenSSL
 * EVP), as lowercase hex; and a copy that hashes what it copies, so a
 * file going into the pool is read exactly once.
 */
#ifndef DEBPIPE_HASH_H
#define DEBPIPE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define HASH_MD5_HEXLEN		32
#define HASH_SHA1_HEXLEN	40
#define HASH_SHA256_HEXLEN	64

struct hash_sums {
	uint64_t	size;
	char		md5[HASH_MD5_HEXLEN + 1];
	char		sha1[HASH_SHA1_HEXLEN + 1];
	char		sha256[HASH_SHA256_HEXLEN + 1];
};

/* Streaming: a context is reusable (hash_final resets it). */
struct hash_ctx;
struct hash_ctx	*hash_new(void);			/* never NULL */
void		 hash_free(struct hash_ctx *);		/* NULL no-op */
void		 hash_reset(struct hash_ctx *);
void		 hash_update(struct hash_ctx *, const void *, size_t);
void		 hash_final(struct hash_ctx *, struct hash_sums *);

/* One-shot helpers. */
void	 hash_buf(const void *data, size_t len, struct hash_sums *out);
int	 hash_fd(int fd, const char *name, struct hash_sums *out,
	    struct dp_error *err);
int	 hash_file(const char *path, struct hash_sums *out,
	    struct dp_error *err);

/* Copy everything from infd to outfd (until EOF), hashing on the way.
 * Names are for messages.  Does not fsync or close. */
int	 hash_copy_fd(int infd, const char *inname, int outfd,
	    const char *outname, struct hash_sums *out, struct dp_error *err);

/* Write all of buf to fd (retrying short writes and EINTR). */
int	 hash_write_all(int fd, const char *name, const void *buf, size_t len,
	    struct dp_error *err);

/* 1 if s is exactly n lowercase hex digits, else 0. */
int	 hash_hex_valid(const char *s, size_t n);

#endif
