/*
 * debfile.c - read .deb files with libarchive (see debfile.h).
 *
 * The outer ar archive is read through our own read callback, so every
 * byte passes the caller's tee exactly once and in order.  control.tar is
 * small (at most DEBFILE_CONTROL_MAX) and read into memory; data.tar, when
 * its file list is wanted, is streamed from the outer archive into a
 * second archive reader without a temporary copy.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "debfile.h"
#include "xmalloc.h"

#define DEBFILE_BUFSZ		(256 * 1024)
#define DEBFILE_BINARY_MAX	64
#define DEBFILE_CONTROL_ENTRIES	1000

struct reader {
	int		 fd;
	const char	*name;
	debfile_tee_cb	 tee;
	void		*arg;
	char		*buf;
	int		 failed;	/* terr holds the reason */
	struct dp_error	 terr;
	char		 head[8];	/* first bytes of the file */
	size_t		 headlen;
	uint64_t	 total;
};

void
dp_error_archive(struct dp_error *err, struct archive *a, const char *fmt,
    ...)
{
	char		what[512];
	const char	*msg;
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	msg = a != NULL ? archive_error_string(a) : NULL;
	dp_error_set(err, DP_ERR_ARCHIVE, "%s: %s", what,
	    msg != NULL ? msg : "unknown libarchive error");
}

static la_ssize_t
reader_read_cb(struct archive *a, void *arg, const void **out)
{
	struct reader	*r = arg;
	ssize_t		 n;
	size_t		 k;

	for (;;) {
		n = read(r->fd, r->buf, DEBFILE_BUFSZ);
		if (n != -1 || errno != EINTR)
			break;
	}
	if (n == -1) {
		dp_error_errno(&r->terr, "read %s", r->name);
		r->failed = 1;
		if (a != NULL)
			archive_set_error(a, errno, "read error");
		return -1;
	}
	if (r->headlen < sizeof(r->head)) {
		k = sizeof(r->head) - r->headlen;
		if (k > (size_t)n)
			k = (size_t)n;
		memcpy(r->head + r->headlen, r->buf, k);
		r->headlen += k;
	}
	if (n > 0 && r->tee != NULL &&
	    r->tee(r->buf, (size_t)n, r->arg, &r->terr) == -1) {
		r->failed = 1;
		if (a != NULL)
			archive_set_error(a, EIO, "%s",
			    dp_error_str(&r->terr));
		return -1;
	}
	r->total += (uint64_t)n;
	*out = r->buf;
	return n;
}

/* Without a tee, skip member data by seeking, never past the end (so
 * that libarchive still notices a truncated file). */
static la_int64_t
reader_skip_cb(struct archive *a, void *arg, la_int64_t request)
{
	struct reader	*r = arg;
	struct stat	 sb;
	off_t		 pos;
	la_int64_t	 n = request;

	if (r->tee != NULL || fstat(r->fd, &sb) == -1 ||
	    !S_ISREG(sb.st_mode) ||
	    (pos = lseek(r->fd, 0, SEEK_CUR)) == -1)
		return 0;
	if (pos >= sb.st_size)
		return 0;
	if (n > sb.st_size - pos)
		n = sb.st_size - pos;
	if (lseek(r->fd, n, SEEK_CUR) == -1)
		return 0;
	r->total += (uint64_t)n;
	return n;
}

/* Read the rest of the file through the tee (after the archive's end). */
static int
reader_drain(struct reader *r, struct dp_error *err)
{
	const void	*p;
	la_ssize_t	 n;

	do {
		n = reader_read_cb(NULL, r, &p);
	} while (n > 0);
	if (n < 0) {
		*err = r->terr;
		return -1;
	}
	return 0;
}

static int
member_is(const char *name, const char *base, const char *const *exts,
    char *store, size_t storelen)
{
	size_t	blen = strlen(base);
	int	i;

	if (strncmp(name, base, blen) != 0)
		return 0;
	for (i = 0; exts[i] != NULL; i++) {
		if (strcmp(name + blen, exts[i]) == 0) {
			snprintf(store, storelen, "%s", name);
			return 1;
		}
	}
	return -1;		/* right base, unsupported compression */
}

