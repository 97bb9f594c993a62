/*
 * fuzz-util.c - helpers of the fuzz targets (fuzz.h).
 */
#include "autoconfig.h"

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char	 dir[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static void
rm_dir(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_dir(void)
{
	const char	*tmp;

	if (dir[0] == '\0') {
		/* Memory, when there is some: inputs are files here. */
		if ((tmp = getenv("TMPDIR")) == NULL || strlen(tmp) > 40)
			tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			    "/tmp";
		snprintf(dir, sizeof(dir), "%s/fuzz.XXXXXX", tmp);
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(rm_dir);
	}
	return dir;
}

const char *
fuzz_file(const char *name, const void *data, size_t size)
{
	static char	 path[256];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	if ((fp = fopen(path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	if (fclose(fp) != 0)
		abort();
	return path;
}

char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void
fuzz_split(const uint8_t *data, size_t size, const char *sep, char **a,
    size_t *alen, char **b, size_t *blen)
{
	size_t	 seplen = strlen(sep), i;

	for (i = 0; i + seplen <= size; i++) {
		if ((i == 0 || data[i - 1] == '\n') &&
		    memcmp(data + i, sep, seplen) == 0 &&
		    (i + seplen == size || data[i + seplen] == '\n')) {
			*alen = i;
			*a = fuzz_str(data, i);
			i += seplen + (i + seplen < size);
			*blen = size - i;
			*b = fuzz_str(data + i, size - i);
			return;
		}
	}
	*alen = size;
	*a = fuzz_str(data, size);
	*blen = 0;
	*b = fuzz_str(data, 0);
}
