/* ir.c: the graph container, shape inference and the verifier.
 *
 * Shape inference is total: it either sets c/h/w on every node or fails
 * naming the node and the mismatch.  The verifier checks what each stage
 * promises (docs/ARCHITECTURE.md): FLOAT may hold batchnorm, relu and
 * identity nodes; FOLDED and later hold none; QUANT adds int8 weights and
 * ranges; TTFS adds windows, steps, ramps and integer biases. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/ir_internal.h"

static const char *const op_names[] = {
#define X(id, name, nin) name,
	SAC_IR_OPS(X)
#undef X
};

static const int op_nin[] = {
#define X(id, name, nin) nin,
	SAC_IR_OPS(X)
#undef X
};

const char *sac_op_name(sac_op op)
{
	return (unsigned)op < SAC_OP_COUNT ? op_names[op] : "?";
}

int sac_op_parse(const char *name)
{
	for (int i = 0; i < SAC_OP_COUNT; i++)
		if (strcmp(op_names[i], name) == 0)
			return i;
	return -1;
}

int sac__graph_add(sac_graph *g, sac_err *e)
{
	if (g->n == g->cap) {
		int cap = g->cap ? 2 * g->cap : 32;
		sac_node *p = realloc(g->node, (size_t)cap * sizeof *p);
		if (!p)
			return sac_errf(e, SAC_ERR_NOMEM, "out of memory"), -1;
		g->node = p;
		g->cap = cap;
	}
	memset(&g->node[g->n], 0, sizeof g->node[0]);
	return g->n++;
}

void sac__node_clear(sac_node *nd)
{
	free(nd->weight);
	free(nd->bias);
	free(nd->bn_gamma);
	free(nd->bn_beta);
	free(nd->bn_mean);
	free(nd->bn_var);
	free(nd->wscale);
	free(nd->wq);
	free(nd->bq);
	free(nd->ramp);
	nd->weight = nd->bias = NULL;
	nd->bn_gamma = nd->bn_beta = nd->bn_mean = nd->bn_var = NULL;
	nd->wscale = NULL;
	nd->wq = NULL;
	nd->bq = nd->ramp = NULL;
}

void sac_graph_free(sac_graph *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->n; i++)
		sac__node_clear(&g->node[i]);
	free(g->node);
	free(g);
}

int sac__graph_consumers(const sac_graph *g, int i)
{
	int k = 0;
	for (int j = i + 1; j < g->n; j++)
		for (int a = 0; a < g->node[j].nin; a++)
			k += g->node[j].in[a] == i;
	return k;
}

void sac__graph_bypass(sac_graph *g, int i)
{
	assert(i > 0 && i < g->n && g->node[i].nin >= 1);
	int src = g->node[i].in[0];
	for (int j = i + 1; j < g->n; j++)
		for (int a = 0; a < g->node[j].nin; a++) {
			if (g->node[j].in[a] == i)
				g->node[j].in[a] = src;
			else if (g->node[j].in[a] > i)
				g->node[j].in[a]--;
		}
	sac__node_clear(&g->node[i]);
	memmove(&g->node[i], &g->node[i + 1],
		(size_t)(g->n - i - 1) * sizeof g->node[0]);
	g->n--;
}

int sac_graph_find(const sac_graph *g, const char *name)
{
	for (int i = 0; i < g->n; i++)
		if (strcmp(g->node[i].name, name) == 0)
			return i;
	return -1;
}

int sac_graph_readout(const sac_graph *g)
{
	if (g->n < 2 || g->node[g->n - 1].op != SAC_OP_OUTPUT)
		return -1;
	return g->node[g->n - 1].in[0];
}

int sac_node_spikes(const sac_node *nd)
{
	return nd->op == SAC_OP_INPUT ||
	       ((nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR) &&
		nd->relu);
}

size_t sac_node_size(const sac_node *nd)
{
	return (size_t)(unsigned)nd->c * (unsigned)nd->h * (unsigned)nd->w;
}

const char *sac__node_loc(const sac_graph *g, const sac_node *nd, char *buf,
			  size_t n)
{
	if (nd->line > 0)
		snprintf(buf, n, "%s:%d:%d", g->path, nd->line, nd->col);
	else
		snprintf(buf, n, "%s", g->path);
	return buf;
}

int sac__fan_channels(const sac_graph *g, const sac_node *nd)
{
	const sac_node *src = &g->node[nd->in[0]];
	if (nd->op == SAC_OP_LINEAR)
		return (int)sac_node_size(src);
	return src->c;
}

size_t sac__weight_count(const sac_graph *g, const sac_node *nd)
{
	int cin = sac__fan_channels(g, nd);
	if (nd->op == SAC_OP_LINEAR)
		return (size_t)nd->features * (size_t)cin;
	return (size_t)nd->out_channels * (size_t)(cin / nd->groups) *
	       (size_t)nd->kh * (size_t)nd->kw;
}

int64_t sac_node_params(const sac_node *nd)
{
	int64_t p = 0;
	if (nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR) {
		p = (int64_t)nd->nweight;
		if (nd->bias || nd->bq)
			p += nd->op == SAC_OP_CONV2D ? nd->out_channels
						     : nd->features;
	} else if (nd->op == SAC_OP_BATCHNORM) {
		p = 4 * (int64_t)nd->c;
	}
	return p;
}

int64_t sac_node_macs(const sac_node *nd)
{
	if (nd->op == SAC_OP_CONV2D)
		return (int64_t)sac_node_size(nd) * (int64_t)(nd->nweight /
			(size_t)nd->out_channels);
	if (nd->op == SAC_OP_LINEAR)
		return (int64_t)nd->nweight;
	return 0;
}

int64_t sac_graph_params(const sac_graph *g)
{
	int64_t p = 0;
	for (int i = 0; i < g->n; i++)
		p += sac_node_params(&g->node[i]);
	return p;
}

int64_t sac_graph_macs(const sac_graph *g)
{
	int64_t p = 0;
	for (int i = 0; i < g->n; i++)
		p += sac_node_macs(&g->node[i]);
	return p;
}

/* Output size of a window op along one axis; -1 if it does not fit. */
static int out_dim(int in, int k, int s, int p)
{
	if (k < 1 || s < 1 || p < 0 || in + 2 * p < k)
		return -1;
	return (in + 2 * p - k) / s + 1;
}

