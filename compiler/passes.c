/* passes.c: the graph-to-graph passes before quantisation.
 *
 * fold-bn folds every batch norm into the conv2d/linear that feeds it
 * (W' = W g / sqrt(v + eps), b' = (b - m) g / sqrt(v + eps) + beta), so a
 * batch norm must directly follow a layer with no other consumer.
 * canonicalize brings the graph to the form the later passes and the
 * hardware assume: ReLUs fused into the layer before them, identities
 * (TNAS-ER skip blocks) removed, average pools lowered to depthwise
 * convolutions with weights 1/(kh kw) (a TTFS layer like any other; its
 * ReLU is a no-op on the non-negative activations it sees). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/ir_internal.h"

int sac_pass_fold_bn(sac_graph *g, sac_err *e)
{
	char loc[1200];
	for (int i = 1; i < g->n; i++) {
		sac_node *bn = &g->node[i];
		if (bn->op != SAC_OP_BATCHNORM)
			continue;
		int pi = bn->in[0];
		sac_node *p = &g->node[pi];
		sac__node_loc(g, bn, loc, sizeof loc);
		if (p->op != SAC_OP_CONV2D && p->op != SAC_OP_LINEAR)
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"%s: batchnorm '%s' follows %s '%s'; only a batchnorm directly after a conv2d or linear can be folded",
				loc, bn->name, sac_op_name(p->op), p->name);
		if (p->relu || sac__graph_consumers(g, pi) != 1)
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"%s: batchnorm '%s': its layer '%s' %s, so it cannot be folded",
				loc, bn->name, p->name,
				p->relu ? "has a fused ReLU before it"
					: "has other consumers");
		int o_n = p->c;
		size_t per = p->nweight / (size_t)o_n;
		if (!p->bias) {
			p->bias = calloc((size_t)o_n, sizeof *p->bias);
			if (!p->bias)
				return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		}
		for (int o = 0; o < o_n; o++) {
			double s = bn->bn_gamma[o] /
				   sqrt((double)bn->bn_var[o] + bn->eps);
			for (size_t k = 0; k < per; k++)
				p->weight[(size_t)o * per + k] = (float)(
					p->weight[(size_t)o * per + k] * s);
			p->bias[o] = (float)((p->bias[o] - bn->bn_mean[o]) * s +
					     bn->bn_beta[o]);
		}
		sac__graph_bypass(g, i);
		i--;
	}
	return SAC_OK;
}

/* Lower an average pool to a depthwise conv2d with uniform weights. */
static int lower_avgpool(sac_graph *g, sac_node *nd, sac_err *e)
{
	const sac_node *src = &g->node[nd->in[0]];
	if (nd->op == SAC_OP_GLOBAL_AVGPOOL) {
		nd->kh = src->h;
		nd->kw = src->w;
		nd->sh = nd->sw = 1;
		nd->ph = nd->pw = 0;
	}
	size_t n = (size_t)src->c * (size_t)nd->kh * (size_t)nd->kw;
	nd->weight = malloc(n * sizeof *nd->weight);
	nd->bias = calloc((size_t)src->c, sizeof *nd->bias);
	if (!nd->weight || !nd->bias)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (size_t k = 0; k < n; k++)
		nd->weight[k] = 1.0f / (float)(nd->kh * nd->kw);
	nd->nweight = n;
	nd->op = SAC_OP_CONV2D;
	nd->out_channels = src->c;
	nd->groups = src->c;
	nd->relu = 1;
	snprintf(nd->wname, sizeof nd->wname, "%s.weight", nd->name);
	snprintf(nd->bname, sizeof nd->bname, "%s.bias", nd->name);
	return SAC_OK;
}

int sac_pass_canonicalize(sac_graph *g, sac_err *e)
{
	char loc[1200];
	for (int i = 1; i < g->n; i++) {
		sac_node *nd = &g->node[i];
		if (nd->op == SAC_OP_IDENTITY) {
			sac__graph_bypass(g, i--);
		} else if (nd->op == SAC_OP_AVGPOOL ||
			   nd->op == SAC_OP_GLOBAL_AVGPOOL) {
			int r = lower_avgpool(g, nd, e);
			if (r)
				return r;
		} else if (nd->op == SAC_OP_RELU) {
			/* Find the layer this ReLU acts on; max-pool and
			 * flatten commute with ReLU so we may look through
			 * them.  A ReLU on the input or on another ReLU'd
			 * value is a no-op. */
			int p = nd->in[0];
			while ((g->node[p].op == SAC_OP_MAXPOOL ||
				g->node[p].op == SAC_OP_FLATTEN) &&
			       sac__graph_consumers(g, p) == 1)
				p = g->node[p].in[0];
			sac_node *pn = &g->node[p];
			if (pn->op == SAC_OP_CONV2D || pn->op == SAC_OP_LINEAR) {
				if (!pn->relu && sac__graph_consumers(g, p) != 1) {
					sac__node_loc(g, nd, loc, sizeof loc);
					return sac_errf(e, SAC_ERR_UNSUPPORTED,
						"%s: relu '%s': its layer '%s' also feeds other nodes, so the ReLU cannot be fused into it",
						loc, nd->name, pn->name);
				}
				pn->relu = 1;
			} else if (pn->op != SAC_OP_INPUT) {
				sac__node_loc(g, nd, loc, sizeof loc);
				return sac_errf(e, SAC_ERR_UNSUPPORTED,
					"%s: relu '%s' after %s '%s' cannot be fused into a layer",
					loc, nd->name, sac_op_name(pn->op),
					pn->name);
			}
			sac__graph_bypass(g, i--);
		} else if (nd->op == SAC_OP_BATCHNORM) {
			sac__node_loc(g, nd, loc, sizeof loc);
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"%s: batchnorm '%s' was not folded", loc,
				nd->name);
		}
	}
	g->stage = SAC_STAGE_FOLDED;
	return SAC_OK;
}
