/* tensor.c: dense C-ordered arrays of the numpy dtypes we exchange.
 *
 * Invariants: count is the product of shape (1 for a scalar) and data holds
 * count * sac_dtype_size(dtype) bytes; data is never NULL for a tensor that
 * was allocated successfully, even when count is 0, so callers need not
 * special-case empty arrays.  A failed alloc leaves the tensor zeroed, so
 * sac_tensor_free is always safe on it.  Size arithmetic is checked for
 * overflow because shapes come from untrusted file headers. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/saccade.h"

static const struct {
	size_t size;
	const char *name;
} dtypes[SAC_DTYPE_COUNT] = {
	[SAC_F32] = {4, "float32"}, [SAC_F64] = {8, "float64"},
	[SAC_I8] = {1, "int8"},     [SAC_U8] = {1, "uint8"},
	[SAC_I16] = {2, "int16"},   [SAC_U16] = {2, "uint16"},
	[SAC_I32] = {4, "int32"},   [SAC_U32] = {4, "uint32"},
	[SAC_I64] = {8, "int64"},   [SAC_U64] = {8, "uint64"},
	[SAC_BOOL] = {1, "bool"},
};

size_t sac_dtype_size(sac_dtype t)
{
	return (unsigned)t < SAC_DTYPE_COUNT ? dtypes[t].size : 0;
}

const char *sac_dtype_name(sac_dtype t)
{
	return (unsigned)t < SAC_DTYPE_COUNT ? dtypes[t].name : "invalid";
}

int sac_tensor_alloc(sac_tensor *t, sac_dtype dt, int ndim,
		     const int64_t *shape, sac_err *e)
{
	memset(t, 0, sizeof *t);
	if ((unsigned)dt >= SAC_DTYPE_COUNT)
		return sac_errf(e, SAC_ERR_USAGE, "tensor: invalid dtype %d", (int)dt);
	if (ndim < 0 || ndim > SAC_MAX_DIMS)
		return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"tensor: %d dimensions (at most %d supported)",
				ndim, SAC_MAX_DIMS);
	size_t count = 1, esize = dtypes[dt].size;
	int over = 0;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] < 0)
			return sac_errf(e, SAC_ERR_SHAPE,
					"tensor: negative dimension %lld at axis %d",
					(long long)shape[i], i);
		/* Keep count * esize representable, not just count. */
		if (shape[i] != 0 && (uint64_t)shape[i] > SIZE_MAX / esize / (count ? count : 1))
			over = 1;
		else
			count *= (size_t)shape[i];
	}
	if (over)
		return sac_errf(e, SAC_ERR_CAPACITY,
				"tensor: %s array of %d dimensions is too large",
				dtypes[dt].name, ndim);
	/* One spare element keeps data non-NULL for empty arrays. */
	void *p = calloc(count ? count : 1, esize);
	if (!p)
		return sac_errf(e, SAC_ERR_NOMEM,
				"tensor: out of memory for %zu %s elements",
				count, dtypes[dt].name);
	t->dtype = dt;
	t->ndim = ndim;
	for (int i = 0; i < ndim; i++)
		t->shape[i] = shape[i];
	t->count = count;
	t->data = p;
	return SAC_OK;
}

void sac_tensor_free(sac_tensor *t)
{
	if (!t)
		return;
	free(t->data);
	t->data = NULL;
	t->count = 0;
	t->ndim = 0;
}

#define LOAD(T) (((const T *)t->data)[i])

double sac_tensor_get_f(const sac_tensor *t, size_t i)
{
	assert(i < t->count);
	switch (t->dtype) {
	case SAC_F32: return LOAD(float);
	case SAC_F64: return LOAD(double);
	case SAC_I8: return LOAD(int8_t);
	case SAC_U8: return LOAD(uint8_t);
	case SAC_I16: return LOAD(int16_t);
	case SAC_U16: return LOAD(uint16_t);
	case SAC_I32: return LOAD(int32_t);
	case SAC_U32: return LOAD(uint32_t);
	case SAC_I64: return (double)LOAD(int64_t);
	case SAC_U64: return (double)LOAD(uint64_t);
	case SAC_BOOL: return LOAD(uint8_t) != 0;
	case SAC_DTYPE_COUNT: break;
	}
	assert(!"invalid dtype");
	return 0;
}

/* Floats are truncated toward zero and saturate; NaN reads as 0, since a
 * cast of an out-of-range float is undefined behaviour in C. */
static int64_t f2i(double v)
{
	if (isnan(v))
		return 0;
	if (v >= 9223372036854775807.0)
		return INT64_MAX;
	if (v <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)v;
}

int64_t sac_tensor_get_i(const sac_tensor *t, size_t i)
{
	assert(i < t->count);
	switch (t->dtype) {
	case SAC_F32: return f2i(LOAD(float));
	case SAC_F64: return f2i(LOAD(double));
	case SAC_I8: return LOAD(int8_t);
	case SAC_U8: return LOAD(uint8_t);
	case SAC_I16: return LOAD(int16_t);
	case SAC_U16: return LOAD(uint16_t);
	case SAC_I32: return LOAD(int32_t);
	case SAC_U32: return LOAD(uint32_t);
	case SAC_I64: return LOAD(int64_t);
	case SAC_U64: {
		uint64_t v = LOAD(uint64_t);
		return v > INT64_MAX ? INT64_MAX : (int64_t)v;
	}
	case SAC_BOOL: return LOAD(uint8_t) != 0;
	case SAC_DTYPE_COUNT: break;
	}
	assert(!"invalid dtype");
	return 0;
}

const char *sac_tensor_desc(const sac_tensor *t, char *buf, size_t n)
{
	if (!n)
		return buf;
	size_t used = 0;
	int k = snprintf(buf, n, "%s[", sac_dtype_name(t->dtype));
	for (int i = 0; k >= 0 && i < t->ndim; i++) {
		used += (size_t)k;
		if (used >= n)
			break;
		k = snprintf(buf + used, n - used, "%s%lld", i ? "," : "",
			     (long long)t->shape[i]);
	}
	if (k >= 0) {
		used += (size_t)k;
		if (used < n)
			snprintf(buf + used, n - used, "]");
	}
	return buf;
}
