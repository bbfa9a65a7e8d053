/* program.c: a compiled program (integer graph, target, map) to and from
 * a .sac image.
 *
 * Sections: meta (text), target, model (the integer TTFS graph), layers,
 * pes (regions), routes, sram (each PE's weight rows and per-channel
 * threshold, ramp and bias, in the layout the PE reads them: for a conv
 * region [cin/groups][kh][kw][channels], for a linear one
 * [inputs][channels]).  The reader trusts nothing: every index is range
 * checked, the graph is re-inferred and verified, the map is checked
 * against the graph and the target, and the sram section must equal what
 * the model and map imply, so an image whose sections disagree is
 * rejected with the section named. */
#include <stdlib.h>
#include <string.h>

#include "saccade/image.h"
#include "saccade/sim.h"
#include "compiler/ir_internal.h"

#define TARGET_INTS(X) X(mesh_w) X(mesh_h) X(pe.neurons) X(pe.weight_bytes) \
	X(pe.weight_width) X(pe.lanes) X(pe.route_entries) X(pe.in_fifo) \
	X(pe.out_fifo) X(pe.pipeline) X(noc.flit_bits) X(noc.vcs) \
	X(noc.buffer_depth) X(noc.route_delay) X(noc.vc_delay) \
	X(noc.switch_delay) X(noc.xbar_delay) X(noc.link_delay) \
	X(noc.credit_delay) X(noc.sync_delay)
#define TARGET_DBLS(X) X(clock_hz) X(energy.weight_read) X(energy.weight_write) \
	X(energy.potential_read) X(energy.potential_write) X(energy.accum_read) \
	X(energy.accum_write) X(energy.spike_read) X(energy.spike_write) \
	X(energy.add) X(energy.mac) X(energy.compare) X(energy.divide) \
	X(energy.router_buffer) X(energy.router_xbar) X(energy.link) \
	X(energy.leak_pe) X(energy.clock_pe)

static void put_target(sac_wbuf *w, const sac_target *t)
{
	sac_wbuf_str(w, t->name);
	sac_wbuf_u32(w, (uint32_t)t->uarch);
#define X(f) sac_wbuf_i32(w, t->f);
	TARGET_INTS(X)
#undef X
#define X(f) sac_wbuf_f64(w, t->f);
	TARGET_DBLS(X)
#undef X
}

static void get_target(sac_rbuf *r, sac_target *t)
{
	sac_target_default(t);
	sac_rbuf_str(r, t->name, sizeof t->name);
	t->uarch = sac_rbuf_u32(r) == SAC_UARCH_EVENT ? SAC_UARCH_EVENT : SAC_UARCH_RAMP;
#define X(f) t->f = sac_rbuf_i32(r);
	TARGET_INTS(X)
#undef X
#define X(f) t->f = sac_rbuf_f64(r);
	TARGET_DBLS(X)
#undef X
}

static void put_graph(sac_wbuf *w, const sac_graph *g)
{
	sac_wbuf_str(w, g->name);
	sac_wbuf_u32(w, (uint32_t)g->per_layer);
	sac_wbuf_f64(w, g->gamma);
	sac_wbuf_u32(w, (uint32_t)g->n);
	for (int i = 0; i < g->n; i++) {
		const sac_node *nd = &g->node[i];
		sac_wbuf_str(w, nd->name);
		sac_wbuf_u32(w, (uint32_t)nd->op);
		sac_wbuf_u32(w, (uint32_t)nd->nin);
		for (int a = 0; a < nd->nin; a++)
			sac_wbuf_i32(w, nd->in[a]);
		int attr[] = {nd->out_channels, nd->features, nd->kh, nd->kw,
			      nd->sh, nd->sw, nd->ph, nd->pw, nd->groups,
			      nd->relu, nd->in_shape[0], nd->in_shape[1],
			      nd->in_shape[2], nd->window, nd->steps};
		for (size_t k = 0; k < sizeof attr / sizeof *attr; k++)
			sac_wbuf_i32(w, attr[k]);
		sac_wbuf_f64(w, nd->act_scale);
		sac_wbuf_f64(w, nd->act_max);
		if (nd->op != SAC_OP_CONV2D && nd->op != SAC_OP_LINEAR)
			continue;
		sac_wbuf_u64(w, nd->nweight);
		sac_wbuf_bytes(w, nd->wq, nd->nweight);
		sac_wbuf_u32(w, (uint32_t)nd->nwscale);
		for (int k = 0; k < nd->nwscale; k++)
			sac_wbuf_f64(w, nd->wscale[k]);
		sac_wbuf_u32(w, (uint32_t)nd->c);
		for (int k = 0; k < nd->c; k++) {
			sac_wbuf_i32(w, nd->bq[k]);
			sac_wbuf_i32(w, nd->ramp[k]);
		}
	}
}

