/* ref_ttfs.c: the event-level TTFS run, step by step.
 *
 * Global time is a sequence of windows; window w has S(w) steps and
 * holds phase 2 (firing) of the layer(s) whose output spikes in w and
 * phase 1 (integration) of their consumers.  Each step does, in order:
 *
 *   1. emit: the input fires neuron j at step S - x_j; a layer neuron in
 *      phase 2 that has not fired fires when V >= theta = S r - b;
 *      a spike passes at once through max-pools (a pool neuron forwards
 *      only its first spike) and flatten, and every arriving spike adds
 *      W_ij to its target's slope;
 *   2. integrate: phase-1 neurons add their slope to V, phase-2 neurons
 *      add their ramp r.
 *
 * So after window n-1, V_i = sum_j W_ij x_j, and the neuron fires at the
 * first k with V_i + k r >= theta: the integer equation of ref-int.  The
 * readout never fires; its logits are V + b at the end of its phase 1.
 * Nothing here may look at ref-int's arithmetic: agreement must be earned
 * by the event mechanics. */
#include <stdlib.h>
#include <string.h>

#include "ref/ref_internal.h"

typedef struct ttfs_node {
	int64_t *v, *slope; /* layers */
	uint8_t *fired;     /* layers, input, pools */
	int *cons;          /* consumer node indices */
	int ncons;
} ttfs_node;

typedef struct ttfs {
	const sac_graph *g;
	ttfs_node *st;
	sac_ref_out *out;
	const int64_t *base;
	int64_t t; /* current global step */
} ttfs;

static void deliver(ttfs *T, int src, size_t j);

/* A spike of node src, neuron j, arrives at layer node c. */
static void arrive_layer(ttfs *T, int c, int src, size_t j)
{
	const sac_graph *g = T->g;
	const sac_node *nd = &g->node[c], *s = &g->node[src];
	int64_t *slope = T->st[c].slope;
	if (nd->op == SAC_OP_LINEAR) {
		size_t in = sac_node_size(s);
		for (int o = 0; o < nd->c; o++)
			slope[o] += nd->wq[(size_t)o * in + j];
		return;
	}
	size_t hw = (size_t)s->h * s->w;
	int ci = (int)(j / hw), y = (int)((j % hw) / s->w), x = (int)(j % s->w);
	int cin = s->c / nd->groups, cout = nd->c / nd->groups;
	int grp = ci / cin, cl = ci % cin;
	for (int ky = 0; ky < nd->kh; ky++) {
		int ty = y + nd->ph - ky;
		if (ty < 0 || ty % nd->sh)
			continue;
		int oy = ty / nd->sh;
		if (oy >= nd->h)
			continue;
		for (int kx = 0; kx < nd->kw; kx++) {
			int tx = x + nd->pw - kx;
			if (tx < 0 || tx % nd->sw)
				continue;
			int ox = tx / nd->sw;
			if (ox >= nd->w)
				continue;
			for (int o = grp * cout; o < (grp + 1) * cout; o++) {
				int8_t w = nd->wq[(((size_t)o * cin + cl) * nd->kh + ky) *
						  nd->kw + kx];
				slope[((size_t)o * nd->h + oy) * nd->w + ox] += w;
			}
		}
	}
}

/* A spike reaches max-pool node c: forward it from every pool neuron
 * whose window holds j and that has not fired yet. */
static void arrive_pool(ttfs *T, int c, int src, size_t j)
{
	const sac_node *nd = &T->g->node[c], *s = &T->g->node[src];
	size_t hw = (size_t)s->h * s->w;
	int ch = (int)(j / hw), y = (int)((j % hw) / s->w), x = (int)(j % s->w);
	for (int ky = 0; ky < nd->kh; ky++) {
		int ty = y + nd->ph - ky;
		if (ty < 0 || ty % nd->sh || ty / nd->sh >= nd->h)
			continue;
		for (int kx = 0; kx < nd->kw; kx++) {
			int tx = x + nd->pw - kx;
			if (tx < 0 || tx % nd->sw || tx / nd->sw >= nd->w)
				continue;
			size_t k = ((size_t)ch * nd->h + ty / nd->sh) * nd->w +
				   tx / nd->sw;
			if (!T->st[c].fired[k]) {
				T->st[c].fired[k] = 1;
				deliver(T, c, k);
			}
		}
	}
}

