/* npy.h: NumPy .npy arrays and .npz archives (zip of .npy members).
 *
 * Plain arrays of the dtypes in sac_dtype are read and written in
 * little-endian C order.  Structured (record) arrays, used for event
 * streams, are read with their field table so that a caller can pick
 * columns by name.  .npz members are read and written through libzip over
 * zlib; a member is named without its ".npy" suffix. */
#ifndef SACCADE_NPY_H
#define SACCADE_NPY_H

#include "saccade/saccade.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse a whole .npy image held in memory.  `what` names the source in
 * error messages ("weights.npz:conv1.weight", "x.npy").  Rejects structured
 * dtypes, Fortran order, big-endian data, truncation. */
int sac_npy_parse(const void *buf, size_t len, const char *what,
		  sac_tensor *out, sac_err *e);
int sac_npy_read(const char *path, sac_tensor *out, sac_err *e);
int sac_npy_write(const char *path, const sac_tensor *t, sac_err *e);
/* Serialise to a malloc'ed buffer (for npz members). */
int sac_npy_encode(const sac_tensor *t, void **buf, size_t *len, sac_err *e);

/* Structured arrays: one record per row, fields at fixed offsets. */
#define SAC_NPY_MAX_FIELDS 16
typedef struct sac_npy_field {
	char name[32];
	sac_dtype dtype;
	size_t offset;
} sac_npy_field;

typedef struct sac_npy_records {
	int nfields;
	sac_npy_field field[SAC_NPY_MAX_FIELDS];
	size_t itemsize; /* bytes per record */
	size_t count;    /* number of records (1-D arrays only) */
	void *data;      /* count * itemsize bytes, malloc'ed */
} sac_npy_records;

int sac_npy_read_records(const char *path, sac_npy_records *out, sac_err *e);
/* Write records described by `fields` (offsets into each itemsize record). */
int sac_npy_write_records(const char *path, const sac_npy_records *r,
			  sac_err *e);
void sac_npy_records_free(sac_npy_records *r);
/* Index of a field by name or -1. */
int sac_npy_field_index(const sac_npy_records *r, const char *name);

/* .npz archives. */
typedef struct sac_npz sac_npz;
sac_npz *sac_npz_open(const char *path, sac_err *e);
void sac_npz_close(sac_npz *z);
/* 1 if member exists (name without .npy). */
int sac_npz_has(sac_npz *z, const char *name);
int sac_npz_count(sac_npz *z);
const char *sac_npz_name(sac_npz *z, int i); /* member name without .npy */
/* Read a member; errors name "file.npz:member". */
int sac_npz_get(sac_npz *z, const char *name, sac_tensor *out, sac_err *e);

/* Write an archive of n named tensors (deflate-compressed members). */
int sac_npz_write(const char *path, int n, const char *const *names,
		  const sac_tensor *const *tensors, sac_err *e);

#ifdef __cplusplus
}
#endif
#endif
