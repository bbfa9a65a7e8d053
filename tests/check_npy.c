/* check_npy.c: unit tests of tensors, the .npy reader/writer (every dtype,
 * every header version, record arrays) and .npz archives, including each
 * malformed input the readers must reject with a located message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "saccade/events.h"
#include "saccade/npy.h"

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/sac_check_npy.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *tmp(const char *name)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
	return buf[k];
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* A .npy image with the given header dict (version 1.0) and payload. */
static size_t make_npy(unsigned char *buf, const char *dict, const void *data,
		       size_t n)
{
	size_t dl = strlen(dict), hl = (10 + dl + 1 + 63) / 64 * 64 - 10;
	memcpy(buf, "\x93NUMPY\x01\x00", 8);
	buf[8] = (unsigned char)hl;
	buf[9] = (unsigned char)(hl >> 8);
	memcpy(buf + 10, dict, dl);
	memset(buf + 10 + dl, ' ', hl - dl - 1);
	buf[10 + hl - 1] = '\n';
	memcpy(buf + 10 + hl, data, n);
	return 10 + hl + n;
}

static void expect_parse_error(const void *buf, size_t n, int code,
			       const char *needle)
{
	sac_tensor t;
	sac_err e = {0};
	int r = sac_npy_parse(buf, n, "x.npy", &t, &e);
	ck_assert_msg(r == code, "code %d, wanted %d: %s", r, code, e.msg);
	ck_assert_int_eq(e.code, code);
	ck_assert_msg(strstr(e.msg, needle) && strstr(e.msg, "x.npy"),
		      "message '%s' lacks '%s'", e.msg, needle);
	ck_assert_ptr_null(t.data);
}

START_TEST(test_err_first_wins)
{
	sac_err e = {0};
	ck_assert_int_eq(sac_errf(&e, SAC_ERR_PARSE, "a.yaml:%d: first", 3), SAC_ERR_PARSE);
	ck_assert_int_eq(sac_errf(&e, SAC_ERR_IO, "second"), SAC_ERR_IO);
	ck_assert_int_eq(e.code, SAC_ERR_PARSE);
	ck_assert_str_eq(e.msg, "a.yaml:3: first");
	sac_err_clear(&e);
	ck_assert_int_eq(e.code, 0);
	ck_assert_str_eq(e.msg, "");
	ck_assert_int_eq(sac_errf(NULL, SAC_ERR_IO, "dropped"), SAC_ERR_IO);
	ck_assert_str_eq(sac_version(), SAC_VERSION_STRING);
	for (int c = SAC_ERR_CORRUPT; c <= 0; c++)
		ck_assert_str_ne(sac_strerror(c), "unknown error");
	ck_assert_str_eq(sac_strerror(-100), "unknown error");
}
END_TEST

START_TEST(test_tensor_basics)
{
	sac_tensor t;
	sac_err e = {0};
	int64_t s[3] = {2, 3, 4};
	ck_assert_int_eq(sac_tensor_alloc(&t, SAC_I16, 3, s, &e), 0);
	ck_assert_uint_eq(t.count, 24);
	((int16_t *)t.data)[5] = -7;
	ck_assert_int_eq(sac_tensor_get_i(&t, 5), -7);
	ck_assert(sac_tensor_get_f(&t, 5) == -7.0);
	char d[64];
	ck_assert_str_eq(sac_tensor_desc(&t, d, sizeof d), "int16[2,3,4]");
	ck_assert_str_eq(sac_tensor_desc(&t, d, 8), "int16[2");
	sac_tensor_free(&t);
	sac_tensor_free(&t); /* idempotent */
	ck_assert_int_eq(sac_tensor_alloc(&t, SAC_F32, 0, NULL, &e), 0);
	ck_assert_uint_eq(t.count, 1);
	ck_assert_str_eq(sac_tensor_desc(&t, d, sizeof d), "float32[]");
	sac_tensor_free(&t);
	int64_t huge[2] = {INT64_MAX / 2, 8};
	ck_assert_int_eq(sac_tensor_alloc(&t, SAC_F64, 2, huge, &e), SAC_ERR_CAPACITY);
	ck_assert_ptr_null(t.data);
	int64_t neg[1] = {-1};
	sac_err_clear(&e);
	ck_assert_int_eq(sac_tensor_alloc(&t, SAC_F64, 1, neg, &e), SAC_ERR_SHAPE);
	ck_assert_uint_eq(sac_dtype_size(SAC_U64), 8);
	ck_assert_str_eq(sac_dtype_name(SAC_BOOL), "bool");
	/* Float to int saturates, NaN reads 0. */
	int64_t one[1] = {3};
	ck_assert_int_eq(sac_tensor_alloc(&t, SAC_F64, 1, one, &e), 0);
	((double *)t.data)[0] = 1e300;
	((double *)t.data)[1] = -2.9;
	((double *)t.data)[2] = 0.0 / 0.0;
	ck_assert_int_eq(sac_tensor_get_i(&t, 0), INT64_MAX);
	ck_assert_int_eq(sac_tensor_get_i(&t, 1), -2);
	ck_assert_int_eq(sac_tensor_get_i(&t, 2), 0);
	sac_tensor_free(&t);
}
END_TEST

