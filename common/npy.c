/* npy.c: NumPy .npy files, versions 1.0, 2.0 and 3.0.
 *
 * The header is a Python dict literal such as
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (4, 64, 64), }
 * and is parsed by a small recursive-descent parser of Python literals
 * (strings, integers, True/False/None, tuples, lists, dicts) rather than by
 * searching for substrings, so that key order, spacing, quotes and unknown
 * keys do not matter.  'descr' is either a type string or, for record
 * arrays, a list of (name, type) tuples; padding entries ('', '|Vn') that
 * NumPy writes for aligned structs become gaps between field offsets.
 *
 * Invariants: only little-endian (or byte-order free) C-ordered data is
 * accepted; every size derived from the header is checked for overflow
 * before use; the payload must be exactly count * itemsize bytes.  Errors
 * name the source given as `what`. */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/npy.h"

/* Payloads are copied verbatim, so the host must be little-endian. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host"
#endif

static const char magic[6] = "\x93NUMPY";

/* ------------------------------------------------------------------ */
/* The Python literal parser. */

typedef struct lit {
	const char *s, *end;
	const char *what;
	sac_err *e;
} lit;

/* Parsed header: a plain dtype or a field table. */
typedef struct header {
	int have_descr, have_fortran, have_shape;
	int structured;
	sac_dtype dtype;
	size_t itemsize;
	int nfields;
	sac_npy_field field[SAC_NPY_MAX_FIELDS];
	int fortran;
	int ndim;
	int64_t shape[SAC_MAX_DIMS];
} header;

static void skip_ws(lit *L)
{
	while (L->s < L->end && (*L->s == ' ' || *L->s == '\t' ||
				 *L->s == '\n' || *L->s == '\r'))
		L->s++;
}

static int perr(lit *L, const char *fmt, const char *arg)
{
	char msg[256];
	snprintf(msg, sizeof msg, fmt, arg);
	return sac_errf(L->e, SAC_ERR_PARSE, "%s: bad .npy header: %s", L->what, msg);
}

static int expect(lit *L, char c)
{
	skip_ws(L);
	if (L->s >= L->end || *L->s != c) {
		char want[2] = {c, 0};
		return perr(L, "expected '%s'", want);
	}
	L->s++;
	return SAC_OK;
}

/* Is the next non-blank character c?  Consumes it if so. */
static int accept(lit *L, char c)
{
	skip_ws(L);
	if (L->s < L->end && *L->s == c) {
		L->s++;
		return 1;
	}
	return 0;
}

/* A quoted string without escapes (dtype strings and field names never
 * need them; an escape is reported rather than misread). */
static int parse_str(lit *L, char *out, size_t n)
{
	skip_ws(L);
	if (L->s >= L->end || (*L->s != '\'' && *L->s != '"'))
		return perr(L, "expected a quoted string%s", "");
	char q = *L->s++;
	size_t k = 0;
	while (L->s < L->end && *L->s != q) {
		if (*L->s == '\\')
			return perr(L, "escapes in strings are not supported%s", "");
		if (k + 1 >= n)
			return perr(L, "string too long%s", "");
		out[k++] = *L->s++;
	}
	if (L->s >= L->end)
		return perr(L, "unterminated string%s", "");
	L->s++;
	out[k] = '\0';
	return SAC_OK;
}

static int parse_int(lit *L, int64_t *v)
{
	skip_ws(L);
	int neg = 0;
	if (L->s < L->end && (*L->s == '-' || *L->s == '+'))
		neg = *L->s++ == '-';
	if (L->s >= L->end || *L->s < '0' || *L->s > '9')
		return perr(L, "expected an integer%s", "");
	uint64_t x = 0;
	while (L->s < L->end && *L->s >= '0' && *L->s <= '9') {
		unsigned d = (unsigned)(*L->s++ - '0');
		if (x > ((uint64_t)INT64_MAX - d) / 10)
			return perr(L, "integer too large%s", "");
		x = x * 10 + d;
	}
	if (L->s < L->end && (*L->s == 'L' || *L->s == 'l'))
		L->s++; /* Python 2 long suffix, found in old files */
	*v = neg ? -(int64_t)x : (int64_t)x;
	return SAC_OK;
}