#define LIMIT_DIM 65536

int sac_graph_infer(sac_graph *g, sac_err *e)
{
	char loc[1200];
	for (int i = 0; i < g->n; i++) {
		sac_node *nd = &g->node[i];
		const sac_node *src = nd->nin ? &g->node[nd->in[0]] : NULL;
		sac__node_loc(g, nd, loc, sizeof loc);
		switch (nd->op) {
		case SAC_OP_INPUT:
			nd->c = nd->in_shape[0];
			nd->h = nd->in_shape[1];
			nd->w = nd->in_shape[2];
			if (nd->c < 1 || nd->h < 1 || nd->w < 1 ||
			    nd->c > LIMIT_DIM || nd->h > LIMIT_DIM ||
			    nd->w > LIMIT_DIM)
				return sac_errf(e, SAC_ERR_SHAPE,
					"%s: input '%s': shape [%d, %d, %d] must be positive and at most %d",
					loc, nd->name, nd->c, nd->h, nd->w,
					LIMIT_DIM);
			break;
		case SAC_OP_CONV2D: {
			if (nd->out_channels < 1 || nd->groups < 1)
				return sac_errf(e, SAC_ERR_SHAPE,
					"%s: conv2d '%s': out_channels and groups must be positive",
					loc, nd->name);
			if (src->c % nd->groups || nd->out_channels % nd->groups)
				return sac_errf(e, SAC_ERR_SHAPE,
					"%s: conv2d '%s': groups=%d must divide the input channels (%d) and out_channels (%d)",
					loc, nd->name, nd->groups, src->c,
					nd->out_channels);
			int h = out_dim(src->h, nd->kh, nd->sh, nd->ph);
			int w = out_dim(src->w, nd->kw, nd->sw, nd->pw);
			if (h < 1 || w < 1)
				return sac_errf(e, SAC_ERR_SHAPE,
					"%s: conv2d '%s': kernel %dx%d (stride %dx%d, padding %dx%d) does not fit its %dx%d input from '%s'",
					loc, nd->name, nd->kh, nd->kw, nd->sh,
					nd->sw, nd->ph, nd->pw, src->h, src->w,
					src->name);
			nd->c = nd->out_channels;
			nd->h = h;
			nd->w = w;
			break;
		}
		case SAC_OP_LINEAR:
			if (nd->features < 1)
				return sac_errf(e, SAC_ERR_SHAPE,
					"%s: linear '%s': out_features must be positive",
					loc, nd->name);
			if (src->h != 1 || src->w != 1)
				return sac_errf(e, SAC_ERR_SHAPE,
					"%s: linear '%s': input '%s' is [%d, %d, %d]; flatten it first",
					loc, nd->name, src->name, src->c,
					src->h, src->w);
			nd->c = nd->features;
			nd->h = nd->w = 1;
			break;
		case SAC_OP_MAXPOOL:
		case SAC_OP_AVGPOOL: {
			int h = out_dim(src->h, nd->kh, nd->sh, nd->ph);
			int w = out_dim(src->w, nd->kw, nd->sw, nd->pw);
			if (h < 1 || w < 1)
				return sac_errf(e, SAC_ERR_SHAPE,
					"%s: %s '%s': window %dx%d (stride %dx%d) does not fit its %dx%d input from '%s'",
					loc, sac_op_name(nd->op), nd->name,
					nd->kh, nd->kw, nd->sh, nd->sw, src->h,
					src->w, src->name);
			if (nd->ph >= nd->kh || nd->pw >= nd->kw)
				return sac_errf(e, SAC_ERR_SHAPE,
					"%s: %s '%s': padding must be smaller than the window",
					loc, sac_op_name(nd->op), nd->name);
			nd->c = src->c;
			nd->h = h;
			nd->w = w;
			break;
		}
		case SAC_OP_GLOBAL_AVGPOOL:
			nd->c = src->c;
			nd->h = nd->w = 1;
			break;
		case SAC_OP_FLATTEN:
			nd->c = (int)sac_node_size(src);
			nd->h = nd->w = 1;
			break;
		case SAC_OP_RELU:
		case SAC_OP_BATCHNORM:
		case SAC_OP_IDENTITY:
		case SAC_OP_OUTPUT:
			nd->c = src->c;
			nd->h = src->h;
			nd->w = src->w;
			break;
		case SAC_OP_COUNT:
			assert(0);
		}
		if (sac_node_size(nd) > (size_t)1 << 28)
			return sac_errf(e, SAC_ERR_CAPACITY,
				"%s: node '%s': %zu outputs exceed the limit of 2^28",
				loc, nd->name, sac_node_size(nd));
		if ((nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR) &&
		    nd->weight == NULL && nd->wq == NULL)
			nd->nweight = sac__weight_count(g, nd);
	}
	return SAC_OK;
}

