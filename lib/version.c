/*
 * version.c - versions and names through libdpkg (see version.h).
 *
 * libdpkg's API is volatile and its allocations (nfmalloc) live until
 * nffreeall(); every result is copied out and the pool released before
 * returning, so no libdpkg memory or type escapes this file.
 *
 * That pool and libdpkg's static message buffers are process-global: one
 * lock serialises every use of libdpkg, so any thread may call this file
 * (pool_add validates control files in its reader thread).
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define LIBDPKG_VOLATILE_API 1
#include <dpkg/dpkg.h>
#include <dpkg/dpkg-db.h>
#include <dpkg/arch.h>
#include <dpkg/error.h>
#include <dpkg/version.h>

#include "version.h"
#include "xmalloc.h"

#define NAME_MAX_LEN	255

static pthread_mutex_t dpkg_lock = PTHREAD_MUTEX_INITIALIZER;

/* Called with dpkg_lock held. */
static int
version_dpkg_parse(const char *s, struct dpkg_version *dv,
    struct dp_error *err)
{
	struct dpkg_error	derr = DPKG_ERROR_INIT;
	size_t			i;

	if (s == NULL || *s == '\0') {
		dp_error_set(err, DP_ERR_INVALID, "empty version");
		return -1;
	}
	/* parseversion trims blanks; a field value must not carry them, and
	 * control characters are never valid. */
	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
			dp_error_set(err, DP_ERR_INVALID, "invalid version "
			    "'%s': contains white space or a control "
			    "character", s);
			return -1;
		}
	}
	if (parseversion(dv, s, &derr) != 0) {
		dp_error_set(err, DP_ERR_INVALID, "invalid version '%s': %s",
		    s, derr.str != NULL ? derr.str : "rejected by libdpkg");
		dpkg_error_destroy(&derr);
		nffreeall();
		return -1;
	}
	dpkg_error_destroy(&derr);
	return 0;
}

int
version_parse(const char *s, struct version *v, struct dp_error *err)
{
	struct dpkg_version dv = DPKG_VERSION_INIT;

	memset(v, 0, sizeof(*v));
	pthread_mutex_lock(&dpkg_lock);
	if (version_dpkg_parse(s, &dv, err) == -1) {
		pthread_mutex_unlock(&dpkg_lock);
		return -1;
	}
	v->epoch = dv.epoch;
	v->upstream = xstrdup(dv.version != NULL ? dv.version : "");
	v->revision = xstrdup(dv.revision != NULL ? dv.revision : "");
	nffreeall();
	pthread_mutex_unlock(&dpkg_lock);
	return 0;
}

void
version_done(struct version *v)
{
	if (v == NULL)
		return;
	free(v->upstream);
	free(v->revision);
	v->upstream = v->revision = NULL;
}

int
version_validate(const char *s, struct dp_error *err)
{
	struct dpkg_version	dv = DPKG_VERSION_INIT;
	int			rv = 0;

	pthread_mutex_lock(&dpkg_lock);
	if (version_dpkg_parse(s, &dv, err) == -1)
		rv = -1;
	else
		nffreeall();
	pthread_mutex_unlock(&dpkg_lock);
	return rv;
}

int
version_compare(const char *a, const char *b)
{
	struct dpkg_version	va = DPKG_VERSION_INIT, vb = DPKG_VERSION_INIT;
	int			oka, okb, r;

	pthread_mutex_lock(&dpkg_lock);
	oka = version_dpkg_parse(a, &va, NULL) == 0;
	okb = version_dpkg_parse(b, &vb, NULL) == 0;
	if (oka && okb)
		r = dpkg_version_compare(&va, &vb);
	else if (!oka && !okb)
		r = strcmp(a != NULL ? a : "", b != NULL ? b : "");
	else
		r = oka ? 1 : -1;
	nffreeall();
	pthread_mutex_unlock(&dpkg_lock);
	return r;
}

const char *
version_noepoch(const char *s)
{
	const char *colon;

	if ((colon = strchr(s, ':')) != NULL)
		return colon + 1;
	return s;
}

int
version_name_validate(const char *name, struct dp_error *err)
{
	const char	*why;
	size_t		 i, len;
	char		 c;

	if (name == NULL || *name == '\0') {
		dp_error_set(err, DP_ERR_INVALID, "empty package name");
		return -1;
	}
	len = strlen(name);
	if (len < 2 || len > NAME_MAX_LEN) {
		dp_error_set(err, DP_ERR_INVALID, "invalid package name "
		    "'%s': must be 2 to %d characters", name, NAME_MAX_LEN);
		return -1;
	}
	for (i = 0; i < len; i++) {
		c = name[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '+' || c == '-' || c == '.'))
			continue;
		dp_error_set(err, DP_ERR_INVALID, "invalid package name '%s': "
		    "only lowercase letters, digits, '+', '-' and '.' are "
		    "allowed, starting with a letter or digit", name);
		return -1;
	}
	if (strstr(name, "..") != NULL) {
		dp_error_set(err, DP_ERR_INVALID, "invalid package name '%s': "
		    "contains \"..\"", name);
		return -1;
	}
	/* Belt and braces: dpkg's own opinion. */
	pthread_mutex_lock(&dpkg_lock);
	if ((why = pkg_name_is_illegal(name)) != NULL)
		dp_error_set(err, DP_ERR_INVALID, "invalid package name "
		    "'%s': %s", name, why);
	pthread_mutex_unlock(&dpkg_lock);
	return why != NULL ? -1 : 0;
}

int
version_arch_validate(const char *arch, struct dp_error *err)
{
	const char *why, *p;

	if (arch == NULL || *arch == '\0') {
		dp_error_set(err, DP_ERR_INVALID, "empty architecture");
		return -1;
	}
	if (strlen(arch) > 64) {
		dp_error_set(err, DP_ERR_INVALID, "invalid architecture: "
		    "longer than 64 characters");
		return -1;
	}
	pthread_mutex_lock(&dpkg_lock);
	if ((why = dpkg_arch_name_is_illegal(arch)) != NULL)
		dp_error_set(err, DP_ERR_INVALID, "invalid architecture "
		    "'%s': %s", arch, why);
	pthread_mutex_unlock(&dpkg_lock);
	if (why != NULL)
		return -1;
	for (p = arch; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-')) {
			dp_error_set(err, DP_ERR_INVALID, "invalid architecture "
			    "'%s': only lowercase letters, digits and '-' are "
			    "allowed", arch);
			return -1;
		}
	}
	return 0;
}
