/* check_events.c: unit tests of the synthetic event generator, the event
 * file readers and writers, and framing. */
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
	snprintf(tmpdir, sizeof tmpdir, "/tmp/sac_check_events.XXXXXX");
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

static void write_text(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, n, f), n);
	fclose(f);
}

static void synth(uint64_t seed, int cls, int light, double dur, sac_events *s)
{
	sac_synth_opts o = {seed, cls, light, dur};
	sac_err e = {0};
	ck_assert_msg(sac_events_synth(&o, s, &e) == 0, "%s", e.msg);
}

/* Field by field: sac_event has padding bytes that memcmp would see. */
static int same(const sac_events *a, const sac_events *b)
{
	if (a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++)
		if (a->ev[i].t != b->ev[i].t || a->ev[i].x != b->ev[i].x ||
		    a->ev[i].y != b->ev[i].y || a->ev[i].p != b->ev[i].p)
			return 0;
	return 1;
}

START_TEST(test_names)
{
	ck_assert_str_eq(sac_class_name(4), "surprise");
	ck_assert_str_eq(sac_class_short(0), "Ha");
	ck_assert_int_eq(sac_class_parse("Fear"), 5);
	ck_assert_int_eq(sac_class_parse("Ne"), 6);
	ck_assert_int_eq(sac_class_parse("2"), 2);
	ck_assert_int_eq(sac_class_parse("7"), -1);
	ck_assert_int_eq(sac_class_parse("joy"), -1);
	ck_assert_int_eq(sac_lighting_parse("hdr"), 3);
	ck_assert_int_eq(sac_lighting_parse("dark"), -1);
	ck_assert_str_eq(sac_lighting_name(2), "lowlight");
}
END_TEST

START_TEST(test_synth_valid_and_deterministic)
{
	sac_events a, b;
	synth(42, 4, 0, 0.5, &a);
	synth(42, 4, 0, 0.5, &b);
	ck_assert(a.count > 1000);
	ck_assert(same(&a, &b));
	ck_assert_int_eq(a.width, SAC_DVS_WIDTH);
	ck_assert_int_eq(a.height, SAC_DVS_HEIGHT);
	size_t on = 0;
	for (size_t i = 0; i < a.count; i++) {
		ck_assert(a.ev[i].x < SAC_DVS_WIDTH && a.ev[i].y < SAC_DVS_HEIGHT);
		ck_assert(a.ev[i].p <= 1);
		ck_assert(a.ev[i].t >= 0 && a.ev[i].t < 500000);
		if (i)
			ck_assert(a.ev[i].t >= a.ev[i - 1].t);
		on += a.ev[i].p;
	}
	ck_assert(on > a.count / 5 && on < a.count * 4 / 5);
	sac_events_free(&b);
	synth(43, 4, 0, 0.5, &b);
	ck_assert(!same(&a, &b));
	sac_events_free(&a);
	sac_events_free(&b);
	/* Bad options. */
	sac_synth_opts o = {1, 7, 0, 0.5};
	sac_err e = {0};
	ck_assert_int_eq(sac_events_synth(&o, &a, &e), SAC_ERR_RANGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "class 7"));
	o.cls = 0;
	o.duration_s = -1;
	sac_err_clear(&e);
	ck_assert_int_eq(sac_events_synth(&o, &a, &e), SAC_ERR_RANGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "duration"));
}
END_TEST

/* Event count in a coarse 8x8 grid over the whole stream: a signature of
 * where the motion happens. */
static void signature(const sac_events *s, double sig[64])
{
	memset(sig, 0, 64 * sizeof *sig);
	for (size_t i = 0; i < s->count; i++)
		sig[(s->ev[i].y * 8 / SAC_DVS_HEIGHT) * 8 + s->ev[i].x * 8 / SAC_DVS_WIDTH] += 1;
	for (int k = 0; k < 64; k++)
		sig[k] /= (double)s->count;
}