static void deliver(ttfs *T, int src, size_t j)
{
	const ttfs_node *sn = &T->st[src];
	for (int a = 0; a < sn->ncons; a++) {
		int c = sn->cons[a];
		switch (T->g->node[c].op) {
		case SAC_OP_CONV2D:
		case SAC_OP_LINEAR:
			arrive_layer(T, c, src, j);
			break;
		case SAC_OP_MAXPOOL:
			arrive_pool(T, c, src, j);
			break;
		case SAC_OP_FLATTEN:
			deliver(T, c, j);
			break;
		default:
			break;
		}
	}
}

static void fire(ttfs *T, int i, size_t j)
{
	T->st[i].fired[j] = 1;
	T->out->spike[i][j] = (int32_t)T->t;
	T->out->nspikes++;
	deliver(T, i, j);
}

int sac_ref_ttfs(const sac_graph *g, const float *input, sac_ref_out *out,
		 sac_err *e)
{
	int r = sac__need_ttfs(g, "ref-ttfs", e);
	if (r)
		return r;
	int64_t *base = NULL;
	int nwin = sac__window_bases(g, &base, e);
	if (nwin < 0)
		return nwin;
	r = sac__int_out_init(g, SAC_REF_TTFS, out, e);
	ttfs T = {.g = g, .out = out, .base = base};
	T.st = calloc((size_t)g->n, sizeof *T.st);
	if (!r && !T.st)
		r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int i = 0; i < g->n && !r; i++) {
		const sac_node *nd = &g->node[i];
		size_t n = sac_node_size(nd);
		ttfs_node *st = &T.st[i];
		st->cons = malloc((size_t)g->n * sizeof *st->cons);
		st->fired = calloc(n, 1);
		if (!st->cons || !st->fired)
			r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		for (int j = i + 1; !r && j < g->n; j++)
			if (g->node[j].in[0] == i && g->node[j].nin)
				st->cons[st->ncons++] = j;
		if (!r && (nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR)) {
			st->v = calloc(n, sizeof *st->v);
			st->slope = calloc(n, sizeof *st->slope);
			if (!st->v || !st->slope)
				r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		}
	}
	const sac_node *in = &g->node[0];
	for (int w = 0; w < nwin && !r; w++) {
		int S = in->steps;
		for (int i = 0; i < g->n; i++)
			if (sac_node_spikes(&g->node[i]) && g->node[i].window == w)
				S = g->node[i].steps;
		for (int s = 0; s < S; s++) {
			T.t = base[w] + s;
			/* 1. emit */
			for (int i = 0; i < g->n; i++) {
				const sac_node *nd = &g->node[i];
				if (!sac_node_spikes(nd) || nd->window != w)
					continue;
				size_t n = sac_node_size(nd);
				ttfs_node *st = &T.st[i];
				if (nd->op == SAC_OP_INPUT) {
					for (size_t k = 0; k < n; k++) {
						int x = sac_ref_encode_input(input[k], S);
						if (x > 0 && s == S - x)
							fire(&T, i, k);
					}
					continue;
				}
				size_t hw = (size_t)nd->h * nd->w;
				for (size_t k = 0; k < n; k++) {
					int o = (int)(k / hw);
					int64_t theta = (int64_t)nd->steps * nd->ramp[o] - nd->bq[o];
					if (!st->fired[k] && st->v[k] >= theta)
						fire(&T, i, k);
				}
			}
			/* 2. integrate */
			for (int i = 0; i < g->n; i++) {
				const sac_node *nd = &g->node[i];
				ttfs_node *st = &T.st[i];
				if (!st->v)
					continue;
				size_t n = sac_node_size(nd), hw = (size_t)nd->h * nd->w;
				if (nd->window == w + 1)
					for (size_t k = 0; k < n; k++)
						st->v[k] += st->slope[k];
				else if (nd->window == w && nd->relu)
					for (size_t k = 0; k < n; k++)
						st->v[k] += nd->ramp[k / hw];
			}
		}
	}
	if (!r) {
		int ro = sac_graph_readout(g);
		const sac_node *nd = &g->node[ro];
		size_t hw = (size_t)nd->h * nd->w;
		for (int k = 0; k < out->nlogits; k++)
			out->ilogits[k] = T.st[ro].v[k] + nd->bq[k / hw];
		out->steps = base[nwin];
		sac__dequant_logits(g, out);
	}
	if (T.st)
		for (int i = 0; i < g->n; i++) {
			free(T.st[i].v);
			free(T.st[i].slope);
			free(T.st[i].fired);
			free(T.st[i].cons);
		}
	free(T.st);
	free(base);
	if (r)
		sac_ref_out_free(out);
	return r;
}
