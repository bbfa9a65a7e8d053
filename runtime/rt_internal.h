/* rt_internal.h: what runtime/eval.c needs from the sac_rt context beyond
 * the public API (module-private, sac__ prefix). */
#ifndef SACCADE_RT_INTERNAL_H
#define SACCADE_RT_INTERNAL_H

#include "saccade/runtime.h"

/* The context's error record, cleared: the outcome of the call in progress. */
sac_err *sac__rt_begin(sac_rt *rt);

#endif