/* After a list item: a ',' continues the list, else `close` must end it. */
static int next_item(lit *L, char close, int *done)
{
	*done = !accept(L, ',');
	return *done ? expect(L, close) : SAC_OK;
}

/* Does the input continue with the bare word w (True, False, None)? */
static int accept_word(lit *L, const char *w)
{
	skip_ws(L);
	size_t n = strlen(w);
	if ((size_t)(L->end - L->s) >= n && !memcmp(L->s, w, n)) {
		const char *after = L->s + n;
		if (after == L->end || !((*after >= 'A' && *after <= 'Z') ||
					 (*after >= 'a' && *after <= 'z') ||
					 (*after >= '0' && *after <= '9') ||
					 *after == '_')) {
			L->s = after;
			return 1;
		}
	}
	return 0;
}

/* Skip any literal: the value of a key we do not know. */
static int skip_value(lit *L, int depth)
{
	if (depth > 16)
		return perr(L, "nesting too deep%s", "");
	skip_ws(L);
	if (L->s >= L->end)
		return perr(L, "unexpected end of header%s", "");
	char c = *L->s;
	if (c == '\'' || c == '"') {
		char tmp[256];
		return parse_str(L, tmp, sizeof tmp);
	}
	if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
		int64_t v;
		return parse_int(L, &v);
	}
	if (accept_word(L, "True") || accept_word(L, "False") ||
	    accept_word(L, "None"))
		return SAC_OK;
	if (c == '(' || c == '[' || c == '{') {
		char close = c == '(' ? ')' : c == '[' ? ']' : '}';
		L->s++;
		while (!accept(L, close)) {
			int r = skip_value(L, depth + 1);
			if (r)
				return r;
			if (c == '{' && ((r = expect(L, ':')) || (r = skip_value(L, depth + 1))))
				return r;
			if (!accept(L, ',')) {
				if ((r = expect(L, close)))
					return r;
				break;
			}
		}
		return SAC_OK;
	}
	char bad[2] = {c, 0};
	return perr(L, "unexpected character '%s'", bad);
}

/* A dtype string: '<f4', '|u1', '<i8', '|b1' ... */
static int parse_typestr(lit *L, const char *ts, sac_dtype *dt)
{
	static const struct {
		char kind;
		int size;
		sac_dtype dt;
	} tab[] = {
		{'f', 4, SAC_F32}, {'f', 8, SAC_F64}, {'i', 1, SAC_I8},
		{'u', 1, SAC_U8},  {'i', 2, SAC_I16}, {'u', 2, SAC_U16},
		{'i', 4, SAC_I32}, {'u', 4, SAC_U32}, {'i', 8, SAC_I64},
		{'u', 8, SAC_U64}, {'b', 1, SAC_BOOL},
	};
	char order = ts[0];
	if (order != '<' && order != '>' && order != '|' && order != '=')
		return perr(L, "dtype '%s' has no byte-order mark", ts);
	char kind = ts[1];
	char *endp;
	errno = 0;
	long size = kind ? strtol(ts + 2, &endp, 10) : 0;
	if (!kind || errno || *endp || endp == ts + 2)
		return perr(L, "unsupported dtype '%s'", ts);
	for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
		if (tab[i].kind != kind || tab[i].size != size)
			continue;
		if (size > 1 && order == '>')
			return sac_errf(L->e, SAC_ERR_UNSUPPORTED,
					"%s: big-endian dtype '%s' is not supported (save it little-endian, e.g. a.astype('<%c%ld'))",
					L->what, ts, kind, size);
		/* '=' means native order, little-endian on every host we
		 * build for (checked at the top of this file). */
		*dt = tab[i].dt;
		return SAC_OK;
	}
	return sac_errf(L->e, SAC_ERR_UNSUPPORTED, "%s: unsupported dtype '%s'",
			L->what, ts);
}

/* Padding entry of a structured descr: ('', '|V4'); returns its size. */
static int pad_size(const char *name, const char *ts, size_t *n)
{
	if (name[0] || ts[0] != '|' || ts[1] != 'V')
		return 0;
	char *endp;
	long v = strtol(ts + 2, &endp, 10);
	if (*endp || v <= 0)
		return 0;
	*n = (size_t)v;
	return 1;
}

