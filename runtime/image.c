/* image.c: the Saccade image container (NET.sac) and the bounded
 * little-endian buffers section codecs use.
 *
 * A file is a 32-byte header, a table of 40-byte section entries, then the
 * zlib-compressed sections back to back in table order (docs/FORMATS.md,
 * "Images: NET.sac").  Everything is written field by field in little-endian
 * order, never as a struct dump, so the format does not depend on the
 * compiler or the host.
 *
 * Reader invariants, checked in this order so that each fault gets the most
 * useful message: the magic, the version, the sizes (a file shorter than its
 * header says is "truncated" with both sizes), the header CRC (which covers
 * the section table), then per section its type and flags, its place (the
 * sections must tile the rest of the file exactly: no gap, no overlap, no
 * trailing byte, so every byte of a file is covered by some check), its
 * sizes against hard caps before anything is allocated, the CRC32 of its
 * stored (compressed) bytes, its decompression (which must consume exactly
 * the stored bytes and produce exactly the raw size) and finally the CRC32
 * of the raw bytes, which checks the decompressor end to end.  Only then is an image
 * handed out; a failure frees everything and leaves a message naming the
 * file.  No global state; nothing is printed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "saccade/image.h"

#define HDR_SIZE 32u
#define ENT_SIZE 40u
#define HDR_CRC_AT 24u
/* zlib's deflate cannot expand more than about 1032:1; a larger claimed
 * ratio can only come from a corrupt or hostile table, and refusing it
 * keeps a tiny file from making us allocate a gigabyte. */
#define MAX_RATIO 1032u

static const unsigned char magic[8] = {'S', 'A', 'C', 'C', 'A', 'D', 'E', 0x1a};

typedef struct section {
	uint32_t type, flags;
	unsigned char *data; /* raw payload, never NULL (1 byte for empty) */
	size_t len;
} section;

struct sac_image {
	section *sec;
	size_t n, cap;
};

/* ------------------------------------------------------------------ */
/* Section types. */

const char *sac_section_name(uint32_t type)
{
	switch (type) {
#define X(name, value, str) case value: return str;
		SAC_SECTION_TYPES(X)
#undef X
	}
	return "unknown";
}

int sac_section_known(uint32_t type)
{
	switch (type) {
#define X(name, value, str) case value: return 1;
		SAC_SECTION_TYPES(X)
#undef X
	}
	return 0;
}

/* "section 'sram' (#3)" or "section #3 (type 42)" for messages. */
static const char *sec_desc(char *buf, size_t n, size_t i, uint32_t type)
{
	if (sac_section_known(type))
		snprintf(buf, n, "section '%s' (#%zu)", sac_section_name(type), i);
	else
		snprintf(buf, n, "section #%zu (type %lu)", i, (unsigned long)type);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Little-endian fields. */

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

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* CRC of the header without its CRC field, then the section table. */
static uint32_t header_crc(const unsigned char *p, size_t table_end)
{
	uLong c = crc32(0L, Z_NULL, 0);
	c = crc32(c, p, HDR_CRC_AT);
	c = crc32(c, p + HDR_CRC_AT + 4, (uInt)(table_end - HDR_CRC_AT - 4));
	return (uint32_t)c;
}

/* ------------------------------------------------------------------ */
/* The in-memory image. */

sac_image *sac_image_new(void)
{
	return calloc(1, sizeof(sac_image));
}

void sac_image_free(sac_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->n; i++)
		free(img->sec[i].data);
	free(img->sec);
	free(img);
}

static section *find(const sac_image *img, uint32_t type)
{
	for (size_t i = 0; i < img->n; i++)
		if (img->sec[i].type == type)
			return &img->sec[i];
	return NULL;
}

/* Append a section that takes ownership of data (freed on failure). */
static int push(sac_image *img, uint32_t type, uint32_t flags,
		unsigned char *data, size_t len, sac_err *e)
{
	if (img->n == img->cap) {
		size_t cap = img->cap ? 2 * img->cap : 8;
		section *s = realloc(img->sec, cap * sizeof *s);
		if (!s) {
			free(data);
			return sac_errf(e, SAC_ERR_NOMEM, "image: out of memory");
		}
		img->sec = s;
		img->cap = cap;
	}
	img->sec[img->n++] = (section){type, flags, data, len};
	return SAC_OK;
}

