/* ref_float.c: the float ReLU network, plain loops, no tricks.
 *
 * Runs a graph of any stage that still has float weights (as loaded,
 * folded or quantised), so the same code calibrates the quantiser and
 * measures the quantisation error.  Max-pool pads with -infinity like the
 * frameworks the models come from; convolutions pad with zeros.
 * Accumulation is in double so that the reference does not depend on the
 * summation order of a future optimised kernel. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref_internal.h"

/* Accumulate one output channel plane at a time: for every weight, add
 * w * (shifted input row) to the rows of the plane.  The inner loop runs
 * along contiguous memory, which is what makes a plain loop nest fast
 * enough to calibrate on. */
static void conv(const sac_graph *g, const sac_node *nd, const float *x,
		 float *y, double *acc)
{
	const sac_node *s = &g->node[nd->in[0]];
	int cin = s->c / nd->groups, cout = nd->c / nd->groups;
	size_t plane = (size_t)nd->h * nd->w;
	for (int o = 0; o < nd->c; o++) {
		int grp = o / cout;
		const float *w = nd->weight + (size_t)o * cin * nd->kh * nd->kw;
		double b = nd->bias ? nd->bias[o] : 0.0;
		for (size_t k = 0; k < plane; k++)
			acc[k] = b;
		for (int c = 0; c < cin; c++) {
			const float *xc = x + (size_t)(grp * cin + c) * s->h * s->w;
			for (int ky = 0; ky < nd->kh; ky++)
				for (int kx = 0; kx < nd->kw; kx++) {
					double wv = w[((size_t)c * nd->kh + ky) * nd->kw + kx];
					if (wv == 0)
						continue;
					/* ox range with 0 <= ox*sw - pw + kx < s->w */
					int ox0 = 0, ox1 = nd->w;
					while (ox0 < ox1 && ox0 * nd->sw - nd->pw + kx < 0)
						ox0++;
					while (ox1 > ox0 && (ox1 - 1) * nd->sw - nd->pw + kx >= s->w)
						ox1--;
					for (int oy = 0; oy < nd->h; oy++) {
						int iy = oy * nd->sh - nd->ph + ky;
						if (iy < 0 || iy >= s->h)
							continue;
						const float *restrict xr = xc + (size_t)iy * s->w - nd->pw + kx;
						double *restrict ar = acc + (size_t)oy * nd->w;
						if (nd->sw == 1)
							for (int ox = ox0; ox < ox1; ox++)
								ar[ox] += wv * xr[ox];
						else
							for (int ox = ox0; ox < ox1; ox++)
								ar[ox] += wv * xr[ox * nd->sw];
					}
				}
		}
		float *yo = y + (size_t)o * plane;
		for (size_t k = 0; k < plane; k++)
			yo[k] = (float)(nd->relu && acc[k] < 0 ? 0 : acc[k]);
	}
}

static void linear(const sac_graph *g, const sac_node *nd, const float *x,
		   float *y)
{
	size_t in = sac_node_size(&g->node[nd->in[0]]);
	for (int o = 0; o < nd->c; o++) {
		double acc = nd->bias ? nd->bias[o] : 0.0;
		const float *w = nd->weight + (size_t)o * in;
		for (size_t j = 0; j < in; j++)
			acc += (double)w[j] * x[j];
		if (nd->relu && acc < 0)
			acc = 0;
		y[o] = (float)acc;
	}
}

