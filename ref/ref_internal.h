/* ref_internal.h: helpers shared by the reference executors. */
#ifndef SACCADE_REF_INTERNAL_H
#define SACCADE_REF_INTERNAL_H

#include "saccade/ref.h"
#include "compiler/ir_internal.h"

int sac__argmax(const double *v, int n);

/* Start step of every window (base[w] = sum of steps of windows < w),
 * for windows 0..nwin; returns nwin (the readout's window) or a negative
 * error.  *base is malloc'ed with nwin + 1 entries. */
int sac__window_bases(const sac_graph *g, int64_t **base, sac_err *e);

/* Fill out->logits (dequantised) and cls from out->ilogits. */
void sac__dequant_logits(const sac_graph *g, sac_ref_out *out);

/* Allocate the common parts of an int/ttfs result. */
int sac__int_out_init(const sac_graph *g, sac_ref_mode mode, sac_ref_out *out,
		      sac_err *e);

/* Require a TTFS-stage graph. */
int sac__need_ttfs(const sac_graph *g, const char *who, sac_err *e);

#endif
