/* sim.c: the cycle-accurate simulator: PEs and the NoC, step by step.
 *
 * Global time is the sequence of windows and steps of ref-ttfs; each step
 * of window w runs three phases (docs/ARCHITECTURE.md):
 *
 *   1. traffic: every PE whose layer fires in w turns its fire list for
 *      the step into packets (max-pool at the source, one packet per
 *      matching route); its spike unit hands out one item per cycle: a
 *      packet, offered to the NoC until taken, or a bubble for a fired
 *      neuron that sends nothing; every PE
 *      whose layer integrates in w takes arrived packets one at a time
 *      and applies their synapses, busy for
 *      max(1, positions x ceil(channels / lanes)) cycles each, its
 *      writes landing `pipeline` cycles later.  Within a cycle: sources
 *      offer, sinks take, then the NoC advances.  The phase ends when
 *      nothing is queued, in flight or being written;
 *   2. barrier: sync_delay cycles for all PEs to agree the step is over;
 *   3. update: ramp: every PE of a layer in phase 1 (V += slope) or phase
 *      2 (V += r) sweeps its neurons, ceil(neurons / lanes) + pipeline
 *      cycles, and decides who fires next step; event: only at the end of
 *      a window, the layers that fire next compute each neuron's fire
 *      step (V >= theta ? 0 : ceil((theta - V) / r)).  The phase lasts
 *      as long as its slowest PE.
 *
 * Idle cycles are skipped only where nothing can happen (no router is
 * due, no source can inject, every sink with a packet waits for a known
 * cycle), so results are cycle-identical to stepping every cycle.  Neuron
 * state is int32 as in the hardware: the ttfs pass proved the bound. */
#include <stdlib.h>
#include <string.h>

#include "saccade/noc.h"
#include "sim/hwdefs.h"
#include "saccade/sim.h"
#include "ref/ref_internal.h"

static const char *const ecomp_names[] = {
#define X(id, name) name,
	SAC_ECOMP(X)
#undef X
};

const char *sac_ecomp_name(sac_ecomp c)
{
	return (unsigned)c < SAC_E_COUNT ? ecomp_names[c] : "?";
}

void sac_sim_opts_init(sac_sim_opts *o)
{
	memset(o, 0, sizeof *o);
	o->stall_limit = 100000;
}

void sac_program_free(sac_program *p)
{
	if (!p)
		return;
	sac_graph_free(p->g);
	sac_map_free(p->m);
	p->g = NULL;
	p->m = NULL;
}

void sac_sim_stats_free(sac_sim_stats *st)
{
	if (!st)
		return;
	free(st->layer_pj);
	free(st->layer_comp);
	free(st->layer_cycles);
	free(st->pe_pj);
	free(st->pe);
	memset(st, 0, sizeof *st);
}

/* Payload of a spike packet: hardware layer, then (c, y, x) of the
 * transmitted neuron (docs/NOC.md). */
#define PL_LAYER(p) SAC_HW_GET(p, LAYER)
#define PL_C(p) SAC_HW_GET(p, CHAN)
#define PL_Y(p) SAC_HW_GET(p, ROW)
#define PL_X(p) SAC_HW_GET(p, COL)
static uint64_t payload(int layer, int c, int y, int x)
{
	return SAC_HW_PUT(layer, LAYER) | SAC_HW_PUT(c, CHAN) |
	       SAC_HW_PUT(y, ROW) | SAC_HW_PUT(x, COL);
}

typedef struct pe_state {
	const sac_region *r;
	const sac_hwlayer *L;
	const sac_node *nd;
	int li;                   /* hardware layer index */
	int W, rows, G, n;        /* output width, region rows, channels, neurons */
	int32_t *v, *slope;       /* local HWC: ((oy - y0) W + ox) G + (o - c0) */
	uint8_t *fired;
	int npools, pools[SAC_MAX_POOLS];
	uint8_t *pool_fired[SAC_MAX_POOLS]; /* per pool: [G][h][w] of its channels */
	int8_t *wt;               /* weight rows: [cin_g][kh][kw][G] or [I][G] */
	int32_t *theta, *ramp, *bias;
	int32_t *fire;            /* local neuron indices firing this step */
	int nfire;
	int32_t *bucket_start, *bucket; /* event uarch and input: by fire step */
	uint64_t *outq;           /* spike unit items: a packet (dst above the
				   * payload bits) or BUBBLE */
	int32_t *outn;            /* per item: the local neuron if it is the
				   * neuron's first item, else -1 */
	int nout, outpos;
	int64_t spikes_out;       /* spikes handled by the spike unit so far */
	int64_t busy_until, done_at;
	sac_pe_counts cnt;
} pe_state;

typedef struct sim {
	const sac_program *p;
	const sac_graph *g;
	const sac_target *t;
	const sac_map *m;
	sac_noc *noc;
	pe_state *pe;             /* per mesh node */
	int *lpes;                /* PEs of each layer, by layer: CSR */
	int *lfirst;
	int64_t *base;            /* global step of each window's start */
	int nwin;
	sac_ref_out *out;
	sac_err *e;
	FILE *vcd;                /* trace, or NULL */
	const sac_sim_opts *o;
	int64_t gstep;            /* the global step being simulated */
	int64_t vcd_t;            /* last time written */
	int64_t vcd_flight;       /* last NoC occupancy written */
} sim;