/* Write, read back and compare bytes for every dtype and a few ranks. */
START_TEST(test_roundtrip_every_dtype)
{
	int64_t shapes[4][3] = {{0}, {5}, {2, 3}, {2, 0, 4}};
	int ranks[4] = {0, 1, 2, 3};
	for (int dt = 0; dt < SAC_DTYPE_COUNT; dt++)
		for (int k = 0; k < 4; k++) {
			sac_tensor a, b;
			sac_err e = {0};
			ck_assert_int_eq(sac_tensor_alloc(&a, dt, ranks[k], shapes[k], &e), 0);
			size_t nb = a.count * sac_dtype_size(dt);
			for (size_t i = 0; i < nb; i++)
				((unsigned char *)a.data)[i] = (unsigned char)(i * 37 + dt);
			if (dt == SAC_BOOL)
				for (size_t i = 0; i < nb; i++)
					((unsigned char *)a.data)[i] &= 1;
			const char *p = tmp("a.npy");
			ck_assert_int_eq(sac_npy_write(p, &a, &e), 0);
			ck_assert_msg(sac_npy_read(p, &b, &e) == 0, "%s", e.msg);
			ck_assert_int_eq(b.dtype, dt);
			ck_assert_int_eq(b.ndim, ranks[k]);
			for (int i = 0; i < ranks[k]; i++)
				ck_assert_int_eq(b.shape[i], shapes[k][i]);
			ck_assert_uint_eq(b.count, a.count);
			ck_assert(!memcmp(a.data, b.data, nb));
			sac_tensor_free(&a);
			sac_tensor_free(&b);
		}
}
END_TEST