int sac_image_add_flags(sac_image *img, uint32_t type, uint32_t flags,
			const void *data, size_t len, sac_err *e)
{
	if (!img || (!data && len))
		return sac_errf(e, SAC_ERR_USAGE, "sac_image_add: NULL argument");
	if (type == 0)
		return sac_errf(e, SAC_ERR_USAGE, "sac_image_add: section type 0 is reserved");
	if (flags & ~SAC_SECF_OPTIONAL)
		return sac_errf(e, SAC_ERR_USAGE, "sac_image_add: unknown flags 0x%lx",
				(unsigned long)flags);
	/* Refuse here what every reader would refuse later. */
	if (!sac_section_known(type) && !(flags & SAC_SECF_OPTIONAL))
		return sac_errf(e, SAC_ERR_USAGE,
				"sac_image_add: unknown section type %lu must be flagged optional",
				(unsigned long)type);
	if (find(img, type))
		return sac_errf(e, SAC_ERR_USAGE, "sac_image_add: duplicate section '%s' (type %lu)",
				sac_section_name(type), (unsigned long)type);
	if ((uint64_t)len > SAC_IMAGE_MAX_RAW)
		return sac_errf(e, SAC_ERR_RANGE,
				"section '%s': %zu bytes, more than the limit of %llu",
				sac_section_name(type), len,
				(unsigned long long)SAC_IMAGE_MAX_RAW);
	if (img->n >= SAC_IMAGE_MAX_SECTIONS)
		return sac_errf(e, SAC_ERR_CAPACITY, "image: more than %u sections",
				SAC_IMAGE_MAX_SECTIONS);
	unsigned char *copy = malloc(len ? len : 1);
	if (!copy)
		return sac_errf(e, SAC_ERR_NOMEM, "section '%s': out of memory (%zu bytes)",
				sac_section_name(type), len);
	if (len)
		memcpy(copy, data, len);
	return push(img, type, flags, copy, len, e);
}

int sac_image_add(sac_image *img, uint32_t type, const void *data, size_t len,
		  sac_err *e)
{
	return sac_image_add_flags(img, type, 0, data, len, e);
}

const void *sac_image_section(const sac_image *img, uint32_t type, size_t *len)
{
	const section *s = img ? find(img, type) : NULL;
	if (len)
		*len = s ? s->len : 0;
	return s ? s->data : NULL;
}

size_t sac_image_count(const sac_image *img)
{
	return img ? img->n : 0;
}

const void *sac_image_at(const sac_image *img, size_t i, uint32_t *type,
			 uint32_t *flags, size_t *len)
{
	const section *s = img && i < img->n ? &img->sec[i] : NULL;
	if (type)
		*type = s ? s->type : 0;
	if (flags)
		*flags = s ? s->flags : 0;
	if (len)
		*len = s ? s->len : 0;
	return s ? s->data : NULL;
}

/* ------------------------------------------------------------------ */
/* Writing. */

