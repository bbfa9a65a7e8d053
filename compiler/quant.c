/* quant.c: calibration and int8 weight quantisation.
 *
 * Activation ranges come from running the float network (ref-float) on
 * the calibration inputs: act_max of a node is the largest value it
 * outputs over all of them.  Weights get a symmetric int8 scale, max|W| /
 * 127, per output channel or per layer.  The ttfs pass refines the scale
 * so that the ramp r is an integer (see ttfs.c); the int8 values made here
 * are what a plain int8 deployment would use and are shown by --dump. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/ir_internal.h"
#include "saccade/ref.h"

static int quantize_weights(sac_graph *g, sac_node *nd, int per_layer,
			    sac_err *e)
{
	int o_n = nd->c;
	size_t per = nd->nweight / (size_t)o_n;
	free(nd->wscale);
	free(nd->wq);
	nd->nwscale = per_layer ? 1 : o_n;
	nd->wscale = malloc((size_t)nd->nwscale * sizeof *nd->wscale);
	nd->wq = malloc(nd->nweight ? nd->nweight : 1);
	if (!nd->wscale || !nd->wq)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int s = 0; s < nd->nwscale; s++) {
		size_t lo = per_layer ? 0 : (size_t)s * per;
		size_t hi = per_layer ? nd->nweight : lo + per;
		double m = 0;
		for (size_t k = lo; k < hi; k++)
			if (fabs(nd->weight[k]) > m)
				m = fabs(nd->weight[k]);
		nd->wscale[s] = m > 0 ? (float)(m / 127.0) : 1.0f;
		for (size_t k = lo; k < hi; k++) {
			double q = nearbyint(nd->weight[k] / (double)nd->wscale[s]);
			nd->wq[k] = (int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
		}
	}
	(void)g;
	return SAC_OK;
}

int sac_pass_quantize(sac_graph *g, const sac_tensor *calib,
		      const sac_compile_opts *o, sac_err *e)
{
	if (g->stage != SAC_STAGE_FOLDED)
		return sac_errf(e, SAC_ERR_USAGE,
				"%s: quantize needs a folded, canonical graph",
				g->path);
	long n = calib->ndim == 4 ? (long)calib->shape[0] : 1;
	for (int i = 0; i < g->n; i++)
		g->node[i].act_max = 0;
	for (long s = 0; s < n; s++) {
		const float *x;
		sac_err ie = {0};
		int r = sac_ref_input(g, calib, s, &x, &ie);
		if (r)
			return sac_errf(e, r, "calibration: %s", ie.msg);
		sac_ref_out out;
		r = sac_ref_float(g, x, 1, &out, e);
		if (r)
			return r;
		for (int i = 0; i < g->n; i++) {
			size_t sz = sac_node_size(&g->node[i]);
			for (size_t k = 0; k < sz; k++)
				if (out.acts[i][k] > g->node[i].act_max)
					g->node[i].act_max = out.acts[i][k];
		}
		sac_ref_out_free(&out);
	}
	g->per_layer = o->per_layer;
	for (int i = 0; i < g->n; i++) {
		sac_node *nd = &g->node[i];
		if (nd->op != SAC_OP_CONV2D && nd->op != SAC_OP_LINEAR)
			continue;
		int r = quantize_weights(g, nd, o->per_layer, e);
		if (r)
			return r;
	}
	g->stage = SAC_STAGE_QUANT;
	return SAC_OK;
}