static int get_graph(sac_rbuf *r, const char *path, sac_graph **out, sac_err *e)
{
	sac_graph *g = calloc(1, sizeof *g);
	if (!g)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	snprintf(g->path, sizeof g->path, "%s", path);
	sac_rbuf_str(r, g->name, sizeof g->name);
	g->per_layer = sac_rbuf_u32(r) != 0;
	g->gamma = sac_rbuf_f64(r);
	g->stage = SAC_STAGE_TTFS;
	uint32_t n = sac_rbuf_count(r, 16);
	int rc = SAC_OK;
	for (uint32_t i = 0; i < n && !rc && sac_rbuf_ok(r); i++) {
		int k = sac__graph_add(g, e);
		if (k < 0) {
			rc = SAC_ERR_NOMEM;
			break;
		}
		sac_node *nd = &g->node[k];
		sac_rbuf_str(r, nd->name, sizeof nd->name);
		uint32_t op = sac_rbuf_u32(r), nin = sac_rbuf_u32(r);
		if (op >= SAC_OP_COUNT || nin > SAC_MAX_INPUTS) {
			rc = sac_errf(e, SAC_ERR_CORRUPT,
				      "%s: section 'model': node %u has a bad op or input count",
				      path, i);
			break;
		}
		nd->op = (sac_op)op;
		nd->nin = (int)nin;
		for (uint32_t a = 0; a < nin; a++)
			nd->in[a] = sac_rbuf_i32(r);
		int *attr[] = {&nd->out_channels, &nd->features, &nd->kh, &nd->kw,
			       &nd->sh, &nd->sw, &nd->ph, &nd->pw, &nd->groups,
			       &nd->relu, &nd->in_shape[0], &nd->in_shape[1],
			       &nd->in_shape[2], &nd->window, &nd->steps};
		for (size_t a = 0; a < sizeof attr / sizeof *attr; a++)
			*attr[a] = sac_rbuf_i32(r);
		nd->act_scale = sac_rbuf_f64(r);
		nd->act_max = sac_rbuf_f64(r);
		for (int a = 0; a < nd->nin; a++)
			if (nd->in[a] < 0 || nd->in[a] >= k)
				rc = sac_errf(e, SAC_ERR_CORRUPT,
					      "%s: section 'model': node '%s' has an input out of range",
					      path, nd->name);
		if (rc || (nd->op != SAC_OP_CONV2D && nd->op != SAC_OP_LINEAR))
			continue;
		uint64_t nw = sac_rbuf_u64(r);
		const void *wq = nw <= sac_rbuf_left(r) ? sac_rbuf_ptr(r, (size_t)nw) : NULL;
		if (!wq) {
			rc = sac_errf(e, SAC_ERR_CORRUPT,
				      "%s: section 'model': node '%s': weights run past the section",
				      path, nd->name);
			break;
		}
		nd->nweight = (size_t)nw;
		uint32_t ns = sac_rbuf_count(r, 8);
		nd->nwscale = (int)ns;
		nd->wscale = malloc(((size_t)ns + 1) * sizeof *nd->wscale);
		nd->wq = malloc(nw + 1);
		if (!nd->wq || !nd->wscale) {
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			break;
		}
		memcpy(nd->wq, wq, (size_t)nw);
		for (uint32_t a = 0; a < ns; a++)
			nd->wscale[a] = (float)sac_rbuf_f64(r);
		uint32_t nc = sac_rbuf_count(r, 8);
		nd->bq = malloc(((size_t)nc + 1) * sizeof *nd->bq);
		nd->ramp = malloc(((size_t)nc + 1) * sizeof *nd->ramp);
		if (!nd->bq || !nd->ramp) {
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			break;
		}
		for (uint32_t a = 0; a < nc; a++) {
			nd->bq[a] = sac_rbuf_i32(r);
			nd->ramp[a] = sac_rbuf_i32(r);
		}
		nd->c = (int)nc; /* checked against inference below */
	}
	if (!rc && !sac_rbuf_done(r))
		rc = sac_errf(e, SAC_ERR_CORRUPT,
			      "%s: section 'model' is malformed (%s)", path,
			      sac_rbuf_ok(r) ? "trailing bytes" : "truncated");
	int *declared = NULL;
	if (!rc) {
		declared = malloc(((size_t)g->n + 1) * sizeof *declared);
		if (!declared)
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		for (int i = 0; !rc && i < g->n; i++)
			declared[i] = g->node[i].c;
	}
	if (!rc)
		rc = sac_graph_infer(g, e);
	for (int i = 0; !rc && i < g->n; i++) {
		const sac_node *nd = &g->node[i];
		if ((nd->op == SAC_OP_CONV2D || nd->op == SAC_OP_LINEAR) &&
		    (declared[i] != nd->c || nd->nweight != sac__weight_count(g, nd) ||
		     (nd->nwscale != 1 && nd->nwscale != nd->c)))
			rc = sac_errf(e, SAC_ERR_CORRUPT,
				      "%s: section 'model': node '%s' has parameters that do not fit its shape",
				      path, nd->name);
	}
	free(declared);
	if (!rc)
		rc = sac_graph_verify(g, e);
	if (rc) {
		sac_graph_free(g);
		return rc;
	}
	*out = g;
	return SAC_OK;
}