int sac_image_write_mem(const sac_image *img, void **out, size_t *out_len,
			sac_err *e)
{
	if (!out || !out_len)
		return sac_errf(e, SAC_ERR_USAGE, "sac_image_write_mem: NULL argument");
	*out = NULL;
	*out_len = 0;
	if (!img)
		return sac_errf(e, SAC_ERR_USAGE, "sac_image_write_mem: NULL image");
	size_t n = img->n;
	unsigned char **z = calloc(n ? n : 1, sizeof *z);
	uLongf *zlen = calloc(n ? n : 1, sizeof *zlen);
	unsigned char *buf = NULL;
	int rc = SAC_OK;
	if (!z || !zlen) {
		rc = sac_errf(e, SAC_ERR_NOMEM, "image: out of memory");
		goto done;
	}
	/* Compress every section first: the table needs the stored sizes. */
	size_t total = HDR_SIZE + ENT_SIZE * n;
	for (size_t i = 0; i < n; i++) {
		const section *s = &img->sec[i];
		zlen[i] = compressBound((uLong)s->len);
		z[i] = malloc(zlen[i]);
		if (!z[i]) {
			rc = sac_errf(e, SAC_ERR_NOMEM, "section '%s': out of memory",
				      sac_section_name(s->type));
			goto done;
		}
		int zr = compress2(z[i], &zlen[i], s->data, (uLong)s->len, 6);
		if (zr != Z_OK) {
			rc = sac_errf(e, zr == Z_MEM_ERROR ? SAC_ERR_NOMEM : SAC_ERR_IO,
				      "section '%s': zlib compress2 failed (%d)",
				      sac_section_name(s->type), zr);
			goto done;
		}
		total += zlen[i];
	}
	buf = malloc(total);
	if (!buf) {
		rc = sac_errf(e, SAC_ERR_NOMEM, "image: out of memory (%zu bytes)", total);
		goto done;
	}
	memcpy(buf, magic, 8);
	put32(buf + 8, SAC_IMAGE_VERSION);
	put32(buf + 12, (uint32_t)n);
	put64(buf + 16, total);
	put32(buf + 28, 0); /* reserved */
	size_t off = HDR_SIZE + ENT_SIZE * n;
	for (size_t i = 0; i < n; i++) {
		const section *s = &img->sec[i];
		unsigned char *t = buf + HDR_SIZE + ENT_SIZE * i;
		put32(t, s->type);
		put32(t + 4, s->flags);
		put64(t + 8, off);
		put64(t + 16, zlen[i]);
		put64(t + 24, s->len);
		put32(t + 32, (uint32_t)crc32(crc32(0L, Z_NULL, 0), s->data, (uInt)s->len));
		put32(t + 36, (uint32_t)crc32(crc32(0L, Z_NULL, 0), z[i], (uInt)zlen[i]));
		memcpy(buf + off, z[i], zlen[i]);
		off += zlen[i];
	}
	put32(buf + HDR_CRC_AT, header_crc(buf, HDR_SIZE + ENT_SIZE * n));
	*out = buf;
	*out_len = total;
	buf = NULL;
done:
	for (size_t i = 0; z && i < n; i++)
		free(z[i]);
	free(z);
	free(zlen);
	free(buf);
	return rc;
}

int sac_image_write(const sac_image *img, const char *path, sac_err *e)
{
	if (!path)
		return sac_errf(e, SAC_ERR_USAGE, "sac_image_write: NULL path");
	void *buf;
	size_t len;
	int rc = sac_image_write_mem(img, &buf, &len, e);
	if (rc)
		return rc;
	FILE *f = fopen(path, "wb");
	if (!f) {
		rc = sac_errf(e, SAC_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
		free(buf);
		return rc;
	}
	int ok = fwrite(buf, 1, len, f) == len;
	int err = errno;
	if (fclose(f) != 0 && ok) {
		ok = 0;
		err = errno;
	}
	free(buf);
	if (!ok) {
		/* Leave no half image behind: a later read would only call it truncated. */
		remove(path);
		return sac_errf(e, SAC_ERR_IO, "%s: write failed: %s", path, strerror(err));
	}
	return SAC_OK;
}

/* ------------------------------------------------------------------ */
/* Reading. */

/* Inflate exactly `stored` bytes into exactly `raw` bytes. */
static int inflate_exact(const unsigned char *src, size_t stored,
			 unsigned char *dst, size_t raw, const char *name,
			 const char *what, sac_err *e)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		return sac_errf(e, SAC_ERR_NOMEM, "%s: %s: zlib inflateInit failed", name, what);
	zs.next_in = (Bytef *)(uintptr_t)src; /* zlib does not write its input */
	zs.avail_in = (uInt)stored;
	zs.next_out = dst;
	zs.avail_out = (uInt)raw;
	int zr = inflate(&zs, Z_FINISH);
	int rc = SAC_OK;
	if (zr == Z_STREAM_END) {
		if (zs.avail_out != 0)
			rc = sac_errf(e, SAC_ERR_CORRUPT,
				      "%s: %s: raw size mismatch: decompresses to %lu bytes, the table says %zu",
				      name, what, zs.total_out, raw);
		else if (zs.avail_in != 0)
			rc = sac_errf(e, SAC_ERR_CORRUPT,
				      "%s: %s: %u stray bytes after the end of its compressed data",
				      name, what, zs.avail_in);
	} else if (zr == Z_BUF_ERROR && zs.avail_out == 0 && zs.avail_in != 0) {
		rc = sac_errf(e, SAC_ERR_CORRUPT,
			      "%s: %s: raw size mismatch: decompresses to more than the %zu bytes the table says",
			      name, what, raw);
	} else if (zr == Z_MEM_ERROR) {
		rc = sac_errf(e, SAC_ERR_NOMEM, "%s: %s: out of memory while decompressing", name, what);
	} else if (zr == Z_BUF_ERROR) {
		rc = sac_errf(e, SAC_ERR_CORRUPT,
			      "%s: %s: decompression failed: compressed data ends early", name, what);
	} else {
		rc = sac_errf(e, SAC_ERR_CORRUPT, "%s: %s: decompression failed: %s",
			      name, what, zs.msg ? zs.msg : "corrupt zlib data");
	}
	inflateEnd(&zs);
	return rc;
}