static int parse_descr(lit *L, header *h)
{
	skip_ws(L);
	int r;
	char ts[64];
	if (L->s < L->end && (*L->s == '\'' || *L->s == '"')) {
		if ((r = parse_str(L, ts, sizeof ts)))
			return r;
		if ((r = parse_typestr(L, ts, &h->dtype)))
			return r;
		h->itemsize = sac_dtype_size(h->dtype);
		return SAC_OK;
	}
	if (!accept(L, '['))
		return perr(L, "'descr' must be a string or a list of fields%s", "");
	h->structured = 1;
	size_t off = 0;
	while (!accept(L, ']')) {
		char name[64];
		if ((r = expect(L, '(')))
			return r;
		skip_ws(L);
		if (L->s < L->end && *L->s == '(')
			return sac_errf(L->e, SAC_ERR_UNSUPPORTED,
					"%s: fields with titles are not supported", L->what);
		if ((r = parse_str(L, name, sizeof name)) || (r = expect(L, ',')))
			return r;
		skip_ws(L);
		if (L->s < L->end && *L->s == '[')
			return sac_errf(L->e, SAC_ERR_UNSUPPORTED,
					"%s: nested structured field '%s' is not supported",
					L->what, name);
		if ((r = parse_str(L, ts, sizeof ts)))
			return r;
		if (accept(L, ',')) {
			if (!accept(L, ')'))
				return sac_errf(L->e, SAC_ERR_UNSUPPORTED,
						"%s: sub-array field '%s' is not supported",
						L->what, name);
		} else if ((r = expect(L, ')'))) {
			return r;
		}
		size_t pad;
		if (pad_size(name, ts, &pad)) {
			off += pad;
		} else {
			sac_dtype dt;
			if ((r = parse_typestr(L, ts, &dt)))
				return r;
			if (!name[0])
				return perr(L, "a field has an empty name%s", "");
			if (strlen(name) >= sizeof h->field[0].name)
				return perr(L, "field name '%s' too long", name);
			for (int i = 0; i < h->nfields; i++)
				if (!strcmp(h->field[i].name, name))
					return perr(L, "duplicate field '%s'", name);
			if (h->nfields == SAC_NPY_MAX_FIELDS)
				return sac_errf(L->e, SAC_ERR_UNSUPPORTED,
						"%s: more than %d fields", L->what,
						SAC_NPY_MAX_FIELDS);
			sac_npy_field *f = &h->field[h->nfields++];
			memcpy(f->name, name, strlen(name) + 1);
			f->dtype = dt;
			f->offset = off;
			off += sac_dtype_size(dt);
		}
		if (off > (size_t)1 << 20)
			return perr(L, "record too large%s", "");
		int done;
		if ((r = next_item(L, ']', &done)))
			return r;
		if (done)
			break;
	}
	if (!h->nfields)
		return perr(L, "structured dtype without fields%s", "");
	h->itemsize = off;
	return SAC_OK;
}

static int parse_shape(lit *L, header *h)
{
	int r;
	if ((r = expect(L, '(')))
		return r;
	h->ndim = 0;
	while (!accept(L, ')')) {
		int64_t v;
		if ((r = parse_int(L, &v)))
			return r;
		if (v < 0)
			return perr(L, "negative dimension in 'shape'%s", "");
		if (h->ndim == SAC_MAX_DIMS)
			return sac_errf(L->e, SAC_ERR_UNSUPPORTED,
					"%s: more than %d dimensions", L->what,
					SAC_MAX_DIMS);
		h->shape[h->ndim++] = v;
		int done;
		if ((r = next_item(L, ')', &done)))
			return r;
		if (done)
			break;
	}
	return SAC_OK;
}