static void put_map(sac_wbuf *L, sac_wbuf *P, sac_wbuf *R, const sac_map *m)
{
	sac_wbuf_u32(L, (uint32_t)m->nlayers);
	for (int l = 0; l < m->nlayers; l++) {
		const sac_hwlayer *h = &m->layer[l];
		int v[] = {h->kind, h->node, h->out_node, h->pool_node, h->src,
			   h->window, h->steps, h->in_steps, h->first, h->count};
		for (size_t k = 0; k < sizeof v / sizeof *v; k++)
			sac_wbuf_i32(L, v[k]);
	}
	sac_wbuf_i32(P, m->mesh_w);
	sac_wbuf_i32(P, m->mesh_h);
	sac_wbuf_i64(P, m->cost_baseline);
	sac_wbuf_i64(P, m->cost);
	sac_wbuf_u32(P, (uint32_t)m->nregions);
	for (int i = 0; i < m->nregions; i++) {
		const sac_region *r = &m->region[i];
		int v[] = {r->layer, r->pe, r->c0, r->c1, r->y0, r->y1,
			   r->neurons, r->weight_bytes, r->first_route, r->nroutes};
		for (size_t k = 0; k < sizeof v / sizeof *v; k++)
			sac_wbuf_i32(P, v[k]);
	}
	sac_wbuf_u32(R, (uint32_t)m->nroutes);
	for (int i = 0; i < m->nroutes; i++) {
		const sac_route *r = &m->route[i];
		int v[] = {r->src_region, r->dst_region, r->c0, r->c1, r->y0, r->y1};
		for (size_t k = 0; k < sizeof v / sizeof *v; k++)
			sac_wbuf_i32(R, v[k]);
		sac_wbuf_i64(R, r->traffic);
	}
}

#define BAD(cond, ...) do { if (cond) return sac_errf(e, SAC_ERR_CORRUPT, __VA_ARGS__); } while (0)

