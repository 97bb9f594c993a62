/*
 * strlist.c - the one growable list of strings (strlist.h).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "strlist.h"
#include "xmalloc.h"

void
strlist_init(struct strlist *l)
{
	memset(l, 0, sizeof(*l));
	l->sorted = 1;
}

void
strlist_take(struct strlist *l, char *s)
{
	if (l->n + 1 >= l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	if (l->n > 0 && strcmp(l->v[l->n - 1], s) > 0)
		l->sorted = 0;
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
}

void
strlist_add(struct strlist *l, const char *s)
{
	strlist_take(l, xstrdup(s));
}

void
strlist_addn(struct strlist *l, const char *s, size_t len)
{
	strlist_take(l, xstrndup(s, len));
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strlist_sort(struct strlist *l)
{
	if (!l->sorted && l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), str_cmp);
	l->sorted = 1;
}

int
strlist_has(struct strlist *l, const char *s)
{
	strlist_sort(l);
	return l->n > 0 &&
	    bsearch(&s, l->v, l->n, sizeof(*l->v), str_cmp) != NULL;
}

int
strlist_find(const struct strlist *l, const char *s)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

char **
strlist_steal(struct strlist *l)
{
	char	**v = l->v;

	if (v == NULL)
		v = xcalloc(1, sizeof(*v));
	strlist_init(l);
	return v;
}

void
strlist_free(struct strlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	strlist_init(l);
}
