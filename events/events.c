/* events.c: DVS event streams: names of classes and lightings, and the
 * .npy / CSV readers and writers.
 *
 * A stream in memory always satisfies: x < width, y < height, p in {0, 1}
 * and t non-decreasing with t >= 0 (microseconds).  The readers establish
 * that or fail with a message naming the file and the row (.npy, counted
 * from 0 as NumPy indexes) or the line (CSV, counted from 1 as editors do).
 * Out-of-order input is rejected rather than sorted, because it usually
 * means the columns were mixed up.  The file format is chosen by content
 * (the .npy magic), never by the file name, when reading. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "saccade/events.h"
#include "saccade/npy.h"

static const char *const class_names[SAC_NUM_CLASSES] = {
	"happiness", "sadness", "anger", "disgust", "surprise", "fear", "neutral"};
static const char *const class_shorts[SAC_NUM_CLASSES] = {
	"Ha", "Sa", "An", "Di", "Su", "Fe", "Ne"};
static const char *const lighting_names[SAC_NUM_LIGHTINGS] = {
	"normal", "overexposure", "lowlight", "hdr"};

const char *sac_class_name(int c)
{
	return c >= 0 && c < SAC_NUM_CLASSES ? class_names[c] : "unknown";
}

const char *sac_class_short(int c)
{
	return c >= 0 && c < SAC_NUM_CLASSES ? class_shorts[c] : "??";
}

const char *sac_lighting_name(int l)
{
	return l >= 0 && l < SAC_NUM_LIGHTINGS ? lighting_names[l] : "unknown";
}

/* A single decimal digit selects by index. */
static int index_of(const char *s, int n)
{
	if (s && s[0] >= '0' && s[0] < '0' + n && !s[1])
		return s[0] - '0';
	return -1;
}

int sac_class_parse(const char *s)
{
	int i = index_of(s, SAC_NUM_CLASSES);
	if (i >= 0 || !s)
		return i;
	for (i = 0; i < SAC_NUM_CLASSES; i++)
		if (!strcasecmp(s, class_names[i]) || !strcasecmp(s, class_shorts[i]))
			return i;
	return -1;
}

int sac_lighting_parse(const char *s)
{
	int i = index_of(s, SAC_NUM_LIGHTINGS);
	if (i >= 0 || !s)
		return i;
	for (i = 0; i < SAC_NUM_LIGHTINGS; i++)
		if (!strcasecmp(s, lighting_names[i]))
			return i;
	return -1;
}

void sac_events_free(sac_events *s)
{
	if (!s)
		return;
	free(s->ev);
	s->ev = NULL;
	s->count = s->cap = 0;
}

static int push(sac_events *s, const sac_event *ev, const char *path, sac_err *e)
{
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		sac_event *p = cap < SIZE_MAX / sizeof *p ? realloc(s->ev, cap * sizeof *p) : NULL;
		if (!p)
			return sac_errf(e, SAC_ERR_NOMEM, "%s: out of memory at event %zu",
					path, s->count);
		s->ev = p;
		s->cap = cap;
	}
	s->ev[s->count++] = *ev;
	return SAC_OK;
}

/* Validate one row given as doubles and append it.  `where` follows the
 * path: ": row 12" (.npy) or ":13" (CSV line), so both formats share the
 * messages. */
