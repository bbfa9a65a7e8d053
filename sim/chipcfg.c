/* chipcfg.c: the configuration word stream of the RTL chip, from a program
 * and an input (chipcfg.h; address map in docs/RTL.md).
 *
 * Every value written here is one that sim/sim.c computes in pe_init,
 * load_input or sac_sim_run's window table, computed the same way, so
 * that the RTL starts from the simulator's state: the weight rows
 * [cin_g][kh][kw][G] or [I][G], theta = S r - b, the input's fire steps
 * S - x bucketed by step in ascending local index.  Pool bits get one
 * range of the PE's pool-bit memory per level, covering only the pooled
 * rows of the region's channels (the simulator keeps whole maps; the bits
 * that are used are the same).  Nothing here prints or exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/chipcfg.h"

typedef struct wlist {
	sac_chipcfg_word *w;
	size_t n, cap;
	int oom;
} wlist;

static void put(wlist *L, uint32_t node, int space, int64_t index, uint64_t data)
{
	if (L->oom)
		return;
	if (L->n == L->cap) {
		size_t cap = L->cap ? 2 * L->cap : 4096;
		sac_chipcfg_word *w = realloc(L->w, cap * sizeof *w);
		if (!w) {
			L->oom = 1;
			return;
		}
		L->w = w;
		L->cap = cap;
	}
	L->w[L->n++] = (sac_chipcfg_word){node, (uint32_t)space << 24 | (uint32_t)index, data};
}

static void reg(wlist *L, uint32_t node, int r, int64_t v)
{
	put(L, node, SAC_CHIPCFG_REG, r, (uint64_t)v);
}

static const char *layer_name(const sac_program *p, const sac_hwlayer *L)
{
	return p->g->node[L->node].name;
}

/* One region's PE: registers, pool chain, routes, weights, channels. */
static int region_words(const sac_program *p, int ri, const float *input,
			const sac_chipcfg_limits *lim, wlist *L, sac_err *e)
{
	const sac_graph *g = p->g;
	const sac_map *m = p->m;
	const sac_target *t = &p->t;
	const sac_region *r = &m->region[ri];
	const sac_hwlayer *hl = &m->layer[r->layer];
	const sac_node *nd = &g->node[hl->node];
	uint32_t node = (uint32_t)r->pe;
	int G = r->c1 - r->c0, kind;
	switch (hl->kind) {
	case SAC_HW_INPUT: kind = SAC_CHIPCFG_K_INPUT; break;
	case SAC_HW_SPIKING: kind = SAC_CHIPCFG_K_SPIKING; break;
	default: kind = SAC_CHIPCFG_K_READOUT; break;
	}
	if (r->neurons > t->pe.neurons)
		return sac_errf(e, SAC_ERR_CAPACITY, "layer '%s': a region of %d neurons, the PE holds %d",
				layer_name(p, hl), r->neurons, t->pe.neurons);
	reg(L, node, SAC_CHIPCFG_R_KIND, kind);
	reg(L, node, SAC_CHIPCFG_R_LAYER, r->layer);
	reg(L, node, SAC_CHIPCFG_R_WINDOW, hl->window);
	reg(L, node, SAC_CHIPCFG_R_G, G);
	reg(L, node, SAC_CHIPCFG_R_W, nd->w);
	reg(L, node, SAC_CHIPCFG_R_N, r->neurons);
	reg(L, node, SAC_CHIPCFG_R_C0, r->c0);
	reg(L, node, SAC_CHIPCFG_R_Y0, r->y0);
	reg(L, node, SAC_CHIPCFG_R_Y1, r->y1);

	/* Pool chain at the source: non-overlapping pools only, each level
	 * a range of the pool-bit memory over the region's pooled rows. */
	int pools[SAC_MAX_POOLS], np = sac_map_pool_chain(g, hl, pools);
	int64_t base = 0;
	int ya = r->y0, yb = r->y1;
	for (int k = 0; k < np; k++) {
		const sac_node *pn = &g->node[pools[k]];
		if (pn->kh != pn->sh || pn->kw != pn->sw || pn->ph || pn->pw)
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"layer '%s': max-pool '%s' (kernel %dx%d, stride %dx%d, padding %dx%d) "
				"overlaps or pads; the RTL PE pools only with kernel = stride and no padding",
				layer_name(p, hl), pn->name, pn->kh, pn->kw, pn->sh, pn->sw, pn->ph, pn->pw);
		int pa = ya / pn->sh, pb = (yb + pn->sh - 1) / pn->sh;
		if (pb > pn->h)
			pb = pn->h;
		int rows = pb > pa ? pb - pa : 0;
		int64_t bits = (int64_t)G * rows * pn->w;
		uint32_t f = (uint32_t)k * 8;
		put(L, node, SAC_CHIPCFG_POOL, f + 0, (uint64_t)pn->sh);
		put(L, node, SAC_CHIPCFG_POOL, f + 1, (uint64_t)pn->sw);
		put(L, node, SAC_CHIPCFG_POOL, f + 2, (uint64_t)pn->h);
		put(L, node, SAC_CHIPCFG_POOL, f + 3, (uint64_t)pn->w);
		put(L, node, SAC_CHIPCFG_POOL, f + 4, (uint64_t)base);
		put(L, node, SAC_CHIPCFG_POOL, f + 5, (uint64_t)rows);
		put(L, node, SAC_CHIPCFG_POOL, f + 6, (uint64_t)pa);
		base += bits;
		ya = pa;
		yb = pb;
	}
	if (base > t->pe.neurons)
		return sac_errf(e, SAC_ERR_CAPACITY,
			"layer '%s': its pool chain needs %lld pool bits in a PE, the RTL's pool-bit memory has %d (pe.neurons)",
			layer_name(p, hl), (long long)base, t->pe.neurons);
	reg(L, node, SAC_CHIPCFG_R_NPOOLS, np);

	if (r->nroutes > t->pe.route_entries)
		return sac_errf(e, SAC_ERR_CAPACITY, "layer '%s': %d routes, the table holds %d",
				layer_name(p, hl), r->nroutes, t->pe.route_entries);
	for (int i = 0; i < r->nroutes; i++) {
		const sac_route *rt = &m->route[r->first_route + i];
		int dst = m->region[rt->dst_region].pe;
		uint32_t f = (uint32_t)i * 8;
		put(L, node, SAC_CHIPCFG_ROUTE, f + 0, (uint64_t)(dst % m->mesh_w));
		put(L, node, SAC_CHIPCFG_ROUTE, f + 1, (uint64_t)(dst / m->mesh_w));
		put(L, node, SAC_CHIPCFG_ROUTE, f + 2, (uint64_t)rt->c0);
		put(L, node, SAC_CHIPCFG_ROUTE, f + 3, (uint64_t)rt->c1);
		put(L, node, SAC_CHIPCFG_ROUTE, f + 4, (uint64_t)rt->y0);
		put(L, node, SAC_CHIPCFG_ROUTE, f + 5, (uint64_t)rt->y1);
	}
	reg(L, node, SAC_CHIPCFG_R_NROUTES, r->nroutes);

	if (hl->kind == SAC_HW_INPUT) {
		/* load_input: fire step S - x, buckets in ascending local index. */
		int steps = nd->steps;
		if (steps > lim->max_steps)
			return sac_errf(e, SAC_ERR_CAPACITY,
				"the input window has %d steps, this RTL build's buckets hold %d",
				steps, lim->max_steps);
		int *cnt = calloc((size_t)steps + 1, sizeof *cnt);
		int *k = malloc(((size_t)r->neurons + 1) * sizeof *k);
		if (!cnt || !k) {
			free(cnt);
			free(k);
			return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		}
		for (int li = 0; li < r->neurons; li++) {
			int x = sac_ref_encode_input(input[sac_chipcfg_neuron_index(p, r->pe, li)], steps);
			k[li] = x > 0 ? steps - x : -1;
			if (k[li] >= 0)
				cnt[k[li]]++;
		}
		int pos = 0;
		for (int s = 0; s <= steps; s++) {
			put(L, node, SAC_CHIPCFG_BSTART, s, (uint64_t)pos);
			if (s < steps)
				for (int li = 0; li < r->neurons; li++)
					if (k[li] == s)
						put(L, node, SAC_CHIPCFG_BUCKET, pos++, (uint64_t)li);
		}
		free(cnt);
		free(k);
		return SAC_OK;
	}

	int linear = nd->op == SAC_OP_LINEAR;
	reg(L, node, SAC_CHIPCFG_R_LINEAR, linear);
	if (!linear) {
		if (nd->kh > SAC_CHIPCFG_KMAX || nd->kw > SAC_CHIPCFG_KMAX)
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"layer '%s': kernel %dx%d; the RTL datapath walks kernels up to %dx%d",
				layer_name(p, hl), nd->kh, nd->kw, SAC_CHIPCFG_KMAX, SAC_CHIPCFG_KMAX);
		reg(L, node, SAC_CHIPCFG_R_KH, nd->kh);
		reg(L, node, SAC_CHIPCFG_R_KW, nd->kw);
		reg(L, node, SAC_CHIPCFG_R_SH, nd->sh);
		reg(L, node, SAC_CHIPCFG_R_SW, nd->sw);
		reg(L, node, SAC_CHIPCFG_R_PH, nd->ph);
		reg(L, node, SAC_CHIPCFG_R_PW, nd->pw);
		reg(L, node, SAC_CHIPCFG_R_CIN_G, g->node[nd->in[0]].c / nd->groups);
		reg(L, node, SAC_CHIPCFG_R_COUT_G, nd->c / nd->groups);
	} else {
		/* The transmitted map of the source layer (sim.c's apply). */
		const sac_hwlayer *src = &m->layer[hl->src];
		const sac_node *cn = &g->node[src->pool_node >= 0 ? src->pool_node : src->node];
		reg(L, node, SAC_CHIPCFG_R_SRC_H, cn->h);
		reg(L, node, SAC_CHIPCFG_R_SRC_W, cn->w);
	}
	/* Weight rows: wt[k G + o] = wq[(c0 + o) per + k] (pe_init). */
	size_t per = nd->nweight / (size_t)nd->c, nb = per * (size_t)G;
	if (nb > (size_t)t->pe.weight_bytes)
		return sac_errf(e, SAC_ERR_CAPACITY, "layer '%s': %zu weight bytes in a PE, the SRAM holds %d",
				layer_name(p, hl), nb, t->pe.weight_bytes);
	for (size_t w0 = 0; w0 < nb; w0 += 8) {
		uint64_t word = 0;
		for (size_t b = 0; b < 8 && w0 + b < nb; b++) {
			size_t kk = (w0 + b) / (size_t)G, o = (w0 + b) % (size_t)G;
			uint8_t v = (uint8_t)nd->wq[((size_t)r->c0 + o) * per + kk];
			word |= (uint64_t)v << (8 * b);
		}
		put(L, node, SAC_CHIPCFG_WEIGHT, (int64_t)(w0 / 8), word);
	}
	for (int o = 0; o < G; o++) {
		int oc = r->c0 + o;
		int32_t theta = (int32_t)((int64_t)nd->steps * nd->ramp[oc] - nd->bq[oc]);
		put(L, node, SAC_CHIPCFG_THETA, o, (uint64_t)(uint32_t)theta);
		put(L, node, SAC_CHIPCFG_RAMP, o, (uint64_t)(uint32_t)nd->ramp[oc]);
	}
	return SAC_OK;
}

