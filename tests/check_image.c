/* check_image.c: unit tests of the image container (NET.sac) and of the
 * sac_wbuf/sac_rbuf section buffers.
 *
 * The corruption tests are exhaustive on a small image: it is cut at every
 * byte offset and has every byte flipped, and each variant must be refused
 * with a message naming the file, never crash (run them under
 * -fsanitize=address,undefined too) and never hand out an image. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "saccade/image.h"

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/sac_check_image.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

/* A small image of three sections, serialised. */
static unsigned char *small_image(size_t *len)
{
	sac_err e = {0};
	sac_image *img = sac_image_new();
	ck_assert_ptr_nonnull(img);
	const char *meta = "name=tiny\ncompiler=saccade 0.1.0\n";
	ck_assert_int_eq(sac_image_add(img, SAC_SEC_META, meta, strlen(meta), &e), 0);
	ck_assert_int_eq(sac_image_add(img, SAC_SEC_ROUTES, NULL, 0, &e), 0);
	unsigned char sram[40];
	fill_random(sram, sizeof sram, 7);
	ck_assert_int_eq(sac_image_add(img, SAC_SEC_SRAM, sram, sizeof sram, &e), 0);
	void *buf;
	ck_assert_int_eq(sac_image_write_mem(img, &buf, len, &e), 0);
	sac_image_free(img);
	return buf;
}