static int add_checked(sac_events *s, double t, double x, double y, double p,
		       const char *path, const char *where, sac_err *e)
{
	if (!isfinite(t) || t < 0 || t > 9.0e15)
		return sac_errf(e, SAC_ERR_RANGE,
				"%s%s: t = %g is not a time in microseconds >= 0",
				path, where, t);
	if (x != floor(x) || x < 0 || x >= s->width)
		return sac_errf(e, SAC_ERR_RANGE, "%s%s: x = %g outside [0, %d)",
				path, where, x, s->width);
	if (y != floor(y) || y < 0 || y >= s->height)
		return sac_errf(e, SAC_ERR_RANGE, "%s%s: y = %g outside [0, %d)",
				path, where, y, s->height);
	if (p != -1 && p != 0 && p != 1)
		return sac_errf(e, SAC_ERR_RANGE,
				"%s%s: polarity p = %g; expected -1, 0 or 1", path, where, p);
	sac_event ev = {(int64_t)llround(t), (uint16_t)x, (uint16_t)y, p > 0};
	if (s->count && ev.t < s->ev[s->count - 1].t)
		return sac_errf(e, SAC_ERR_PARSE,
				"%s%s: t = %lld is earlier than the previous event (t = %lld); events must be sorted by time",
				path, where, (long long)ev.t,
				(long long)s->ev[s->count - 1].t);
	return push(s, &ev, path, e);
}

/* One field of one record, converted to double. */
static double field_value(const unsigned char *rec, const sac_npy_field *f)
{
	sac_tensor t = {.dtype = f->dtype, .ndim = 0, .count = 1};
	unsigned char tmp[8];
	memcpy(tmp, rec + f->offset, sac_dtype_size(f->dtype));
	t.data = tmp;
	return sac_tensor_get_f(&t, 0);
}

static int read_npy(const char *path, sac_events *s, sac_err *e)
{
	sac_npy_records r;
	int rc = sac_npy_read_records(path, &r, e);
	if (rc)
		return rc;
	static const char *const need[4] = {"t", "x", "y", "p"};
	int fi[4];
	for (int k = 0; k < 4; k++) {
		fi[k] = sac_npy_field_index(&r, need[k]);
		if (fi[k] < 0) {
			char have[SAC_NPY_MAX_FIELDS * 34] = "";
			for (int i = 0; i < r.nfields; i++) {
				strcat(have, i ? ", " : "");
				strcat(have, r.field[i].name);
			}
			sac_npy_records_free(&r);
			return sac_errf(e, SAC_ERR_PARSE,
					"%s: no field '%s' (the file has: %s; an event file needs t, x, y, p)",
					path, need[k], have);
		}
	}
	for (size_t i = 0; i < r.count && !rc; i++) {
		const unsigned char *rec = (const unsigned char *)r.data + i * r.itemsize;
		char where[40];
		snprintf(where, sizeof where, ": row %zu", i);
		rc = add_checked(s, field_value(rec, &r.field[fi[0]]),
				 field_value(rec, &r.field[fi[1]]),
				 field_value(rec, &r.field[fi[2]]),
				 field_value(rec, &r.field[fi[3]]), path, where, e);
	}
	sac_npy_records_free(&r);
	return rc;
}

/* Parse "t,x,y,p" into v; 0 if the line does not hold exactly 4 numbers. */
static int parse_csv_line(const char *line, double v[4])
{
	const char *p = line;
	for (int k = 0; k < 4; k++) {
		while (*p == ' ' || *p == '\t')
			p++;
		char *end;
		errno = 0;
		v[k] = strtod(p, &end);
		if (end == p || errno == ERANGE)
			return 0;
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		if (k < 3 && *p++ != ',')
			return 0;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return *p == '\0';
}

static int is_header(const char *line)
{
	char buf[32];
	size_t k = 0;
	for (const char *p = line; *p && k + 1 < sizeof buf; p++)
		if (!isspace((unsigned char)*p))
			buf[k++] = (char)tolower((unsigned char)*p);
	buf[k] = '\0';
	return !strcmp(buf, "t,x,y,p");
}

static int blank(const char *line)
{
	for (; *line; line++)
		if (!isspace((unsigned char)*line))
			return 0;
	return 1;
}

static int read_csv(FILE *f, const char *path, sac_events *s, sac_err *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int rc = SAC_OK, seen_data = 0;
	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if ((size_t)n != strlen(line)) {
			rc = sac_errf(e, SAC_ERR_PARSE,
				      "%s:%ld: binary data (a NUL byte); expected CSV 't,x,y,p' or a .npy file",
				      path, lineno);
			break;
		}
		if (blank(line) || line[0] == '#')
			continue;
		if (!seen_data && is_header(line)) {
			seen_data = 1;
			continue;
		}
		seen_data = 1;
		double v[4];
		if (!parse_csv_line(line, v)) {
			char shown[48];
			snprintf(shown, sizeof shown, "%.40s", line);
			shown[strcspn(shown, "\r\n")] = '\0';
			rc = sac_errf(e, SAC_ERR_PARSE,
				      "%s:%ld: expected 4 comma-separated numbers t,x,y,p, found '%s%s'",
				      path, lineno, shown, strlen(line) > 40 ? "..." : "");
			break;
		}
		char where[40];
		snprintf(where, sizeof where, ":%ld", lineno);
		rc = add_checked(s, v[0], v[1], v[2], v[3], path, where, e);
	}
	if (!rc && ferror(f))
		rc = sac_errf(e, SAC_ERR_IO, "%s: read error", path);
	free(line);
	return rc;
}