int sac_chipcfg_build(const sac_program *p, const float *input,
		      const sac_chipcfg_limits *lim, sac_chipcfg_word **words,
		      size_t *nwords, sac_err *e)
{
	const sac_map *m = p->m;
	*words = NULL;
	*nwords = 0;
	if (p->t.uarch != SAC_UARCH_RAMP)
		return sac_errf(e, SAC_ERR_UNSUPPORTED,
			"microarch %s: the RTL PE implements the ramp micro-architecture only",
			sac_uarch_name(p->t.uarch));
	/* Windows and their steps, as sac_sim_run computes them. */
	int nwin = m->layer[m->nlayers - 1].window;
	for (int l = 0; l < m->nlayers; l++)
		if (m->layer[l].kind == SAC_HW_READOUT)
			nwin = m->layer[l].window;
	if (nwin > lim->max_windows)
		return sac_errf(e, SAC_ERR_CAPACITY, "%d windows, this RTL build's sequencer holds %d",
				nwin, lim->max_windows);
	wlist L = {0};
	put(&L, SAC_CHIPCFG_GLOBAL, SAC_CHIPCFG_REG, 0, (uint64_t)nwin);
	for (int w = 0; w < nwin; w++) {
		int steps = 0;
		for (int l = 0; l < m->nlayers; l++)
			if (m->layer[l].window == w && m->layer[l].kind != SAC_HW_READOUT)
				steps = m->layer[l].steps;
		if (steps < 1 || steps > 65535) {
			free(L.w);
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
				"window %d has %d steps; the RTL sequencer needs 1 to 65535", w, steps);
		}
		put(&L, SAC_CHIPCFG_GLOBAL, SAC_CHIPCFG_POOL, w, (uint64_t)steps);
	}
	for (int ri = 0; ri < m->nregions; ri++) {
		int rc = region_words(p, ri, input, lim, &L, e);
		if (rc) {
			free(L.w);
			return rc;
		}
	}
	if (L.oom) {
		free(L.w);
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	}
	*words = L.w;
	*nwords = L.n;
	return SAC_OK;
}

