/* image.h: the Saccade image (NET.sac), a generic container of typed,
 * zlib-compressed, CRC32-checked sections, and the bounded little-endian
 * buffers that section encoders and decoders are written with.
 *
 * The container knows nothing of what its sections mean: the compiler fills
 * them, the runtime and the simulator decode them.  Invariants: an image
 * holds at most one section of each type; every section in memory is the
 * raw (uncompressed) payload and is owned by the image; a section type this
 * build does not know is only accepted (when writing or reading) if it is
 * flagged SAC_SECF_OPTIONAL, so an old reader never silently ignores
 * something a newer compiler relied on.  The byte layout is in
 * docs/FORMATS.md ("Images: NET.sac").  No global state; errors go to the
 * caller's sac_err and name the file. */
#ifndef SACCADE_IMAGE_H
#define SACCADE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "saccade/saccade.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAC_IMAGE_VERSION 1u
/* No section may decompress to more than this (a guard against absurd sizes
 * in corrupt or hostile files: nothing is allocated from an unchecked size). */
#define SAC_IMAGE_MAX_RAW ((uint64_t)1 << 30)
/* At most this many sections per image. */
#define SAC_IMAGE_MAX_SECTIONS 4096u

/* Section types: X(name, value, short name).  Adding a type is one line;
 * the value is part of the file format and never reused. */
#define SAC_SECTION_TYPES(X)                                                 \
	X(SAC_SEC_META, 1, "meta")     /* text key=value lines */            \
	X(SAC_SEC_TARGET, 2, "target") /* hardware description */            \
	X(SAC_SEC_MODEL, 3, "model")   /* the integer network */             \
	X(SAC_SEC_LAYERS, 4, "layers") /* layer -> PE group map */           \
	X(SAC_SEC_PES, 5, "pes")       /* per-PE programs and config */      \
	X(SAC_SEC_SRAM, 6, "sram")     /* SRAM contents */                   \
	X(SAC_SEC_ROUTES, 7, "routes") /* routing tables */           \
	X(SAC_SEC_DPROG, 8, "dprog")   /* dense program (dsim.h) */    \
	X(SAC_SEC_DPARAM, 9, "dparam") /* its parameter memory */

enum {
#define SAC_X_(name, value, str) name = value,
	SAC_SECTION_TYPES(SAC_X_)
#undef SAC_X_
};

/* Section flags (u32 in the section table; other bits must be zero). */
#define SAC_SECF_OPTIONAL 1u /* a reader that does not know the type may skip it */

typedef struct sac_image sac_image;

/* An empty image, or NULL when out of memory. */
sac_image *sac_image_new(void);
void sac_image_free(sac_image *img);

/* Copy len bytes of data in as the section of this type (flags 0).
 * Errors: SAC_ERR_USAGE for a duplicate type, type 0 or an unknown
 * non-optional type; SAC_ERR_RANGE if len exceeds SAC_IMAGE_MAX_RAW;
 * SAC_ERR_NOMEM. */
int sac_image_add(sac_image *img, uint32_t type, const void *data, size_t len,
		  sac_err *e);
/* The same with explicit flags (SAC_SECF_OPTIONAL for experimental types). */
int sac_image_add_flags(sac_image *img, uint32_t type, uint32_t flags,
			const void *data, size_t len, sac_err *e);

/* The raw payload of the section, its length in *len (if len is non-NULL);
 * NULL if the image has no such section.  A present empty section gives a
 * non-NULL pointer and *len = 0.  Valid until the image is freed. */
const void *sac_image_section(const sac_image *img, uint32_t type, size_t *len);

/* Iterate over sections in file order (for `saccade info`). */
size_t sac_image_count(const sac_image *img);
const void *sac_image_at(const sac_image *img, size_t i, uint32_t *type,
			 uint32_t *flags, size_t *len);

/* Serialise to a malloc'ed buffer (*out, *out_len); the caller frees it. */
int sac_image_write_mem(const sac_image *img, void **out, size_t *out_len,
			sac_err *e);
/* Write the file; a partly written file is removed on failure. */
int sac_image_write(const sac_image *img, const char *path, sac_err *e);