int sac_events_read(const char *path, sac_events *out, sac_err *e)
{
	memset(out, 0, sizeof *out);
	out->width = SAC_DVS_WIDTH;
	out->height = SAC_DVS_HEIGHT;
	FILE *f = fopen(path, "rb");
	if (!f)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	unsigned char head[6] = {0};
	size_t got = fread(head, 1, sizeof head, f);
	int rc;
	if (got == sizeof head && !memcmp(head, "\x93NUMPY", 6)) {
		fclose(f);
		rc = read_npy(path, out, e);
	} else {
		rewind(f);
		rc = read_csv(f, path, out, e);
		fclose(f);
	}
	if (rc)
		sac_events_free(out);
	return rc;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcasecmp(s + n - m, suffix);
}

static int write_csv(const char *path, const sac_events *s, sac_err *e)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
	fputs("t,x,y,p\n", f);
	for (size_t i = 0; i < s->count; i++)
		fprintf(f, "%lld,%u,%u,%u\n", (long long)s->ev[i].t, s->ev[i].x,
			s->ev[i].y, s->ev[i].p);
	int bad = ferror(f);
	if (fclose(f) || bad) {
		remove(path);
		return sac_errf(e, SAC_ERR_IO, "%s: write error", path);
	}
	return SAC_OK;
}

int sac_events_write(const char *path, const sac_events *s, sac_err *e)
{
	if (ends_with(path, ".csv"))
		return write_csv(path, s, e);
	/* Packed records t:<i8 x:<u2 y:<u2 p:|u1, 13 bytes each; memcpy of
	 * the fields is little-endian as npy.c requires of the host. */
	enum { ITEM = 13 };
	sac_npy_records r = {
		.nfields = 4,
		.field = {{"t", SAC_I64, 0}, {"x", SAC_U16, 8}, {"y", SAC_U16, 10},
			  {"p", SAC_U8, 12}},
		.itemsize = ITEM,
		.count = s->count,
	};
	if (s->count > SIZE_MAX / ITEM)
		return sac_errf(e, SAC_ERR_CAPACITY, "%s: too many events", path);
	unsigned char *buf = malloc(s->count * ITEM + 1);
	if (!buf)
		return sac_errf(e, SAC_ERR_NOMEM, "%s: out of memory", path);
	for (size_t i = 0; i < s->count; i++) {
		unsigned char *rec = buf + i * ITEM;
		memcpy(rec, &s->ev[i].t, 8);
		memcpy(rec + 8, &s->ev[i].x, 2);
		memcpy(rec + 10, &s->ev[i].y, 2);
		rec[12] = s->ev[i].p;
	}
	r.data = buf;
	int rc = sac_npy_write_records(path, &r, e);
	free(buf);
	return rc;
}
