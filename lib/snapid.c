/*
 * snapid.c - snapshot IDs (snapid.h).
 */
#include "autoconfig.h"

#include <string.h>

#include "snapid.h"

int
snapid_valid(const char *s)
{
	static const char	*pat = "dddddddd" "T" "dddddd" "Z";
	size_t			 i;

	if (s == NULL || strlen(s) != SNAPID_LEN)
		return 0;
	for (i = 0; i < SNAPID_LEN; i++) {
		if (pat[i] == 'd') {
			if (s[i] < '0' || s[i] > '9')
				return 0;
		} else if (s[i] != pat[i])
			return 0;
	}
	return 1;
}
