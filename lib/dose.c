/* dose.c - dose-distcheck's YAML report (see dose.h), through libyaml. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "dose.h"
#include "xmalloc.h"

#define DOSE_MAX_INPUT	(512UL << 20)
#define DOSE_MAX_CHAIN	32		/* depchain steps shown */

/* Debian package names: [a-z0-9][a-z0-9+.-]+ (Policy 5.6.1). */
static int
name_ok(const char *s)
{
	const char *p;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) ||
	    s[1] == '\0')
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '+' || *p == '-' || *p == '.'))
			return 0;
	return 1;
}

static yaml_node_t *
node_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(doc, p->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* The scalar text under key, or NULL. */
static const char *
node_str(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = node_get(doc, map, key);

	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static void
pkg_add(struct buf *b, yaml_document_t *doc, yaml_node_t *p)
{
	const char *name = node_str(doc, p, "package");
	const char *ver = node_str(doc, p, "version");

	buf_printf(b, "%s %s", name != NULL ? name : "?",
	    ver != NULL ? ver : "?");
}

/* " (x 1 -> y 2 -> z 3)" from a depchains/depchain1 sequence. */
static void
chains_add(struct buf *b, yaml_document_t *doc, yaml_node_t *chains)
{
	yaml_node_item_t	*ci, *si;
	yaml_node_t		*c, *chain, *step;
	int			 nchain = 0, nstep;

	if (chains == NULL || chains->type != YAML_SEQUENCE_NODE)
		return;
	for (ci = chains->data.sequence.items.start;
	    ci < chains->data.sequence.items.top; ci++) {
		c = yaml_document_get_node(doc, *ci);
		chain = node_get(doc, c, "depchain");
		if (chain == NULL || chain->type != YAML_SEQUENCE_NODE)
			continue;
		buf_adds(b, nchain++ == 0 ? " (via " : "; ");
		nstep = 0;
		for (si = chain->data.sequence.items.start;
		    si < chain->data.sequence.items.top; si++) {
			step = yaml_document_get_node(doc, *si);
			if (nstep++ == DOSE_MAX_CHAIN) {
				buf_adds(b, " -> ...");
				break;
			}
			if (nstep > 1)
				buf_adds(b, " -> ");
			pkg_add(b, doc, step);
			if (node_str(doc, step, "depends") != NULL)
				buf_printf(b, " [depends %s]",
				    node_str(doc, step, "depends"));
		}
		if (nchain == 4)
			break;
	}
	if (nchain > 0)
		buf_addc(b, ')');
}

static void
reason_add(struct buf *b, yaml_document_t *doc, yaml_node_t *r)
{
	yaml_node_t	*m, *p, *p2;
	const char	*what;

	if (b->len > 0)
		buf_addc(b, '\n');
	if ((m = node_get(doc, r, "missing")) != NULL) {
		p = node_get(doc, m, "pkg");
		what = node_str(doc, p, "unsat-dependency");
		buf_printf(b, "missing %s, needed by ", what != NULL ? what :
		    "?");
		pkg_add(b, doc, p);
		chains_add(b, doc, node_get(doc, m, "depchains"));
	} else if ((m = node_get(doc, r, "conflict")) != NULL) {
		p = node_get(doc, m, "pkg1");
		p2 = node_get(doc, m, "pkg2");
		buf_adds(b, "conflict: ");
		pkg_add(b, doc, p);
		buf_adds(b, " and ");
		pkg_add(b, doc, p2);
		if ((what = node_str(doc, p, "unsat-conflict")) != NULL)
			buf_printf(b, " (%s)", what);
		chains_add(b, doc, node_get(doc, m, "depchain1"));
		chains_add(b, doc, node_get(doc, m, "depchain2"));
	} else
		buf_adds(b, "unknown reason");
}

/* Single-quote the value of every "key: value" line that is not quoted
 * or a flow/block start already. */
static char *
requote(const char *buf, size_t len, size_t *outlen)
{
	struct buf	 b;
	const char	*p = buf, *end = buf + len, *nl, *c, *v;

	buf_init(&b);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		/* indentation, an optional "- ", a key, ": " */
		c = p;
		while (c < nl && (*c == ' ' || *c == '-'))
			c++;
		while (c < nl && *c != ':' && *c != ' ')
			c++;
		if (c + 1 < nl && c[0] == ':' && c[1] == ' ' && c + 2 < nl &&
		    c[2] != '\'' && c[2] != '"') {
			v = c + 2;
			buf_add(&b, p, (size_t)(v - p));
			buf_addc(&b, '\'');
			for (; v < nl; v++) {
				if (*v == '\'')
					buf_addc(&b, '\'');
				buf_addc(&b, *v);
			}
			buf_addc(&b, '\'');
		} else
			buf_add(&b, p, (size_t)(nl - p));
		buf_addc(&b, '\n');
		p = nl + 1;
	}
	*outlen = b.len;
	return buf_steal(&b);
}

static int
load(const char *buf, size_t len, yaml_document_t *doc, struct dp_error *err)
{
	yaml_parser_t	parser;
	int		rv = -1;

	if (!yaml_parser_initialize(&parser)) {
		dp_error_set(err, DP_ERR_SYSTEM, "cannot initialise libyaml");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, doc)) {
		dp_error_set(err, DP_ERR_PARSE, "dose output line %lu column "
		    "%lu: %s%s%s", (unsigned long)parser.problem_mark.line + 1,
		    (unsigned long)parser.problem_mark.column + 1,
		    parser.problem != NULL ? parser.problem : "bad YAML",
		    parser.context != NULL ? " " : "",
		    parser.context != NULL ? parser.context : "");
		goto out;
	}
	rv = 0;
out:
	yaml_parser_delete(&parser);
	return rv;
}

