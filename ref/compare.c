/* compare.c: what the executors share: input checks, window arithmetic,
 * results, and the comparison that the numerics contract rests on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref_internal.h"

int sac__argmax(const double *v, int n)
{
	int b = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[b])
			b = i;
	return b;
}

void sac_ref_out_free(sac_ref_out *o)
{
	if (!o)
		return;
	free(o->logits);
	free(o->ilogits);
	if (o->spike)
		for (int i = 0; i < o->nnodes; i++)
			free(o->spike[i]);
	free(o->spike);
	if (o->acts)
		for (int i = 0; i < o->nnodes; i++)
			free(o->acts[i]);
	free(o->acts);
	memset(o, 0, sizeof *o);
}

int sac_ref_encode_input(float v, int steps)
{
	int x = (int)floor((double)v * steps + 0.5);
	return x < 0 ? 0 : x > steps ? steps : x;
}

int sac_ref_input(const sac_graph *g, const sac_tensor *x, long index,
		  const float **data, sac_err *e)
{
	const sac_node *in = &g->node[0];
	int off = 0;
	long n = 1;
	if (x->dtype != SAC_F32)
		return sac_errf(e, SAC_ERR_SHAPE,
				"input is %s; float32 is expected",
				sac_dtype_name(x->dtype));
	if (x->ndim == 4) {
		off = 1;
		n = (long)x->shape[0];
	} else if (x->ndim != 3) {
		return sac_errf(e, SAC_ERR_SHAPE,
				"input has %d dimensions; [C, H, W] or [N, C, H, W] is expected",
				x->ndim);
	}
	if (x->shape[off] != in->c || x->shape[off + 1] != in->h ||
	    x->shape[off + 2] != in->w)
		return sac_errf(e, SAC_ERR_SHAPE,
				"input is [%lld, %lld, %lld] per image; model '%s' expects [%d, %d, %d]",
				(long long)x->shape[off], (long long)x->shape[off + 1],
				(long long)x->shape[off + 2], g->name, in->c,
				in->h, in->w);
	if (index < 0)
		index = 0;
	if (index >= n)
		return sac_errf(e, SAC_ERR_RANGE,
				"input index %ld is out of range: the file holds %ld image(s)",
				index, n);
	size_t per = sac_node_size(in);
	const float *p = (const float *)x->data + (size_t)index * per;
	for (size_t k = 0; k < per; k++)
		if (!(p[k] >= 0.0f && p[k] <= 1.0f))
			return sac_errf(e, SAC_ERR_RANGE,
					"input image %ld: value %g at [%zu, %zu, %zu] is outside [0, 1]",
					index, (double)p[k], k / ((size_t)in->h * in->w),
					(k / in->w) % in->h, k % in->w);
	*data = p;
	return SAC_OK;
}

int sac__need_ttfs(const sac_graph *g, const char *who, sac_err *e)
{
	if (g->stage != SAC_STAGE_TTFS)
		return sac_errf(e, SAC_ERR_USAGE,
				"%s: %s needs a TTFS-converted graph (run the compiler passes first)",
				g->path, who);
	return SAC_OK;
}

int sac__window_bases(const sac_graph *g, int64_t **base, sac_err *e)
{
	int ro = sac_graph_readout(g);
	int nwin = g->node[ro].window;
	int64_t *b = calloc((size_t)nwin + 1, sizeof *b);
	int *steps = calloc((size_t)nwin + 1, sizeof *steps);
	if (!b || !steps) {
		free(b);
		free(steps);
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	}
	for (int i = 0; i < g->n; i++)
		if (sac_node_spikes(&g->node[i]) && g->node[i].window < nwin)
			steps[g->node[i].window] = g->node[i].steps;
	for (int w = 0; w < nwin; w++)
		b[w + 1] = b[w] + steps[w];
	free(steps);
	*base = b;
	return nwin;
}

int sac__int_out_init(const sac_graph *g, sac_ref_mode mode, sac_ref_out *out,
		      sac_err *e)
{
	memset(out, 0, sizeof *out);
	out->mode = mode;
	out->nnodes = g->n;
	out->nlogits = g->node[g->n - 1].c;
	out->spike = calloc((size_t)g->n, sizeof *out->spike);
	out->ilogits = calloc((size_t)out->nlogits, sizeof *out->ilogits);
	out->logits = calloc((size_t)out->nlogits, sizeof *out->logits);
	if (!out->spike || !out->ilogits || !out->logits)
		goto nomem;
	for (int i = 0; i < g->n; i++) {
		if (!sac_node_spikes(&g->node[i]))
			continue;
		size_t n = sac_node_size(&g->node[i]);
		out->spike[i] = malloc(n * sizeof **out->spike);
		if (!out->spike[i])
			goto nomem;
		for (size_t k = 0; k < n; k++)
			out->spike[i][k] = -1;
	}
	return SAC_OK;
nomem:
	sac_ref_out_free(out);
	return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
}

void sac__dequant_logits(const sac_graph *g, sac_ref_out *out)
{
	const sac_node *ro = &g->node[sac_graph_readout(g)];
	for (int k = 0; k < out->nlogits; k++) {
		double ws = ro->wscale ? ro->wscale[ro->nwscale > 1 ? k : 0] : 1.0;
		out->logits[k] = (double)out->ilogits[k] * ws * ro->act_scale;
	}
	out->cls = sac__argmax(out->logits, out->nlogits);
}

int sac_ref_compare(const sac_graph *g, const sac_ref_out *a,
		    const sac_ref_out *b, char *msg, size_t n)
{
	if (a->nlogits != b->nlogits || !a->ilogits || !b->ilogits) {
		snprintf(msg, n, "results are not comparable integer results");
		return 1;
	}
	for (int i = 0; i < g->n; i++) {
		if (!a->spike[i] != !b->spike[i]) {
			snprintf(msg, n, "node '%s': spiking in one result only",
				 g->node[i].name);
			return 1;
		}
		if (!a->spike[i])
			continue;
		size_t sz = sac_node_size(&g->node[i]);
		for (size_t k = 0; k < sz; k++)
			if (a->spike[i][k] != b->spike[i][k]) {
				snprintf(msg, n,
					 "node '%s' neuron %zu (c=%zu y=%zu x=%zu): spike step %d vs %d",
					 g->node[i].name, k,
					 k / ((size_t)g->node[i].h * g->node[i].w),
					 (k / g->node[i].w) % g->node[i].h,
					 k % g->node[i].w, (int)a->spike[i][k],
					 (int)b->spike[i][k]);
				return 1;
			}
	}
	for (int k = 0; k < a->nlogits; k++)
		if (a->ilogits[k] != b->ilogits[k]) {
			snprintf(msg, n, "logit %d: %lld vs %lld", k,
				 (long long)a->ilogits[k],
				 (long long)b->ilogits[k]);
			return 1;
		}
	if (a->nspikes != b->nspikes) {
		snprintf(msg, n, "spike counts %lld vs %lld",
			 (long long)a->nspikes, (long long)b->nspikes);
		return 1;
	}
	return 0;
}

double sac_ref_cosine(const double *a, const double *b, int n)
{
	double ab = 0, aa = 0, bb = 0;
	for (int i = 0; i < n; i++) {
		ab += a[i] * b[i];
		aa += a[i] * a[i];
		bb += b[i] * b[i];
	}
	if (aa == 0 && bb == 0)
		return 1.0;
	if (aa == 0 || bb == 0)
		return 0.0;
	return ab / sqrt(aa * bb);
}

int sac_ref_run(const sac_graph *g, sac_ref_mode mode, const float *input,
		sac_ref_out *out, sac_err *e)
{
	switch (mode) {
	case SAC_REF_FLOAT: return sac_ref_float(g, input, 0, out, e);
	case SAC_REF_INT: return sac_ref_int(g, input, out, e);
	case SAC_REF_TTFS: return sac_ref_ttfs(g, input, out, e);
	case SAC_REF_SIM: break;
	}
	return sac_errf(e, SAC_ERR_USAGE, "unknown reference mode");
}