/* Everything after the header checks: the table and the sections. */
static int read_sections(const unsigned char *p, size_t total, uint32_t count,
			 const char *name, sac_image *img, sac_err *e)
{
	size_t expect = HDR_SIZE + (size_t)ENT_SIZE * count;
	char what[64];
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *t = p + HDR_SIZE + (size_t)ENT_SIZE * i;
		uint32_t type = get32(t), flags = get32(t + 4);
		uint64_t off = get64(t + 8), stored = get64(t + 16), raw = get64(t + 24);
		uint32_t crc = get32(t + 32), zcrc = get32(t + 36);
		sec_desc(what, sizeof what, i, type);
		if (type == 0 || (flags & ~SAC_SECF_OPTIONAL))
			return sac_errf(e, SAC_ERR_CORRUPT,
					"%s: %s: invalid table entry (type %lu, flags 0x%lx)",
					name, what, (unsigned long)type, (unsigned long)flags);
		if (!sac_section_known(type) && !(flags & SAC_SECF_OPTIONAL))
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
					"%s: %s is unknown to this saccade and not optional; "
					"the image needs a newer saccade", name, what);
		for (uint32_t j = 0; j < i; j++)
			if (get32(p + HDR_SIZE + (size_t)ENT_SIZE * j) == type)
				return sac_errf(e, SAC_ERR_CORRUPT,
						"%s: duplicate sections: #%lu and %s",
						name, (unsigned long)j, what);
		if (off > total || stored > total - off)
			return sac_errf(e, SAC_ERR_CORRUPT,
					"%s: %s out of bounds: bytes %llu..%llu of a %zu-byte file",
					name, what, (unsigned long long)off,
					(unsigned long long)off + stored, total);
		if (off < expect)
			return sac_errf(e, SAC_ERR_CORRUPT,
					"%s: %s at offset %llu overlaps the %s (which ends at %zu)",
					name, what, (unsigned long long)off,
					i ? "previous section" : "section table", expect);
		if (off > expect)
			return sac_errf(e, SAC_ERR_CORRUPT,
					"%s: %s at offset %llu leaves a gap of %llu unaccounted bytes",
					name, what, (unsigned long long)off,
					(unsigned long long)(off - expect));
		if (raw > SAC_IMAGE_MAX_RAW || stored > compressBound((uLong)raw) ||
		    raw > stored * MAX_RATIO)
			return sac_errf(e, SAC_ERR_CORRUPT,
					"%s: %s has absurd sizes: %llu bytes stored, %llu raw "
					"(limit %llu raw, ratio at most %u:1)",
					name, what, (unsigned long long)stored,
					(unsigned long long)raw,
					(unsigned long long)SAC_IMAGE_MAX_RAW, MAX_RATIO);
		expect = (size_t)(off + stored);
		/* The raw CRC alone would miss a flip in the padding bits of the
		 * last deflate byte, which inflate ignores; this one covers every
		 * stored byte, and refuses damage before zlib ever sees it. */
		uint32_t zgot = (uint32_t)crc32(crc32(0L, Z_NULL, 0), p + off, (uInt)stored);
		if (zgot != zcrc)
			return sac_errf(e, SAC_ERR_CORRUPT,
					"%s: %s: bad CRC32 of the compressed bytes (stored 0x%08lx, "
					"computed 0x%08lx): the section is corrupt",
					name, what, (unsigned long)zcrc, (unsigned long)zgot);
		/* Sizes are now bounded by the file and the caps: safe to allocate. */
		unsigned char *data = malloc(raw ? (size_t)raw : 1);
		if (!data)
			return sac_errf(e, SAC_ERR_NOMEM, "%s: %s: out of memory (%llu bytes)",
					name, what, (unsigned long long)raw);
		int rc = inflate_exact(p + off, (size_t)stored, data, (size_t)raw,
				       name, what, e);
		if (rc) {
			free(data);
			return rc;
		}
		uint32_t got = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)raw);
		if (got != crc) {
			free(data);
			return sac_errf(e, SAC_ERR_CORRUPT,
					"%s: %s: bad CRC32 (stored 0x%08lx, computed 0x%08lx): the section is corrupt",
					name, what, (unsigned long)crc, (unsigned long)got);
		}
		if ((rc = push(img, type, flags, data, (size_t)raw, e)))
			return rc;
	}
	if (expect != total)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: %zu unaccounted bytes after the last section",
				name, total - expect);
	return SAC_OK;
}

