/* err.c: the error record every library function reports through.
 *
 * Invariant: the first error set in a sac_err wins.  A failure deep in a
 * reader is usually followed by cleanup paths that also "fail"; keeping the
 * first message keeps the one that names the real cause.  A NULL sac_err is
 * allowed and simply drops the message.  No global state. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "saccade/saccade.h"

int sac_errf(sac_err *e, int code, const char *fmt, ...)
{
	if (!e || e->code != SAC_OK)
		return code;
	e->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return code;
}

void sac_err_clear(sac_err *e)
{
	if (!e)
		return;
	e->code = SAC_OK;
	e->msg[0] = '\0';
}

const char *sac_strerror(int code)
{
	switch (code) {
	case SAC_OK: return "success";
	case SAC_ERR_IO: return "input/output error";
	case SAC_ERR_PARSE: return "malformed input";
	case SAC_ERR_SHAPE: return "shape mismatch";
	case SAC_ERR_RANGE: return "value out of range";
	case SAC_ERR_NOMEM: return "out of memory";
	case SAC_ERR_UNSUPPORTED: return "unsupported input";
	case SAC_ERR_CAPACITY: return "capacity exceeded";
	case SAC_ERR_USAGE: return "invalid use of the API";
	case SAC_ERR_CORRUPT: return "truncated or corrupt data";
	case SAC_ERR_STATE: return "call out of order";
	}
	return "unknown error";
}

const char *sac_version(void)
{
	return SAC_VERSION_STRING;
}