int sac_graph_verify(const sac_graph *g, sac_err *e)
{
	char loc[1200];
	if (g->n < 2)
		return sac_errf(e, SAC_ERR_SHAPE,
			"%s: a model needs at least an input and an output node",
			g->path);
	if (g->node[0].op != SAC_OP_INPUT)
		return sac_errf(e, SAC_ERR_SHAPE,
			"%s: the first node '%s' must be the input", g->path,
			g->node[0].name);
	if (g->node[g->n - 1].op != SAC_OP_OUTPUT)
		return sac_errf(e, SAC_ERR_SHAPE,
			"%s: the last node '%s' must be the output", g->path,
			g->node[g->n - 1].name);
	for (int i = 0; i < g->n; i++) {
		const sac_node *nd = &g->node[i];
		sac__node_loc(g, nd, loc, sizeof loc);
		if ((unsigned)nd->op >= SAC_OP_COUNT)
			return sac_errf(e, SAC_ERR_PARSE, "%s: bad op", loc);
		if (nd->nin != op_nin[nd->op])
			return sac_errf(e, SAC_ERR_SHAPE,
				"%s: %s '%s' takes %d input(s), has %d", loc,
				sac_op_name(nd->op), nd->name, op_nin[nd->op],
				nd->nin);
		for (int a = 0; a < nd->nin; a++)
			if (nd->in[a] < 0 || nd->in[a] >= i)
				return sac_errf(e, SAC_ERR_SHAPE,
					"%s: '%s': inputs must name earlier nodes",
					loc, nd->name);
		if (i > 0 && nd->op == SAC_OP_INPUT)
			return sac_errf(e, SAC_ERR_SHAPE,
				"%s: '%s': only one input node is allowed (the first)",
				loc, nd->name);
		if (i < g->n - 1 && nd->op == SAC_OP_OUTPUT)
			return sac_errf(e, SAC_ERR_SHAPE,
				"%s: '%s': only one output node is allowed (the last)",
				loc, nd->name);
		if (i < g->n - 1 && sac__graph_consumers(g, i) == 0)
			return sac_errf(e, SAC_ERR_SHAPE,
				"%s: node '%s' is not used by any later node",
				loc, nd->name);
		if (nd->c < 1 || nd->h < 1 || nd->w < 1)
			return sac_errf(e, SAC_ERR_SHAPE,
				"%s: node '%s' has no inferred shape", loc,
				nd->name);
		int layer = nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR;
		if (g->stage >= SAC_STAGE_FOLDED &&
		    (nd->op == SAC_OP_BATCHNORM || nd->op == SAC_OP_RELU ||
		     nd->op == SAC_OP_IDENTITY || nd->op == SAC_OP_AVGPOOL ||
		     nd->op == SAC_OP_GLOBAL_AVGPOOL))
			return sac_errf(e, SAC_ERR_SHAPE,
				"%s: internal: %s '%s' survived canonicalisation",
				loc, sac_op_name(nd->op), nd->name);
		if (layer && g->stage < SAC_STAGE_TTFS && !nd->weight)
			return sac_errf(e, SAC_ERR_SHAPE,
				"%s: %s '%s' has no weight", loc,
				sac_op_name(nd->op), nd->name);
		if (layer && nd->weight &&
		    nd->nweight != sac__weight_count(g, nd))
			return sac_errf(e, SAC_ERR_SHAPE,
				"%s: %s '%s': %zu weights, expected %zu", loc,
				sac_op_name(nd->op), nd->name, nd->nweight,
				sac__weight_count(g, nd));
		if (layer && g->stage >= SAC_STAGE_QUANT &&
		    (!nd->wq || !nd->wscale))
			return sac_errf(e, SAC_ERR_SHAPE,
				"%s: %s '%s' is not quantised", loc,
				sac_op_name(nd->op), nd->name);
		if (layer && g->stage >= SAC_STAGE_TTFS) {
			if (!nd->bq || !nd->ramp)
				return sac_errf(e, SAC_ERR_SHAPE,
					"%s: %s '%s' lacks integer bias or ramp",
					loc, sac_op_name(nd->op), nd->name);
			for (int o = 0; o < nd->c; o++)
				if (nd->ramp[o] < 1)
					return sac_errf(e, SAC_ERR_RANGE,
						"%s: %s '%s': ramp[%d] = %d must be positive",
						loc, sac_op_name(nd->op),
						nd->name, o, (int)nd->ramp[o]);
		}
		if (g->stage >= SAC_STAGE_TTFS && sac_node_spikes(nd) &&
		    (nd->steps < 1 || nd->steps > 4096))
			return sac_errf(e, SAC_ERR_RANGE,
				"%s: '%s': steps = %d must be in [1, 4096]",
				loc, nd->name, nd->steps);
	}
	return SAC_OK;
}
