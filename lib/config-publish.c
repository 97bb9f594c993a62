/*
 * config-publish.c - `Publish-To:` stanzas of debpipe.conf: one object
 * storage target each (DESIGN.md "Publishing to object storage"):
 *
 *   Publish-To: s3://BUCKET/PREFIX | swift://CONTAINER/PREFIX
 *   Publish-Endpoint: URL       S3 endpoint, or the Swift auth URL
 *   Publish-Region: us-east-1
 *   Publish-Credentials: FILE   deb822, mode 0600 (read at publish time)
 *   Publish-Jobs: 8
 *   Publish-Addressing: path | virtual   (S3)
 *   Publish-URL: URL            what apt clients use (a CDN), optional
 *   Publish-Detached-Release: no  yes: Release and Release.gpg too
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config-int.h"
#include "fsutil.h"

static const char *check_addressing(const char *);

#define P(f)	offsetof(struct conf_target, f)
static const struct fspec target_fields[] = {
	{ "Publish-To",		K_STR,	P(name),	0, 0, NULL },
	{ "Publish-Endpoint",	K_URL,	P(endpoint),	0, 0, NULL },
	{ "Publish-Region",	K_STR,	P(region),	0, 0, config_check_word },
	{ "Publish-Credentials", K_PATH, P(credentials), 0, 0, NULL },
	{ "Publish-Jobs",	K_INT,	P(jobs),	1, 0, NULL },
	{ "Publish-URL",	K_URL,	P(public_url),	0, 0, NULL },
	{ "Publish-Detached-Release", K_BOOL, P(detached_release), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};
#undef P

static const char *
check_addressing(const char *v)
{
	if (strcmp(v, "path") == 0 || strcmp(v, "virtual") == 0)
		return NULL;
	return "use 'path' or 'virtual'";
}

static int
bucket_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		    *s == '_'))
			return 0;
	return 1;
}

/* "s3://bucket/a/b/" -> proto, bucket, prefix "a/b". */
static int
target_parse(struct load *ld, int line, struct conf_target *t,
    struct dp_error *err)
{
	const char	*rest, *slash;
	char		*prefix;
	size_t		 n;

	if (strncmp(t->name, "s3://", 5) == 0) {
		t->proto = TARGET_S3;
		rest = t->name + 5;
	} else if (strncmp(t->name, "swift://", 8) == 0) {
		t->proto = TARGET_SWIFT;
		rest = t->name + 8;
	} else {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: Publish-To: '%s' "
		    "is neither s3://BUCKET/PREFIX nor swift://CONTAINER/PREFIX",
		    ld->file, line, t->name);
		return -1;
	}
	slash = strchr(rest, '/');
	t->bucket = slash != NULL ? xstrndup(rest, (size_t)(slash - rest)) :
	    xstrdup(rest);
	if (!bucket_ok(t->bucket)) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: Publish-To: bad "
		    "bucket or container name '%s' (letters, digits, '-', "
		    "'.', '_')", ld->file, line, t->bucket);
		return -1;
	}
	prefix = xstrdup(slash != NULL ? slash + 1 : "");
	while ((n = strlen(prefix)) > 0 && prefix[n - 1] == '/')
		prefix[n - 1] = '\0';
	t->prefix = prefix;
	if (prefix[0] != '\0' && (!fs_relpath_is_safe(prefix) ||
	    strchr(prefix, '%') != NULL || strchr(prefix, ' ') != NULL ||
	    strchr(prefix, '?') != NULL || strchr(prefix, '#') != NULL)) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: Publish-To: bad "
		    "prefix '%s' (a relative path of plain names)", ld->file,
		    line, prefix);
		return -1;
	}
	return 0;
}

int
config_target_load(struct load *ld, const struct deb822_para *para,
    struct dp_error *err)
{
	struct config		*cfg = ld->cfg;
	struct conf_target	*t;
	const struct deb822_field *f;
	const struct fspec	*s;
	struct fspec		 as;
	char			*addressing;
	size_t			 i;

	cfg->targets = config_array_grow(cfg->targets, cfg->ntargets, &ld->targetcap,
	    sizeof(*cfg->targets), 2);
	t = &cfg->targets[cfg->ntargets++];
	t->file = xstrdup(ld->file);
	t->line = para->line;
	t->jobs = 8;

	for (i = 0; i < para->nfields; i++) {
		f = &para->fields[i];
		if (strcasecmp(f->name, "Publish-Addressing") == 0) {
			as = (struct fspec){ "Publish-Addressing", K_STR, 0,
			    0, 0, check_addressing };
			addressing = NULL;
			if (config_field_set(ld, &as, f, &addressing,
			    err) != 0)
				return -1;
			t->virtual_host = strcmp(addressing, "virtual") == 0;
			free(addressing);
			addressing = NULL;
			continue;
		}
		if ((s = config_spec_find(target_fields, f->name)) == NULL)
			return config_field_unknown(ld, target_fields, f,
			    "a Publish-To: stanza", "Publish-Addressing", err);
		if (config_field_set(ld, s, f, t, err) != 0)
			return -1;
	}
	if (target_parse(ld, para->line, t, err) == -1)
		return -1;
	if ((f = deb822_find(para, "Publish-Credentials")) != NULL)
		t->credentials_line = f->line;
	for (i = 0; i + 1 < cfg->ntargets; i++) {
		if (strcmp(cfg->targets[i].name, t->name) == 0) {
			dp_error_set(err, DP_ERR_INVALID, "%s:%d: duplicate "
			    "Publish-To: '%s' (first at %s:%d)", ld->file,
			    para->line, t->name, cfg->targets[i].file,
			    cfg->targets[i].line);
			return -1;
		}
	}
	if (t->endpoint == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: Publish-To: '%s' "
		    "needs Publish-Endpoint: (%s)", ld->file, para->line,
		    t->name, t->proto == TARGET_S3 ? "the S3 endpoint URL, "
		    "e.g. https://s3.eu-west-1.amazonaws.com" : "the Swift "
		    "auth URL, .../auth/v1.0 for tempauth or .../v3 for "
		    "Keystone");
		return -1;
	}
	if (t->credentials == NULL) {
		dp_error_set(err, DP_ERR_INVALID, "%s:%d: Publish-To: '%s' "
		    "needs Publish-Credentials: FILE (deb822, mode 0600)",
		    ld->file, para->line, t->name);
		return -1;
	}
	if (t->region == NULL)
		t->region = xstrdup("us-east-1");
	return 0;
}

void
config_targets_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->ntargets; i++) {
		struct conf_target *t = &cfg->targets[i];

		free(t->name);
		free(t->bucket);
		free(t->prefix);
		free(t->endpoint);
		free(t->region);
		free(t->credentials);
		free(t->public_url);
		free(t->file);
	}
	free(cfg->targets);
}

const struct conf_target *
config_target_find(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ntargets; i++)
		if (strcmp(cfg->targets[i].name, name) == 0)
			return &cfg->targets[i];
	for (i = 0; i < cfg->ntargets; i++)
		if (strcmp(cfg->targets[i].bucket, name) == 0)
			return &cfg->targets[i];
	return NULL;
}
