/*
 * xmalloc.h - allocation that never returns NULL (aborts with a message on
 * out-of-memory), and a growable byte buffer.
 */
#ifndef DEBPIPE_XMALLOC_H
#define DEBPIPE_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);		/* xstrdup(NULL) == NULL */
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *fmt, va_list ap);

/* Replace every control character of s (below 0x20, and DEL) by '?', in
 * place, and return s: text from outside (file names, values, a build's
 * output) echoed in a message, a log line or builds.message. */
char	*str_printable(char *s);

/* NULL-terminated string vectors. */
void	 strv_free(char **v);			/* NULL is a no-op */
size_t	 strv_len(char *const *v);
char	*strv_join(char *const *v, const char *sep);	/* caller frees */

/* Growable buffer; always NUL-terminated (data[len] == 0). */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};
void	 buf_init(struct buf *b);
void	 buf_done(struct buf *b);		/* frees data */
void	 buf_reserve(struct buf *b, size_t extra);
void	 buf_add(struct buf *b, const void *p, size_t n);
void	 buf_adds(struct buf *b, const char *s);
void	 buf_addc(struct buf *b, char c);
void	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_reset(struct buf *b);		/* len = 0, keeps memory */
/* Hand the data to the caller (caller frees); b is re-initialised. */
char	*buf_steal(struct buf *b);

#endif