/* VCD trace (docs/ARCHITECTURE.md, "Traces"): per PE in use the running
 * counts of spikes (as the spike unit handles them), packets sent and
 * packets received; globally the step, the window and the flits in
 * flight in the NoC.  Identifiers
 * are "s<node>", "o<node>", "i<node>" and "T", "W", "F". */
static void vcd_at(sim *S, int64_t t)
{
	if (t > S->vcd_t) {
		fprintf(S->vcd, "#%lld\n", (long long)t);
		S->vcd_t = t;
	}
}

static void vcd_int(sim *S, char kind, int node, int64_t v)
{
	char bits[70];
	int n = 0;
	for (int b = 63; b >= 0; b--)
		if ((v >> b) & 1 || n)
			bits[n++] = (char)('0' + ((v >> b) & 1));
	if (!n)
		bits[n++] = '0';
	bits[n] = 0;
	if (node >= 0)
		fprintf(S->vcd, "b%s %c%d\n", bits, kind, node);
	else
		fprintf(S->vcd, "b%s %c\n", bits, kind);
}

static void vcd_header(sim *S)
{
	FILE *f = S->vcd;
	fprintf(f, "$date saccade simulator $end\n$version saccade %s $end\n"
		   "$timescale 1 ns $end\n", SAC_VERSION_STRING);
	fprintf(f, "$comment one time unit = one clock cycle of target '%s' $end\n",
		S->t->name);
	fprintf(f, "$scope module saccade $end\n");
	fprintf(f, "$var wire 32 T step $end\n$var wire 32 W window $end\n"
		   "$var wire 32 F noc_flits_in_flight $end\n");
	for (int n = 0; n < S->m->npe; n++) {
		int r = S->m->pe_region[n];
		if (r < 0)
			continue;
		fprintf(f, "$scope module pe_%d_%d $end\n", n % S->m->mesh_w,
			n / S->m->mesh_w);
		fprintf(f, "$var wire 32 s%d spikes $end\n$var wire 32 o%d packets_out $end\n"
			   "$var wire 32 i%d packets_in $end\n$upscope $end\n", n, n, n);
	}
	fprintf(f, "$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n");
	vcd_int(S, 'T', -1, 0);
	vcd_int(S, 'W', -1, 0);
	vcd_int(S, 'F', -1, 0);
	for (int n = 0; n < S->m->npe; n++)
		if (S->m->pe_region[n] >= 0) {
			vcd_int(S, 's', n, 0);
			vcd_int(S, 'o', n, 0);
			vcd_int(S, 'i', n, 0);
		}
	fprintf(f, "$end\n");
	S->vcd_t = 0;
}

static int nomem(sim *S)
{
	return sac_errf(S->e, SAC_ERR_NOMEM, "out of memory");
}

static int conv_in_channels(const sim *S, const pe_state *P)
{
	return S->g->node[P->nd->in[0]].c / P->nd->groups;
}

/* Set up one PE's SRAM images from its region. */
static int pe_init(sim *S, pe_state *P, int ri)
{
	const sac_graph *g = S->g;
	const sac_region *r = &S->m->region[ri];
	P->r = r;
	P->li = r->layer;
	P->L = &S->m->layer[r->layer];
	P->nd = &g->node[P->L->node];
	P->W = P->nd->w;
	P->rows = r->y1 - r->y0;
	P->G = r->c1 - r->c0;
	P->n = r->neurons;
	P->fired = calloc((size_t)P->n, 1);
	P->fire = malloc((size_t)P->n * sizeof *P->fire);
	if (!P->fired || !P->fire)
		return nomem(S);
	P->npools = sac_map_pool_chain(g, P->L, P->pools);
	for (int k = 0; k < P->npools; k++) {
		const sac_node *pn = &g->node[P->pools[k]];
		P->pool_fired[k] = calloc((size_t)P->G * pn->h * pn->w, 1);
		if (!P->pool_fired[k])
			return nomem(S);
	}
	if (P->L->kind == SAC_HW_INPUT)
		return SAC_OK;
	P->v = calloc((size_t)P->n, sizeof *P->v);
	P->slope = calloc((size_t)P->n, sizeof *P->slope);
	P->theta = malloc((size_t)P->G * sizeof *P->theta);
	P->ramp = malloc((size_t)P->G * sizeof *P->ramp);
	P->bias = malloc((size_t)P->G * sizeof *P->bias);
	size_t per = P->nd->nweight / (size_t)P->nd->c;
	P->wt = malloc(per * (size_t)P->G + 1);
	if (!P->v || !P->slope || !P->theta || !P->ramp || !P->bias || !P->wt)
		return nomem(S);
	for (int o = 0; o < P->G; o++) {
		int oc = r->c0 + o;
		P->ramp[o] = P->nd->ramp[oc];
		P->bias[o] = P->nd->bq[oc];
		P->theta[o] = (int32_t)((int64_t)P->nd->steps * P->nd->ramp[oc] -
					P->nd->bq[oc]);
		for (size_t k = 0; k < per; k++)
			P->wt[k * (size_t)P->G + (size_t)o] =
				P->nd->wq[(size_t)oc * per + k];
	}
	return SAC_OK;
}

