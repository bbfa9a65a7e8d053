/* map.c: partition, routes and placement (see include/saccade/map.h).
 *
 * Invariants of a built map: every hardware layer has at least one
 * region; regions of a layer tile its output exactly (channel groups x
 * row bands); every region sits on a distinct PE; every route's filter is
 * non-empty and lies inside what its source region transmits; every
 * capacity of the target (neurons, weight bytes, routing entries, PEs) is
 * respected.  The map depends only on the graph, the target and the
 * options: the same inputs give the same map on every machine. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/map.h"
#include "sim/hwdefs.h"

void sac_map_opts_init(sac_map_opts *o)
{
	memset(o, 0, sizeof *o);
	o->optimise = 1;
	o->seed = 0x5accadeULL;
}

void sac_map_free(sac_map *m)
{
	if (!m)
		return;
	free(m->layer);
	free(m->region);
	free(m->route);
	free(m->pe_region);
	free(m);
}

int sac_map_hops(const sac_map *m, int a, int b)
{
	int ax = a % m->mesh_w, ay = a / m->mesh_w;
	int bx = b % m->mesh_w, by = b / m->mesh_w;
	return abs(ax - bx) + abs(ay - by);
}

/* The node whose (c, y, x) coordinates a layer's spikes carry: its
 * max-pool if it has one, else the layer itself (flatten only renames). */
static int coord_node(const sac_hwlayer *L)
{
	return L->pool_node >= 0 ? L->pool_node : L->node;
}

/* Bytes of weights one output channel of a layer needs. */
static int64_t weight_per_channel(const sac_node *nd)
{
	if (nd->op == SAC_OP_INPUT)
		return 0;
	return (int64_t)(nd->nweight / (size_t)nd->c);
}

int sac_map_pool_chain(const sac_graph *g, const sac_hwlayer *L, int *pools)
{
	int n = 0;
	for (int i = L->node + 1; i <= L->out_node && i < g->n; i++)
		if (g->node[i].op == SAC_OP_MAXPOOL && n < SAC_MAX_POOLS)
			pools[n++] = i;
	return n;
}

/* Rows of a layer's output that one pooled row of its last pool covers
 * when every pool of the chain tiles without overlap or padding; 0 if
 * some pool overlaps (then a region must hold whole maps). */
static int pool_stride(const sac_graph *g, const sac_hwlayer *L)
{
	int pools[SAC_MAX_POOLS], n = sac_map_pool_chain(g, L, pools), ps = 1;
	for (int k = 0; k < n; k++) {
		const sac_node *p = &g->node[pools[k]];
		if (p->kh != p->sh || p->ph != 0 || p->kw != p->sw || p->pw != 0)
			return 0;
		ps *= p->sh;
	}
	return ps;
}

static int find_layer_by_out(const sac_map *m, const sac_graph *g, int node)
{
	(void)g;
	for (int l = 0; l < m->nlayers; l++)
		if (m->layer[l].out_node == node)
			return l;
	return -1;
}