static const char *const MEMBER_EXTS[] = {
	"", ".gz", ".xz", ".zst", ".bz2", ".lzma", NULL
};

/* The member next in a .deb must be base with a known compression
 * (stored in store); 0, or -1 with err naming what was expected. */
static int
member_expect(const char *fname, const char *member, const char *base,
    const char *expected, char *store, size_t storelen,
    struct dp_error *err)
{
	int	k;

	if ((k = member_is(member, base, MEMBER_EXTS, store, storelen)) == 1)
		return 0;
	dp_error_set(err, DP_ERR_INVALID, "%s: %s '%.64s' where %s was "
	    "expected", fname, k == -1 ? "unsupported member" :
	    "unexpected member", member, expected);
	return -1;
}

/* The one decompression filter a member's name calls for, as dpkg-deb
 * decides it (not archive_read_support_filter_all: bidding every filter
 * libarchive knows cost more than inflating a small control.tar.gz). */
static void
member_filter(struct archive *a, const char *member)
{
	const char *dot = strrchr(member, '.');

	if (dot == NULL || strcmp(dot, ".tar") == 0)
		return;
	if (strcmp(dot, ".gz") == 0)
		archive_read_support_filter_gzip(a);
	else if (strcmp(dot, ".xz") == 0)
		archive_read_support_filter_xz(a);
	else if (strcmp(dot, ".zst") == 0)
		archive_read_support_filter_zstd(a);
	else if (strcmp(dot, ".bz2") == 0)
		archive_read_support_filter_bzip2(a);
	else if (strcmp(dot, ".lzma") == 0)
		archive_read_support_filter_lzma(a);
}

/* Read the current member's data (at most max bytes) into a buffer. */
static int
member_slurp(struct archive *a, const char *fname, const char *member,
    int64_t size, int64_t max, char **out, size_t *outlen,
    struct dp_error *err)
{
	char		*buf;
	size_t		 got = 0;
	la_ssize_t	 n;

	if (size < 0 || size > max) {
		dp_error_set(err, DP_ERR_INVALID, "%s: member %s is too large "
		    "(%lld bytes, at most %lld allowed)", fname, member,
		    (long long)size, (long long)max);
		return -1;
	}
	buf = xmalloc((size_t)size + 1);
	while (got < (size_t)size) {
		n = archive_read_data(a, buf + got, (size_t)size - got);
		if (n < 0) {
			dp_error_archive(err, a, "%s: member %s", fname,
			    member);
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)size) {
		dp_error_set(err, DP_ERR_ARCHIVE, "%s: member %s is truncated "
		    "(%zu of %lld bytes)", fname, member, got,
		    (long long)size);
		free(buf);
		return -1;
	}
	buf[got] = '\0';
	*out = buf;
	*outlen = got;
	return 0;
}

static const char *
entry_path(struct archive_entry *e)
{
	const char *p;

	if ((p = archive_entry_pathname(e)) == NULL)
		return NULL;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (*p == '/')
		p++;
	return p;
}

/* Find ./control in the control.tar held in memory. */
static int
control_extract(const char *fname, const char *member, const char *data,
    size_t len, struct debfile *deb, struct dp_error *err)
{
	struct archive		*a;
	struct archive_entry	*e;
	const char		*path;
	int			 rc, rv = -1, n = 0;

	a = archive_read_new();
	member_filter(a, member);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		dp_error_archive(err, a, "%s: %s", fname, member);
		goto out;
	}
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (++n > DEBFILE_CONTROL_ENTRIES) {
			dp_error_set(err, DP_ERR_INVALID, "%s: %s has more "
			    "than %d entries", fname, member,
			    DEBFILE_CONTROL_ENTRIES);
			goto out;
		}
		path = entry_path(e);
		if (path == NULL || strcmp(path, "control") != 0)
			continue;
		if (archive_entry_filetype(e) != AE_IFREG) {
			dp_error_set(err, DP_ERR_INVALID, "%s: control in %s "
			    "is not a regular file", fname, member);
			goto out;
		}
		if (member_slurp(a, fname, "control",
		    archive_entry_size(e), DEBFILE_CONTROL_MAX,
		    &deb->control, &deb->control_len, err) == -1)
			goto out;
		if (deb->control_len == 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s: the control "
			    "file is empty", fname);
			goto out;
		}
		rv = 0;
		goto out;
	}
	if (rc != ARCHIVE_EOF)
		dp_error_archive(err, a, "%s: %s", fname, member);
	else
		dp_error_set(err, DP_ERR_INVALID, "%s: no control file in %s",
		    fname, member);
