/* manifest.c: labelled sets: the manifest CSV (docs/FORMATS.md) that lists
 * event files with their emotion and lighting.
 *
 * The first non-blank, non-comment line is the header; it must name the
 * columns path, emotion and lighting (any order, any case; other columns
 * are ignored so that users can keep their own notes, subject ids and so
 * on).  Fields may be double-quoted ("" inside quotes is one quote) so
 * that paths may hold commas.  Relative paths are resolved against the
 * manifest's directory, so a set can be moved as a whole.  Every error
 * names file:line, counted from 1 as editors do.  The reader has no
 * fixed limits: lines come from getline, fields are malloc'ed. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "saccade/runtime.h"

#define MAX_COLS 64

/* Split line (modified in place) into at most MAX_COLS trimmed fields.
 * Returns the field count, or -1 for an unterminated quote. */
static int split(char *line, char **f)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		char *start = p, *w = p;
		if (*p == '"') {
			p++;
			for (;;) {
				if (!*p)
					return -1;
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			while (*p && *p != ',')
				p++; /* text after the closing quote is ignored */
		} else {
			while (*p && *p != ',')
				*w++ = *p++;
			while (w > start && (w[-1] == ' ' || w[-1] == '\t'))
				w--;
		}
		char sep = *p;
		*w = '\0';
		if (n < MAX_COLS)
			f[n++] = start;
		if (sep != ',')
			return n;
		p++;
	}
}

/* Lighting names as people write them: "low light", "low-light", "LowLight". */
static int parse_lighting(const char *s)
{
	char buf[32];
	size_t k = 0;
	for (; *s && k + 1 < sizeof buf; s++)
		if (*s != ' ' && *s != '-' && *s != '_')
			buf[k++] = *s;
	buf[k] = '\0';
	if (*s)
		return -1;
	return sac_lighting_parse(buf);
}

void sac_manifest_free(sac_manifest *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n; i++)
		free(m->s[i].path);
	free(m->s);
	free(m->file);
	memset(m, 0, sizeof *m);
}

static char *join(const char *dir, size_t dlen, const char *rel)
{
	size_t r = strlen(rel);
	char *p = malloc(dlen + r + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, dlen);
	if (dlen)
		p[dlen++] = '/';
	memcpy(p + dlen, rel, r + 1);
	return p;
}

int sac_manifest_read(const char *path, sac_manifest *m, sac_err *e)
{
	memset(m, 0, sizeof *m);
	if (!path)
		return sac_errf(e, SAC_ERR_USAGE, "sac_manifest_read: no path");
	FILE *f = fopen(path, "r");
	if (!f)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	m->file = strdup(path);
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	if (slash && dlen == 0)
		dlen = 1; /* "/x.csv": the root */
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, col[3] = {-1, -1, -1}, header = 0, rc = m->file ? SAC_OK
		: sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	int alloc = 0;
	static const char *const names[3] = {"path", "emotion", "lighting"};
	while (!rc && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((size_t)len != strlen(line)) {
			rc = sac_errf(e, SAC_ERR_PARSE, "%s:%d: NUL byte in the line", path, lineno);
			break;
		}
		const char *q = line;
		while (isspace((unsigned char)*q))
			q++;
		if (!*q || *q == '#')
			continue;
		char *fld[MAX_COLS];
		int nf = split(line, fld);
		if (nf < 0) {
			rc = sac_errf(e, SAC_ERR_PARSE, "%s:%d: unterminated quoted field", path, lineno);
			break;
		}
		if (!header) {
			header = 1;
			for (int i = 0; i < nf; i++)
				for (int k = 0; k < 3; k++)
					if (!strcasecmp(fld[i], names[k]))
						col[k] = col[k] < 0 ? i : col[k];
			for (int k = 0; k < 3 && !rc; k++)
				if (col[k] < 0)
					rc = sac_errf(e, SAC_ERR_PARSE,
						      "%s:%d: the header has no '%s' column (expected 'path,emotion,lighting')",
						      path, lineno, names[k]);
			continue;
		}
		for (int k = 0; k < 3 && !rc; k++)
			if (col[k] >= nf || !*fld[col[k]])
				rc = sac_errf(e, SAC_ERR_PARSE, "%s:%d: no %s (column %d)", path,
					      lineno, names[k], col[k] + 1);
		if (rc)
			break;
		int em = sac_class_parse(fld[col[1]]), li = parse_lighting(fld[col[2]]);
		if (em < 0) {
			rc = sac_errf(e, SAC_ERR_PARSE,
				      "%s:%d: unknown emotion '%s' (happiness sadness anger disgust surprise fear neutral, Ha..Ne or 0..6)",
				      path, lineno, fld[col[1]]);
			break;
		}
		if (li < 0) {
			rc = sac_errf(e, SAC_ERR_PARSE,
				      "%s:%d: unknown lighting '%s' (normal overexposure lowlight hdr, or 0..3)",
				      path, lineno, fld[col[2]]);
			break;
		}
		if (m->n == alloc) {
			int na = alloc ? 2 * alloc : 64;
			sac_sample *s = realloc(m->s, (size_t)na * sizeof *s);
			if (!s) {
				rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
				break;
			}
			m->s = s;
			alloc = na;
		}
		const char *p = fld[col[0]];
		sac_sample *s = &m->s[m->n];
		s->path = p[0] == '/' ? strdup(p) : join(path, dlen, p);
		if (!s->path) {
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			break;
		}
		s->line = lineno;
		s->emotion = em;
		s->lighting = li;
		m->n++;
	}
	if (!rc && ferror(f))
		rc = sac_errf(e, SAC_ERR_IO, "%s: read error", path);
	if (!rc && !header)
		rc = sac_errf(e, SAC_ERR_PARSE, "%s: empty manifest (expected a header 'path,emotion,lighting')",
			      path);
	if (!rc && !m->n)
		rc = sac_errf(e, SAC_ERR_PARSE, "%s:%d: no samples after the header", path, lineno);
	free(line);
	fclose(f);
	if (rc)
		sac_manifest_free(m);
	return rc;
}