static int build_layers(sac_map *m, const sac_graph *g, sac_err *e)
{
	m->layer = calloc((size_t)g->n, sizeof *m->layer);
	if (!m->layer)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int i = 0; i < g->n; i++) {
		const sac_node *nd = &g->node[i];
		if (nd->op != SAC_OP_INPUT && nd->op != SAC_OP_CONV2D &&
		    nd->op != SAC_OP_LINEAR)
			continue;
		sac_hwlayer *L = &m->layer[m->nlayers];
		L->kind = nd->op == SAC_OP_INPUT ? SAC_HW_INPUT
			  : nd->relu ? SAC_HW_SPIKING : SAC_HW_READOUT;
		L->node = L->out_node = i;
		L->pool_node = -1;
		L->window = nd->window;
		L->steps = nd->steps;
		/* Follow the single-consumer chain of max-pools and flattens. */
		for (;;) {
			int next = -1, cnt = 0;
			for (int j = L->out_node + 1; j < g->n; j++)
				if (g->node[j].nin && g->node[j].in[0] == L->out_node) {
					next = j;
					cnt++;
				}
			if (cnt != 1 || (g->node[next].op != SAC_OP_MAXPOOL &&
					 g->node[next].op != SAC_OP_FLATTEN))
				break;
			if (g->node[next].op == SAC_OP_MAXPOOL) {
				if (L->kind == SAC_HW_READOUT)
					break;
				int pools[SAC_MAX_POOLS];
				if (sac_map_pool_chain(g, L, pools) == SAC_MAX_POOLS)
					return sac_errf(e, SAC_ERR_UNSUPPORTED,
						"%s: layer '%s' is followed by more than %d max-pools",
						g->path, nd->name, SAC_MAX_POOLS);
				L->pool_node = next;
			}
			L->out_node = next;
		}
		/* A spike flit carries the layer and the (c, y, x) of the
		 * transmitted neuron in fixed fields (sim/hwdefs.h). */
		const sac_node *cn = &g->node[L->pool_node >= 0 ? L->pool_node : L->node];
		if (m->nlayers >= (1 << SAC_HW_LAYER_W) || cn->c > (1 << SAC_HW_CHAN_W) ||
		    cn->h > (1 << SAC_HW_ROW_W) || cn->w > (1 << SAC_HW_COL_W))
			return sac_errf(e, SAC_ERR_CAPACITY,
				"%s: layer '%s': a spike flit holds at most %d layers and neurons of up to %d channels x %d rows x %d columns; this layer is #%d with [%d, %d, %d]",
				g->path, nd->name, 1 << SAC_HW_LAYER_W, 1 << SAC_HW_CHAN_W,
				1 << SAC_HW_ROW_W, 1 << SAC_HW_COL_W, m->nlayers, cn->c, cn->h, cn->w);
		if (L->kind != SAC_HW_INPUT) {
			L->src = find_layer_by_out(m, g, nd->in[0]);
			if (L->src < 0)
				return sac_errf(e, SAC_ERR_UNSUPPORTED,
					"%s: layer '%s': its input '%s' is not the output of a mapped layer",
					g->path, nd->name, g->node[nd->in[0]].name);
			L->in_steps = m->layer[L->src].steps;
		} else {
			L->src = -1;
		}
		m->nlayers++;
	}
	return SAC_OK;
}

static int add_region(sac_map *m, int *cap, const sac_region *r, sac_err *e)
{
	if (m->nregions == *cap) {
		int nc = *cap ? 2 * *cap : 64;
		sac_region *p = realloc(m->region, (size_t)nc * sizeof *p);
		if (!p)
			return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		m->region = p;
		*cap = nc;
	}
	m->region[m->nregions++] = *r;
	return SAC_OK;
}