static int parse_header(lit *L, header *h)
{
	int r;
	memset(h, 0, sizeof *h);
	if ((r = expect(L, '{')))
		return r;
	while (!accept(L, '}')) {
		char key[64];
		if ((r = parse_str(L, key, sizeof key)) || (r = expect(L, ':')))
			return r;
		if (!strcmp(key, "descr")) {
			r = parse_descr(L, h);
			h->have_descr = 1;
		} else if (!strcmp(key, "fortran_order")) {
			if (accept_word(L, "True"))
				h->fortran = 1;
			else if (!accept_word(L, "False"))
				r = perr(L, "'fortran_order' must be True or False%s", "");
			h->have_fortran = 1;
		} else if (!strcmp(key, "shape")) {
			r = parse_shape(L, h);
			h->have_shape = 1;
		} else {
			r = skip_value(L, 0);
		}
		if (r)
			return r;
		int done;
		if ((r = next_item(L, '}', &done)))
			return r;
		if (done)
			break;
	}
	if (!h->have_descr || !h->have_fortran || !h->have_shape)
		return perr(L, "missing key '%s'",
			    !h->have_descr ? "descr" : !h->have_fortran ? "fortran_order" : "shape");
	if (h->fortran)
		return sac_errf(L->e, SAC_ERR_UNSUPPORTED,
				"%s: Fortran-ordered array is not supported (save np.ascontiguousarray(a))",
				L->what);
	return SAC_OK;
}

static uint32_t rd_le(const unsigned char *p, int n)
{
	uint32_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Parse magic, version and header dict; *data points at the payload,
 * *nbytes is its length and *count the element/record count (checked). */
static int parse_image(const void *buf, size_t len, const char *what,
		       header *h, const unsigned char **data, size_t *count,
		       sac_err *e)
{
	const unsigned char *p = buf;
	if (len < 8 || memcmp(p, magic, 6))
		return sac_errf(e, SAC_ERR_PARSE,
				"%s: not a .npy file (bad magic; expected \\x93NUMPY)", what);
	int major = p[6], minor = p[7];
	size_t hl_size = major == 1 ? 2 : 4;
	if ((major != 1 && major != 2 && major != 3) || minor != 0)
		return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"%s: unsupported .npy version %d.%d (1.0, 2.0 and 3.0 are)",
				what, major, minor);
	if (len < 8 + hl_size)
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: truncated .npy header", what);
	size_t hlen = rd_le(p + 8, (int)hl_size);
	size_t start = 8 + hl_size;
	if (hlen > len - start)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: truncated .npy header (%zu bytes announced, %zu present)",
				what, hlen, len - start);
	lit L = {(const char *)p + start, (const char *)p + start + hlen, what, e};
	int r = parse_header(&L, h);
	if (r)
		return r;
	skip_ws(&L);
	if (L.s != L.end)
		return perr(&L, "trailing text after the dict%s", "");
	size_t n = 1;
	for (int i = 0; i < h->ndim; i++) {
		if (h->shape[i] && (uint64_t)h->shape[i] > SIZE_MAX / h->itemsize / (n ? n : 1))
			return sac_errf(e, SAC_ERR_CAPACITY,
					"%s: shape too large (size overflows)", what);
		n *= (size_t)h->shape[i];
	}
	size_t want = n * h->itemsize, have = len - start - hlen;
	if (have < want)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: truncated data: the header promises %zu bytes, %zu present",
				what, want, have);
	if (have > want)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: %zu unexpected bytes after the data", what,
				have - want);
	*data = p + start + hlen;
	*count = n;
	return SAC_OK;
}

int sac_npy_parse(const void *buf, size_t len, const char *what,
		  sac_tensor *out, sac_err *e)
{
	memset(out, 0, sizeof *out);
	header h;
	const unsigned char *data;
	size_t n;
	int r = parse_image(buf, len, what, &h, &data, &n, e);
	if (r)
		return r;
	if (h.structured)
		return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"%s: structured dtype (record array); expected a plain array",
				what);
	if ((r = sac_tensor_alloc(out, h.dtype, h.ndim, h.shape, e)))
		return r;
	assert(out->count == n);
	memcpy(out->data, data, n * h.itemsize);
	return SAC_OK;
}

/* Read a whole file into memory (works for pipes too). */
static int slurp(const char *path, unsigned char **buf, size_t *len, sac_err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	size_t cap = 1 << 16, n = 0;
	unsigned char *p = malloc(cap);
	while (p) {
		n += fread(p + n, 1, cap - n, f);
		if (n < cap)
			break;
		unsigned char *q = cap <= SIZE_MAX / 2 ? realloc(p, cap * 2) : NULL;
		if (!q) {
			free(p);
			p = NULL;
			break;
		}
		p = q;
		cap *= 2;
	}
	int bad = p && ferror(f);
	fclose(f);
	if (!p)
		return sac_errf(e, SAC_ERR_NOMEM, "%s: out of memory reading the file", path);
	if (bad) {
		free(p);
		return sac_errf(e, SAC_ERR_IO, "%s: read error", path);
	}
	*buf = p;
	*len = n;
	return SAC_OK;
}