/* The image must be refused; returns the error for further checks. */
static sac_err expect_bad(const void *p, size_t n, const char *needle)
{
	sac_err e = {0};
	sac_image *img = (sac_image *)1;
	int rc = sac_image_read_mem(p, n, "bad.sac", &img, &e);
	ck_assert_msg(rc < 0, "accepted (%zu bytes)", n);
	ck_assert_int_eq(rc, e.code);
	ck_assert_ptr_null(img);
	ck_assert_msg(strstr(e.msg, "bad.sac"), "message '%s' does not name the file", e.msg);
	if (needle)
		ck_assert_msg(strstr(e.msg, needle), "message '%s' lacks '%s'", e.msg, needle);
	return e;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* After editing the header or the table, make its CRC right again so that
 * the check behind it is the one that fires. */
static void fix_header_crc(unsigned char *p)
{
	uint32_t n = p[12] | p[13] << 8 | p[14] << 16 | (uint32_t)p[15] << 24;
	uLong c = crc32(0L, Z_NULL, 0);
	c = crc32(c, p, 24);
	c = crc32(c, p + 28, 4 + 40 * n);
	put32(p + 24, (uint32_t)c);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Recompute the stored-bytes CRC of entry i (and then the header CRC), so
 * that damage inside a section reaches zlib and the raw CRC. */
static void fix_section_crc(unsigned char *p, int i)
{
	unsigned char *t = p + 32 + 40 * i;
	uint64_t off = get64(t + 8), stored = get64(t + 16);
	put32(t + 36, (uint32_t)crc32(crc32(0L, Z_NULL, 0), p + off, (uInt)stored));
	fix_header_crc(p);
}

START_TEST(test_round_trip)
{
	sac_err e = {0};
	sac_image *img = sac_image_new();
	ck_assert_ptr_nonnull(img);
	size_t big_n = 1 << 20;
	unsigned char *big = malloc(big_n);
	ck_assert_ptr_nonnull(big);
	fill_random(big, big_n, 42);
	unsigned char zeros[5000] = {0};
	const char *meta = "name=net\ntarget=yoso\n";
	ck_assert_int_eq(sac_image_add(img, SAC_SEC_META, meta, strlen(meta), &e), 0);
	ck_assert_int_eq(sac_image_add(img, SAC_SEC_TARGET, "", 0, &e), 0);
	ck_assert_int_eq(sac_image_add(img, SAC_SEC_SRAM, big, big_n, &e), 0);
	ck_assert_int_eq(sac_image_add(img, SAC_SEC_PES, zeros, sizeof zeros, &e), 0);
	ck_assert_int_eq(sac_image_add_flags(img, 1000, SAC_SECF_OPTIONAL, "x", 1, &e), 0);
	ck_assert_int_eq(e.code, 0);
	ck_assert_uint_eq(sac_image_count(img), 5);

	char path[512];
	snprintf(path, sizeof path, "%s/net.sac", tmpdir);
	ck_assert_int_eq(sac_image_write(img, path, &e), 0);
	sac_image *back = NULL;
	ck_assert_msg(sac_image_read(path, &back, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(sac_image_count(back), 5);

	size_t n;
	const void *p = sac_image_section(back, SAC_SEC_META, &n);
	ck_assert_uint_eq(n, strlen(meta));
	ck_assert_int_eq(memcmp(p, meta, n), 0);
	p = sac_image_section(back, SAC_SEC_TARGET, &n);
	ck_assert_ptr_nonnull(p); /* present though empty */
	ck_assert_uint_eq(n, 0);
	p = sac_image_section(back, SAC_SEC_SRAM, &n);
	ck_assert_uint_eq(n, big_n);
	ck_assert_int_eq(memcmp(p, big, big_n), 0);
	p = sac_image_section(back, SAC_SEC_PES, &n);
	ck_assert_uint_eq(n, sizeof zeros);
	ck_assert_int_eq(memcmp(p, zeros, n), 0);
	ck_assert_ptr_null(sac_image_section(back, SAC_SEC_ROUTES, &n));
	ck_assert_uint_eq(n, 0);

	uint32_t type, flags;
	p = sac_image_at(back, 4, &type, &flags, &n);
	ck_assert_uint_eq(type, 1000);
	ck_assert_uint_eq(flags, SAC_SECF_OPTIONAL);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(*(const char *)p, 'x');
	ck_assert_ptr_null(sac_image_at(back, 5, &type, NULL, NULL));
	p = sac_image_at(back, 2, &type, NULL, NULL);
	ck_assert_uint_eq(type, SAC_SEC_SRAM);

	/* The same bytes from write_mem as from write, and a stable layout. */
	void *mem;
	size_t mem_n;
	ck_assert_int_eq(sac_image_write_mem(back, &mem, &mem_n, &e), 0);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	unsigned char *disk = malloc(mem_n + 1);
	ck_assert_uint_eq(fread(disk, 1, mem_n + 1, f), mem_n);
	fclose(f);
	ck_assert_int_eq(memcmp(disk, mem, mem_n), 0);
	ck_assert_int_eq(memcmp(disk, "SACCADE\x1a\x01\x00\x00\x00\x05\x00\x00\x00", 16), 0);
	ck_assert_uint_eq(disk[16] | disk[17] << 8 | disk[18] << 16, mem_n);
	free(disk);
	free(mem);
	sac_image_free(back);

	/* An empty image round-trips too. */
	sac_image *empty = sac_image_new();
	ck_assert_int_eq(sac_image_write_mem(empty, &mem, &mem_n, &e), 0);
	ck_assert_uint_eq(mem_n, 32);
	ck_assert_int_eq(sac_image_read_mem(mem, mem_n, "empty", &back, &e), 0);
	ck_assert_uint_eq(sac_image_count(back), 0);
	sac_image_free(back);
	sac_image_free(empty);
	free(mem);

	sac_image_free(img);
	free(big);
}
END_TEST

START_TEST(test_names_and_add_errors)
{
	ck_assert_str_eq(sac_section_name(SAC_SEC_META), "meta");
	ck_assert_str_eq(sac_section_name(SAC_SEC_SRAM), "sram");
	ck_assert_str_eq(sac_section_name(SAC_SEC_ROUTES), "routes");
	ck_assert_str_eq(sac_section_name(99), "unknown");
	ck_assert_int_eq(sac_section_known(SAC_SEC_PES), 1);
	ck_assert_int_eq(sac_section_known(0), 0);

	sac_image *img = sac_image_new();
	sac_err e = {0};
	ck_assert_int_eq(sac_image_add(img, SAC_SEC_MODEL, "ab", 2, &e), 0);
	ck_assert_int_eq(sac_image_add(img, SAC_SEC_MODEL, "cd", 2, &e), SAC_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "duplicate section 'model'"));
	sac_err_clear(&e);
	ck_assert_int_eq(sac_image_add(img, 0, "", 0, &e), SAC_ERR_USAGE);
	sac_err_clear(&e);
	ck_assert_int_eq(sac_image_add(img, 77, "", 0, &e), SAC_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "optional"));
	sac_err_clear(&e);
	ck_assert_int_eq(sac_image_add_flags(img, SAC_SEC_META, 4, "", 0, &e), SAC_ERR_USAGE);
	sac_err_clear(&e);
	/* The copy is the image's own. */
	char src[3] = "xy";
	ck_assert_int_eq(sac_image_add(img, SAC_SEC_META, src, 2, &e), 0);
	src[0] = 'Q';
	ck_assert_int_eq(memcmp(sac_image_section(img, SAC_SEC_META, NULL), "xy", 2), 0);
	sac_image_free(img);
	sac_image_free(NULL);
}
END_TEST

START_TEST(test_truncation_every_offset)
{
	size_t n;
	unsigned char *full = small_image(&n);
	for (size_t k = 0; k < n; k++) {
		/* A fresh allocation of exactly k bytes lets ASan catch any overread. */
		unsigned char *cut = malloc(k ? k : 1);
		memcpy(cut, full, k);
		sac_err e = expect_bad(cut, k, NULL);
		ck_assert_msg(strstr(e.msg, "truncated") || strstr(e.msg, "CRC"),
			      "cut at %zu: '%s'", k, e.msg);
		free(cut);
	}
	/* The message gives both sizes. */
	sac_err e = expect_bad(full, n - 1, "truncated");
	char want[128];
	snprintf(want, sizeof want, "file is %zu bytes, header says %zu", n - 1, n);
	ck_assert_msg(strstr(e.msg, want), "'%s' lacks '%s'", e.msg, want);

	/* A truncated file on disk, through sac_image_read. */
	char path[512];
	snprintf(path, sizeof path, "%s/cut.sac", tmpdir);
	for (size_t k = 0; k < n; k += 7) {
		FILE *f = fopen(path, "wb");
		ck_assert_uint_eq(fwrite(full, 1, k, f), k);
		fclose(f);
		sac_image *img = (sac_image *)1;
		sac_err_clear(&e);
		ck_assert_int_eq(sac_image_read(path, &img, &e), SAC_ERR_CORRUPT);
		ck_assert_ptr_null(img);
		ck_assert_ptr_nonnull(strstr(e.msg, path));
		ck_assert_ptr_nonnull(strstr(e.msg, "truncated"));
	}
	free(full);
}
END_TEST

START_TEST(test_flip_every_byte)
{
	size_t n;
	unsigned char *full = small_image(&n);
	unsigned char *p = malloc(n);
	for (size_t i = 0; i < n; i++) {
		static const unsigned char masks[] = {0x01, 0x80, 0xff};
		for (size_t m = 0; m < sizeof masks; m++) {
			memcpy(p, full, n);
			p[i] ^= masks[m];
			sac_err e = {0};
			sac_image *img = (sac_image *)1;
			int rc = sac_image_read_mem(p, n, "bad.sac", &img, &e);
			ck_assert_msg(rc < 0, "flip 0x%02x at byte %zu not detected", masks[m], i);
			ck_assert_ptr_null(img);
			ck_assert_ptr_nonnull(strstr(e.msg, "bad.sac"));
		}
	}
	/* Where the flip lands decides which check fires. */
	memcpy(p, full, n);
	p[40] ^= 1; /* inside the section table */
	expect_bad(p, n, "bad header CRC32");
	memcpy(p, full, n);
	p[n - 2] ^= 0x10; /* inside the last section's zlib trailer */
	expect_bad(p, n, "section 'sram' (#2): bad CRC32 of the compressed bytes");
	/* Behind that CRC, zlib's own checks still hold. */
	fix_section_crc(p, 2);
	expect_bad(p, n, "section 'sram' (#2): decompression failed");
	memcpy(p, full, n);
	uint64_t off0 = get64(p + 32 + 8);
	p[off0] ^= 0xff; /* the zlib header of section #0 */
	fix_section_crc(p, 0);
	expect_bad(p, n, "section 'meta' (#0): decompression failed");
	free(p);
	free(full);
}
END_TEST

START_TEST(test_magic_version_sizes)
{
	size_t n;
	unsigned char *full = small_image(&n);
	unsigned char *p = malloc(n + 1);

	memcpy(p, full, n);
	p[0] = 'X';
	sac_err e = expect_bad(p, n, "not a Saccade image");
	ck_assert_int_eq(e.code, SAC_ERR_PARSE);
	expect_bad("PK\x03\x04", 4, "not a Saccade image");
	expect_bad("", 0, "truncated");

	memcpy(p, full, n);
	put32(p + 8, 2);
	fix_header_crc(p);
	e = expect_bad(p, n, "image version 2, this saccade reads 1");
	ck_assert_int_eq(e.code, SAC_ERR_UNSUPPORTED);
	/* even when the rest is too short to check */
	expect_bad(p, 12, "image version 2");

	/* trailing bytes */
	memcpy(p, full, n);
	p[n] = 0;
	expect_bad(p, n + 1, "trailing");

	/* absurd raw size in the last entry (sram, #2) */
	memcpy(p, full, n);
	put64(p + 32 + 2 * 40 + 24, (uint64_t)1 << 40);
	fix_header_crc(p);
	expect_bad(p, n, "absurd sizes");
	/* a raw size larger than deflate could ever expand to */
	memcpy(p, full, n);
	put64(p + 32 + 2 * 40 + 24, 1000000);
	fix_header_crc(p);
	expect_bad(p, n, "absurd sizes");
	/* a small raw-size lie */
	memcpy(p, full, n);
	put64(p + 32 + 2 * 40 + 24, 39);
	fix_header_crc(p);
	expect_bad(p, n, "raw size mismatch");
	memcpy(p, full, n);
	put64(p + 32 + 2 * 40 + 24, 41);
	fix_header_crc(p);
	expect_bad(p, n, "raw size mismatch");
	/* a section's CRC */
	memcpy(p, full, n);
	p[32 + 2 * 40 + 32] ^= 1;
	fix_header_crc(p);
	expect_bad(p, n, "section 'sram' (#2): bad CRC32");
	/* out of bounds, overlap, gap */
	memcpy(p, full, n);
	put64(p + 32 + 2 * 40 + 8, n);
	fix_header_crc(p);
	expect_bad(p, n, "out of bounds");
	memcpy(p, full, n);
	put64(p + 32 + 1 * 40 + 8, 32 + 40);
	fix_header_crc(p);
	expect_bad(p, n, "overlaps");
	memcpy(p, full, n);
	uint64_t off1 = get64(p + 32 + 40 + 8);
	put64(p + 32 + 40 + 8, off1 + 1);
	fix_header_crc(p);
	expect_bad(p, n, "gap");
	/* an unknown, non-optional section type */
	memcpy(p, full, n);
	put32(p + 32 + 1 * 40, 4242);
	fix_header_crc(p);
	e = expect_bad(p, n, "type 4242");
	ck_assert_int_eq(e.code, SAC_ERR_UNSUPPORTED);
	/* ...which is fine when flagged optional */
	put32(p + 32 + 1 * 40 + 4, SAC_SECF_OPTIONAL);
	fix_header_crc(p);
	sac_image *img = NULL;
	sac_err_clear(&e);
	ck_assert_msg(sac_image_read_mem(p, n, "opt.sac", &img, &e) == 0, "%s", e.msg);
	ck_assert_ptr_nonnull(sac_image_section(img, 4242, NULL));
	sac_image_free(img);

	free(p);
	free(full);
}
END_TEST

START_TEST(test_duplicate_sections)
{
	size_t n;
	unsigned char *p = small_image(&n);
	/* make section #2 claim the type of #0 */
	put32(p + 32 + 2 * 40, SAC_SEC_META);
	fix_header_crc(p);
	sac_err e = expect_bad(p, n, "duplicate sections");
	ck_assert_ptr_nonnull(strstr(e.msg, "#0 and section 'meta' (#2)"));
	free(p);
}
END_TEST

START_TEST(test_io_errors)
{
	sac_err e = {0};
	sac_image *img = (sac_image *)1;
	ck_assert_int_eq(sac_image_read("/nonexistent/x.sac", &img, &e), SAC_ERR_IO);
	ck_assert_ptr_null(img);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/x.sac"));
	sac_err_clear(&e);
	ck_assert_int_eq(sac_image_read(tmpdir, &img, &e), SAC_ERR_IO);
	sac_err_clear(&e);
	sac_image *empty = sac_image_new();
	ck_assert_int_eq(sac_image_write(empty, "/nonexistent/x.sac", &e), SAC_ERR_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/x.sac"));
	sac_image_free(empty);
}
END_TEST

START_TEST(test_wbuf_rbuf)
{
	sac_wbuf w = {0};
	sac_wbuf_u8(&w, 0xab);
	sac_wbuf_u16(&w, 0x1234);
	sac_wbuf_u32(&w, 0xdeadbeef);
	sac_wbuf_u64(&w, 0x0102030405060708ull);
	sac_wbuf_i32(&w, -5);
	sac_wbuf_i64(&w, INT64_MIN);
	sac_wbuf_f64(&w, -0.1);
	sac_wbuf_bytes(&w, "xyz", 3);
	sac_wbuf_str(&w, "conv1");
	sac_wbuf_str(&w, NULL);
	ck_assert_int_eq(w.oom, 0);
	ck_assert_uint_eq(w.len, 1 + 2 + 4 + 8 + 4 + 8 + 8 + 3 + 4 + 5 + 4);
	/* little-endian on the wire */
	ck_assert_int_eq(memcmp(w.data, "\xab\x34\x12\xef\xbe\xad\xde\x08\x07", 9), 0);

	sac_rbuf r;
	sac_rbuf_init(&r, w.data, w.len);
	ck_assert_uint_eq(sac_rbuf_u8(&r), 0xab);
	ck_assert_uint_eq(sac_rbuf_u16(&r), 0x1234);
	ck_assert_uint_eq(sac_rbuf_u32(&r), 0xdeadbeef);
	ck_assert(sac_rbuf_u64(&r) == 0x0102030405060708ull);
	ck_assert_int_eq(sac_rbuf_i32(&r), -5);
	ck_assert(sac_rbuf_i64(&r) == INT64_MIN);
	ck_assert(sac_rbuf_f64(&r) == -0.1);
	char b3[3];
	sac_rbuf_bytes(&r, b3, 3);
	ck_assert_int_eq(memcmp(b3, "xyz", 3), 0);
	char s[16];
	sac_rbuf_str(&r, s, sizeof s);
	ck_assert_str_eq(s, "conv1");
	sac_rbuf_str(&r, s, sizeof s);
	ck_assert_str_eq(s, "");
	ck_assert(sac_rbuf_done(&r));

	/* Overruns: bad, sticky, zeros. */
	sac_rbuf_init(&r, w.data, 3);
	ck_assert_uint_eq(sac_rbuf_u16(&r), 0x34ab);
	ck_assert(sac_rbuf_ok(&r));
	ck_assert(!sac_rbuf_done(&r));
	ck_assert_uint_eq(sac_rbuf_u32(&r), 0);
	ck_assert(!sac_rbuf_ok(&r));
	ck_assert_uint_eq(sac_rbuf_u8(&r), 0); /* a byte is left, but bad sticks */
	ck_assert(sac_rbuf_u64(&r) == 0);
	ck_assert_int_eq(sac_rbuf_i32(&r), 0);
	ck_assert(sac_rbuf_i64(&r) == 0);
	ck_assert(sac_rbuf_f64(&r) == 0.0);
	memset(b3, 'q', 3);
	sac_rbuf_bytes(&r, b3, 3);
	ck_assert_int_eq(memcmp(b3, "\0\0\0", 3), 0);
	ck_assert_ptr_null(sac_rbuf_ptr(&r, 1));
	strcpy(s, "old");
	sac_rbuf_str(&r, s, sizeof s);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(sac_rbuf_left(&r), 0);

	/* A string too long for the caller's buffer, or longer than the data. */
	sac_wbuf w2 = {0};
	sac_wbuf_str(&w2, "a-rather-long-layer-name");
	sac_rbuf_init(&r, w2.data, w2.len);
	sac_rbuf_str(&r, s, 8);
	ck_assert(!sac_rbuf_ok(&r));
	ck_assert_str_eq(s, "");
	sac_rbuf_init(&r, w2.data, w2.len - 1);
	sac_rbuf_str(&r, s, sizeof s);
	ck_assert(!sac_rbuf_ok(&r));
	sac_wbuf_free(&w2);

	/* Counts are checked against what is left before anyone allocates. */
	sac_wbuf_u32(&w2, 3);
	sac_wbuf_u32(&w2, 10);
	sac_wbuf_u32(&w2, 20);
	sac_wbuf_u32(&w2, 30);
	sac_rbuf_init(&r, w2.data, w2.len);
	ck_assert_uint_eq(sac_rbuf_count(&r, 4), 3);
	ck_assert(sac_rbuf_ok(&r));
	sac_rbuf_init(&r, w2.data, w2.len);
	ck_assert_uint_eq(sac_rbuf_count(&r, 8), 0);
	ck_assert(!sac_rbuf_ok(&r));
	sac_wbuf_u32(&w2, 0xffffffffu);
	sac_rbuf_init(&r, w2.data + 16, 4);
	ck_assert_uint_eq(sac_rbuf_count(&r, 1), 0);
	ck_assert(!sac_rbuf_ok(&r));
	/* An embedded NUL is refused. */
	sac_wbuf_free(&w2);
	sac_wbuf_u32(&w2, 3);
	sac_wbuf_bytes(&w2, "a\0b", 3);
	sac_rbuf_init(&r, w2.data, w2.len);
	sac_rbuf_str(&r, s, sizeof s);
	ck_assert(!sac_rbuf_ok(&r));
	sac_wbuf_free(&w2);

	/* Reading the empty buffer. */
	sac_rbuf_init(&r, NULL, 0);
	ck_assert(sac_rbuf_done(&r));
	ck_assert_uint_eq(sac_rbuf_u8(&r), 0);
	ck_assert(!sac_rbuf_ok(&r));

	sac_wbuf_free(&w);
	ck_assert_ptr_null(w.data);
	ck_assert_uint_eq(w.len, 0);
}
END_TEST

START_TEST(test_wbuf_grows)
{
	sac_wbuf w = {0};
	for (uint32_t i = 0; i < 100000; i++)
		sac_wbuf_u32(&w, i);
	ck_assert_int_eq(w.oom, 0);
	ck_assert_uint_eq(w.len, 400000);
	sac_rbuf r;
	sac_rbuf_init(&r, w.data, w.len);
	for (uint32_t i = 0; i < 100000; i++)
		ck_assert_uint_eq(sac_rbuf_u32(&r), i);
	ck_assert(sac_rbuf_done(&r));
	/* The oom flag is sticky and makes writes no-ops. */
	w.oom = 1;
	sac_wbuf_u32(&w, 1);
	ck_assert_uint_eq(w.len, 400000);
	sac_wbuf_free(&w);
	ck_assert_int_eq(w.oom, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("image");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_names_and_add_errors);
	tcase_add_test(tc, test_truncation_every_offset);
	tcase_add_test(tc, test_flip_every_byte);
	tcase_add_test(tc, test_magic_version_sizes);
	tcase_add_test(tc, test_duplicate_sections);
	tcase_add_test(tc, test_io_errors);
	suite_add_tcase(s, tc);
	TCase *tb = tcase_create("buffers");
	tcase_add_test(tb, test_wbuf_rbuf);
	tcase_add_test(tb, test_wbuf_grows);
	suite_add_tcase(s, tb);
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