START_TEST(test_classes_differ)
{
	double sig[SAC_NUM_CLASSES][64], mean_y[SAC_NUM_CLASSES];
	size_t count[SAC_NUM_CLASSES];
	for (int c = 0; c < SAC_NUM_CLASSES; c++) {
		sac_events s;
		synth(5, c, 0, 0.5, &s);
		signature(&s, sig[c]);
		count[c] = s.count;
		mean_y[c] = 0;
		for (size_t i = 0; i < s.count; i++)
			mean_y[c] += s.ev[i].y / (double)s.count;
		sac_events_free(&s);
	}
	for (int a = 0; a < SAC_NUM_CLASSES; a++)
		for (int b = a + 1; b < SAC_NUM_CLASSES; b++) {
			double d = 0;
			for (int k = 0; k < 64; k++)
				d += (sig[a][k] - sig[b][k]) * (sig[a][k] - sig[b][k]);
			ck_assert_msg(d > 1e-5 || count[a] != count[b],
				      "%s and %s look alike", sac_class_name(a),
				      sac_class_name(b));
		}
	/* Surprise is in the raised brows, happiness in the lower lid, so
	 * surprise's events lie higher (smaller y). */
	ck_assert_msg(mean_y[4] + 10 < mean_y[0], "surprise y %g, happiness y %g",
		      mean_y[4], mean_y[0]);
}
END_TEST

START_TEST(test_lighting_changes_rate)
{
	size_t n[SAC_NUM_LIGHTINGS], region[SAC_NUM_LIGHTINGS];
	for (int l = 0; l < SAC_NUM_LIGHTINGS; l++) {
		sac_events s;
		synth(9, 1, l, 0.5, &s);
		n[l] = s.count;
		/* Events in the top-left corner, far from the eye: noise only. */
		region[l] = 0;
		for (size_t i = 0; i < s.count; i++)
			region[l] += s.ev[i].x < 40 && s.ev[i].y < 40;
		sac_events_free(&s);
	}
	ck_assert_msg(n[1] < n[0], "overexposure %zu vs normal %zu", n[1], n[0]);
	ck_assert_msg(region[2] > 5 * region[0], "lowlight noise %zu vs normal %zu",
		      region[2], region[0]);
	ck_assert(n[3] != n[0]);
}
END_TEST