/* Local index of output neuron (o, oy, ox) and back to the node's CHW. */
static inline int lidx(const pe_state *P, int o, int oy, int ox)
{
	return ((oy - P->r->y0) * P->W + ox) * P->G + (o - P->r->c0);
}

static inline size_t gidx(const pe_state *P, int li)
{
	int o = li % P->G + P->r->c0;
	int pos = li / P->G;
	int oy = pos / P->W + P->r->y0, ox = pos % P->W;
	return ((size_t)o * P->nd->h + (size_t)oy) * P->nd->w + (size_t)ox;
}

/* A spike unit item that is not a packet: a fired neuron that sends
 * nothing still takes its cycle (docs/ARCHITECTURE.md, "spike unit"). */
#define BUBBLE UINT64_MAX

static int push_item(pe_state *P, uint64_t item)
{
	if (P->nout == 0 || (P->nout & (P->nout - 1)) == 0) {
		int cap = P->nout ? 2 * P->nout : 64;
		uint64_t *q = realloc(P->outq, (size_t)cap * sizeof *q);
		if (!q)
			return -1;
		P->outq = q;
		int32_t *n = realloc(P->outn, (size_t)cap * sizeof *n);
		if (!n)
			return -1;
		P->outn = n;
	}
	P->outn[P->nout] = -1;
	P->outq[P->nout++] = item;
	return 0;
}

static int push_packet(sim *S, pe_state *P, int dst_pe, uint64_t pl)
{
	(void)S;
	return push_item(P, ((uint64_t)dst_pe << SAC_HW_PAYLOAD_BITS) | pl);
}

/* Send (c, y, x) of the transmitted coordinates along every matching route. */
static int route_spike(sim *S, pe_state *P, int c, int y, int x)
{
	const sac_map *m = S->m;
	for (int i = P->r->first_route; i < P->r->first_route + P->r->nroutes; i++) {
		const sac_route *rt = &m->route[i];
		if (c < rt->c0 || c >= rt->c1 || y < rt->y0 || y >= rt->y1)
			continue;
		if (push_packet(S, P, m->region[rt->dst_region].pe,
				payload(P->li, c, y, x)))
			return nomem(S);
	}
	return SAC_OK;
}

/* A spike of (o, y, x) at pool level k (k == npools: transmit it):
 * forward it from every pool neuron of level k whose window holds it and
 * that has not fired yet.  Max-pool passes the earliest spike. */
static int pool_spike(sim *S, pe_state *P, int k, int o, int y, int x)
{
	if (k == P->npools)
		return route_spike(S, P, o, y, x);
	const sac_node *pn = &S->g->node[P->pools[k]];
	for (int ky = 0; ky < pn->kh; ky++) {
		int ty = y + pn->ph - ky;
		if (ty < 0 || ty % pn->sh || ty / pn->sh >= pn->h)
			continue;
		for (int kx = 0; kx < pn->kw; kx++) {
			int tx = x + pn->pw - kx;
			if (tx < 0 || tx % pn->sw || tx / pn->sw >= pn->w)
				continue;
			size_t pk = ((size_t)(o - P->r->c0) * pn->h + ty / pn->sh) *
				    pn->w + tx / pn->sw;
			P->cnt.spike_reads++;
			if (P->pool_fired[k][pk])
				continue;
			P->pool_fired[k][pk] = 1;
			P->cnt.spike_writes++;
			int rc = pool_spike(S, P, k + 1, o, ty / pn->sh, tx / pn->sw);
			if (rc)
				return rc;
		}
	}
	return SAC_OK;
}

/* Neuron li of P fires at the current step: record, pool, packetise.
 * The items are queued at once, but the spike unit hands them out one
 * per cycle (offer), which is when the spike is traced and reported. */
static int emit(sim *S, pe_state *P, int li, int64_t gstep)
{
	int first = P->nout;
	size_t gi = gidx(P, li);
	const sac_node *nd = P->nd;
	P->fired[li] = 1;
	P->cnt.spikes++;
	P->cnt.spike_writes++;
	S->out->spike[P->L->node][gi] = (int32_t)gstep;
	S->out->nspikes++;
	int o = (int)(gi / ((size_t)nd->h * nd->w));
	int y = (int)(gi / nd->w % nd->h), x = (int)(gi % nd->w);
	int rc = pool_spike(S, P, 0, o, y, x);
	if (!rc && P->nout == first && push_item(P, BUBBLE))
		rc = nomem(S);
	if (!rc)
		P->outn[first] = li;
	return rc;
}

