/* ref_int.c: the integer TTFS equation, layer by layer.
 *
 *   x_i = clamp(floor((sum_j W_ij x_j + b_i) / r_i), 0, S)
 *
 * with x = 0 in the padding, max-pool as max, and the readout's logits
 * sum_j W_ij x_j + b_i.  This file defines ref-int; every other executor
 * (ref-ttfs, the simulator, the RTL) must reproduce it bit for bit.  Sums
 * are int64 so that this reference cannot overflow where the hardware's
 * int32 could: the ttfs pass proves int32 suffices for every layer. */
#include <stdlib.h>
#include <string.h>

#include "ref/ref_internal.h"

/* One output channel plane at a time, as in ref_float.c: every weight
 * adds w * (shifted input row) to the plane's int64 accumulators. */
static void conv_int(const sac_graph *g, const sac_node *nd, const int32_t *x,
		     int32_t *y, int64_t *logits, int64_t *acc)
{
	const sac_node *s = &g->node[nd->in[0]];
	int cin = s->c / nd->groups, cout = nd->c / nd->groups;
	size_t plane = (size_t)nd->h * nd->w;
	for (int o = 0; o < nd->c; o++) {
		int grp = o / cout;
		const int8_t *w = nd->wq + (size_t)o * cin * nd->kh * nd->kw;
		for (size_t k = 0; k < plane; k++)
			acc[k] = nd->bq[o];
		for (int c = 0; c < cin; c++) {
			const int32_t *xc = x + (size_t)(grp * cin + c) * s->h * s->w;
			for (int ky = 0; ky < nd->kh; ky++)
				for (int kx = 0; kx < nd->kw; kx++) {
					int64_t wv = w[((size_t)c * nd->kh + ky) * nd->kw + kx];
					if (wv == 0)
						continue;
					int ox0 = 0, ox1 = nd->w;
					while (ox0 < ox1 && ox0 * nd->sw - nd->pw + kx < 0)
						ox0++;
					while (ox1 > ox0 && (ox1 - 1) * nd->sw - nd->pw + kx >= s->w)
						ox1--;
					for (int oy = 0; oy < nd->h; oy++) {
						int iy = oy * nd->sh - nd->ph + ky;
						if (iy < 0 || iy >= s->h)
							continue;
						const int32_t *restrict xr = xc + (size_t)iy * s->w - nd->pw + kx;
						int64_t *restrict ar = acc + (size_t)oy * nd->w;
						if (nd->sw == 1)
							for (int ox = ox0; ox < ox1; ox++)
								ar[ox] += wv * xr[ox];
						else
							for (int ox = ox0; ox < ox1; ox++)
								ar[ox] += wv * xr[ox * nd->sw];
					}
				}
		}
		for (size_t k = 0; k < plane; k++) {
			size_t idx = (size_t)o * plane + k;
			if (!nd->relu) {
				logits[idx] = acc[k];
				continue;
			}
			long long q = sac__floordiv(acc[k], nd->ramp[o]);
			y[idx] = (int32_t)(q < 0 ? 0 : q > nd->steps ? nd->steps : q);
		}
	}
}

static void linear_int(const sac_graph *g, const sac_node *nd,
		       const int32_t *x, int32_t *y, int64_t *logits)
{
	size_t in = sac_node_size(&g->node[nd->in[0]]);
	for (int o = 0; o < nd->c; o++) {
		int64_t acc = nd->bq[o];
		const int8_t *w = nd->wq + (size_t)o * in;
		for (size_t j = 0; j < in; j++)
			acc += (int64_t)w[j] * x[j];
		if (!nd->relu) {
			logits[o] = acc;
			continue;
		}
		long long q = sac__floordiv(acc, nd->ramp[o]);
		y[o] = (int32_t)(q < 0 ? 0 : q > nd->steps ? nd->steps : q);
	}
}

static void maxpool_int(const sac_graph *g, const sac_node *nd,
			const int32_t *x, int32_t *y)
{
	const sac_node *s = &g->node[nd->in[0]];
	for (int c = 0; c < nd->c; c++)
		for (int oy = 0; oy < nd->h; oy++)
			for (int ox = 0; ox < nd->w; ox++) {
				int32_t m = 0; /* padding: no spike */
				for (int ky = 0; ky < nd->kh; ky++)
					for (int kx = 0; kx < nd->kw; kx++) {
						int iy = oy * nd->sh - nd->ph + ky;
						int ix = ox * nd->sw - nd->pw + kx;
						if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
							continue;
						int32_t v = x[((size_t)c * s->h + iy) * s->w + ix];
						if (v > m)
							m = v;
					}
				y[((size_t)c * nd->h + oy) * nd->w + ox] = m;
			}
}

int sac_ref_int(const sac_graph *g, const float *input, sac_ref_out *out,
		sac_err *e)
{
	int r = sac__need_ttfs(g, "ref-int", e);
	if (r)
		return r;
	int64_t *base = NULL;
	int nwin = sac__window_bases(g, &base, e);
	if (nwin < 0)
		return nwin;
	r = sac__int_out_init(g, SAC_REF_INT, out, e);
	int32_t **x = calloc((size_t)g->n, sizeof *x);
	if (!r && !x)
		r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int i = 0; i < g->n && !r; i++) {
		const sac_node *nd = &g->node[i];
		size_t n = sac_node_size(nd);
		x[i] = calloc(n, sizeof **x);
		if (!x[i]) {
			r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			break;
		}
		const int32_t *src = nd->nin ? x[nd->in[0]] : NULL;
		switch (nd->op) {
		case SAC_OP_INPUT:
			for (size_t k = 0; k < n; k++)
				x[i][k] = sac_ref_encode_input(input[k], nd->steps);
			break;
		case SAC_OP_CONV2D: {
			int64_t *acc = malloc((size_t)nd->h * nd->w * sizeof *acc);
			if (!acc) {
				r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
				break;
			}
			conv_int(g, nd, src, x[i], out->ilogits, acc);
			free(acc);
			break;
		}
		case SAC_OP_LINEAR:
			linear_int(g, nd, src, x[i], out->ilogits);
			break;
		case SAC_OP_MAXPOOL:
			maxpool_int(g, nd, src, x[i]);
			break;
		case SAC_OP_FLATTEN:
			memcpy(x[i], src, n * sizeof **x);
			break;
		case SAC_OP_OUTPUT:
			break;
		default:
			r = sac_errf(e, SAC_ERR_UNSUPPORTED,
				     "%s: ref-int: %s '%s' in a TTFS graph",
				     g->path, sac_op_name(nd->op), nd->name);
		}
		if (!r && sac_node_spikes(nd))
			for (size_t k = 0; k < n; k++)
				if (x[i][k] > 0) {
					out->spike[i][k] = (int32_t)(base[nd->window] +
						nd->steps - x[i][k]);
					out->nspikes++;
				}
	}
	if (!r) {
		out->steps = base[nwin];
		sac__dequant_logits(g, out);
	}
	if (x)
		for (int i = 0; i < g->n; i++)
			free(x[i]);
	free(x);
	free(base);
	if (r)
		sac_ref_out_free(out);
	return r;
}