static int get_map(sac_rbuf *L, sac_rbuf *P, sac_rbuf *R, const char *path,
		   const sac_graph *g, const sac_target *t, sac_map **out,
		   sac_err *e)
{
	sac_map *m = calloc(1, sizeof *m);
	if (!m)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	*out = m;
	m->nlayers = (int)sac_rbuf_count(L, 40);
	m->layer = calloc((size_t)m->nlayers + 1, sizeof *m->layer);
	if (!m->layer)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int l = 0; l < m->nlayers; l++) {
		sac_hwlayer *h = &m->layer[l];
		int *v[] = {(int *)&h->kind, &h->node, &h->out_node, &h->pool_node,
			    &h->src, &h->window, &h->steps, &h->in_steps, &h->first,
			    &h->count};
		for (size_t k = 0; k < sizeof v / sizeof *v; k++)
			*v[k] = sac_rbuf_i32(L);
	}
	BAD(!sac_rbuf_done(L), "%s: section 'layers' is malformed", path);
	m->mesh_w = sac_rbuf_i32(P);
	m->mesh_h = sac_rbuf_i32(P);
	m->cost_baseline = sac_rbuf_i64(P);
	m->cost = sac_rbuf_i64(P);
	BAD(m->mesh_w != t->mesh_w || m->mesh_h != t->mesh_h,
	    "%s: sections 'pes' and 'target' disagree on the mesh size", path);
	m->npe = m->mesh_w * m->mesh_h;
	m->nregions = (int)sac_rbuf_count(P, 40);
	m->region = calloc((size_t)m->nregions + 1, sizeof *m->region);
	m->pe_region = malloc((size_t)m->npe * sizeof *m->pe_region);
	if (!m->region || !m->pe_region)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int i = 0; i < m->nregions; i++) {
		sac_region *r = &m->region[i];
		int *v[] = {&r->layer, &r->pe, &r->c0, &r->c1, &r->y0, &r->y1,
			    &r->neurons, &r->weight_bytes, &r->first_route, &r->nroutes};
		for (size_t k = 0; k < sizeof v / sizeof *v; k++)
			*v[k] = sac_rbuf_i32(P);
	}
	BAD(!sac_rbuf_done(P), "%s: section 'pes' is malformed", path);
	m->nroutes = (int)sac_rbuf_count(R, 32);
	m->route = calloc((size_t)m->nroutes + 1, sizeof *m->route);
	if (!m->route)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int i = 0; i < m->nroutes; i++) {
		sac_route *r = &m->route[i];
		int *v[] = {&r->src_region, &r->dst_region, &r->c0, &r->c1, &r->y0, &r->y1};
		for (size_t k = 0; k < sizeof v / sizeof *v; k++)
			*v[k] = sac_rbuf_i32(R);
		r->traffic = sac_rbuf_i64(R);
	}
	BAD(!sac_rbuf_done(R), "%s: section 'routes' is malformed", path);

	/* Consistency with the graph and the target. */
	for (int n = 0; n < m->npe; n++)
		m->pe_region[n] = -1;
	int expect_first = 0;
	for (int l = 0; l < m->nlayers; l++) {
		const sac_hwlayer *h = &m->layer[l];
		BAD(h->node < 0 || h->node >= g->n || h->out_node < h->node ||
		    h->out_node >= g->n || h->pool_node >= g->n ||
		    (h->pool_node >= 0 && (h->pool_node <= h->node || h->pool_node > h->out_node ||
					   g->node[h->pool_node].op != SAC_OP_MAXPOOL)) ||
		    h->src >= l || h->src < -1 || h->kind > SAC_HW_READOUT ||
		    h->first != expect_first || h->count < 1 ||
		    h->first + h->count > m->nregions,
		    "%s: section 'layers': layer %d is inconsistent with the model", path, l);
		const sac_node *nd = &g->node[h->node];
		BAD((h->kind == SAC_HW_INPUT) != (nd->op == SAC_OP_INPUT) ||
		    (h->kind == SAC_HW_SPIKING) != (nd->relu != 0 && nd->op != SAC_OP_INPUT) ||
		    h->window != nd->window || h->steps != nd->steps ||
		    (h->kind != SAC_HW_INPUT && h->src < 0),
		    "%s: section 'layers': layer %d does not match node '%s'", path, l, nd->name);
		expect_first += h->count;
		for (int i = h->first; i < h->first + h->count; i++) {
			const sac_region *r = &m->region[i];
			BAD(r->layer != l || r->pe < 0 || r->pe >= m->npe ||
			    m->pe_region[r->pe] >= 0 || r->c0 < 0 || r->c1 > nd->c ||
			    r->c0 >= r->c1 || r->y0 < 0 || r->y1 > nd->h || r->y0 >= r->y1 ||
			    r->neurons != (r->c1 - r->c0) * (r->y1 - r->y0) * nd->w ||
			    r->neurons > t->pe.neurons ||
			    r->weight_bytes != (int)((size_t)(r->c1 - r->c0) *
					(nd->op == SAC_OP_INPUT ? 0 : nd->nweight / (size_t)nd->c)) ||
			    r->weight_bytes > t->pe.weight_bytes ||
			    r->nroutes < 0 || r->nroutes > t->pe.route_entries ||
			    r->first_route < 0 || r->first_route + r->nroutes > m->nroutes,
			    "%s: section 'pes': region %d (layer '%s') is inconsistent with the model or the target",
			    path, i, nd->name);
			m->pe_region[r->pe] = i;
		}
	}
	BAD(expect_first != m->nregions, "%s: section 'pes': regions not covered by layers", path);
	for (int i = 0; i < m->nroutes; i++) {
		const sac_route *r = &m->route[i];
		BAD(r->src_region < 0 || r->src_region >= m->nregions ||
		    r->dst_region < 0 || r->dst_region >= m->nregions ||
		    i < m->region[r->src_region].first_route ||
		    i >= m->region[r->src_region].first_route + m->region[r->src_region].nroutes ||
		    m->layer[m->region[r->dst_region].layer].src != m->region[r->src_region].layer ||
		    r->c0 < 0 || r->c0 >= r->c1 || r->y0 < 0 || r->y0 >= r->y1 ||
		    r->c1 > 16384 || r->y1 > 8192,
		    "%s: section 'routes': route %d is inconsistent", path, i);
	}
	return SAC_OK;
}

