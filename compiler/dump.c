/* dump.c: the IR as readable text (--dump=PASS).
 *
 * One line per node: "%name = op(%inputs) attributes -> [C, H, W]",
 * followed, once quantised, by the ranges and scales and, once converted,
 * by the window, steps and the spread of ramps, biases and thresholds. */
#include <stdint.h>

#include "compiler/ir_internal.h"

static const char *stage_name(sac_stage s)
{
	static const char *const n[] = {"float", "folded", "quant", "ttfs"};
	return n[s];
}

static void minmax32(const int32_t *v, int n, long long *lo, long long *hi)
{
	*lo = *hi = v[0];
	for (int i = 1; i < n; i++) {
		if (v[i] < *lo) *lo = v[i];
		if (v[i] > *hi) *hi = v[i];
	}
}

void sac_graph_dump(const sac_graph *g, FILE *f)
{
	fprintf(f, "graph \"%s\" stage=%s nodes=%d params=%lld macs=%lld\n",
		g->name, stage_name(g->stage), g->n,
		(long long)sac_graph_params(g), (long long)sac_graph_macs(g));
	for (int i = 0; i < g->n; i++) {
		const sac_node *nd = &g->node[i];
		fprintf(f, "  %%%s = %s(", nd->name, sac_op_name(nd->op));
		for (int a = 0; a < nd->nin; a++)
			fprintf(f, "%s%%%s", a ? ", " : "", g->node[nd->in[a]].name);
		fprintf(f, ")");
		switch (nd->op) {
		case SAC_OP_CONV2D:
			fprintf(f, " k=%dx%d s=%dx%d p=%dx%d g=%d", nd->kh, nd->kw,
				nd->sh, nd->sw, nd->ph, nd->pw, nd->groups);
			break;
		case SAC_OP_MAXPOOL:
		case SAC_OP_AVGPOOL:
			fprintf(f, " k=%dx%d s=%dx%d p=%dx%d", nd->kh, nd->kw,
				nd->sh, nd->sw, nd->ph, nd->pw);
			break;
		case SAC_OP_BATCHNORM:
			fprintf(f, " eps=%g", (double)nd->eps);
			break;
		default:
			break;
		}
		if (nd->relu)
			fprintf(f, " +relu");
		fprintf(f, " -> [%d, %d, %d]", nd->c, nd->h, nd->w);
		if (nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR)
			fprintf(f, " w=%s%zu", nd->wq ? "int8x" : "f32x", nd->nweight);
		fprintf(f, "\n");
		if (g->stage >= SAC_STAGE_QUANT && g->stage < SAC_STAGE_TTFS &&
		    nd->op != SAC_OP_OUTPUT)
			fprintf(f, "      range [0, %.6g]%s\n", nd->act_max,
				nd->wscale ? (g->per_layer ? " wscale per layer"
							   : " wscale per channel")
					   : "");
		if (g->stage >= SAC_STAGE_TTFS) {
			if (sac_node_spikes(nd) || nd->op == SAC_OP_MAXPOOL ||
			    nd->op == SAC_OP_FLATTEN)
				fprintf(f, "      window %d S=%d step=%.6g (range %.6g)\n",
					nd->window, nd->steps, nd->act_scale,
					nd->act_max);
			if (nd->ramp) {
				long long rlo, rhi, blo, bhi;
				minmax32(nd->ramp, nd->c, &rlo, &rhi);
				minmax32(nd->bq, nd->c, &blo, &bhi);
				if (nd->relu)
					fprintf(f, "      r=[%lld..%lld] b=[%lld..%lld] theta=S*r-b=[%lld..%lld]\n",
						rlo, rhi, blo, bhi,
						(long long)nd->steps * rlo - bhi,
						(long long)nd->steps * rhi - blo);
				else
					fprintf(f, "      readout in window %d: logits = sum W x + b, b=[%lld..%lld]\n",
						nd->window, blo, bhi);
			}
		}
	}
}