int sac_image_read_mem(const void *data, size_t len, const char *name,
		       sac_image **out, sac_err *e)
{
	if (!out)
		return sac_errf(e, SAC_ERR_USAGE, "sac_image_read_mem: NULL argument");
	*out = NULL;
	if (!name)
		name = "image";
	if (!data && len)
		return sac_errf(e, SAC_ERR_USAGE, "sac_image_read_mem: NULL data");
	const unsigned char *p = data;
	size_t m = len < 8 ? len : 8;
	if (m && memcmp(p, magic, m) != 0)
		return sac_errf(e, SAC_ERR_PARSE, "%s: not a Saccade image (bad magic)", name);
	if (len < 12)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: truncated: file is %zu bytes, shorter than the %u-byte header",
				name, len, HDR_SIZE);
	/* The version comes before the rest: a newer layout may differ. */
	uint32_t version = get32(p + 8);
	if (version != SAC_IMAGE_VERSION)
		return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"%s: image version %lu, this saccade reads %u",
				name, (unsigned long)version, SAC_IMAGE_VERSION);
	if (len < HDR_SIZE)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: truncated: file is %zu bytes, shorter than the %u-byte header",
				name, len, HDR_SIZE);
	uint32_t count = get32(p + 12);
	uint64_t total = get64(p + 16);
	if (len < total)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: truncated: file is %zu bytes, header says %llu",
				name, len, (unsigned long long)total);
	if (len > total)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: file is %zu bytes, header says %llu: trailing data or corrupt header",
				name, len, (unsigned long long)total);
	if (count > SAC_IMAGE_MAX_SECTIONS)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: corrupt header: %lu sections (limit %u)",
				name, (unsigned long)count, SAC_IMAGE_MAX_SECTIONS);
	size_t table_end = HDR_SIZE + (size_t)ENT_SIZE * count;
	if (table_end > len)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: truncated: the table of %lu sections needs %zu bytes, file is %zu",
				name, (unsigned long)count, table_end, len);
	uint32_t hcrc = get32(p + HDR_CRC_AT), want = header_crc(p, table_end);
	if (hcrc != want)
		return sac_errf(e, SAC_ERR_CORRUPT,
				"%s: bad header CRC32 (stored 0x%08lx, computed 0x%08lx): "
				"the header or section table is corrupt",
				name, (unsigned long)hcrc, (unsigned long)want);
	if (get32(p + 28) != 0)
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: reserved header field is not zero", name);
	sac_image *img = sac_image_new();
	if (!img)
		return sac_errf(e, SAC_ERR_NOMEM, "%s: out of memory", name);
	int rc = read_sections(p, len, count, name, img, e);
	if (rc) {
		sac_image_free(img);
		return rc;
	}
	*out = img;
	return SAC_OK;
}

