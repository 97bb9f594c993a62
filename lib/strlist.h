/*
 * strlist.h - the one growable list of strings.  The vector stays
 * NULL-terminated, so l.v is also a strv (xmalloc.h: strv_len, strv_free)
 * for the interfaces that take a bare char **.
 */
#ifndef DEBPIPE_STRLIST_H
#define DEBPIPE_STRLIST_H

#include <stddef.h>

struct strlist {
	char	**v;		/* NULL-terminated; NULL while empty */
	size_t	  n;
	size_t	  cap;
	int	  sorted;	/* v is in strcmp order (strlist_has) */
};

#define STRLIST_INIT	{ NULL, 0, 0, 1 }

void	 strlist_init(struct strlist *l);
/* Append a copy of s (of its first len bytes). */
void	 strlist_add(struct strlist *l, const char *s);
void	 strlist_addn(struct strlist *l, const char *s, size_t len);
/* Append s itself: the list frees it. */
void	 strlist_take(struct strlist *l, char *s);
void	 strlist_sort(struct strlist *l);
/* Is s in the list?  _has sorts the list first (when it is not) and
 * searches in log n; _find looks through it in order (small lists, or
 * where the order matters). */
int	 strlist_has(struct strlist *l, const char *s);
int	 strlist_find(const struct strlist *l, const char *s);
/* Hand the NULL-terminated vector to the caller (never NULL: an empty
 * list gives { NULL }); the list is empty again. */
char	**strlist_steal(struct strlist *l);
void	 strlist_free(struct strlist *l);

#endif