/* Apply one arrived spike at sink P; returns its datapath cycles. */
static int64_t apply(sim *S, pe_state *P, uint64_t pl, int left)
{
	const sac_target *t = S->t;
	const sac_hwlayer *src = &S->m->layer[PL_LAYER(pl)];
	int c = PL_C(pl), y = PL_Y(pl), x = PL_X(pl);
	const sac_node *nd = P->nd;
	int ev = t->uarch == SAC_UARCH_EVENT;
	int lanes = t->pe.lanes, ww = t->pe.weight_width;
	int64_t cycles = 0, ops = 0, wreads = 0;
	if (nd->op == SAC_OP_LINEAR) {
		const sac_node *cn = &S->g->node[src->pool_node >= 0 ? src->pool_node : src->node];
		size_t j = ((size_t)c * cn->h + (size_t)y) * cn->w + (size_t)x;
		const int8_t *row = P->wt + j * (size_t)P->G;
		if (ev)
			for (int o = 0; o < P->G; o++)
				P->v[o] += (int32_t)row[o] * left;
		else
			for (int o = 0; o < P->G; o++)
				P->slope[o] += row[o];
		ops = P->G;
		cycles = (P->G + lanes - 1) / lanes;
		wreads = (P->G + ww - 1) / ww;
	} else {
		int cin_g = conv_in_channels(S, P), cout_g = nd->c / nd->groups;
		int grp = c / cin_g, ci = c % cin_g;
		int olo = grp * cout_g > P->r->c0 ? grp * cout_g : P->r->c0;
		int ohi = (grp + 1) * cout_g < P->r->c1 ? (grp + 1) * cout_g : P->r->c1;
		int G = ohi - olo;
		for (int ky = 0; G > 0 && ky < nd->kh; ky++) {
			int ty = y + nd->ph - ky;
			if (ty < 0 || ty % nd->sh)
				continue;
			int oy = ty / nd->sh;
			if (oy < P->r->y0 || oy >= P->r->y1)
				continue;
			for (int kx = 0; kx < nd->kw; kx++) {
				int tx = x + nd->pw - kx;
				if (tx < 0 || tx % nd->sw)
					continue;
				int ox = tx / nd->sw;
				if (ox >= nd->w)
					continue;
				const int8_t *row = P->wt + (((size_t)ci * nd->kh + ky) * nd->kw + kx) *
					(size_t)P->G + (size_t)(olo - P->r->c0);
				int32_t *dst = (ev ? P->v : P->slope) + lidx(P, olo, oy, ox);
				if (ev)
					for (int o = 0; o < G; o++)
						dst[o] += (int32_t)row[o] * left;
				else
					for (int o = 0; o < G; o++)
						dst[o] += row[o];
				ops += G;
				cycles += (G + lanes - 1) / lanes;
				wreads += (G + ww - 1) / ww;
			}
		}
	}
	P->cnt.weight_reads += wreads;
	if (ev) {
		P->cnt.potential_reads += ops;
		P->cnt.potential_writes += ops;
		P->cnt.macs += ops;
	} else {
		P->cnt.accum_reads += ops;
		P->cnt.accum_writes += ops;
		P->cnt.adds += ops;
	}
	P->cnt.packets_in++;
	P->cnt.synops += ops;
	return cycles > 0 ? cycles : 1;
}

/* Trace the flits in flight in the NoC at the start of cycle t (after
 * that cycle's sends), if they changed. */
static void vcd_flight(sim *S, int64_t t)
{
	if (!S->vcd)
		return;
	int64_t fl = sac_noc_in_flight(S->noc);
	if (fl != S->vcd_flight) {
		vcd_at(S, t);
		vcd_int(S, 'F', -1, fl);
		S->vcd_flight = fl;
	}
}

/* The spike unit of P consumed the first item of neuron li in cycle now:
 * that is the spike's cycle. */
static void spike_out(sim *S, pe_state *P, int node, int li, int64_t now)
{
	P->spikes_out++;
	if (S->o->on_spike)
		S->o->on_spike(S->o->spike_ctx, node, li, S->gstep, now);
	if (S->vcd) {
		vcd_at(S, now);
		vcd_int(S, 's', node, P->spikes_out);
	}
}

/* Traffic, sources: each source's spike unit handles its next item: a
 * bubble takes the cycle; a packet goes to the NoC if the injection queue
 * has room, else waits.  live[] holds the sources with items left, in the
 * order of srcs[] (the trace's order), and drops the ones that are done. */
static int offer(sim *S, int *live, int *nlive, int64_t now)
{
	int k = 0;
	for (int i = 0; i < *nlive; i++) {
		int node = live[i];
		pe_state *P = &S->pe[node];
		uint64_t q = P->outq[P->outpos];
		int li = P->outn[P->outpos];
		if (q == BUBBLE) {
			P->outpos++;
			P->cnt.active++;
			spike_out(S, P, node, li, now);
		} else if (sac_noc_send_room(S->noc, node)) {
			sac_packet pk = {.src = node, .dst = (int)(q >> SAC_HW_PAYLOAD_BITS),
					 .nflits = 1, .payload = q & (((uint64_t)1 << SAC_HW_PAYLOAD_BITS) - 1),
					 .created = now};
			if (sac_noc_send(S->noc, &pk) != 1)
				return sac_errf(S->e, SAC_ERR_USAGE, "internal: bad packet");
			P->outpos++;
			P->cnt.packets_out++;
			P->cnt.active++;
			if (li >= 0)
				spike_out(S, P, node, li, now);
			if (S->vcd) {
				vcd_at(S, now);
				vcd_int(S, 'o', node, P->cnt.packets_out);
			}
		}
		if (P->outpos < P->nout)
			live[k++] = node;
	}
	*nlive = k;
	return SAC_OK;
}

