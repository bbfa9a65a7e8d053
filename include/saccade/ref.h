/* ref.h: the reference executors that define "correct".
 *
 * ref-float runs the float ReLU network (any stage with float weights).
 * ref-int runs the integer TTFS equation of TTFS.md on a TTFS-stage graph.
 * ref-ttfs runs the same graph at event level: spikes, windows, phase-1
 * slope integration and phase-2 ramps, step by step.  ref-int and
 * ref-ttfs agree bit for bit: integer logits and every (neuron, step)
 * spike.  Inputs are float [C, H, W] (or [1, C, H, W]) in [0, 1]. */
#ifndef SACCADE_REF_H
#define SACCADE_REF_H

#include "saccade/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sac_ref_mode { SAC_REF_FLOAT, SAC_REF_INT, SAC_REF_TTFS, SAC_REF_SIM } sac_ref_mode;

typedef struct sac_ref_out {
	sac_ref_mode mode;
	int nlogits;
	double *logits;     /* float logits, or dequantised integer ones */
	int64_t *ilogits;   /* int and ttfs: integer logits; NULL for float */
	int cls;            /* argmax of the logits (first on ties) */
	/* int and ttfs: per node, NULL for nodes that do not spike (see
	 * sac_node_spikes), else the global step of each neuron's spike
	 * or -1 for no spike.  Global step = start of the node's window
	 * (sum of the steps of earlier windows) + step within it. */
	int nnodes;
	int32_t **spike;
	int64_t nspikes;    /* spikes of all spiking nodes */
	int64_t steps;      /* global steps until the logits are ready */
	/* float, when requested with keep_acts: every node's output. */
	float **acts;
} sac_ref_out;

void sac_ref_out_free(sac_ref_out *o);

/* Check shape and range of an input ([C,H,W] or [1,C,H,W] or, with
 * index >= 0, one image of [N,C,H,W]) and point *data at it. */
int sac_ref_input(const sac_graph *g, const sac_tensor *x, long index,
		  const float **data, sac_err *e);

int sac_ref_float(const sac_graph *g, const float *input, int keep_acts,
		  sac_ref_out *out, sac_err *e);
int sac_ref_int(const sac_graph *g, const float *input, sac_ref_out *out,
		sac_err *e);
int sac_ref_ttfs(const sac_graph *g, const float *input, sac_ref_out *out,
		 sac_err *e);
int sac_ref_run(const sac_graph *g, sac_ref_mode mode, const float *input,
		sac_ref_out *out, sac_err *e);

/* Integer time code of an input value v in [0, 1]: floor(v S + 1/2). */
int sac_ref_encode_input(float v, int steps);

/* 0 if a and b (int or ttfs results of g) agree on every integer logit
 * and every spike; else 1 with the first difference described in msg. */
int sac_ref_compare(const sac_graph *g, const sac_ref_out *a,
		    const sac_ref_out *b, char *msg, size_t n);

/* Cosine similarity of two logit vectors (1 when both are zero). */
double sac_ref_cosine(const double *a, const double *b, int n);

#ifdef __cplusplus
}
#endif
#endif