int sac_npy_read(const char *path, sac_tensor *out, sac_err *e)
{
	unsigned char *buf;
	size_t len;
	memset(out, 0, sizeof *out);
	int r = slurp(path, &buf, &len, e);
	if (r)
		return r;
	r = sac_npy_parse(buf, len, path, out, e);
	free(buf);
	return r;
}

int sac_npy_read_records(const char *path, sac_npy_records *out, sac_err *e)
{
	unsigned char *buf;
	size_t len;
	memset(out, 0, sizeof *out);
	int r = slurp(path, &buf, &len, e);
	if (r)
		return r;
	header h;
	const unsigned char *data;
	size_t n;
	r = parse_image(buf, len, path, &h, &data, &n, e);
	if (!r && !h.structured)
		r = sac_errf(e, SAC_ERR_UNSUPPORTED,
			     "%s: plain %s array; expected a structured (record) array",
			     path, sac_dtype_name(h.dtype));
	if (!r && h.ndim != 1)
		r = sac_errf(e, SAC_ERR_SHAPE,
			     "%s: record array has %d dimensions; expected 1", path,
			     h.ndim);
	if (!r) {
		out->data = malloc(n * h.itemsize + 1);
		if (!out->data)
			r = sac_errf(e, SAC_ERR_NOMEM, "%s: out of memory", path);
	}
	if (!r) {
		memcpy(out->data, data, n * h.itemsize);
		out->nfields = h.nfields;
		memcpy(out->field, h.field, sizeof h.field);
		out->itemsize = h.itemsize;
		out->count = n;
	}
	free(buf);
	return r;
}

void sac_npy_records_free(sac_npy_records *r)
{
	if (!r)
		return;
	free(r->data);
	memset(r, 0, sizeof *r);
}

int sac_npy_field_index(const sac_npy_records *r, const char *name)
{
	for (int i = 0; i < r->nfields; i++)
		if (!strcmp(r->field[i].name, name))
			return i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Writing. */

static const char *typestr(sac_dtype t)
{
	static const char *const s[SAC_DTYPE_COUNT] = {
		[SAC_F32] = "<f4", [SAC_F64] = "<f8", [SAC_I8] = "|i1",
		[SAC_U8] = "|u1",  [SAC_I16] = "<i2", [SAC_U16] = "<u2",
		[SAC_I32] = "<i4", [SAC_U32] = "<u4", [SAC_I64] = "<i8",
		[SAC_U64] = "<u8", [SAC_BOOL] = "|b1",
	};
	return (unsigned)t < SAC_DTYPE_COUNT ? s[t] : NULL;
}

/* Assemble magic + padded header + payload.  The header is padded with
 * spaces so that the payload starts on a 64-byte boundary, as NumPy does. */
static int encode(const char *dict, const void *data, size_t nbytes,
		  void **buf, size_t *len, sac_err *e)
{
	size_t dl = strlen(dict);
	int v2 = dl + 1 + 10 + 64 > 65535;
	size_t pre = v2 ? 12 : 10;
	size_t total_hdr = (pre + dl + 1 + 63) / 64 * 64;
	size_t hlen = total_hdr - pre;
	if (nbytes > SIZE_MAX - total_hdr)
		return sac_errf(e, SAC_ERR_CAPACITY, "npy: array too large");
	unsigned char *p = malloc(total_hdr + nbytes + 1);
	if (!p)
		return sac_errf(e, SAC_ERR_NOMEM, "npy: out of memory");
	memcpy(p, magic, 6);
	p[6] = v2 ? 2 : 1;
	p[7] = 0;
	for (size_t i = 0; i < pre - 8; i++)
		p[8 + i] = (unsigned char)(hlen >> (8 * i));
	memcpy(p + pre, dict, dl);
	memset(p + pre + dl, ' ', hlen - dl - 1);
	p[total_hdr - 1] = '\n';
	if (nbytes)
		memcpy(p + total_hdr, data, nbytes);
	*buf = p;
	*len = total_hdr + nbytes;
	return SAC_OK;
}

static void shape_str(char *s, size_t n, int ndim, const int64_t *shape)
{
	size_t k = (size_t)snprintf(s, n, "(");
	for (int i = 0; i < ndim && k < n; i++)
		k += (size_t)snprintf(s + k, n - k, "%lld,%s", (long long)shape[i],
				      i + 1 < ndim ? " " : "");
	if (k < n)
		snprintf(s + k, n - k, ")");
}

int sac_npy_encode(const sac_tensor *t, void **buf, size_t *len, sac_err *e)
{
	const char *ts = typestr(t->dtype);
	if (!ts || t->ndim < 0 || t->ndim > SAC_MAX_DIMS)
		return sac_errf(e, SAC_ERR_USAGE, "npy: invalid tensor");
	char dict[512], shape[400];
	shape_str(shape, sizeof shape, t->ndim, t->shape);
	snprintf(dict, sizeof dict,
		 "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", ts, shape);
	return encode(dict, t->data, t->count * sac_dtype_size(t->dtype), buf, len, e);
}

static int write_file(const char *path, const void *buf, size_t len, sac_err *e)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
	int ok = fwrite(buf, 1, len, f) == len;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		remove(path);
		return sac_errf(e, SAC_ERR_IO, "%s: write error", path);
	}
	return SAC_OK;
}