/* Traffic, sinks: each idle sink takes its oldest arrived packet. */
static void take(sim *S, const int *sinks, int nsink, int left, int64_t now)
{
	for (int i = 0; i < nsink; i++) {
		pe_state *P = &S->pe[sinks[i]];
		sac_packet pk;
		if (P->busy_until > now || !sac_noc_peek(S->noc, sinks[i], &pk))
			continue;
		sac_noc_pop(S->noc, sinks[i]);
		int64_t c = apply(S, P, pk.payload, left);
		if (S->vcd) {
			vcd_at(S, now);
			vcd_int(S, 'i', sinks[i], P->cnt.packets_in);
		}
		P->busy_until = now + c;
		P->done_at = P->busy_until + S->t->pe.pipeline;
		P->cnt.active += c;
	}
}

/* The first cycle >= now in which a source, a sink or the NoC can act: a
 * live source whose injection queue has room, a sink once it is idle and
 * its oldest queued packet has arrived, a router (sac_noc_next_event).
 * Nothing else changes their state, so the cycles before it are empty. */
static int64_t next_action(sim *S, const int *live, int nlive,
			   const int *sinks, int nsink)
{
	int64_t now = sac_noc_now(S->noc), next = sac_noc_next_event(S->noc);
	if (next == now) /* the common case under load */
		return now;
	for (int i = 0; i < nlive; i++) {
		const pe_state *P = &S->pe[live[i]];
		if (P->outq[P->outpos] == BUBBLE || sac_noc_send_room(S->noc, live[i]))
			return now;
	}
	for (int i = 0; i < nsink && next > now; i++) {
		int64_t t = sac_noc_peek_from(S->noc, sinks[i]);
		if (t == INT64_MAX)
			continue;
		if (S->pe[sinks[i]].busy_until > t)
			t = S->pe[sinks[i]].busy_until;
		if (t < next)
			next = t > now ? t : now;
	}
	return next;
}

/* Phase 1: traffic of one step.  srcs/sinks are PE lists, live is
 * scratch for nsrc sources.  Each cycle: sources offer, sinks take, the
 * NoC advances; then time jumps to the next cycle in which anything can
 * happen, which is what stepping through the empty cycles would give. */
static int traffic(sim *S, const int *srcs, int nsrc, int *live,
		   const int *sinks, int nsink, int left, const sac_sim_opts *o)
{
	sac_noc *noc = S->noc;
	int nlive = 0;
	for (int i = 0; i < nsrc; i++)
		if (S->pe[srcs[i]].outpos < S->pe[srcs[i]].nout)
			live[nlive++] = srcs[i];
	for (;;) {
		int64_t now = sac_noc_now(noc);
		int rc = offer(S, live, &nlive, now);
		if (rc)
			return rc;
		take(S, sinks, nsink, left, now);
		if (!nlive && !sac_noc_busy(noc))
			break;
		vcd_flight(S, now);
		sac_noc_cycle(noc);
		/* Jump, but not past the cycle in which the stall detector,
		 * checked every cycle, would fire. */
		int64_t next = next_action(S, live, nlive, sinks, nsink);
		if (sac_noc_in_flight(noc) &&
		    sac_noc_last_move(noc) + o->stall_limit < next)
			next = sac_noc_last_move(noc) + o->stall_limit;
		if (next > sac_noc_now(noc) && next != INT64_MAX) {
			/* The trace shows the NoC's occupancy in the first
			 * cycle skipped, as stepping it would. */
			vcd_flight(S, sac_noc_now(noc));
			sac_noc_skip(noc, next - sac_noc_now(noc));
		}
		char msg[512];
		if (sac_noc_stalled(noc, o->stall_limit, msg, sizeof msg))
			return sac_errf(S->e, SAC_ERR_CAPACITY,
				"deadlock: no flit moved for %lld cycles at cycle %lld: %s",
				(long long)o->stall_limit, (long long)sac_noc_now(noc), msg);
	}
	return SAC_OK;
}

/* Event uarch and input: bucket the neurons of P by fire step. */
static int bucket_fire_steps(sim *S, pe_state *P, const int16_t *k, int steps)
{
	free(P->bucket_start);
	free(P->bucket);
	P->bucket_start = calloc((size_t)steps + 2, sizeof *P->bucket_start);
	P->bucket = malloc(((size_t)P->n + 1) * sizeof *P->bucket);
	if (!P->bucket_start || !P->bucket)
		return nomem(S);
	for (int i = 0; i < P->n; i++)
		if (k[i] >= 0)
			P->bucket_start[k[i] + 1]++;
	for (int s = 0; s < steps; s++)
		P->bucket_start[s + 1] += P->bucket_start[s];
	int32_t *fill = calloc((size_t)steps + 1, sizeof *fill);
	if (!fill)
		return nomem(S);
	for (int i = 0; i < P->n; i++)
		if (k[i] >= 0)
			P->bucket[P->bucket_start[k[i]] + fill[k[i]]++] = i;
	free(fill);
	return SAC_OK;
}

static int load_input(sim *S, pe_state *P, const float *input)
{
	const sac_node *in = &S->g->node[0];
	int steps = in->steps;
	int16_t *k = malloc((size_t)P->n * sizeof *k);
	if (!k)
		return nomem(S);
	for (int li = 0; li < P->n; li++) {
		int x = sac_ref_encode_input(input[gidx(P, li)], steps);
		k[li] = (int16_t)(x > 0 ? steps - x : -1);
	}
	int rc = bucket_fire_steps(S, P, k, steps);
	free(k);
	return rc;
}