static int partition(sac_map *m, const sac_graph *g, const sac_target *t,
		     int l, int *cap, sac_err *e)
{
	sac_hwlayer *L = &m->layer[l];
	const sac_node *nd = &g->node[L->node];
	int C = nd->c, H = nd->h, W = nd->w;
	/* Overlapping or padded pool windows cross region borders unless
	 * one band holds the whole map. */
	int ps = pool_stride(g, L);
	if (ps == 0 || ps > H)
		ps = H;
	int64_t wpc = weight_per_channel(nd);
	const char *what = L->kind == SAC_HW_INPUT ? "input" : "layer";
	if (wpc > t->pe.weight_bytes)
		return sac_errf(e, SAC_ERR_CAPACITY,
			"%s: %s '%s': one output channel needs %lld bytes of weights (one int8 weight per input it sees), but a PE's weight SRAM holds %d bytes",
			g->path, what, nd->name, (long long)wpc, t->pe.weight_bytes);
	if ((int64_t)ps * W > t->pe.neurons)
		return sac_errf(e, SAC_ERR_CAPACITY,
			"%s: %s '%s': the smallest region (one channel, %d row%s of %d neurons%s) needs %lld neurons, but a PE holds %d",
			g->path, what, nd->name, ps, ps == 1 ? "" : "s", W,
			ps > 1 ? ", one max-pool window high" : "",
			(long long)ps * W, t->pe.neurons);
	int64_t cpg = C;
	if (wpc > 0 && t->pe.weight_bytes / wpc < cpg)
		cpg = t->pe.weight_bytes / wpc;
	if (t->pe.neurons / ((int64_t)ps * W) < cpg)
		cpg = t->pe.neurons / ((int64_t)ps * W);
	int ngroups = (int)((C + cpg - 1) / cpg);
	cpg = (C + ngroups - 1) / ngroups;
	int64_t rows = t->pe.neurons / (cpg * W);
	rows -= rows % ps;
	if (rows > H)
		rows = H;
	int nbands = (int)((H + rows - 1) / rows);
	/* Balance the bands, keeping pool alignment and the capacity. */
	int64_t bal = (H + nbands - 1) / nbands;
	bal = (bal + ps - 1) / ps * ps;
	if (bal * cpg * W <= t->pe.neurons && bal >= 1)
		rows = bal;
	nbands = (int)((H + rows - 1) / rows);
	L->first = m->nregions;
	for (int gi = 0; gi < ngroups; gi++)
		for (int b = 0; b < nbands; b++) {
			sac_region r = {0};
			r.layer = l;
			r.pe = -1;
			r.c0 = (int)(gi * cpg);
			r.c1 = (int)((gi + 1) * cpg < C ? (gi + 1) * cpg : C);
			r.y0 = (int)(b * rows);
			r.y1 = (int)((b + 1) * rows < H ? (b + 1) * rows : H);
			if (r.c0 >= r.c1 || r.y0 >= r.y1)
				continue;
			r.neurons = (r.c1 - r.c0) * (r.y1 - r.y0) * W;
			r.weight_bytes = (int)((r.c1 - r.c0) * wpc);
			int rc = add_region(m, cap, &r, e);
			if (rc)
				return rc;
		}
	L->count = m->nregions - L->first;
	return SAC_OK;
}

/* What a source region transmits, in coord_node coordinates. */
static void transmitted(const sac_map *m, const sac_graph *g,
			const sac_region *r, int *c0, int *c1, int *y0, int *y1)
{
	const sac_hwlayer *L = &m->layer[r->layer];
	*c0 = r->c0;
	*c1 = r->c1;
	if (L->pool_node < 0) {
		*y0 = r->y0;
		*y1 = r->y1;
		return;
	}
	const sac_node *p = &g->node[L->pool_node];
	int ps = pool_stride(g, L);
	if (ps == 0) { /* whole-map band */
		*y0 = 0;
		*y1 = p->h;
		return;
	}
	*y0 = r->y0 / ps;
	*y1 = r->y1 / ps;
	if (*y1 > p->h)
		*y1 = p->h;
}

/* What a destination region needs of its input, in the input's coords. */
static void needed(const sac_graph *g, const sac_node *dn, const sac_node *src,
		   const sac_region *d, int *c0, int *c1, int *y0, int *y1)
{
	if (dn->op == SAC_OP_LINEAR) {
		*c0 = 0;
		*c1 = src->c;
		*y0 = 0;
		*y1 = src->h;
		return;
	}
	(void)g;
	int cin_g = src->c / dn->groups, cout_g = dn->c / dn->groups;
	*c0 = d->c0 / cout_g * cin_g;
	*c1 = ((d->c1 - 1) / cout_g + 1) * cin_g;
	*y0 = d->y0 * dn->sh - dn->ph;
	*y1 = (d->y1 - 1) * dn->sh - dn->ph + dn->kh;
	if (*y0 < 0)
		*y0 = 0;
	if (*y1 > src->h)
		*y1 = src->h;
}