/* The SRAM image of one region: weight rows, then theta, ramp, bias. */
static void put_sram_region(sac_wbuf *w, const sac_graph *g, const sac_map *m,
			    int ri)
{
	const sac_region *r = &m->region[ri];
	const sac_node *nd = &g->node[m->layer[r->layer].node];
	sac_wbuf_u32(w, (uint32_t)r->pe);
	if (nd->op == SAC_OP_INPUT) {
		sac_wbuf_u32(w, 0);
		return;
	}
	size_t per = nd->nweight / (size_t)nd->c;
	int G = r->c1 - r->c0;
	sac_wbuf_u32(w, (uint32_t)(per * (size_t)G));
	for (size_t k = 0; k < per; k++)
		for (int o = 0; o < G; o++)
			sac_wbuf_u8(w, (uint8_t)nd->wq[(size_t)(r->c0 + o) * per + k]);
	for (int o = r->c0; o < r->c1; o++) {
		sac_wbuf_i32(w, (int32_t)((int64_t)nd->steps * nd->ramp[o] - nd->bq[o]));
		sac_wbuf_i32(w, nd->ramp[o]);
		sac_wbuf_i32(w, nd->bq[o]);
	}
}

int sac_program_save(const sac_program *p, const char *path, sac_err *e)
{
	sac_wbuf meta = {0}, tw = {0}, gw = {0}, lw = {0}, pw = {0}, rw = {0}, sw = {0};
	char text[2048];
	int n = snprintf(text, sizeof text,
			 "saccade=%s\nmodel=%s\ntarget=%s\nmicroarch=%s\nmesh=%dx%d\npes_used=%d\nregions=%d\nroutes=%d\n",
			 SAC_VERSION_STRING, p->g->name, p->t.name,
			 sac_uarch_name(p->t.uarch), p->t.mesh_w, p->t.mesh_h,
			 p->m->nregions, p->m->nregions, p->m->nroutes);
	sac_wbuf_bytes(&meta, text, (size_t)n);
	put_target(&tw, &p->t);
	put_graph(&gw, p->g);
	put_map(&lw, &pw, &rw, p->m);
	sac_wbuf_u32(&sw, (uint32_t)p->m->nregions);
	for (int i = 0; i < p->m->nregions; i++)
		put_sram_region(&sw, p->g, p->m, i);
	int rc = SAC_OK;
	sac_image *img = sac_image_new();
	if (!img || meta.oom || tw.oom || gw.oom || lw.oom || pw.oom || rw.oom || sw.oom)
		rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	struct { uint32_t type; sac_wbuf *b; } secs[] = {
		{SAC_SEC_META, &meta}, {SAC_SEC_TARGET, &tw}, {SAC_SEC_MODEL, &gw},
		{SAC_SEC_LAYERS, &lw}, {SAC_SEC_PES, &pw}, {SAC_SEC_ROUTES, &rw},
		{SAC_SEC_SRAM, &sw}};
	for (size_t k = 0; !rc && k < sizeof secs / sizeof *secs; k++)
		rc = sac_image_add(img, secs[k].type, secs[k].b->data, secs[k].b->len, e);
	if (!rc)
		rc = sac_image_write(img, path, e);
	sac_image_free(img);
	for (size_t k = 0; k < sizeof secs / sizeof *secs; k++)
		sac_wbuf_free(secs[k].b);
	return rc;
}

