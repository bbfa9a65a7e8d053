/* saccade.h: the core of the public API shared by every module.
 *
 * Errors travel in a caller-owned sac_err: a function that fails fills it
 * with a code and a located, human-readable message and returns the
 * (negative) code.  The library never prints and never exits; the program
 * decides what to do with the message.  Nothing here holds global state. */
#ifndef SACCADE_SACCADE_H
#define SACCADE_SACCADE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SAC_VERSION_STRING "0.1.0"

enum {
	SAC_OK = 0,
	SAC_ERR_IO = -1,          /* cannot open, read or write a file */
	SAC_ERR_PARSE = -2,       /* malformed text or binary input */
	SAC_ERR_SHAPE = -3,       /* shapes that do not fit together */
	SAC_ERR_RANGE = -4,       /* value out of its allowed range */
	SAC_ERR_NOMEM = -5,       /* allocation failure */
	SAC_ERR_UNSUPPORTED = -6, /* valid input we cannot handle */
	SAC_ERR_CAPACITY = -7,    /* model does not fit a limit */
	SAC_ERR_USAGE = -8,       /* API called wrongly */
	SAC_ERR_CORRUPT = -9,     /* truncated or corrupt container */
	SAC_ERR_STATE = -10,      /* call out of order (run before input, ...) */
};

typedef struct sac_err {
	int code;
	char msg[2048];
} sac_err;

/* Set the error (only the first error sticks) and return code. */
int sac_errf(sac_err *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
void sac_err_clear(sac_err *e);
const char *sac_strerror(int code);
const char *sac_version(void);

/* Element types of tensors (the numpy dtypes we read and write). */
typedef enum sac_dtype {
	SAC_F32, SAC_F64, SAC_I8, SAC_U8, SAC_I16, SAC_U16,
	SAC_I32, SAC_U32, SAC_I64, SAC_U64, SAC_BOOL,
	SAC_DTYPE_COUNT
} sac_dtype;

size_t sac_dtype_size(sac_dtype t);
const char *sac_dtype_name(sac_dtype t); /* "float32", "int8", ... */

#define SAC_MAX_DIMS 8

/* A dense, C-ordered, owned array. */
typedef struct sac_tensor {
	sac_dtype dtype;
	int ndim;
	int64_t shape[SAC_MAX_DIMS];
	size_t count; /* product of shape (1 for ndim == 0) */
	void *data;   /* count * sac_dtype_size(dtype) bytes, malloc'ed */
} sac_tensor;

/* Allocate zeroed data for the given shape; returns SAC_OK or an error. */
int sac_tensor_alloc(sac_tensor *t, sac_dtype dt, int ndim,
		     const int64_t *shape, sac_err *e);
void sac_tensor_free(sac_tensor *t);
/* Element i converted to double / int64 whatever the dtype. */
double sac_tensor_get_f(const sac_tensor *t, size_t i);
int64_t sac_tensor_get_i(const sac_tensor *t, size_t i);
/* "float32[32,4,3,3]" into buf. */
const char *sac_tensor_desc(const sac_tensor *t, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