START_TEST(test_header_variants)
{
	unsigned char buf[512];
	float v[3] = {1, 2, 3};
	/* Key order, double quotes, no trailing comma, an unknown key, Python
	 * 2 long suffix: all valid. */
	size_t n = make_npy(buf, "{\"shape\": (3L,), 'extra': [1, (2, 'x'), {'k': None}],"
				 " 'fortran_order': False, 'descr': '<f4'}", v, sizeof v);
	sac_tensor t;
	sac_err e = {0};
	ck_assert_msg(sac_npy_parse(buf, n, "x.npy", &t, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(t.count, 3);
	ck_assert(((float *)t.data)[2] == 3.0f);
	sac_tensor_free(&t);
	/* Version 2.0 and 3.0: four-byte header length. */
	for (int ver = 2; ver <= 3; ver++) {
		const char *d = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
		size_t dl = strlen(d);
		memcpy(buf, "\x93NUMPY", 6);
		buf[6] = (unsigned char)ver;
		buf[7] = 0;
		buf[8] = (unsigned char)(dl + 1);
		buf[9] = buf[10] = buf[11] = 0;
		memcpy(buf + 12, d, dl);
		buf[12 + dl] = '\n';
		memcpy(buf + 13 + dl, v, sizeof v);
		sac_err_clear(&e);
		ck_assert_msg(sac_npy_parse(buf, 13 + dl + sizeof v, "x.npy", &t, &e) == 0,
			      "%s", e.msg);
		ck_assert_uint_eq(t.count, 3);
		sac_tensor_free(&t);
	}
}
END_TEST

START_TEST(test_malformed)
{
	unsigned char buf[512];
	float v[4] = {0};
	size_t n;
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", v, sizeof v);
	buf[1] = 'X';
	expect_parse_error(buf, n, SAC_ERR_PARSE, "bad magic");
	expect_parse_error("\x93NUM", 4, SAC_ERR_PARSE, "bad magic");
	/* Truncated header: length field says more than there is. */
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", v, sizeof v);
	expect_parse_error(buf, 40, SAC_ERR_CORRUPT, "truncated .npy header");
	expect_parse_error(buf, 9, SAC_ERR_CORRUPT, "truncated .npy header");
	/* Truncated data. */
	expect_parse_error(buf, n - 1, SAC_ERR_CORRUPT, "truncated data");
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", v, sizeof v);
	expect_parse_error(buf, n, SAC_ERR_UNSUPPORTED, "Fortran");
	n = make_npy(buf, "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", v, sizeof v);
	expect_parse_error(buf, n, SAC_ERR_UNSUPPORTED, "big-endian");
	n = make_npy(buf, "{'descr': '<f2', 'fortran_order': False, 'shape': (8,), }", v, sizeof v);
	expect_parse_error(buf, n, SAC_ERR_UNSUPPORTED, "unsupported dtype '<f2'");
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, }", v, sizeof v);
	expect_parse_error(buf, n, SAC_ERR_PARSE, "missing key 'shape'");
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,) ", v, sizeof v);
	expect_parse_error(buf, n, SAC_ERR_PARSE, "expected '}'");
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", v, sizeof v);
	expect_parse_error(buf, n, SAC_ERR_PARSE, "negative");
	/* A shape whose byte count overflows size_t. */
	n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", v, sizeof v);
	expect_parse_error(buf, n, SAC_ERR_CAPACITY, "overflow");
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", v, sizeof v);
	expect_parse_error(buf, n, SAC_ERR_PARSE, "integer too large");
	n = make_npy(buf, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", v, sizeof v);
	expect_parse_error(buf, n, SAC_ERR_UNSUPPORTED, "structured");
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", v, sizeof v);
	expect_parse_error(buf, n, SAC_ERR_CORRUPT, "after the data");
	/* Files: a missing one names the path. */
	sac_tensor t;
	sac_err e = {0};
	ck_assert_int_eq(sac_npy_read(tmp("missing.npy"), &t, &e), SAC_ERR_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "missing.npy"));
}
END_TEST

/* Every prefix of a valid file must fail cleanly, never crash. */
START_TEST(test_every_truncation)
{
	unsigned char buf[512];
	double v[3] = {1, 2, 3};
	size_t n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", v, sizeof v);
	for (size_t k = 0; k < n; k++) {
		unsigned char *p = malloc(k + 1); /* exact size for ASan */
		memcpy(p, buf, k);
		sac_tensor t;
		sac_err e = {0};
		ck_assert_int_ne(sac_npy_parse(p, k, "x.npy", &t, &e), 0);
		ck_assert_ptr_nonnull(strstr(e.msg, "x.npy"));
		free(p);
	}
}
END_TEST