out:
	archive_read_free(a);
	return rv;
}

struct data_reader {
	struct archive	*outer;
};

static la_ssize_t
data_read_cb(struct archive *inner, void *arg, const void **out)
{
	struct data_reader	*d = arg;
	const void		*buf;
	size_t			 size;
	la_int64_t		 offset;
	int			 rc;

	rc = archive_read_data_block(d->outer, &buf, &size, &offset);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK) {
		archive_set_error(inner, archive_errno(d->outer), "%s",
		    archive_error_string(d->outer) != NULL ?
		    archive_error_string(d->outer) : "read error");
		return -1;
	}
	*out = buf;
	return (la_ssize_t)size;
}

/* List the current member (data.tar*) into deb->contents. */
static int
data_list(struct archive *outer, const char *fname, const char *member,
    struct debfile *deb, struct dp_error *err)
{
	struct archive		*a;
	struct archive_entry	*e;
	struct data_reader	 d;
	struct buf		 b;
	const char		*path;
	size_t			 plen;
	int			 rc, rv = -1;

	buf_init(&b);
	d.outer = outer;
	a = archive_read_new();
	member_filter(a, member);
	archive_read_support_format_tar(a);
	if (archive_read_open(a, &d, NULL, data_read_cb, NULL)
	    != ARCHIVE_OK) {
		dp_error_archive(err, a, "%s: %s", fname, member);
		goto out;
	}
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		if ((path = entry_path(e)) == NULL) {
			dp_error_set(err, DP_ERR_INVALID, "%s: %s holds a file "
			    "name that cannot be read", fname, member);
			goto out;
		}
		plen = strlen(path);
		if (plen == 0 || path[plen - 1] == '/')
			continue;
		if (strchr(path, '\n') != NULL) {
			dp_error_set(err, DP_ERR_INVALID, "%s: %s holds a file "
			    "name with a newline", fname, member);
			goto out;
		}
		if (b.len + plen + 1 > DEBFILE_CONTENTS_MAX) {
			dp_error_set(err, DP_ERR_INVALID, "%s: the file list "
			    "of %s is larger than %d bytes", fname, member,
			    DEBFILE_CONTENTS_MAX);
			goto out;
		}
		buf_add(&b, path, plen);
		buf_addc(&b, '\n');
	}
	if (rc != ARCHIVE_EOF) {
		dp_error_archive(err, a, "%s: %s", fname, member);
		goto out;
	}
	deb->contents_len = b.len;
	deb->contents = buf_steal(&b);
	rv = 0;
out:
	archive_read_free(a);
	buf_done(&b);
	return rv;
}

