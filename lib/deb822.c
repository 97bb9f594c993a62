/*
 * deb822.c - deb822 paragraph parser (see deb822.h).
 *
 * One pass over the buffer.  The text of the current paragraph goes into
 * one growable buffer ("name\0value\0name\0value\0...") and a field table
 * of offsets; both are reused from paragraph to paragraph, so parsing a
 * Packages file with 100,000 paragraphs costs no allocation per line or
 * per paragraph once the buffers have grown to the largest paragraph.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deb822.h"

#define PGP_BEGIN_MSG	"-----BEGIN PGP SIGNED MESSAGE-----"
#define PGP_BEGIN_SIG	"-----BEGIN PGP SIGNATURE-----"

struct field_ofs {
	size_t	name;		/* offset of the name in text */
	size_t	namelen;
	size_t	value;		/* offset of the value in text */
	int	line;
};

struct parser {
	const char		*fname;
	int			 flags;
	deb822_para_cb		 cb;
	void			*arg;

	struct buf		 text;
	struct field_ofs	*ofs;
	size_t			 nofs, ofscap;
	struct deb822_field	*fields;	/* handed to the callback */
	size_t			 fieldscap;
	int			 paraline;
};

static int
is_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
		    p[i] != '\f' && p[i] != '\v')
			return 0;
	return 1;
}

static size_t
rtrim_len(const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
	    p[n - 1] == '\r'))
		n--;
	return n;
}

static int
has_prefix(const char *p, size_t n, const char *prefix)
{
	size_t plen = strlen(prefix);

	return n >= plen && memcmp(p, prefix, plen) == 0;
}

/* Hand the paragraph collected so far to the callback. */
static int
parser_flush(struct parser *ps, struct dp_error *err)
{
	struct deb822_para	para;
	size_t			i;

	if (ps->nofs == 0)
		return 0;
	if (ps->fieldscap < ps->nofs) {
		ps->fieldscap = ps->ofscap;
		ps->fields = xreallocarray(ps->fields, ps->fieldscap,
		    sizeof(*ps->fields));
	}
	for (i = 0; i < ps->nofs; i++) {
		ps->fields[i].name = ps->text.data + ps->ofs[i].name;
		ps->fields[i].value = ps->text.data + ps->ofs[i].value;
		ps->fields[i].line = ps->ofs[i].line;
	}
	para.fields = ps->fields;
	para.nfields = ps->nofs;
	para.line = ps->paraline;
	ps->nofs = 0;
	if (ps->cb != NULL && ps->cb(&para, ps->arg, err) != 0) {
		if (err != NULL && err->code == DP_OK)
			dp_error_set(err, DP_ERR_INVALID,
			    "%s:%d: paragraph rejected", ps->fname,
			    para.line);
		return -1;
	}
	buf_reset(&ps->text);
	return 0;
}

/* A "Name: value" line. */
static int
parser_field(struct parser *ps, const char *p, size_t n, int lineno,
    struct dp_error *err)
{
	const char	*colon, *v;
	size_t		 namelen, vlen, i;
	struct field_ofs *f;

	if ((colon = memchr(p, ':', n)) == NULL) {
		dp_error_set(err, DP_ERR_PARSE, "%s:%d: line without ':' "
		    "(expected 'Field: value', a continuation line starting "
		    "with a space, or a blank line between paragraphs)",
		    ps->fname, lineno);
		return -1;
	}
	namelen = (size_t)(colon - p);
	if (namelen == 0) {
		dp_error_set(err, DP_ERR_PARSE, "%s:%d: empty field name "
		    "before ':'", ps->fname, lineno);
		return -1;
	}
	for (i = 0; i < namelen; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c == 0x7f) {
			dp_error_set(err, DP_ERR_PARSE, "%s:%d: bad field "
			    "name '%.*s' (no spaces or control characters "
			    "before ':')", ps->fname, lineno, (int)namelen, p);
			return -1;
		}
	}
	for (i = 0; i < ps->nofs; i++) {
		if (ps->ofs[i].namelen == namelen &&
		    strncasecmp(ps->text.data + ps->ofs[i].name, p,
		    namelen) == 0) {
			dp_error_set(err, DP_ERR_PARSE, "%s:%d: duplicate "
			    "field '%.*s' (first at line %d)", ps->fname,
			    lineno, (int)namelen, p, ps->ofs[i].line);
			return -1;
		}
	}
	v = colon + 1;
	vlen = n - namelen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	vlen = rtrim_len(v, vlen);

	if (ps->nofs == ps->ofscap) {
		ps->ofscap = ps->ofscap ? ps->ofscap * 2 : 32;
		ps->ofs = xreallocarray(ps->ofs, ps->ofscap, sizeof(*ps->ofs));
	}
	if (ps->nofs == 0)
		ps->paraline = lineno;
	f = &ps->ofs[ps->nofs++];
	f->line = lineno;
	f->namelen = namelen;
	buf_reserve(&ps->text, namelen + vlen + 2);
	if (ps->text.len != 0)
		ps->text.len++;		/* keep the previous value's NUL */
	f->name = ps->text.len;
	buf_add(&ps->text, p, namelen);
	ps->text.len++;
	f->value = ps->text.len;
	buf_add(&ps->text, v, vlen);
	return 0;
}