START_TEST(test_records)
{
	/* A padded record as NumPy writes for align=True. */
	unsigned char rec[2][16];
	memset(rec, 0, sizeof rec);
	int64_t tv = 123456;
	uint16_t xv = 300;
	memcpy(rec[1], &tv, 8);
	memcpy(rec[1] + 8, &xv, 2);
	rec[1][12] = 1;
	sac_npy_records r = {
		.nfields = 3,
		.field = {{"t", SAC_I64, 0}, {"x", SAC_U16, 8}, {"p", SAC_I8, 12}},
		.itemsize = 16,
		.count = 2,
		.data = rec,
	};
	sac_err e = {0};
	const char *p = tmp("r.npy");
	ck_assert_int_eq(sac_npy_write_records(p, &r, &e), 0);
	sac_npy_records q;
	ck_assert_msg(sac_npy_read_records(p, &q, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(q.nfields, 3);
	ck_assert_uint_eq(q.itemsize, 16);
	ck_assert_uint_eq(q.count, 2);
	ck_assert_int_eq(sac_npy_field_index(&q, "p"), 2);
	ck_assert_int_eq(sac_npy_field_index(&q, "y"), -1);
	ck_assert_uint_eq(q.field[2].offset, 12);
	ck_assert_int_eq(q.field[1].dtype, SAC_U16);
	ck_assert(!memcmp(q.data, rec, sizeof rec));
	sac_npy_records_free(&q);
	/* A plain array is not a record array, and vice versa. */
	sac_tensor t;
	ck_assert_int_eq(sac_npy_read(p, &t, &e), SAC_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.msg, "structured"));
	int64_t s[1] = {2};
	sac_err_clear(&e);
	ck_assert_int_eq(sac_tensor_alloc(&t, SAC_F32, 1, s, &e), 0);
	ck_assert_int_eq(sac_npy_write(p, &t, &e), 0);
	sac_tensor_free(&t);
	ck_assert_int_eq(sac_npy_read_records(p, &q, &e), SAC_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.msg, "expected a structured"));
	ck_assert_ptr_null(q.data);
	/* Sub-array and nested fields are refused by name. */
	unsigned char buf[512];
	size_t n = make_npy(buf, "{'descr': [('t', '<i8', (2,))], 'fortran_order': False, 'shape': (1,), }", rec, 16);
	write_bytes(p, buf, n);
	sac_err_clear(&e);
	ck_assert_int_eq(sac_npy_read_records(p, &q, &e), SAC_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.msg, "sub-array field 't'"));
}
END_TEST

static void fill(sac_tensor *t, sac_dtype dt, int ndim, const int64_t *s)
{
	sac_err e = {0};
	ck_assert_int_eq(sac_tensor_alloc(t, dt, ndim, s, &e), 0);
	for (size_t i = 0; i < t->count * sac_dtype_size(dt); i++)
		((unsigned char *)t->data)[i] = (unsigned char)(i * 13 + 1);
}

START_TEST(test_npz_roundtrip)
{
	sac_tensor a, b, c;
	int64_t sa[4] = {8, 4, 3, 3}, sb[1] = {8}, sc[2] = {0, 5};
	fill(&a, SAC_F32, 4, sa);
	fill(&b, SAC_I32, 1, sb);
	fill(&c, SAC_I8, 2, sc);
	const char *names[3] = {"conv1.weight", "conv1.bias", "empty"};
	const sac_tensor *ts[3] = {&a, &b, &c};
	sac_err e = {0};
	const char *p = tmp("w.npz");
	ck_assert_msg(sac_npz_write(p, 3, names, ts, &e) == 0, "%s", e.msg);
	sac_npz *z = sac_npz_open(p, &e);
	ck_assert_msg(z != NULL, "%s", e.msg);
	ck_assert_int_eq(sac_npz_count(z), 3);
	ck_assert_str_eq(sac_npz_name(z, 0), "conv1.weight");
	ck_assert_ptr_null(sac_npz_name(z, 3));
	ck_assert(sac_npz_has(z, "conv1.bias"));
	ck_assert(!sac_npz_has(z, "conv1.bias.npy"));
	for (int i = 0; i < 3; i++) {
		sac_tensor t;
		ck_assert_msg(sac_npz_get(z, names[i], &t, &e) == 0, "%s", e.msg);
		ck_assert_int_eq(t.dtype, ts[i]->dtype);
		ck_assert_uint_eq(t.count, ts[i]->count);
		ck_assert(!memcmp(t.data, ts[i]->data, t.count * sac_dtype_size(t.dtype)));
		sac_tensor_free(&t);
	}
	sac_tensor t;
	ck_assert_int_eq(sac_npz_get(z, "conv2.weight", &t, &e), SAC_ERR_IO);
	ck_assert_msg(strstr(e.msg, "w.npz: no member 'conv2.weight'"), "%s", e.msg);
	sac_npz_close(z);
	/* Overwrite with an empty archive: still a valid zip. */
	ck_assert_int_eq(sac_npz_write(p, 0, NULL, NULL, &e), 0);
	z = sac_npz_open(p, &e);
	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(sac_npz_count(z), 0);
	sac_npz_close(z);
	/* Duplicate names are refused. */
	const char *dup[2] = {"x", "x"};
	ck_assert_int_eq(sac_npz_write(p, 2, dup, ts, &e), SAC_ERR_USAGE);
	sac_tensor_free(&a);
	sac_tensor_free(&b);
	sac_tensor_free(&c);
}
END_TEST