static int need(const sac_image *img, uint32_t type, const char *path,
		sac_rbuf *r, sac_err *e)
{
	size_t len;
	const void *d = sac_image_section(img, type, &len);
	if (!d)
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: the image has no '%s' section",
				path, sac_section_name(type));
	sac_rbuf_init(r, d, len);
	return SAC_OK;
}

int sac_program_load(const char *path, sac_program *p, sac_err *e)
{
	memset(p, 0, sizeof *p);
	sac_image *img = NULL;
	int rc = sac_image_read(path, &img, e);
	if (rc)
		return rc;
	sac_rbuf tr, gr, lr, pr, rr, sr;
	rc = need(img, SAC_SEC_TARGET, path, &tr, e);
	if (!rc) rc = need(img, SAC_SEC_MODEL, path, &gr, e);
	if (!rc) rc = need(img, SAC_SEC_LAYERS, path, &lr, e);
	if (!rc) rc = need(img, SAC_SEC_PES, path, &pr, e);
	if (!rc) rc = need(img, SAC_SEC_ROUTES, path, &rr, e);
	if (!rc) rc = need(img, SAC_SEC_SRAM, path, &sr, e);
	if (!rc) {
		get_target(&tr, &p->t);
		snprintf(p->t.path, sizeof p->t.path, "%s", path);
		if (!sac_rbuf_done(&tr))
			rc = sac_errf(e, SAC_ERR_CORRUPT, "%s: section 'target' is malformed", path);
		else if (sac_target_check(&p->t, e))
			rc = sac_errf(e, SAC_ERR_CORRUPT, "%s: section 'target': %s", path, e->msg);
	}
	if (!rc)
		rc = get_graph(&gr, path, &p->g, e);
	if (!rc)
		rc = get_map(&lr, &pr, &rr, path, p->g, &p->t, &p->m, e);
	if (!rc) {
		/* The SRAM contents must be exactly what model and map imply. */
		sac_wbuf w = {0};
		sac_wbuf_u32(&w, (uint32_t)p->m->nregions);
		for (int i = 0; i < p->m->nregions; i++)
			put_sram_region(&w, p->g, p->m, i);
		size_t len;
		const void *d = sac_image_section(img, SAC_SEC_SRAM, &len);
		if (w.oom)
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		else if (len != w.len || memcmp(d, w.data, len) != 0)
			rc = sac_errf(e, SAC_ERR_CORRUPT,
				      "%s: section 'sram' does not match the model and the map (inconsistent sections)",
				      path);
		sac_wbuf_free(&w);
	}
	sac_image_free(img);
	if (rc)
		sac_program_free(p);
	return rc;
}

int sac_program_build(sac_graph *g, const sac_target *t,
		      const sac_map_opts *mo, sac_program *p, sac_err *e)
{
	memset(p, 0, sizeof *p);
	p->t = *t;
	int rc = sac_map_build(g, t, mo, &p->m, e);
	if (rc)
		return rc;
	p->g = g;
	return SAC_OK;
}