int
dose_parse(const char *buf, size_t len, struct dose_report *out,
    struct dp_error *err)
{
	yaml_document_t		 doc;
	yaml_node_t		*root, *report, *e, *reasons;
	yaml_node_item_t	*it, *ri;
	struct dose_entry	*d;
	struct buf		 why;
	struct dp_error		 first;
	const char		*status, *s;
	char			*fixed = NULL;
	size_t			 fixedlen, cap = 0;
	int			 loaded = 0, rv = -1;

	memset(out, 0, sizeof(*out));
	buf_init(&why);
	if (len > DOSE_MAX_INPUT) {
		dp_error_set(err, DP_ERR_INVALID, "dose output of %zu bytes is "
		    "larger than the limit of %lu", len, DOSE_MAX_INPUT);
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		dp_error_set(err, DP_ERR_PARSE, "dose output holds a NUL "
		    "byte");
		goto out;
	}
	if (load(buf, len, &doc, &first) == -1) {
		fixed = requote(buf, len, &fixedlen);
		if (load(fixed, fixedlen, &doc, err) == -1) {
			dp_error_set(err, first.code, "%s", first.msg);
			goto out;
		}
	}
	loaded = 1;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		dp_error_set(err, DP_ERR_PARSE, "dose output is empty (did "
		    "dose-distcheck run?)");
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		dp_error_set(err, DP_ERR_PARSE, "dose output line %lu: not a "
		    "mapping", (unsigned long)root->start_mark.line + 1);
		goto out;
	}
	report = node_get(&doc, root, "report");
	if (report != NULL && report->type == YAML_SCALAR_NODE &&
	    report->data.scalar.length == 0)
		report = NULL;	/* "report:" with nothing */
	if (report != NULL && report->type != YAML_SEQUENCE_NODE) {
		dp_error_set(err, DP_ERR_PARSE, "dose output line %lu: "
		    "'report' is not a list",
		    (unsigned long)report->start_mark.line + 1);
		goto out;
	}
	for (it = report != NULL ? report->data.sequence.items.start : NULL;
	    report != NULL && it < report->data.sequence.items.top; it++) {
		e = yaml_document_get_node(&doc, *it);
		if (node_str(&doc, e, "package") == NULL) {
			dp_error_set(err, DP_ERR_PARSE, "dose output line "
			    "%lu: a report entry without 'package'",
			    e != NULL ? (unsigned long)e->start_mark.line + 1 :
			    0UL);
			goto out;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->entries = xreallocarray(out->entries, cap,
			    sizeof(*out->entries));
		}
		d = &out->entries[out->n++];
		memset(d, 0, sizeof(*d));
		d->package = xstrdup(node_str(&doc, e, "package"));
		s = node_str(&doc, e, "version");
		d->version = xstrdup(s != NULL ? s : "");
		s = node_str(&doc, e, "architecture");
		d->arch = xstrdup(s != NULL ? s : "");
		if (!name_ok(d->package)) {
			dp_error_set(err, DP_ERR_PARSE, "dose output line %lu: "
			    "'%.64s' is not a package name",
			    (unsigned long)e->start_mark.line + 1, d->package);
			goto out;
		}
		status = node_str(&doc, e, "status");
		if (status == NULL || (strcmp(status, "ok") != 0 &&
		    strcmp(status, "broken") != 0)) {
			dp_error_set(err, DP_ERR_PARSE, "dose output line %lu: "
			    "status '%.32s' of %s is neither ok nor broken",
			    (unsigned long)e->start_mark.line + 1,
			    status != NULL ? status : "", d->package);
			goto out;
		}
		d->broken = strcmp(status, "broken") == 0;
		if (!d->broken)
			continue;
		out->nbroken++;
		buf_reset(&why);
		reasons = node_get(&doc, e, "reasons");
		if (reasons != NULL && reasons->type == YAML_SEQUENCE_NODE)
			for (ri = reasons->data.sequence.items.start;
			    ri < reasons->data.sequence.items.top; ri++)
				reason_add(&why, &doc,
				    yaml_document_get_node(&doc, *ri));
		if (why.len == 0)
			buf_adds(&why, "broken (dose gave no reason)");
		d->why = xstrdup(why.data);
	}
	rv = 0;
out:
	if (loaded)
		yaml_document_delete(&doc);
	if (rv == -1)
		dose_report_done(out);
	free(fixed);
	buf_done(&why);
	return rv;
}

void
dose_report_done(struct dose_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->entries[i].package);
		free(r->entries[i].version);
		free(r->entries[i].arch);
		free(r->entries[i].why);
	}
	free(r->entries);
	memset(r, 0, sizeof(*r));
}