/* Event uarch, window edge: fire step of every neuron of P. */
static int fire_steps(sim *S, pe_state *P)
{
	int steps = P->nd->steps;
	int16_t *k = malloc((size_t)P->n * sizeof *k);
	if (!k)
		return nomem(S);
	for (int li = 0; li < P->n; li++) {
		int o = li % P->G;
		int64_t v = P->v[li], th = P->theta[o];
		int64_t ks = v >= th ? 0 : (th - v + P->ramp[o] - 1) / P->ramp[o];
		k[li] = (int16_t)(ks < steps ? ks : -1);
	}
	P->cnt.potential_reads += P->n;
	P->cnt.divides += P->n;
	int rc = bucket_fire_steps(S, P, k, steps);
	free(k);
	return rc;
}

/* Ramp uarch update of one PE for step s of window w. */
static void ramp_update(sim *S, pe_state *P, int w, int s, int S_w)
{
	const sac_hwlayer *L = P->L;
	P->nfire = 0;
	if (L->window == w + 1) { /* phase 1 */
		int last = s == S_w - 1 && L->kind == SAC_HW_SPIKING;
		/* o = i % G, counted rather than divided: this sweep is hot. */
		for (int i = 0, o = 0; i < P->n; i++, o = o + 1 == P->G ? 0 : o + 1) {
			P->v[i] += P->slope[i];
			if (last && P->v[i] >= P->theta[o])
				P->fire[P->nfire++] = i;
		}
		P->cnt.potential_reads += P->n;
		P->cnt.accum_reads += P->n;
		P->cnt.adds += P->n;
		P->cnt.potential_writes += P->n;
		if (last)
			P->cnt.compares += P->n;
	} else { /* phase 2 */
		int more = s + 1 < S_w;
		for (int i = 0, o = 0; i < P->n; i++, o = o + 1 == P->G ? 0 : o + 1) {
			if (P->fired[i])
				continue;
			P->v[i] += P->ramp[o];
			if (more && P->v[i] >= P->theta[o])
				P->fire[P->nfire++] = i;
		}
		P->cnt.spike_reads += P->n;
		P->cnt.potential_reads += P->n;
		P->cnt.adds += P->n;
		P->cnt.compares += P->n;
		P->cnt.potential_writes += P->n;
	}
	(void)S;
}

/* The counts of every PE, with its router's flit events. */
static void collect(sim *S, sac_sim_stats *st)
{
	const sac_noc_stats *ns = sac_noc_get_stats(S->noc);
	for (int n = 0; n < S->m->npe; n++) {
		sac_pe_counts *c = &st->pe[n];
		*c = S->pe[n].cnt;
		const sac_noc_router_stats *rs = &ns->router[n];
		c->router_buffer = (int64_t)rs->buf_writes;
		c->router_xbar = (int64_t)rs->xbar;
		c->link = 0;
		for (int d = SAC_NOC_N; d < SAC_NOC_PORTS; d++)
			c->link += (int64_t)rs->link[d];
	}
}

int sac_sim_stats_init(const sac_program *p, sac_sim_stats *st, sac_err *e)
{
	const sac_map *m = p->m;
	memset(st, 0, sizeof *st);
	st->nlayers = m->nlayers;
	st->npe = m->npe;
	st->layer_pj = calloc((size_t)m->nlayers, sizeof *st->layer_pj);
	st->layer_comp = calloc((size_t)m->nlayers * SAC_E_COUNT, sizeof *st->layer_comp);
	st->layer_cycles = calloc((size_t)m->nlayers, sizeof *st->layer_cycles);
	st->pe_pj = calloc((size_t)m->npe, sizeof *st->pe_pj);
	st->pe = calloc((size_t)m->npe, sizeof *st->pe);
	if (!st->layer_pj || !st->layer_comp || !st->layer_cycles || !st->pe_pj || !st->pe) {
		sac_sim_stats_free(st);
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	}
	return SAC_OK;
}

/* Energy = counts x the target's table (docs/ENERGY.md); leakage runs for
 * every cycle of every PE, used or not. */