static int build_routes(sac_map *m, const sac_graph *g, const sac_target *t,
			sac_err *e)
{
	int cap = 0;
	for (int s = 0; s < m->nregions; s++) {
		sac_region *r = &m->region[s];
		const sac_hwlayer *SL = &m->layer[r->layer];
		const sac_node *cn = &g->node[coord_node(SL)];
		int tc0, tc1, ty0, ty1;
		transmitted(m, g, r, &tc0, &tc1, &ty0, &ty1);
		r->first_route = m->nroutes;
		for (int l = 0; l < m->nlayers; l++) {
			const sac_hwlayer *DL = &m->layer[l];
			if (DL->src != r->layer)
				continue;
			const sac_node *dn = &g->node[DL->node];
			for (int d = DL->first; d < DL->first + DL->count; d++) {
				int nc0, nc1, ny0, ny1;
				needed(g, dn, cn, &m->region[d], &nc0, &nc1, &ny0, &ny1);
				sac_route rt = {0};
				rt.src_region = s;
				rt.dst_region = d;
				rt.c0 = tc0 > nc0 ? tc0 : nc0;
				rt.c1 = tc1 < nc1 ? tc1 : nc1;
				rt.y0 = ty0 > ny0 ? ty0 : ny0;
				rt.y1 = ty1 < ny1 ? ty1 : ny1;
				if (rt.c0 >= rt.c1 || rt.y0 >= rt.y1)
					continue;
				rt.traffic = (int64_t)(rt.c1 - rt.c0) * (rt.y1 - rt.y0) * cn->w;
				if (m->nroutes == cap) {
					int nc = cap ? 2 * cap : 256;
					sac_route *p = realloc(m->route, (size_t)nc * sizeof *p);
					if (!p)
						return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
					m->route = p;
					cap = nc;
				}
				m->route[m->nroutes++] = rt;
			}
		}
		r->nroutes = m->nroutes - r->first_route;
		if (r->nroutes > t->pe.route_entries)
			return sac_errf(e, SAC_ERR_CAPACITY,
				"%s: layer '%s' channels [%d, %d) rows [%d, %d): its spikes go to %d PEs, but a PE has %d routing entries",
				g->path, g->node[SL->node].name, r->c0, r->c1,
				r->y0, r->y1, r->nroutes, t->pe.route_entries);
	}
	return SAC_OK;
}

/* --- placement ----------------------------------------------------------- */

typedef struct placer {
	sac_map *m;
	int *pos;        /* region -> mesh node */
	int *occ;        /* mesh node -> region or -1 */
	int *in_first, *in_list; /* incoming routes per region (CSR) */
	uint64_t rng;
} placer;