int sac_npy_write(const char *path, const sac_tensor *t, sac_err *e)
{
	void *buf;
	size_t len;
	int r = sac_npy_encode(t, &buf, &len, e);
	if (r)
		return r;
	r = write_file(path, buf, len, e);
	free(buf);
	return r;
}

int sac_npy_write_records(const char *path, const sac_npy_records *rec,
			  sac_err *e)
{
	if (rec->nfields < 1 || rec->nfields > SAC_NPY_MAX_FIELDS)
		return sac_errf(e, SAC_ERR_USAGE, "%s: %d fields", path, rec->nfields);
	if (rec->count && rec->itemsize > SIZE_MAX / rec->count)
		return sac_errf(e, SAC_ERR_CAPACITY, "%s: too many records", path);
	/* Fields must be in offset order and not overlap; gaps are written
	 * as NumPy's anonymous padding entries. */
	char dict[4096], shape[64];
	size_t k = (size_t)snprintf(dict, sizeof dict, "{'descr': [");
	size_t off = 0;
	for (int i = 0; i < rec->nfields; i++) {
		const sac_npy_field *f = &rec->field[i];
		const char *ts = typestr(f->dtype);
		if (!ts || f->offset < off || !f->name[0] ||
		    f->offset + sac_dtype_size(f->dtype) > rec->itemsize)
			return sac_errf(e, SAC_ERR_USAGE,
					"%s: field %d ('%s') is invalid or out of order",
					path, i, f->name);
		for (const char *c = f->name; *c; c++)
			if (*c == '\'' || *c == '\\' || (unsigned char)*c < ' ')
				return sac_errf(e, SAC_ERR_USAGE,
						"%s: field name '%s' cannot be written",
						path, f->name);
		if (f->offset > off)
			k += (size_t)snprintf(dict + k, sizeof dict - k, "('', '|V%zu'), ",
					      f->offset - off);
		k += (size_t)snprintf(dict + k, sizeof dict - k, "('%s', '%s')%s",
				      f->name, ts, i + 1 < rec->nfields ? ", " : "");
		off = f->offset + sac_dtype_size(f->dtype);
	}
	if (rec->itemsize > off)
		k += (size_t)snprintf(dict + k, sizeof dict - k, ", ('', '|V%zu')",
				      rec->itemsize - off);
	int64_t n = (int64_t)rec->count;
	shape_str(shape, sizeof shape, 1, &n);
	snprintf(dict + k, sizeof dict - k, "], 'fortran_order': False, 'shape': %s, }",
		 shape);
	void *buf;
	size_t len;
	int r = encode(dict, rec->data, rec->count * rec->itemsize, &buf, &len, e);
	if (r)
		return r;
	r = write_file(path, buf, len, e);
	free(buf);
	return r;
}