void sac_sim_energy(const sac_program *p, sac_sim_stats *st)
{
	const sac_energy *E = &p->t.energy;
	const sac_map *m = p->m;
	st->energy_pj = st->unused_pj = 0;
	st->synaptic_ops = st->packets = 0;
	memset(st->comp, 0, sizeof st->comp);
	memset(st->layer_pj, 0, (size_t)m->nlayers * sizeof *st->layer_pj);
	memset(st->layer_comp, 0, (size_t)m->nlayers * SAC_E_COUNT * sizeof *st->layer_comp);
	for (int n = 0; n < m->npe; n++) {
		const sac_pe_counts *c = &st->pe[n];
		double comp[SAC_E_COUNT] = {0};
		comp[SAC_E_WEIGHT_READ] = c->weight_reads * E->weight_read;
		comp[SAC_E_POTENTIAL_READ] = c->potential_reads * E->potential_read;
		comp[SAC_E_POTENTIAL_WRITE] = c->potential_writes * E->potential_write;
		comp[SAC_E_ACCUM_READ] = c->accum_reads * E->accum_read;
		comp[SAC_E_ACCUM_WRITE] = c->accum_writes * E->accum_write;
		comp[SAC_E_SPIKE_READ] = c->spike_reads * E->spike_read;
		comp[SAC_E_SPIKE_WRITE] = c->spike_writes * E->spike_write;
		comp[SAC_E_COMPUTE] = c->adds * E->add + c->macs * E->mac +
				      c->compares * E->compare + c->divides * E->divide;
		comp[SAC_E_ROUTER] = c->router_buffer * E->router_buffer +
				     c->router_xbar * E->router_xbar;
		comp[SAC_E_LINK] = c->link * E->link;
		comp[SAC_E_LEAKAGE] = (double)st->cycles * E->leak_pe;
		comp[SAC_E_CLOCK] = c->active * E->clock_pe;
		double tot = 0;
		for (int k = 0; k < SAC_E_COUNT; k++) {
			tot += comp[k];
			st->comp[k] += comp[k];
		}
		st->pe_pj[n] = tot;
		st->energy_pj += tot;
		int r = m->pe_region[n];
		if (r >= 0) {
			int li = m->region[r].layer;
			st->layer_pj[li] += tot;
			for (int k = 0; k < SAC_E_COUNT; k++)
				st->layer_comp[li * SAC_E_COUNT + k] += comp[k];
		} else {
			st->unused_pj += tot;
		}
		st->synaptic_ops += c->synops;
		st->packets += c->packets_in; /* every packet is taken by a sink */
	}
}

static void free_sim(sim *S)
{
	if (S->pe)
		for (int n = 0; n < S->m->npe; n++) {
			pe_state *P = &S->pe[n];
			free(P->v);
			free(P->slope);
			free(P->fired);
			for (int k = 0; k < P->npools; k++)
				free(P->pool_fired[k]);
			free(P->wt);
			free(P->theta);
			free(P->ramp);
			free(P->bias);
			free(P->fire);
			free(P->bucket_start);
			free(P->bucket);
			free(P->outq);
			free(P->outn);
		}
	free(S->pe);
	free(S->lpes);
	free(S->lfirst);
	free(S->base);
	sac_noc_free(S->noc);
}