static size_t slurp(const char *path, unsigned char **buf)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	*buf = malloc((size_t)n);
	ck_assert_uint_eq(fread(*buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return (size_t)n;
}

START_TEST(test_npz_corrupt)
{
	sac_tensor a;
	int64_t s[1] = {4096};
	fill(&a, SAC_F32, 1, s);
	const char *names[1] = {"w"};
	const sac_tensor *ts[1] = {&a};
	sac_err e = {0};
	const char *p = tmp("w.npz");
	ck_assert_int_eq(sac_npz_write(p, 1, names, ts, &e), 0);
	sac_tensor_free(&a);
	unsigned char *buf;
	size_t n = slurp(p, &buf);
	/* Truncated: the central directory is gone. */
	const char *q = tmp("trunc.npz");
	write_bytes(q, buf, n / 2);
	ck_assert_ptr_null(sac_npz_open(q, &e));
	ck_assert_int_eq(e.code, SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "trunc.npz: cannot open as .npz"), "%s", e.msg);
	/* Not a zip at all. */
	q = tmp("text.npz");
	write_bytes(q, "hello, world\n", 13);
	sac_err_clear(&e);
	ck_assert_ptr_null(sac_npz_open(q, &e));
	ck_assert_int_eq(e.code, SAC_ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(e.msg, "text.npz"));
	/* Missing file. */
	sac_err_clear(&e);
	ck_assert_ptr_null(sac_npz_open(tmp("none.npz"), &e));
	ck_assert_int_eq(e.code, SAC_ERR_IO);
	/* A damaged compressed member: the directory is fine, the data is
	 * not; the error names the member. */
	q = tmp("bad.npz");
	for (size_t i = 60; i < 120; i++)
		buf[i] ^= 0x5a;
	write_bytes(q, buf, n);
	sac_err_clear(&e);
	sac_npz *z = sac_npz_open(q, &e);
	ck_assert_msg(z != NULL, "%s", e.msg);
	ck_assert_int_eq(sac_npz_get(z, "w", &a, &e), SAC_ERR_CORRUPT);
	ck_assert_msg(strstr(e.msg, "bad.npz:w"), "%s", e.msg);
	sac_npz_close(z);
	free(buf);
}
END_TEST

/* Cross-check with NumPy through tests/npz_numpy.py: NumPy reads what we
 * write (and sums it), we read what NumPy writes.  make check exports
 * PYTHON and abs_top_srcdir; run by hand, /usr/bin/python3 and the current
 * directory are tried and the test is skipped if NumPy is missing. */