/* A continuation line: appended to the last field's value, which is
 * always the last thing in text. */
static int
parser_cont(struct parser *ps, const char *p, size_t n, int lineno,
    struct dp_error *err)
{
	if (ps->nofs == 0) {
		dp_error_set(err, DP_ERR_PARSE, "%s:%d: continuation line "
		    "(starting with a space or tab) before any field",
		    ps->fname, lineno);
		return -1;
	}
	p++;			/* the single leading space or tab */
	n--;
	n = rtrim_len(p, n);
	buf_addc(&ps->text, '\n');
	buf_add(&ps->text, p, n);
	return 0;
}

int
deb822_parse(const char *buf, size_t len, const char *fname, int flags,
    deb822_para_cb cb, void *arg, struct dp_error *err)
{
	struct parser	 ps;
	const char	*p, *end, *nl, *nul;
	size_t		 n;
	int		 lineno = 0, rv = -1;
	int		 pgp = 0;	/* 0 none, 1 header, 2 body, 3 done */

	memset(&ps, 0, sizeof(ps));
	ps.fname = fname != NULL ? fname : "(input)";
	ps.flags = flags;
	ps.cb = cb;
	ps.arg = arg;
	buf_init(&ps.text);

	if ((nul = memchr(buf, '\0', len)) != NULL) {
		for (p = buf, lineno = 1; p < nul; p++)
			if (*p == '\n')
				lineno++;
		dp_error_set(err, DP_ERR_PARSE, "%s:%d: NUL byte in text",
		    ps.fname, lineno);
		goto out;
	}

	end = buf + len;
	for (p = buf; p < end && pgp != 3; p = nl != NULL ? nl + 1 : end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (nl != NULL ? nl : end) - p;
		if (n > 0 && p[n - 1] == '\r')
			n--;

		if (flags & DEB822_PGP) {
			if (pgp == 0 && has_prefix(p, n, PGP_BEGIN_MSG) &&
			    is_blank(p + strlen(PGP_BEGIN_MSG),
			    n - strlen(PGP_BEGIN_MSG))) {
				if (ps.nofs != 0) {
					dp_error_set(err, DP_ERR_PARSE,
					    "%s:%d: OpenPGP armour inside "
					    "a paragraph", ps.fname, lineno);
					goto out;
				}
				pgp = 1;
				continue;
			}
			if (pgp == 1) {
				/* armour headers ("Hash: SHA256") up to
				 * the first blank line */
				if (is_blank(p, n))
					pgp = 2;
				continue;
			}
			if (pgp == 2) {
				if (has_prefix(p, n, PGP_BEGIN_SIG)) {
					pgp = 3;
					continue;
				}
				if (has_prefix(p, n, "- ")) {
					p += 2;
					n -= 2;
				}
			}
		}

		if (n == 0 || is_blank(p, n)) {
			if (parser_flush(&ps, err) != 0)
				goto out;
			continue;
		}
		if (p[0] == '#' && (flags & DEB822_COMMENTS))
			continue;
		if (p[0] == ' ' || p[0] == '\t') {
			if (parser_cont(&ps, p, n, lineno, err) != 0)
				goto out;
			continue;
		}
		if (parser_field(&ps, p, n, lineno, err) != 0)
			goto out;
	}
	if (pgp == 1 || pgp == 2) {
		dp_error_set(err, DP_ERR_PARSE, "%s:%d: OpenPGP signed "
		    "message without '" PGP_BEGIN_SIG "'", ps.fname, lineno);
		goto out;
	}
	if (parser_flush(&ps, err) != 0)
		goto out;
	rv = 0;
out:
	if (rv != 0 && err != NULL) {
		unsigned char *m;

		/* names are echoed in messages: no control characters */
		for (m = (unsigned char *)err->msg; *m != '\0'; m++)
			if (*m < 0x20 || *m == 0x7f)
				*m = '?';
	}
	buf_done(&ps.text);
	free(ps.ofs);
	free(ps.fields);
	return rv;
}