static uint64_t rnd(placer *P)
{
	uint64_t z = (P->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int64_t route_cost(const placer *P, const sac_route *r)
{
	return r->traffic * sac_map_hops(P->m, P->pos[r->src_region],
					 P->pos[r->dst_region]);
}

/* Cost of the routes touching region a (and b, without double count). */
static int64_t local_cost(const placer *P, int a, int b)
{
	const sac_map *m = P->m;
	int64_t c = 0;
	int rs[2] = {a, b};
	for (int k = 0; k < 2; k++) {
		int r = rs[k];
		if (r < 0 || (k == 1 && r == a))
			continue;
		const sac_region *g = &m->region[r];
		for (int i = g->first_route; i < g->first_route + g->nroutes; i++)
			if (!(k == 1 && m->route[i].dst_region == a))
				c += route_cost(P, &m->route[i]);
		for (int i = P->in_first[r]; i < P->in_first[r + 1]; i++) {
			const sac_route *rt = &m->route[P->in_list[i]];
			if (k == 1 && rt->src_region == a)
				continue;
			c += route_cost(P, rt);
		}
	}
	return c;
}

static int64_t total_cost(const placer *P)
{
	int64_t c = 0;
	for (int i = 0; i < P->m->nroutes; i++)
		c += route_cost(P, &P->m->route[i]);
	return c;
}

static void place_move(placer *P, int a, int node)
{
	int b = P->occ[node], from = P->pos[a];
	P->occ[from] = b;
	if (b >= 0)
		P->pos[b] = from;
	P->occ[node] = a;
	P->pos[a] = node;
}

static int place(sac_map *m, const sac_map_opts *o, sac_err *e)
{
	placer P = {.m = m, .rng = o->seed};
	P.pos = malloc((size_t)m->nregions * sizeof *P.pos);
	P.occ = malloc((size_t)m->npe * sizeof *P.occ);
	P.in_first = calloc((size_t)m->nregions + 1, sizeof *P.in_first);
	P.in_list = malloc(((size_t)m->nroutes + 1) * sizeof *P.in_list);
	int r = SAC_OK;
	if (!P.pos || !P.occ || !P.in_first || !P.in_list) {
		r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < m->nroutes; i++)
		P.in_first[m->route[i].dst_region + 1]++;
	for (int i = 0; i < m->nregions; i++)
		P.in_first[i + 1] += P.in_first[i];
	{
		int *fill = calloc((size_t)m->nregions, sizeof *fill);
		if (!fill) {
			r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (int i = 0; i < m->nroutes; i++) {
			int d = m->route[i].dst_region;
			P.in_list[P.in_first[d] + fill[d]++] = i;
		}
		free(fill);
	}
	/* Baseline: regions in layer order along a snake through the mesh. */
	for (int n = 0; n < m->npe; n++)
		P.occ[n] = -1;
	for (int i = 0; i < m->nregions; i++) {
		int y = i / m->mesh_w, x = i % m->mesh_w;
		if (y % 2)
			x = m->mesh_w - 1 - x;
		P.pos[i] = y * m->mesh_w + x;
		P.occ[P.pos[i]] = i;
	}
	m->cost_baseline = m->cost = total_cost(&P);
	if (o->optimise && m->nregions > 1) {
		long iters = o->iterations > 0 ? o->iterations
						: 400L * m->nregions + 20000;
		/* Start hot enough to accept a typical uphill move. */
		double avg = (double)m->cost / (m->nroutes ? m->nroutes : 1);
		double T = avg > 1 ? avg : 1, Tend = 0.01;
		double alpha = pow(Tend / T, 1.0 / (double)iters);
		int64_t cost = m->cost, best = cost;
		int *best_pos = malloc((size_t)m->nregions * sizeof *best_pos);
		if (!best_pos) {
			r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(best_pos, P.pos, (size_t)m->nregions * sizeof *best_pos);
		for (long it = 0; it < iters; it++, T *= alpha) {
			int a = (int)(rnd(&P) % (uint64_t)m->nregions);
			int node = (int)(rnd(&P) % (uint64_t)m->npe);
			int b = P.occ[node], from = P.pos[a];
			if (node == from)
				continue;
			int64_t before = local_cost(&P, a, b);
			place_move(&P, a, node);
			int64_t delta = local_cost(&P, a, b) - before;
			double u = (double)(rnd(&P) >> 11) / 9007199254740992.0;
			if (delta <= 0 || u < exp(-(double)delta / T)) {
				cost += delta;
				if (cost < best) {
					best = cost;
					memcpy(best_pos, P.pos, (size_t)m->nregions * sizeof *best_pos);
				}
			} else {
				place_move(&P, a, from);
			}
		}
		memcpy(P.pos, best_pos, (size_t)m->nregions * sizeof *best_pos);
		free(best_pos);
		m->cost = total_cost(&P);
	}
	for (int n = 0; n < m->npe; n++)
		m->pe_region[n] = -1;
	for (int i = 0; i < m->nregions; i++) {
		m->region[i].pe = P.pos[i];
		m->pe_region[P.pos[i]] = i;
	}
out:
	free(P.pos);
	free(P.occ);
	free(P.in_first);
	free(P.in_list);
	return r;
}

int sac_map_build(const sac_graph *g, const sac_target *t,
		  const sac_map_opts *o, sac_map **out, sac_err *e)
{
	*out = NULL;
	if (g->stage != SAC_STAGE_TTFS)
		return sac_errf(e, SAC_ERR_USAGE,
				"%s: the mapper needs a TTFS-converted graph", g->path);
	sac_map_opts dflt;
	if (!o) {
		sac_map_opts_init(&dflt);
		o = &dflt;
	}
	sac_map *m = calloc(1, sizeof *m);
	if (!m)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	m->mesh_w = t->mesh_w;
	m->mesh_h = t->mesh_h;
	m->npe = t->mesh_w * t->mesh_h;
	int cap = 0;
	int r = build_layers(m, g, e);
	for (int l = 0; !r && l < m->nlayers; l++)
		r = partition(m, g, t, l, &cap, e);
	if (!r && m->nregions > m->npe) {
		char per[1024];
		size_t k = 0;
		for (int l = 0; l < m->nlayers && k < sizeof per - 64; l++)
			k += (size_t)snprintf(per + k, sizeof per - k, "%s%s %d",
					      l ? ", " : "",
					      g->node[m->layer[l].node].name,
					      m->layer[l].count);
		r = sac_errf(e, SAC_ERR_CAPACITY,
			"%s: the model needs %d PEs (%s), but the %dx%d mesh of target '%s' has %d",
			g->path, m->nregions, per, t->mesh_w, t->mesh_h,
			t->name, m->npe);
	}
	if (!r) {
		m->pe_region = malloc((size_t)m->npe * sizeof *m->pe_region);
		if (!m->pe_region)
			r = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	}
	if (!r)
		r = build_routes(m, g, t, e);
	if (!r)
		r = place(m, o, e);
	if (r) {
		sac_map_free(m);
		return r;
	}
	*out = m;
	return SAC_OK;
}

void sac_map_print(const sac_map *m, const sac_graph *g, FILE *f)
{
	int used = 0;
	for (int n = 0; n < m->npe; n++)
		used += m->pe_region[n] >= 0;
	fprintf(f, "PE map: %d of %d PEs (%dx%d mesh), %d layers, %d routes\n",
		used, m->npe, m->mesh_w, m->mesh_h, m->nlayers, m->nroutes);
	fprintf(f, "%-8s %-18s %-7s %-11s %-11s %8s %8s %6s\n", "PE (x,y)",
		"layer", "kind", "channels", "rows", "neurons", "weights",
		"routes");
	static const char *const kind[] = {"input", "spiking", "readout"};
	for (int l = 0; l < m->nlayers; l++) {
		const sac_hwlayer *L = &m->layer[l];
		for (int i = L->first; i < L->first + L->count; i++) {
			const sac_region *r = &m->region[i];
			char pe[16], ch[24], rows[24];
			snprintf(pe, sizeof pe, "(%d,%d)", r->pe % m->mesh_w,
				 r->pe / m->mesh_w);
			snprintf(ch, sizeof ch, "[%d,%d)", r->c0, r->c1);
			snprintf(rows, sizeof rows, "[%d,%d)", r->y0, r->y1);
			fprintf(f, "%-8s %-18.18s %-7s %-11s %-11s %8d %8d %6d\n",
				pe, g->node[L->node].name, kind[L->kind], ch, rows,
				r->neurons, r->weight_bytes, r->nroutes);
		}
	}
	fprintf(f, "hop-weighted traffic (dense estimate): baseline %lld, optimised %lld (%.1f%% less)\n",
		(long long)m->cost_baseline, (long long)m->cost,
		m->cost_baseline ? 100.0 * (double)(m->cost_baseline - m->cost) /
					   (double)m->cost_baseline
				 : 0.0);
}