START_TEST(test_numpy_cross)
{
	const char *py = getenv("PYTHON");
	const char *top = getenv("abs_top_srcdir");
	char script[1024], cmd[4096];
	snprintf(script, sizeof script, "%s/tests/npz_numpy.py", top ? top : ".");
	if (!py) {
		py = "/usr/bin/python3";
		snprintf(cmd, sizeof cmd, "%s -c 'import numpy' 2>/dev/null", py);
		if (access(script, R_OK) || system(cmd)) {
			fprintf(stderr, "check_npy: numpy cross-check skipped (no %s or no numpy)\n",
				script);
			return;
		}
	}
	sac_tensor t[SAC_DTYPE_COUNT];
	const sac_tensor *tp[SAC_DTYPE_COUNT];
	const char *names[SAC_DTYPE_COUNT];
	double sums[SAC_DTYPE_COUNT];
	int64_t shape[3] = {2, 3, 5};
	for (int dt = 0; dt < SAC_DTYPE_COUNT; dt++) {
		sac_err e = {0};
		ck_assert_int_eq(sac_tensor_alloc(&t[dt], dt, 3, shape, &e), 0);
		sums[dt] = 0;
		for (size_t i = 0; i < t[dt].count; i++) {
			/* Small values exact in every type; negative where signed. */
			int v = (int)(i % 7) - (dt == SAC_I8 || dt == SAC_I16 ||
						dt == SAC_I32 || dt == SAC_I64 ||
						dt == SAC_F32 || dt == SAC_F64 ? 3 : 0);
			if (dt == SAC_BOOL)
				v = (int)(i % 3 == 0);
			unsigned char *p = (unsigned char *)t[dt].data + i * sac_dtype_size(dt);
			switch (dt) {
			case SAC_F32: { float f = (float)v / 4; memcpy(p, &f, 4); sums[dt] += f; break; }
			case SAC_F64: { double d = v / 8.0; memcpy(p, &d, 8); sums[dt] += d; break; }
			default: {
				int64_t x = v;
				memcpy(p, &x, sac_dtype_size(dt)); /* little-endian low bytes */
				sums[dt] += v;
			}
			}
		}
		names[dt] = sac_dtype_name(dt);
		tp[dt] = &t[dt];
	}
	sac_err e = {0};
	const char *in = tmp("sac.npz"), *out = tmp("numpy.npz"), *ev = tmp("ev.npy");
	ck_assert_int_eq(sac_npz_write(in, SAC_DTYPE_COUNT, names, tp, &e), 0);
	sac_events s;
	sac_synth_opts so = {1, 0, 0, 0.1};
	ck_assert_int_eq(sac_events_synth(&so, &s, &e), 0);
	ck_assert_int_eq(sac_events_write(ev, &s, &e), 0);
	sac_events_free(&s);
	snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s' '%s'", py, script, in, out, ev);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
	sac_npz *z = sac_npz_open(out, &e);
	ck_assert_msg(z != NULL, "%s", e.msg);
	ck_assert_int_eq(sac_npz_count(z), 2 * SAC_DTYPE_COUNT);
	for (int dt = 0; dt < SAC_DTYPE_COUNT; dt++) {
		sac_tensor b;
		char sname[64];
		ck_assert_msg(sac_npz_get(z, names[dt], &b, &e) == 0, "%s", e.msg);
		ck_assert_int_eq(b.dtype, dt);
		ck_assert_int_eq(b.ndim, 3);
		ck_assert(!memcmp(b.data, t[dt].data, b.count * sac_dtype_size(dt)));
		sac_tensor_free(&b);
		snprintf(sname, sizeof sname, "sum.%s", names[dt]);
		ck_assert_msg(sac_npz_get(z, sname, &b, &e) == 0, "%s", e.msg);
		ck_assert_int_eq(b.ndim, 0);
		ck_assert_msg(sac_tensor_get_f(&b, 0) == sums[dt], "%s: numpy sum %g, ours %g",
			      names[dt], sac_tensor_get_f(&b, 0), sums[dt]);
		sac_tensor_free(&b);
		sac_tensor_free(&t[dt]);
	}
	sac_npz_close(z);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("npy");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_err_first_wins);
	tcase_add_test(tc, test_tensor_basics);
	tcase_add_test(tc, test_roundtrip_every_dtype);
	tcase_add_test(tc, test_header_variants);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_every_truncation);
	tcase_add_test(tc, test_records);
	tcase_add_test(tc, test_npz_roundtrip);
	tcase_add_test(tc, test_npz_corrupt);
	tcase_add_test(tc, test_numpy_cross);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
