/*
 * replay.c - run a fuzz target's LLVMFuzzerTestOneInput on every file of
 * its corpus, without libFuzzer (the normal build, gcc): the regression
 * test of `make check`, one TAP line per file.
 *
 *   replay-NAME [FILE|DIR ...]
 *
 * Without arguments the corpus is $top_srcdir/tests/fuzz/corpus/NAME
 * (NAME from the program's own name).  A crash is the sanitizers' (or a
 * signal's) failure of the whole test; what returns is "ok".
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int	 ntests;
static char	**files;
static size_t	 nfiles;

static void
add_file(const char *path)
{
	if ((files = realloc(files, (nfiles + 1) * sizeof(*files))) == NULL ||
	    (files[nfiles] = strdup(path)) == NULL) {
		perror("replay");
		exit(1);
	}
	nfiles++;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
add_path(const char *path)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		*p;

	if (stat(path, &st) == -1) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return 0;
	}
	if ((d = opendir(path)) == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", path, de->d_name) == -1) {
			closedir(d);
			return -1;
		}
		add_file(p);
		free(p);
	}
	closedir(d);
	return 0;
}

/* The path from the corpus directory on ("deb822/Packages"). */
static const char *
shown(const char *path)
{
	const char *p = strstr(path, "/corpus/");

	return p != NULL ? p + 8 : path;
}

static int
replay(const char *path)
{
	FILE	*fp;
	uint8_t	*data = NULL;
	size_t	 len = 0, cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL) {
		printf("not ok %d - %s: %s\n", ++ntests, shown(path),
		    strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((data = realloc(data, cap)) == NULL) {
				perror("replay");
				exit(1);
			}
		}
		if ((n = fread(data + len, 1, cap - len, fp)) == 0)
			break;
		len += n;
	}
	fclose(fp);
	/* An exact-size copy, so that ASan sees a read past the end. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (exact == NULL)
			exit(1);
		memcpy(exact, data, len);
		free(data);
		fflush(stdout);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	printf("ok %d - %s (%zu bytes)\n", ++ntests, shown(path), len);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*srcdir, *name;
	char		*dir;
	size_t		 i;
	int		 fail = 0, k;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (k = 1; k < argc; k++)
			if (add_path(argv[k]) == -1)
				return 1;
	} else {
		if ((srcdir = getenv("top_srcdir")) == NULL)
			srcdir = ".";
		name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 :
		    argv[0];
		if (strncmp(name, "lt-", 3) == 0)
			name += 3;
		if (strncmp(name, "replay-", 7) == 0)
			name += 7;
		if (asprintf(&dir, "%s/tests/fuzz/corpus/%s", srcdir, name) == -1)
			return 1;
		if (add_path(dir) == -1)
			return 1;
		free(dir);
	}
	qsort(files, nfiles, sizeof(*files), cmp);
	if (nfiles == 0) {
		printf("Bail out! empty corpus\n");
		return 1;
	}
	printf("1..%zu\n", nfiles);
	for (i = 0; i < nfiles; i++) {
		if (replay(files[i]) == -1)
			fail = 1;
		free(files[i]);
	}
	free(files);
	return fail;
}