static int
read_all(const char *path, char **data, size_t *len, struct dp_error *err)
{
	struct stat	 st;
	char		*b = NULL;
	size_t		 cap, n = 0;
	ssize_t		 r;
	int		 fd, rv = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		dp_error_errno(err, "%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		dp_error_errno(err, "%s", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		dp_error_errno(err, "%s", path);
		goto out;
	}
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ?
	    (size_t)st.st_size + 1 : 4096;
	b = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			b = xreallocarray(b, cap, 1);
		}
		r = read(fd, b + n, cap - n - 1);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			dp_error_errno(err, "%s: read", path);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*data = b;
	*len = n;
	b = NULL;
	rv = 0;
out:
	free(b);
	close(fd);
	return rv;
}

int
deb822_parse_file(const char *path, int flags, deb822_para_cb cb,
    void *arg, struct dp_error *err)
{
	char	*data = NULL;
	size_t	 len;
	int	 rv;

	if (read_all(path, &data, &len, err) != 0)
		return -1;
	rv = deb822_parse(data, len, path, flags, cb, arg, err);
	free(data);
	return rv;
}

const struct deb822_field *
deb822_find(const struct deb822_para *para, const char *name)
{
	size_t i;

	if (para == NULL)
		return NULL;
	for (i = 0; i < para->nfields; i++)
		if (strcasecmp(para->fields[i].name, name) == 0)
			return &para->fields[i];
	return NULL;
}

const char *
deb822_get(const struct deb822_para *para, const char *name)
{
	const struct deb822_field *f = deb822_find(para, name);

	return f != NULL ? f->value : NULL;
}

struct one_state {
	const char		*fname;
	struct deb822_para	*para;
};

static int
parse_one_cb(const struct deb822_para *para, void *arg, struct dp_error *err)
{
	struct one_state	*st = arg;
	struct deb822_para	*copy;
	size_t			 i;

	if (st->para != NULL) {
		dp_error_set(err, DP_ERR_PARSE, "%s:%d: unexpected second "
		    "paragraph (expected exactly one)", st->fname,
		    para->line);
		return -1;
	}
	copy = xcalloc(1, sizeof(*copy));
	copy->nfields = para->nfields;
	copy->line = para->line;
	copy->fields = xcalloc(para->nfields, sizeof(*copy->fields));
	for (i = 0; i < para->nfields; i++) {
		copy->fields[i].name = xstrdup(para->fields[i].name);
		copy->fields[i].value = xstrdup(para->fields[i].value);
		copy->fields[i].line = para->fields[i].line;
	}
	st->para = copy;
	return 0;
}

int
deb822_parse_one(const char *buf, size_t len, const char *fname, int flags,
    struct deb822_para **out, struct dp_error *err)
{
	struct one_state st;

	st.fname = fname != NULL ? fname : "(input)";
	st.para = NULL;
	if (deb822_parse(buf, len, fname, flags, parse_one_cb, &st, err)
	    != 0) {
		deb822_para_free(st.para);
		return -1;
	}
	if (st.para == NULL) {
		dp_error_set(err, DP_ERR_PARSE, "%s: no paragraph (empty "
		    "input)", st.fname);
		return -1;
	}
	*out = st.para;
	return 0;
}

void
deb822_para_free(struct deb822_para *para)
{
	size_t i;

	if (para == NULL)
		return;
	for (i = 0; i < para->nfields; i++) {
		free(para->fields[i].name);
		free(para->fields[i].value);
	}
	free(para->fields);
	free(para);
}

void
deb822_field_write(struct buf *b, const char *name, const char *value)
{
	const char	*p, *nl;
	size_t		 n;
	int		 first = 1;

	buf_adds(b, name);
	buf_addc(b, ':');
	if (value == NULL)
		value = "";
	for (p = value;; p = nl + 1) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (first) {
			if (n > 0) {
				buf_addc(b, ' ');
				buf_add(b, p, n);
			}
			first = 0;
		} else {
			buf_addc(b, '\n');
			buf_addc(b, ' ');
			if (n == 0 || is_blank(p, n))
				buf_addc(b, '.');
			else
				buf_add(b, p, n);
		}
		if (nl == NULL)
			break;
	}
	buf_addc(b, '\n');
}
