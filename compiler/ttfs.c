/* ttfs.c: TTFS conversion: windows, steps, ramps, integer biases.
 *
 * A spiking layer n gets the window T(n) = (1 + gamma) X(n), X(n) its
 * calibrated maximum, cut into S integer steps, so one step is worth
 * s_out = T(n) / S.  With s_in the step of its input and s_w the weight
 * scale of an output channel, the integer neuron computes
 * x = floor((sum W x_in + b) / r) with r = s_out / (s_w s_in).  r must be
 * an integer, so we take r = floor(127 s_out / (max|W| s_in)) (at least 1)
 * and then s_w = s_out / (r s_in): the weights still fit in [-127, 127]
 * and the conversion is exact up to the rounding of W and b.  The bias
 * carries floor(r / 2) so that the floor rounds to nearest.  The readout
 * layer keeps the plain int8 scale and r = 1; its logits are integers.
 * The pass proves that no potential can leave int32 (the hardware's word). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/ir_internal.h"

#define RAMP_MAX (1 << 24)

static int convert_layer(sac_graph *g, sac_node *nd, const sac_node *src,
			 int readout, sac_err *e)
{
	char loc[1200];
	int o_n = nd->c;
	size_t per = nd->nweight / (size_t)o_n;
	double s_in = src->act_scale;
	sac__node_loc(g, nd, loc, sizeof loc);
	free(nd->bq);
	free(nd->ramp);
	nd->bq = malloc((size_t)o_n * sizeof *nd->bq);
	nd->ramp = malloc((size_t)o_n * sizeof *nd->ramp);
	if (!nd->bq || !nd->ramp)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	double m_layer = 0;
	for (size_t k = 0; k < nd->nweight; k++)
		m_layer = fmax(m_layer, fabs(nd->weight[k]));
	for (int o = 0; o < o_n; o++) {
		const float *w = nd->weight + (size_t)o * per;
		double m = 0;
		if (g->per_layer)
			m = m_layer;
		else
			for (size_t k = 0; k < per; k++)
				m = fmax(m, fabs(w[k]));
		double s_w;
		int64_t r = 1;
		if (readout) {
			s_w = m > 0 ? m / 127.0 : 1.0;
		} else {
			double ideal = m > 0 ? 127.0 * nd->act_scale / (m * s_in)
					     : RAMP_MAX;
			r = ideal >= RAMP_MAX ? RAMP_MAX : ideal < 1 ? 1
						      : (int64_t)floor(ideal);
			s_w = nd->act_scale / ((double)r * s_in);
		}
		if (nd->nwscale == o_n || o == 0)
			nd->wscale[nd->nwscale == o_n ? o : 0] = (float)s_w;
		int64_t sum_abs = 0;
		for (size_t k = 0; k < per; k++) {
			double q = nearbyint(w[k] / s_w);
			q = q > 127 ? 127 : q < -127 ? -127 : q;
			nd->wq[(size_t)o * per + k] = (int8_t)q;
			sum_abs += (int64_t)fabs(q);
		}
		double b = nd->bias ? nd->bias[o] : 0.0;
		double bq = nearbyint(b / (s_w * s_in)) + (double)(r / 2);
		int64_t bound = sum_abs * src->steps + (int64_t)fabs(bq) +
				(int64_t)nd->steps * r;
		if (fabs(bq) > 2147483647.0 || bound > 2147483647LL)
			return sac_errf(e, SAC_ERR_CAPACITY,
				"%s: layer '%s' channel %d: its potential can reach %lld (bias %.0f), beyond the 32-bit potential of the hardware; use fewer steps or a smaller fan-in",
				loc, nd->name, o, (long long)bound, bq);
		nd->bq[o] = (int32_t)bq;
		nd->ramp[o] = (int32_t)r;
	}
	return SAC_OK;
}

int sac_pass_ttfs(sac_graph *g, const sac_compile_opts *o, sac_err *e)
{
	char loc[1200];
	if (g->stage != SAC_STAGE_QUANT)
		return sac_errf(e, SAC_ERR_USAGE,
				"%s: ttfs needs a quantised graph", g->path);
	if (o->steps < 1 || o->steps > 4096)
		return sac_errf(e, SAC_ERR_RANGE,
				"steps per window = %d must be in [1, 4096]",
				o->steps);
	if (!(o->gamma >= 0 && o->gamma <= 16))
		return sac_errf(e, SAC_ERR_RANGE,
				"gamma = %g must be in [0, 16]", o->gamma);
	int ro = sac_graph_readout(g);
	sac_node *ron = &g->node[ro];
	if ((ron->op != SAC_OP_CONV2D && ron->op != SAC_OP_LINEAR) || ron->relu)
		return sac_errf(e, SAC_ERR_UNSUPPORTED,
			"%s: the output must be fed directly by a conv2d or linear layer without ReLU (the readout), not by %s '%s'%s",
			sac__node_loc(g, ron, loc, sizeof loc),
			sac_op_name(ron->op), ron->name,
			ron->relu ? " with ReLU" : "");
	g->gamma = o->gamma;
	for (int i = 0; i < g->n; i++) {
		sac_node *nd = &g->node[i];
		const sac_node *src = nd->nin ? &g->node[nd->in[0]] : NULL;
		sac__node_loc(g, nd, loc, sizeof loc);
		switch (nd->op) {
		case SAC_OP_INPUT:
			nd->window = 0;
			nd->steps = o->steps;
			nd->act_scale = 1.0 / o->steps;
			break;
		case SAC_OP_CONV2D:
		case SAC_OP_LINEAR: {
			int readout = i == ro;
			if (!readout && !nd->relu)
				return sac_errf(e, SAC_ERR_UNSUPPORTED,
					"%s: layer '%s' has no ReLU; in a TTFS network only the readout layer feeding the output may be linear",
					loc, nd->name);
			nd->window = src->window + 1;
			if (readout) {
				nd->steps = 0;
				nd->act_scale = src->act_scale;
			} else {
				double x = nd->act_max > 0 ? nd->act_max : 1.0;
				nd->steps = o->steps;
				nd->act_scale = (1.0 + o->gamma) * x / o->steps;
			}
			int r = convert_layer(g, nd, src, readout, e);
			if (r)
				return r;
			break;
		}
		case SAC_OP_MAXPOOL:
		case SAC_OP_FLATTEN:
			nd->window = src->window;
			nd->steps = src->steps;
			nd->act_scale = src->act_scale;
			break;
		case SAC_OP_OUTPUT:
			nd->window = src->window;
			nd->act_scale = src->act_scale;
			break;
		default:
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"%s: %s '%s' cannot be converted to TTFS",
				loc, sac_op_name(nd->op), nd->name);
		}
		if (nd->op == SAC_OP_MAXPOOL && !sac_node_spikes(&g->node[nd->in[0]]) &&
		    g->node[nd->in[0]].op != SAC_OP_MAXPOOL &&
		    g->node[nd->in[0]].op != SAC_OP_FLATTEN)
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"%s: maxpool '%s' must follow a spiking layer",
				loc, nd->name);
	}
	g->stage = SAC_STAGE_TTFS;
	return SAC_OK;
}