/* Read and fully check an image (every CRC, every size).  On success *out
 * owns a new image; on failure *out is NULL and e names the file (or `name`)
 * and what is wrong.  Codes: SAC_ERR_IO (cannot read), SAC_ERR_PARSE (not an
 * image), SAC_ERR_UNSUPPORTED (other format version, unknown section type),
 * SAC_ERR_CORRUPT (truncated, bad CRC, inconsistent table), SAC_ERR_NOMEM. */
int sac_image_read(const char *path, sac_image **out, sac_err *e);
int sac_image_read_mem(const void *data, size_t len, const char *name,
		       sac_image **out, sac_err *e);

/* "meta", "sram", ...; "unknown" for a type this build does not know. */
const char *sac_section_name(uint32_t type);
/* 1 if this build knows the type. */
int sac_section_known(uint32_t type);

/* ------------------------------------------------------------------ */
/* Section payload serialisation.
 *
 * sac_wbuf is a growable byte buffer; start from `sac_wbuf w = {0};`.  All
 * writes are little-endian.  On allocation failure `oom` is set and every
 * later write is a no-op, so an encoder checks once at the end. */
typedef struct sac_wbuf {
	unsigned char *data;
	size_t len, cap;
	int oom;
} sac_wbuf;

void sac_wbuf_u8(sac_wbuf *w, uint8_t v);
void sac_wbuf_u16(sac_wbuf *w, uint16_t v);
void sac_wbuf_u32(sac_wbuf *w, uint32_t v);
void sac_wbuf_u64(sac_wbuf *w, uint64_t v);
void sac_wbuf_i32(sac_wbuf *w, int32_t v);
void sac_wbuf_i64(sac_wbuf *w, int64_t v);
void sac_wbuf_f64(sac_wbuf *w, double v); /* IEEE-754 bits */
void sac_wbuf_bytes(sac_wbuf *w, const void *p, size_t n);
/* u32 byte length, then the bytes (no terminating NUL); NULL is "". */
void sac_wbuf_str(sac_wbuf *w, const char *s);
void sac_wbuf_free(sac_wbuf *w); /* frees data, leaves an empty buffer */

/* sac_rbuf reads a const buffer.  Any read past the end (or a string or
 * count that cannot fit) sets the sticky `bad` flag, returns zero (zeroed
 * bytes, an empty string) and reads nothing more, so a decoder reads all its
 * fields and checks sac_rbuf_ok (or sac_rbuf_done) once. */
typedef struct sac_rbuf {
	const unsigned char *p;
	size_t len, pos;
	int bad;
} sac_rbuf;

void sac_rbuf_init(sac_rbuf *r, const void *data, size_t len);
uint8_t sac_rbuf_u8(sac_rbuf *r);
uint16_t sac_rbuf_u16(sac_rbuf *r);
uint32_t sac_rbuf_u32(sac_rbuf *r);
uint64_t sac_rbuf_u64(sac_rbuf *r);
int32_t sac_rbuf_i32(sac_rbuf *r);
int64_t sac_rbuf_i64(sac_rbuf *r);
double sac_rbuf_f64(sac_rbuf *r);
/* Copy n bytes into dst (zero-filled on overrun). */
void sac_rbuf_bytes(sac_rbuf *r, void *dst, size_t n);
/* A pointer to the next n bytes inside the buffer (no copy), or NULL. */
const void *sac_rbuf_ptr(sac_rbuf *r, size_t n);
/* A string written by sac_wbuf_str into buf of size n (NUL-terminated);
 * a string of n or more bytes sets bad and leaves "" (n > 0). */
void sac_rbuf_str(sac_rbuf *r, char *buf, size_t n);
/* A u32 element count whose elements take at least elem_size bytes each:
 * sets bad and returns 0 if they cannot all be in the rest of the buffer,
 * so a decoder may allocate count elements safely. */
uint32_t sac_rbuf_count(sac_rbuf *r, size_t elem_size);
size_t sac_rbuf_left(const sac_rbuf *r);
int sac_rbuf_ok(const sac_rbuf *r);   /* no overrun so far */
int sac_rbuf_done(const sac_rbuf *r); /* ok and every byte consumed */

#ifdef __cplusplus
}
#endif
#endif