START_TEST(test_frames)
{
	sac_events s;
	synth(3, 4, 0, 0.5, &s);
	sac_frame_opts o = {4, 3, 64, 64, 0};
	sac_tensor t;
	sac_err e = {0};
	ck_assert_msg(sac_events_frames(&s, &o, &t, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(t.dtype, SAC_F32);
	ck_assert_int_eq(t.ndim, 3);
	ck_assert_int_eq(t.shape[0], 4);
	ck_assert_int_eq(t.shape[1], 64);
	ck_assert_int_eq(t.shape[2], 64);
	const float *f = t.data;
	for (int k = 0; k < 4; k++) {
		float mx = 0;
		size_t ones = 0, nz = 0;
		for (size_t i = 0; i < 64 * 64; i++) {
			float v = f[k * 4096 + i];
			ck_assert(v >= 0 && v <= 1);
			mx = v > mx ? v : mx;
			ones += v == 1;
			nz += v > 0;
		}
		ck_assert(mx == 1.0f);
		ck_assert(ones >= 1 && ones <= nz);
	}
	sac_tensor_free(&t);
	/* Too short: 6 frames of 0.1 s from a 0.5 s stream. */
	o.frames = 6;
	ck_assert_int_eq(sac_events_frames(&s, &o, &t, &e), SAC_ERR_RANGE);
	ck_assert_msg(strstr(e.msg, "need 0.6 s") && strstr(e.msg, "lasts 0.49"), "%s", e.msg);
	o.frames = 4;
	o.width = 0;
	sac_err_clear(&e);
	ck_assert_int_eq(sac_events_frames(&s, &o, &t, &e), SAC_ERR_RANGE);
	sac_events_free(&s);
}
END_TEST

/* Hand-made stream: check window edges, binning and the percentile. */
START_TEST(test_frames_by_hand)
{
	sac_event ev[] = {
		{0, 0, 0, 1},        /* frame 0, bin (0,0) */
		{0, 0, 0, 0},        /* both polarities count */
		{33333, 345, 259, 1}, /* frame 0 (ends at 33333.3 us), bin (1,1) */
		{33334, 0, 0, 1},    /* frame 1 */
		{66666, 173, 0, 1},  /* frame 1, bx = 173*2/346 = 1 */
		{66667, 0, 0, 1},    /* frame 2 */
		{100000, 0, 0, 1},   /* past the end: ignored */
	};
	sac_events s = {SAC_DVS_WIDTH, SAC_DVS_HEIGHT, 7, 7, ev};
	sac_frame_opts o = {3, 1, 2, 2, 0};
	sac_tensor t;
	sac_err e = {0};
	ck_assert_msg(sac_events_frames(&s, &o, &t, &e) == 0, "%s", e.msg);
	const float *f = t.data;
	/* Frame 0: counts {2, 0, 0, 1}; p99 of {2, 1} is 2. */
	ck_assert(f[0] == 1.0f && f[1] == 0 && f[2] == 0 && f[3] == 0.5f);
	ck_assert(f[4] == 1.0f && f[5] == 1.0f && f[6] == 0 && f[7] == 0);
	ck_assert(f[8] == 1.0f && f[9] == 0 && f[10] == 0 && f[11] == 0);
	sac_tensor_free(&t);
	/* An empty middle frame stays zero. */
	sac_event gap[] = {{0, 0, 0, 1}, {70000, 0, 0, 1}, {99999, 1, 1, 0}};
	sac_events g = {SAC_DVS_WIDTH, SAC_DVS_HEIGHT, 3, 3, gap};
	ck_assert_msg(sac_events_frames(&g, &o, &t, &e) == 0, "%s", e.msg);
	f = t.data;
	ck_assert(f[0] == 1.0f && f[8] == 1.0f);
	for (int i = 4; i < 8; i++)
		ck_assert(f[i] == 0);
	sac_tensor_free(&t);
}
END_TEST

START_TEST(test_roundtrip_files)
{
	sac_events a, b;
	synth(11, 2, 3, 0.2, &a);
	sac_err e = {0};
	const char *names[2] = {"ev.npy", "ev.csv"};
	for (int k = 0; k < 2; k++) {
		const char *p = tmp(names[k]);
		ck_assert_msg(sac_events_write(p, &a, &e) == 0, "%s", e.msg);
		ck_assert_msg(sac_events_read(p, &b, &e) == 0, "%s", e.msg);
		ck_assert(same(&a, &b));
		sac_events_free(&b);
	}
	/* The .npy is the documented record layout. */
	sac_npy_records r;
	ck_assert_int_eq(sac_npy_read_records(tmp("ev.npy"), &r, &e), 0);
	ck_assert_uint_eq(r.itemsize, 13);
	ck_assert_int_eq(r.field[0].dtype, SAC_I64);
	ck_assert_int_eq(r.field[3].dtype, SAC_U8);
	sac_npy_records_free(&r);
	sac_events_free(&a);
}
END_TEST

START_TEST(test_foreign_npy_and_csv)
{
	/* float t, int32 x/y, polarity -1/+1, extra field, other order. */
	struct {
		float p;
		int32_t x, y;
		double t;
		uint8_t extra;
	} __attribute__((packed)) rec[3] = {
		{-1, 1, 2, 10.0, 7}, {1, 3, 4, 10.0, 7}, {1, 345, 259, 12.4, 7}};
	sac_npy_records r = {
		.nfields = 5,
		.field = {{"p", SAC_F32, 0}, {"x", SAC_I32, 4}, {"y", SAC_I32, 8},
			  {"t", SAC_F64, 12}, {"extra", SAC_U8, 20}},
		.itemsize = sizeof rec[0],
		.count = 3,
		.data = rec,
	};
	sac_err e = {0};
	const char *p = tmp("f.npy");
	ck_assert_int_eq(sac_npy_write_records(p, &r, &e), 0);
	sac_events s;
	ck_assert_msg(sac_events_read(p, &s, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(s.count, 3);
	ck_assert(s.ev[0].p == 0 && s.ev[1].p == 1 && s.ev[2].t == 12);
	ck_assert(s.ev[2].x == 345 && s.ev[2].y == 259);
	sac_events_free(&s);
	/* CSV with header, spaces, CRLF, comment and blank lines. */
	const char *csv = "t, x, y, p\r\n# a comment\n\n5,1,2,-1\r\n 6 , 3 , 4 , 1\n";
	p = tmp("f.csv");
	write_text(p, csv, strlen(csv));
	ck_assert_msg(sac_events_read(p, &s, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(s.count, 2);
	ck_assert(s.ev[0].p == 0 && s.ev[1].x == 3);
	sac_events_free(&s);
	/* An empty file is an empty stream. */
	write_text(p, "", 0);
	ck_assert_int_eq(sac_events_read(p, &s, &e), 0);
	ck_assert_uint_eq(s.count, 0);
	sac_events_free(&s);
}
END_TEST

static void expect_read_error(const char *name, const char *text, size_t n,
			      int code, const char *needle)
{
	const char *p = tmp(name);
	write_text(p, text, n);
	sac_events s;
	sac_err e = {0};
	int r = sac_events_read(p, &s, &e);
	ck_assert_msg(r == code, "%s: code %d, wanted %d: %s", name, r, code, e.msg);
	char want[600];
	snprintf(want, sizeof want, "%s%s", p, needle);
	ck_assert_msg(strstr(e.msg, want), "message '%s' lacks '%s'", e.msg, want);
	ck_assert_ptr_null(s.ev);
}

START_TEST(test_garbage)
{
	const char *t;
	t = "t,x,y,p\n1,2,3,1\n2,2,3\n";
	expect_read_error("a.csv", t, strlen(t), SAC_ERR_PARSE, ":3: expected 4 comma-separated");
	t = "1,2,3,1\n2,400,3,1\n";
	expect_read_error("b.csv", t, strlen(t), SAC_ERR_RANGE, ":2: x = 400 outside [0, 346)");
	t = "1,2,3,1\n2,2,260,1\n";
	expect_read_error("c.csv", t, strlen(t), SAC_ERR_RANGE, ":2: y = 260 outside [0, 260)");
	t = "5,2,3,1\n4,2,3,1\n";
	expect_read_error("d.csv", t, strlen(t), SAC_ERR_PARSE, ":2: t = 4 is earlier");
	t = "5,2,3,2\n";
	expect_read_error("e.csv", t, strlen(t), SAC_ERR_RANGE, ":1: polarity p = 2");
	t = "5,2.5,3,1\n";
	expect_read_error("f.csv", t, strlen(t), SAC_ERR_RANGE, ":1: x = 2.5");
	t = "-5,2,3,1\n";
	expect_read_error("g.csv", t, strlen(t), SAC_ERR_RANGE, ":1: t = -5");
	t = "time,x,y,pol\n";
	expect_read_error("h.csv", t, strlen(t), SAC_ERR_PARSE, ":1: expected 4");
	static const char bin[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\n\x03";
	expect_read_error("i.csv", bin, sizeof bin - 1, SAC_ERR_PARSE, ":1: binary data");
	/* Garbage .npy: the right magic, a broken header. */
	static const char npy[] = "\x93NUMPY\x01\x00\x10\x00{'descr': ??? }\n";
	expect_read_error("j.npy", npy, sizeof npy - 1, SAC_ERR_PARSE, ": bad .npy header");
	static const char trunc[] = "\x93NUMPY\x01\x00\xff\x00{'descr'";
	expect_read_error("k.npy", trunc, sizeof trunc - 1, SAC_ERR_CORRUPT, ": truncated");
	/* A valid npy without the event fields. */
	int64_t tv[2] = {1, 2};
	sac_npy_records r = {.nfields = 1, .field = {{"t", SAC_I64, 0}},
			     .itemsize = 8, .count = 2, .data = tv};
	sac_err e = {0};
	const char *p = tmp("l.npy");
	ck_assert_int_eq(sac_npy_write_records(p, &r, &e), 0);
	sac_events s;
	ck_assert_int_eq(sac_events_read(p, &s, &e), SAC_ERR_PARSE);
	ck_assert_msg(strstr(e.msg, "l.npy: no field 'x' (the file has: t"), "%s", e.msg);
	/* Row numbers in .npy errors. */
	struct {
		int64_t t;
		uint16_t x, y;
		uint8_t p;
	} __attribute__((packed)) rec[2] = {{1, 1, 1, 1}, {2, 1, 999, 1}};
	sac_npy_records r2 = {
		.nfields = 4,
		.field = {{"t", SAC_I64, 0}, {"x", SAC_U16, 8}, {"y", SAC_U16, 10},
			  {"p", SAC_U8, 12}},
		.itemsize = 13, .count = 2, .data = rec};
	p = tmp("m.npy");
	ck_assert_int_eq(sac_npy_write_records(p, &r2, &e), 0);
	sac_err_clear(&e);
	ck_assert_int_eq(sac_events_read(p, &s, &e), SAC_ERR_RANGE);
	ck_assert_msg(strstr(e.msg, "m.npy: row 1: y = 999"), "%s", e.msg);
	sac_err_clear(&e);
	ck_assert_int_eq(sac_events_read(tmp("nope.csv"), &s, &e), SAC_ERR_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "nope.csv: cannot open"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_synth_valid_and_deterministic);
	tcase_add_test(tc, test_classes_differ);
	tcase_add_test(tc, test_lighting_changes_rate);
	tcase_add_test(tc, test_frames);
	tcase_add_test(tc, test_frames_by_hand);
	tcase_add_test(tc, test_roundtrip_files);
	tcase_add_test(tc, test_foreign_npy_and_csv);
	tcase_add_test(tc, test_garbage);
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