int sac_image_read(const char *path, sac_image **out, sac_err *e)
{
	if (!out || !path)
		return sac_errf(e, SAC_ERR_USAGE, "sac_image_read: NULL argument");
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return sac_errf(e, SAC_ERR_IO, "%s: not a regular file", path);
	}
	/* Read the header first so that a large non-image is refused unread. */
	unsigned char hdr[HDR_SIZE];
	size_t h = fread(hdr, 1, sizeof hdr, f);
	if (ferror(f)) {
		fclose(f);
		return sac_errf(e, SAC_ERR_IO, "%s: read error", path);
	}
	if (h < sizeof hdr || (uint64_t)st.st_size < HDR_SIZE) {
		fclose(f);
		return sac_image_read_mem(hdr, h, path, out, e);
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		fclose(f);
		return sac_errf(e, SAC_ERR_RANGE, "%s: file too large", path);
	}
	size_t len = (size_t)st.st_size;
	unsigned char *buf = malloc(len);
	if (!buf) {
		fclose(f);
		return sac_errf(e, SAC_ERR_NOMEM, "%s: out of memory (%zu bytes)", path, len);
	}
	memcpy(buf, hdr, sizeof hdr);
	size_t got = sizeof hdr + fread(buf + sizeof hdr, 1, len - sizeof hdr, f);
	int rerr = ferror(f);
	fclose(f);
	if (rerr) {
		free(buf);
		return sac_errf(e, SAC_ERR_IO, "%s: read error", path);
	}
	/* If the file shrank under us, the short read is judged as truncation. */
	int rc = sac_image_read_mem(buf, got, path, out, e);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------ */
/* sac_wbuf. */

/* Room for n more bytes, or 0 (and the sticky oom flag). */
static unsigned char *wb_room(sac_wbuf *w, size_t n)
{
	if (w->oom)
		return NULL;
	if (n > SIZE_MAX - w->len) {
		w->oom = 1;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 64;
		while (cap < w->len + n)
			cap = cap > SIZE_MAX / 2 ? w->len + n : 2 * cap;
		unsigned char *d = realloc(w->data, cap);
		if (!d) {
			w->oom = 1;
			return NULL;
		}
		w->data = d;
		w->cap = cap;
	}
	unsigned char *p = w->data + w->len;
	w->len += n;
	return p;
}

static void wb_le(sac_wbuf *w, uint64_t v, int n)
{
	unsigned char *p = wb_room(w, (size_t)n);
	if (p)
		for (int i = 0; i < n; i++)
			p[i] = (unsigned char)(v >> (8 * i));
}

void sac_wbuf_u8(sac_wbuf *w, uint8_t v) { wb_le(w, v, 1); }
void sac_wbuf_u16(sac_wbuf *w, uint16_t v) { wb_le(w, v, 2); }
void sac_wbuf_u32(sac_wbuf *w, uint32_t v) { wb_le(w, v, 4); }
void sac_wbuf_u64(sac_wbuf *w, uint64_t v) { wb_le(w, v, 8); }
/* Two's complement by conversion to unsigned (well defined in C). */
void sac_wbuf_i32(sac_wbuf *w, int32_t v) { wb_le(w, (uint32_t)v, 4); }
void sac_wbuf_i64(sac_wbuf *w, int64_t v) { wb_le(w, (uint64_t)v, 8); }

void sac_wbuf_f64(sac_wbuf *w, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	wb_le(w, u, 8);
}

void sac_wbuf_bytes(sac_wbuf *w, const void *p, size_t n)
{
	if (!n)
		return;
	unsigned char *d = wb_room(w, n);
	if (d)
		memcpy(d, p, n);
}