int sac_sim_run(const sac_program *p, const float *input,
		const sac_sim_opts *o, sac_ref_out *out, sac_sim_stats *st,
		sac_err *e)
{
	sac_sim_opts dflt;
	if (!o) {
		sac_sim_opts_init(&dflt);
		o = &dflt;
	}
	memset(st, 0, sizeof *st);
	sim S = {.p = p, .g = p->g, .t = &p->t, .m = p->m, .e = e, .vcd = o->vcd, .o = o};
	const sac_map *m = p->m;
	int rc = sac__int_out_init(p->g, SAC_REF_SIM, out, e);
	if (rc)
		return rc;
	S.out = out;
	S.nwin = m->layer[m->nlayers - 1].window;
	for (int l = 0; l < m->nlayers; l++)
		if (m->layer[l].kind == SAC_HW_READOUT)
			S.nwin = m->layer[l].window;
	S.noc = sac_noc_new(S.t, e);
	S.pe = calloc((size_t)m->npe, sizeof *S.pe);
	S.lfirst = calloc((size_t)m->nlayers + 1, sizeof *S.lfirst);
	S.lpes = malloc(((size_t)m->nregions + 1) * sizeof *S.lpes);
	S.base = calloc((size_t)S.nwin + 1, sizeof *S.base);
	if (!S.noc)
		rc = e->code ? e->code : SAC_ERR_USAGE;
	else if (!S.pe || !S.lfirst || !S.lpes || !S.base)
		rc = nomem(&S);
	else
		rc = sac_sim_stats_init(p, st, e);
	for (int i = 0; !rc && i < m->nregions; i++)
		rc = pe_init(&S, &S.pe[m->region[i].pe], i);
	if (!rc) {
		/* PEs by layer, in region order: the processing order. */
		for (int l = 0; l < m->nlayers; l++) {
			S.lfirst[l + 1] = S.lfirst[l] + m->layer[l].count;
			for (int k = 0; k < m->layer[l].count; k++)
				S.lpes[S.lfirst[l] + k] = m->region[m->layer[l].first + k].pe;
		}
		for (int w = 0; w < S.nwin; w++) {
			int steps = 0;
			for (int l = 0; l < m->nlayers; l++)
				if (m->layer[l].window == w && m->layer[l].kind != SAC_HW_READOUT)
					steps = m->layer[l].steps;
			S.base[w + 1] = S.base[w] + steps;
		}
		for (int k = 0; !rc && k < m->layer[0].count; k++)
			rc = load_input(&S, &S.pe[S.lpes[k]], input);
		if (!rc && S.vcd)
			vcd_header(&S);
	}
	int *srcs = malloc(((size_t)m->nregions + 1) * sizeof *srcs);
	int *sinks = malloc(((size_t)m->nregions + 1) * sizeof *sinks);
	int *upd = malloc(((size_t)m->nregions + 1) * sizeof *upd);
	int *live = malloc(((size_t)m->nregions + 1) * sizeof *live);
	if (!rc && (!srcs || !sinks || !upd || !live))
		rc = nomem(&S);
	int ev = S.t->uarch == SAC_UARCH_EVENT;
	int64_t gstep = 0, total_steps = S.base[S.nwin];
	for (int w = 0; !rc && w < S.nwin; w++) {
		int S_w = (int)(S.base[w + 1] - S.base[w]);
		int nsrc = 0, nsink = 0, nupd = 0, fire_layer = -1;
		for (int l = 0; l < m->nlayers; l++) {
			const sac_hwlayer *L = &m->layer[l];
			for (int k = S.lfirst[l]; k < S.lfirst[l + 1]; k++) {
				if (L->window == w && L->kind != SAC_HW_READOUT)
					srcs[nsrc++] = S.lpes[k];
				if (L->window == w + 1 && L->kind != SAC_HW_INPUT)
					sinks[nsink++] = S.lpes[k];
				if (!ev && L->kind != SAC_HW_INPUT &&
				    (L->window == w + 1 || (L->window == w && L->kind == SAC_HW_SPIKING)))
					upd[nupd++] = S.lpes[k];
			}
			if (L->window == w && L->kind != SAC_HW_READOUT)
				fire_layer = l;
		}
		int64_t wstart = sac_noc_now(S.noc);
		for (int s = 0; !rc && s < S_w; s++, gstep++) {
			S.gstep = gstep;
			if (S.vcd) {
				vcd_at(&S, sac_noc_now(S.noc));
				vcd_int(&S, 'T', -1, gstep);
				vcd_int(&S, 'W', -1, w);
			}
			/* 1. traffic */
			for (int i = 0; !rc && i < nsrc; i++) {
				pe_state *P = &S.pe[srcs[i]];
				P->nout = P->outpos = 0;
				if (P->L->kind == SAC_HW_INPUT || ev) {
					for (int b = P->bucket_start[s]; !rc && b < P->bucket_start[s + 1]; b++)
						rc = emit(&S, P, P->bucket[b], gstep);
					P->cnt.spike_reads += P->bucket_start[s + 1] - P->bucket_start[s];
				} else {
					for (int f = 0; !rc && f < P->nfire; f++)
						rc = emit(&S, P, P->fire[f], gstep);
				}
			}
			if (!rc)
				rc = traffic(&S, srcs, nsrc, live, sinks, nsink, S_w - s, o);
			if (rc)
				break;
			int64_t now = sac_noc_now(S.noc), end = now;
			for (int i = 0; i < nsink; i++)
				if (S.pe[sinks[i]].done_at > end)
					end = S.pe[sinks[i]].done_at;
			/* 2. barrier */
			end += S.t->noc.sync_delay;
			/* 3. update */
			int64_t upd_cycles = 0;
			if (!ev) {
				for (int i = 0; i < nupd; i++) {
					pe_state *P = &S.pe[upd[i]];
					ramp_update(&S, P, w, s, S_w);
					int64_t c = (P->n + S.t->pe.lanes - 1) / S.t->pe.lanes;
					P->cnt.active += c;
					if (c + S.t->pe.pipeline > upd_cycles)
						upd_cycles = c + S.t->pe.pipeline;
				}
			} else if (s == S_w - 1) {
				for (int i = 0; !rc && i < nsink; i++) {
					pe_state *P = &S.pe[sinks[i]];
					if (P->L->kind != SAC_HW_SPIKING)
						continue;
					rc = fire_steps(&S, P);
					int64_t c = (P->n + S.t->pe.lanes - 1) / S.t->pe.lanes;
					P->cnt.active += c;
					if (c + S.t->pe.pipeline > upd_cycles)
						upd_cycles = c + S.t->pe.pipeline;
				}
			}
			end += upd_cycles;
			sac_noc_skip(S.noc, end - now);
			if (o->progress && (gstep % 8 == 0 || gstep + 1 == total_steps))
				o->progress(o->progress_ctx, gstep + 1, total_steps, end);
		}
		if (fire_layer >= 0)
			st->layer_cycles[fire_layer] += sac_noc_now(S.noc) - wstart;
	}
	if (!rc) {
		/* Logits: V + b of the readout's neurons. */
		for (int l = 0; l < m->nlayers; l++) {
			if (m->layer[l].kind != SAC_HW_READOUT)
				continue;
			for (int k = S.lfirst[l]; k < S.lfirst[l + 1]; k++) {
				pe_state *P = &S.pe[S.lpes[k]];
				for (int li = 0; li < P->n; li++)
					out->ilogits[gidx(P, li)] = (int64_t)P->v[li] + P->bias[li % P->G];
				P->cnt.potential_reads += P->n;
			}
		}
		out->steps = total_steps;
		sac__dequant_logits(p->g, out);
		st->cycles = sac_noc_now(S.noc);
		st->seconds = (double)st->cycles / S.t->clock_hz;
		st->steps = total_steps;
		st->spikes = out->nspikes;
		collect(&S, st);
		sac_sim_energy(p, st);
		if (S.vcd) {
			vcd_at(&S, st->cycles);
			if (ferror(S.vcd))
				rc = sac_errf(e, SAC_ERR_IO, "trace: write error");
		}
	}
	free(srcs);
	free(sinks);
	free(upd);
	free(live);
	free_sim(&S);
	if (rc) {
		sac_ref_out_free(out);
		sac_sim_stats_free(st);
	}
	return rc;
}