int sac_chipcfg_target_diff(const sac_target *b, const sac_target *t,
			    char *msg, size_t len)
{
	struct { const char *name; int bv, tv; } f[] = {
		{"mesh width", b->mesh_w, t->mesh_w},
		{"mesh height", b->mesh_h, t->mesh_h},
		{"pe.neurons", b->pe.neurons, t->pe.neurons},
		{"pe.weight_bytes", b->pe.weight_bytes, t->pe.weight_bytes},
		{"pe.weight_width", b->pe.weight_width, t->pe.weight_width},
		{"pe.lanes", b->pe.lanes, t->pe.lanes},
		{"pe.route_entries", b->pe.route_entries, t->pe.route_entries},
		{"pe.in_fifo", b->pe.in_fifo, t->pe.in_fifo},
		{"pe.out_fifo", b->pe.out_fifo, t->pe.out_fifo},
		{"pe.pipeline", b->pe.pipeline, t->pe.pipeline},
		{"noc.flit_bits", b->noc.flit_bits, t->noc.flit_bits},
		{"noc.vcs", b->noc.vcs, t->noc.vcs},
		{"noc.buffer_depth", b->noc.buffer_depth, t->noc.buffer_depth},
		{"noc.route_delay", b->noc.route_delay, t->noc.route_delay},
		{"noc.vc_delay", b->noc.vc_delay, t->noc.vc_delay},
		{"noc.switch_delay", b->noc.switch_delay, t->noc.switch_delay},
		{"noc.xbar_delay", b->noc.xbar_delay, t->noc.xbar_delay},
		{"noc.link_delay", b->noc.link_delay, t->noc.link_delay},
		{"noc.credit_delay", b->noc.credit_delay, t->noc.credit_delay},
		{"noc.sync_delay", b->noc.sync_delay, t->noc.sync_delay},
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (f[i].bv != f[i].tv) {
			snprintf(msg, len, "the image's target has %s %d, the build %d", f[i].name,
				 f[i].tv, f[i].bv);
			return 1;
		}
	if (b->uarch != t->uarch) {
		snprintf(msg, len, "the image's target has microarch %s, the build %s",
			 sac_uarch_name(t->uarch), sac_uarch_name(b->uarch));
		return 1;
	}
	return 0;
}

int64_t sac_chipcfg_neuron_index(const sac_program *p, int node, int li)
{
	const sac_map *m = p->m;
	if (node < 0 || node >= m->npe || m->pe_region[node] < 0)
		return -1;
	const sac_region *r = &m->region[m->pe_region[node]];
	const sac_node *nd = &p->g->node[m->layer[r->layer].node];
	int G = r->c1 - r->c0;
	int o = li % G + r->c0, pos = li / G;
	int oy = pos / nd->w + r->y0, ox = pos % nd->w;
	return ((int64_t)o * nd->h + oy) * nd->w + ox;
}

const char *sac_chipcfg_count_name(int i)
{
	static const char *const names[SAC_CHIPCFG_NCOUNTS] = {
		"weight_reads", "potential_reads", "potential_writes", "accum_reads",
		"accum_writes", "spike_reads", "spike_writes", "adds", "macs",
		"compares", "divides", "packets_in", "packets_out", "spikes",
		"synops", "active"};
	return i >= 0 && i < SAC_CHIPCFG_NCOUNTS ? names[i] : "?";
}