void sac_wbuf_str(sac_wbuf *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > UINT32_MAX) {
		w->oom = 1; /* cannot be represented; make the encoder fail */
		return;
	}
	sac_wbuf_u32(w, (uint32_t)n);
	sac_wbuf_bytes(w, s, n);
}

void sac_wbuf_free(sac_wbuf *w)
{
	free(w->data);
	*w = (sac_wbuf){0};
}

/* ------------------------------------------------------------------ */
/* sac_rbuf. */

void sac_rbuf_init(sac_rbuf *r, const void *data, size_t len)
{
	*r = (sac_rbuf){data, data ? len : 0, 0, 0};
}

/* The next n bytes, or NULL (and the sticky bad flag). */
static const unsigned char *rb_take(sac_rbuf *r, size_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = 1;
		return NULL;
	}
	const unsigned char *p = r->p + r->pos;
	r->pos += n;
	return p;
}

static uint64_t rb_le(sac_rbuf *r, int n)
{
	const unsigned char *p = rb_take(r, (size_t)n);
	uint64_t v = 0;
	if (p)
		for (int i = n - 1; i >= 0; i--)
			v = v << 8 | p[i];
	return v;
}

uint8_t sac_rbuf_u8(sac_rbuf *r) { return (uint8_t)rb_le(r, 1); }
uint16_t sac_rbuf_u16(sac_rbuf *r) { return (uint16_t)rb_le(r, 2); }
uint32_t sac_rbuf_u32(sac_rbuf *r) { return (uint32_t)rb_le(r, 4); }
uint64_t sac_rbuf_u64(sac_rbuf *r) { return rb_le(r, 8); }

/* memcpy rather than a cast: unsigned-to-signed conversion of a large
 * value is implementation-defined. */
int32_t sac_rbuf_i32(sac_rbuf *r)
{
	uint32_t u = sac_rbuf_u32(r);
	int32_t v;
	memcpy(&v, &u, 4);
	return v;
}

int64_t sac_rbuf_i64(sac_rbuf *r)
{
	uint64_t u = sac_rbuf_u64(r);
	int64_t v;
	memcpy(&v, &u, 8);
	return v;
}

double sac_rbuf_f64(sac_rbuf *r)
{
	uint64_t u = sac_rbuf_u64(r);
	double v;
	memcpy(&v, &u, 8);
	return v;
}

void sac_rbuf_bytes(sac_rbuf *r, void *dst, size_t n)
{
	const unsigned char *p = rb_take(r, n);
	if (!n)
		return;
	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

const void *sac_rbuf_ptr(sac_rbuf *r, size_t n)
{
	return rb_take(r, n);
}

void sac_rbuf_str(sac_rbuf *r, char *buf, size_t n)
{
	uint32_t l = sac_rbuf_u32(r);
	if (n == 0) {
		r->bad = 1;
		return;
	}
	buf[0] = '\0';
	if (r->bad)
		return;
	if ((size_t)l >= n) {
		r->bad = 1;
		return;
	}
	const unsigned char *p = rb_take(r, l);
	/* An embedded NUL would silently shorten the string: refuse it. */
	if (!p || memchr(p, 0, l)) {
		r->bad = 1;
		return;
	}
	memcpy(buf, p, l);
	buf[l] = '\0';
}

uint32_t sac_rbuf_count(sac_rbuf *r, size_t elem_size)
{
	uint32_t n = sac_rbuf_u32(r);
	if (elem_size == 0)
		elem_size = 1;
	if (r->bad || n > sac_rbuf_left(r) / elem_size) {
		r->bad = 1;
		return 0;
	}
	return n;
}

size_t sac_rbuf_left(const sac_rbuf *r)
{
	return r->bad ? 0 : r->len - r->pos;
}

int sac_rbuf_ok(const sac_rbuf *r)
{
	return !r->bad;
}

int sac_rbuf_done(const sac_rbuf *r)
{
	return !r->bad && r->pos == r->len;
}