static void pool(const sac_graph *g, const sac_node *nd, const float *x,
		 float *y)
{
	const sac_node *s = &g->node[nd->in[0]];
	int avg = nd->op != SAC_OP_MAXPOOL;
	int kh = nd->op == SAC_OP_GLOBAL_AVGPOOL ? s->h : nd->kh;
	int kw = nd->op == SAC_OP_GLOBAL_AVGPOOL ? s->w : nd->kw;
	int sh = nd->op == SAC_OP_GLOBAL_AVGPOOL ? 1 : nd->sh;
	int sw = nd->op == SAC_OP_GLOBAL_AVGPOOL ? 1 : nd->sw;
	int ph = nd->op == SAC_OP_MAXPOOL ? nd->ph : 0;
	int pw = nd->op == SAC_OP_MAXPOOL ? nd->pw : 0;
	for (int c = 0; c < nd->c; c++)
		for (int oy = 0; oy < nd->h; oy++)
			for (int ox = 0; ox < nd->w; ox++) {
				double acc = avg ? 0.0 : -DBL_MAX;
				for (int ky = 0; ky < kh; ky++)
					for (int kx = 0; kx < kw; kx++) {
						int iy = oy * sh - ph + ky, ix = ox * sw - pw + kx;
						if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
							continue;
						double v = x[((size_t)c * s->h + iy) * s->w + ix];
						if (avg)
							acc += v;
						else if (v > acc)
							acc = v;
					}
				if (avg)
					acc /= (double)(kh * kw);
				y[((size_t)c * nd->h + oy) * nd->w + ox] = (float)acc;
			}
}

int sac_ref_float(const sac_graph *g, const float *input, int keep_acts,
		  sac_ref_out *out, sac_err *e)
{
	memset(out, 0, sizeof *out);
	out->mode = SAC_REF_FLOAT;
	for (int i = 0; i < g->n; i++) {
		const sac_node *nd = &g->node[i];
		if ((nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR) &&
		    !nd->weight)
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"%s: '%s' has no float weights (an integer model); ref-float needs the float model",
				g->path, nd->name);
	}
	float **acts = calloc((size_t)(unsigned)g->n, sizeof *acts);
	if (!acts)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	int r = SAC_OK;
	for (int i = 0; i < g->n && !r; i++) {
		const sac_node *nd = &g->node[i];
		size_t n = sac_node_size(nd);
		float *y = malloc(n * sizeof *y);
		if (!y) {
			r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			break;
		}
		acts[i] = y;
		const float *x = nd->nin ? acts[nd->in[0]] : input;
		switch (nd->op) {
		case SAC_OP_INPUT:
		case SAC_OP_FLATTEN:
		case SAC_OP_IDENTITY:
		case SAC_OP_OUTPUT:
			memcpy(y, x, n * sizeof *y);
			break;
		case SAC_OP_RELU:
			for (size_t k = 0; k < n; k++)
				y[k] = x[k] > 0 ? x[k] : 0;
			break;
		case SAC_OP_BATCHNORM:
			for (int c = 0; c < nd->c; c++) {
				double s = nd->bn_gamma[c] /
					   sqrt((double)nd->bn_var[c] + nd->eps);
				size_t hw = (size_t)nd->h * nd->w;
				for (size_t k = 0; k < hw; k++)
					y[c * hw + k] = (float)((x[c * hw + k] -
						nd->bn_mean[c]) * s + nd->bn_beta[c]);
			}
			break;
		case SAC_OP_CONV2D: {
			double *acc = malloc((size_t)nd->h * nd->w * sizeof *acc);
			if (!acc) {
				r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
				break;
			}
			conv(g, nd, x, y, acc);
			free(acc);
			break;
		}
		case SAC_OP_LINEAR:
			linear(g, nd, x, y);
			break;
		case SAC_OP_MAXPOOL:
		case SAC_OP_AVGPOOL:
		case SAC_OP_GLOBAL_AVGPOOL:
			pool(g, nd, x, y);
			break;
		case SAC_OP_COUNT:
			break;
		}
	}
	if (!r) {
		const sac_node *o = &g->node[g->n - 1];
		out->nlogits = (int)sac_node_size(o);
		out->logits = malloc((size_t)out->nlogits * sizeof *out->logits);
		if (!out->logits)
			r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		for (int k = 0; !r && k < out->nlogits; k++)
			out->logits[k] = acts[g->n - 1][k];
		if (!r)
			out->cls = sac__argmax(out->logits, out->nlogits);
	}
	if (!r && keep_acts) {
		out->acts = acts;
		out->nnodes = g->n;
		return SAC_OK;
	}
	for (int i = 0; i < g->n; i++)
		free(acts[i]);
	free(acts);
	if (r)
		sac_ref_out_free(out);
	return r;
}