int
debfile_read_fd(int fd, const char *name, int flags, debfile_tee_cb tee,
    void *arg, struct debfile *deb, struct dp_error *err)
{
	struct reader		 r;
	struct archive		*a = NULL;
	struct archive_entry	*e;
	struct stat		 sb;
	const char		*member;
	char			*data = NULL;
	size_t			 datalen;
	enum { S_BINARY, S_CONTROL, S_DATA, S_EXTRA } state = S_BINARY;
	int			 rc, rv = -1;

	memset(deb, 0, sizeof(*deb));
	memset(&r, 0, sizeof(r));
	r.fd = fd;
	r.name = name;
	r.tee = tee;
	r.arg = arg;

	if (fstat(fd, &sb) == -1) {
		dp_error_errno(err, "%s", name);
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		dp_error_set(err, DP_ERR_INVALID, "%s: is a directory", name);
		return -1;
	}
	if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
		dp_error_set(err, DP_ERR_INVALID, "%s: empty file, not a "
		    "Debian binary package", name);
		return -1;
	}

	r.buf = xmalloc(DEBFILE_BUFSZ);
	a = archive_read_new();
	archive_read_support_format_ar(a);
	archive_read_set_callback_data(a, &r);
	archive_read_set_read_callback(a, reader_read_cb);
	archive_read_set_skip_callback(a, reader_skip_cb);
	if (archive_read_open1(a) != ARCHIVE_OK)
		goto archive_failed;

	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		member = archive_entry_pathname(e);
		if (member == NULL)
			member = "";
		switch (state) {
		case S_BINARY:
			if (strcmp(member, "debian-binary") != 0) {
				dp_error_set(err, DP_ERR_INVALID, "%s: not a "
				    "Debian binary package: first member is "
				    "'%.64s', not debian-binary", name, member);
				goto out;
			}
			if (member_slurp(a, name, member, archive_entry_size(e),
			    DEBFILE_BINARY_MAX, &data, &datalen, err) == -1)
				goto out;
			if (datalen < 4 || strncmp(data, "2.", 2) != 0 ||
			    strchr(data, '\n') == NULL ||
			    strlen(data) != datalen) {
				dp_error_set(err, DP_ERR_INVALID, "%s: "
				    "unsupported .deb format version (only "
				    "2.x is supported)", name);
				goto out;
			}
			free(data);
			data = NULL;
			state = S_CONTROL;
			break;
		case S_CONTROL:
			if (member_expect(name, member, "control.tar",
			    "control.tar[.gz|.xz|.zst]", deb->control_member,
			    sizeof(deb->control_member), err) == -1)
				goto out;
			if (member_slurp(a, name, member, archive_entry_size(e),
			    DEBFILE_CONTROL_MAX, &data, &datalen, err) == -1)
				goto out;
			if (control_extract(name, member, data, datalen, deb,
			    err) == -1)
				goto out;
			free(data);
			data = NULL;
			state = S_DATA;
			break;
		case S_DATA:
			if (member_expect(name, member, "data.tar",
			    "data.tar[.gz|.xz|.zst|.bz2]", deb->data_member,
			    sizeof(deb->data_member), err) == -1)
				goto out;
			if ((flags & DEBFILE_CONTENTS) &&
			    data_list(a, name, member, deb, err) == -1)
				goto out;
			state = S_EXTRA;
			break;
		case S_EXTRA:
			if (member[0] != '_') {
				dp_error_set(err, DP_ERR_INVALID, "%s: unexpected "
				    "member '%.64s' after %s", name, member,
				    deb->data_member);
				goto out;
			}
			break;
		}
	}
	if (rc != ARCHIVE_EOF)
		goto archive_failed;
	if (state != S_EXTRA) {
		dp_error_set(err, DP_ERR_INVALID, "%s: truncated or incomplete "
		    ".deb: no %s member", name, state == S_BINARY ?
		    "debian-binary" : state == S_CONTROL ? "control.tar" :
		    "data.tar");
		goto out;
	}
	if (tee != NULL && reader_drain(&r, err) == -1)
		goto out;
	rv = 0;
	goto out;

archive_failed:
	if (r.failed) {
		if (err != NULL)
			*err = r.terr;
	} else if (r.headlen < 8 || memcmp(r.head, "!<arch>\n", 8) != 0) {
		dp_error_set(err, DP_ERR_INVALID, "%s: not a Debian binary "
		    "package (not an ar archive)", name);
	} else
		dp_error_archive(err, a, "%s: truncated or corrupt .deb",
		    name);
out:
	free(data);
	archive_read_free(a);
	free(r.buf);
	if (rv == -1) {
		debfile_done(deb);
		/* Keep the member names for messages, not the texts. */
	}
	return rv;
}

int
debfile_read(const char *path, int flags, struct debfile *deb,
    struct dp_error *err)
{
	int fd, rv;

	memset(deb, 0, sizeof(*deb));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		dp_error_errno(err, "%s", path);
		return -1;
	}
	rv = debfile_read_fd(fd, path, flags, NULL, NULL, deb, err);
	close(fd);
	return rv;
}

void
debfile_done(struct debfile *deb)
{
	if (deb == NULL)
		return;
	free(deb->control);
	free(deb->contents);
	deb->control = deb->contents = NULL;
	deb->control_len = deb->contents_len = 0;
}
