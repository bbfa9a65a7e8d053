/* noc.c: the cycle-accurate mesh NoC (docs/NOC.md is the specification).
 *
 * Every flit carries the cycle at which it is present in its buffer, and
 * every pending credit the cycle at which it reaches the upstream router.
 * A router granting a flit writes it at once into the downstream buffer,
 * stamped with its arrival cycle (always later than the grant), and pushes
 * the credit for the slot it freed, stamped likewise.  So no router can see
 * another's action of the same cycle: the routers of one cycle are
 * independent, the order we visit them in cannot change the result, and the
 * model needs no event queue.  A credit counter of the RTL equals
 * buffer_depth - (flits in the downstream buffer, including those on the
 * link) - (credits not yet arrived); we keep both terms on the downstream
 * input VC and expire arrived credits lazily.
 *
 * Invariants (asserted): per input VC, flits + pending credits <= depth;
 * an IDLE VC is empty; the front flit of a non-IDLE VC belongs to the packet
 * the state describes; every live packet occupies one pool entry.
 *
 * Speed: a router is visited only in the cycles it could act in.  After a
 * visit it computes the next such cycle from its own state (next_wake) and
 * waits on the timing wheel for it; if what it waits for is news from
 * outside (a credit for a full downstream buffer, a free ejection slot, a
 * flit from a neighbour, a packet to inject), it leaves the wheel, and
 * whoever makes the news puts it back (activate).  A blocked router thus
 * costs nothing until it can move: under back-pressure, most of them.  A
 * visit in a cycle where nothing can happen changes nothing, so an early
 * or extra visit is harmless; a missing one would not be, hence the care
 * in next_wake.  The per-cycle path never allocates. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/noc.h"

enum { IDLE, VA_WAIT, ACTIVE };

typedef struct flit {
	int64_t t;   /* cycle from which it is in the buffer */
	int32_t pkt; /* pool index */
	int seq : 31;      /* 0 = head, nflits - 1 = tail */
	unsigned tail : 1; /* seq == nflits - 1, kept to spare a pool read */
} flit;

/* Slot i of a VC holds flit ring slot i and pending-credit ring slot i side
 * by side: a VC's flits and credits share cache lines. */
typedef struct vslot {
	flit f;
	int64_t ret; /* cycle the credit reaches the upstream router */
} vslot;

typedef struct ivc {
	int64_t t;     /* VA_WAIT: first VA cycle; ACTIVE: first SA cycle */
	uint8_t state, out, ovc;
	int32_t fo;      /* its D slots in sl start here */
	int head, count; /* flit ring (depth slots) */
	int rhead, rn;   /* pending-credit ring (depth slots) */
} ivc;

typedef struct router {
	int nbuf;     /* flits in its input buffers (incl. on the way in) */
	/* Per input port, bit v: VC v is allocated to a packet by the
	 * upstream router or NI (a mask finds the first free VC at once). */
	uint16_t own[SAC_NOC_PORTS];
	uint64_t vam, acm; /* input VCs (bit port * V + vc) in VA_WAIT, ACTIVE */
	uint8_t rr_va[SAC_NOC_PORTS];  /* per output: next input VC to favour */
	uint8_t rr_in[SAC_NOC_PORTS];  /* per input port: next VC */
	uint8_t rr_out[SAC_NOC_PORTS]; /* per output: next input port */
	int inj_head, inj_n, inj_vc, inj_seq; /* injection queue, NI state */
	int ej_head, ej_n, ej_res;  /* ejection queue; slots reserved by VA */
} router;

typedef struct pkt {
	sac_packet p;
	int ejected; /* flits that reached the ejection queue */
} pkt;

typedef struct ejent {
	int64_t e; /* cycle the tail arrived */
	int pkt;
} ejent;

struct sac_noc {
	int w, h, nr, V, D, nv; /* nv = ivcs per router = 5 V */
	int rd, vd, sd, xd, ld, cd, in_fifo, out_fifo;
	unsigned vmask;  /* (1 << V) - 1 */
	uint8_t port_of[SAC_NOC_PORTS * SAC_NOC_MAX_VCS]; /* i / V, no divide */
	int64_t now, last_move, inflight;
	router *r;
	ivc *iv;         /* nr * 5 * V */
	vslot *sl;       /* nr * 5 * V * D */
	int *nb;         /* nr * 5: neighbour on each port, -1 at the edge */
	int *nx, *ny;    /* coordinates of each node */
	int *inj;        /* nr * out_fifo pool indices */
	ejent *ej;       /* nr * in_fifo */
	pkt *pool;
	int *freep, nfree, npool;
	/* Timing wheel: a busy router waits, in the doubly linked list of
	 * slot (cycle & wmask), for the next cycle it could act in. */
	int *slot, wmask, *snext, *sprev;
	int64_t *sat;    /* the cycle a router is scheduled for, or INT64_MAX */
	int nsched;
	sac_noc_router_stats *rs;
	sac_noc_stats st;
};

static const int opp[SAC_NOC_PORTS] = {
	SAC_NOC_LOCAL, SAC_NOC_S, SAC_NOC_W, SAC_NOC_N, SAC_NOC_E
};

const char *sac_noc_port_name(int port)
{
	static const char *nm[SAC_NOC_PORTS] = {"L", "N", "E", "S", "W"};
	return port >= 0 && port < SAC_NOC_PORTS ? nm[port] : "?";
}

/* XY: correct x first, then y; y grows southwards. */
static int route(const sac_noc *n, int at, int dst)
{
	int x = n->nx[at], y = n->ny[at], dx = n->nx[dst], dy = n->ny[dst];
	if (dx > x)
		return SAC_NOC_E;
	if (dx < x)
		return SAC_NOC_W;
	if (dy > y)
		return SAC_NOC_S;
	if (dy < y)
		return SAC_NOC_N;
	return SAC_NOC_LOCAL;
}

static int check_params(const sac_target *t, sac_err *e)
{
	const sac_noc_params *q = &t->noc;
	struct { const char *name; int v, lo, hi; } f[] = {
		{"mesh_w", t->mesh_w, 1, 4096},
		{"mesh_h", t->mesh_h, 1, 4096},
		{"noc.vcs", q->vcs, 1, SAC_NOC_MAX_VCS},
		{"noc.buffer_depth", q->buffer_depth, 1, 1 << 16},
		{"noc.route_delay", q->route_delay, 0, 1 << 16},
		{"noc.vc_delay", q->vc_delay, 0, 1 << 16},
		{"noc.switch_delay", q->switch_delay, 1, 1 << 16},
		{"noc.xbar_delay", q->xbar_delay, 1, 1 << 16},
		{"noc.link_delay", q->link_delay, 1, 1 << 16},
		{"noc.credit_delay", q->credit_delay, 1, 1 << 16},
		{"pe.in_fifo", t->pe.in_fifo, 1, 1 << 20},
		{"pe.out_fifo", t->pe.out_fifo, 1, 1 << 20},
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (f[i].v < f[i].lo || f[i].v > f[i].hi)
			return sac_errf(e, SAC_ERR_RANGE,
					"%s: %s = %d, must be in [%d, %d]",
					t->name[0] ? t->name : "target", f[i].name,
					f[i].v, f[i].lo, f[i].hi);
	if ((int64_t)t->mesh_w * t->mesh_h > 1 << 20)
		return sac_errf(e, SAC_ERR_RANGE, "%s: mesh %dx%d too large",
				t->name[0] ? t->name : "target", t->mesh_w,
				t->mesh_h);
	return 0;
}

sac_noc *sac_noc_new(const sac_target *t, sac_err *e)
{
	if (check_params(t, e))
		return NULL;
	sac_noc *n = calloc(1, sizeof *n);
	if (!n) {
		sac_errf(e, SAC_ERR_NOMEM, "out of memory (noc)");
		return NULL;
	}
	const sac_noc_params *q = &t->noc;
	n->w = t->mesh_w;
	n->h = t->mesh_h;
	n->nr = n->w * n->h;
	n->V = q->vcs;
	n->D = q->buffer_depth;
	n->nv = SAC_NOC_PORTS * n->V;
	n->vmask = (1u << n->V) - 1;
	for (int i = 0; i < n->nv; i++)
		n->port_of[i] = (uint8_t)(i / n->V);
	n->rd = q->route_delay;
	n->vd = q->vc_delay;
	n->sd = q->switch_delay;
	n->xd = q->xbar_delay;
	n->ld = q->link_delay;
	n->cd = q->credit_delay;
	n->in_fifo = t->pe.in_fifo;
	n->out_fifo = t->pe.out_fifo;
	size_t nivc = (size_t)n->nr * n->nv;
	/* A live packet is in an injection queue, has a flit in a buffer, or
	 * holds an ejection slot. */
	size_t npool = (size_t)n->nr * (n->in_fifo + n->out_fifo) + nivc * n->D;
	if (npool > (size_t)INT32_MAX / 2) {
		sac_errf(e, SAC_ERR_RANGE,
			 "%s: mesh %dx%d with %d VCs of %d flits is too large",
			 t->name[0] ? t->name : "target", n->w, n->h, n->V, n->D);
		free(n);
		return NULL;
	}
	n->npool = (int)npool;
	n->r = calloc(n->nr, sizeof *n->r);
	n->iv = calloc(nivc, sizeof *n->iv);
	n->sl = calloc(nivc * n->D, sizeof *n->sl);
	n->nb = malloc((size_t)n->nr * SAC_NOC_PORTS * sizeof *n->nb);
	n->nx = malloc((size_t)n->nr * sizeof *n->nx);
	n->ny = malloc((size_t)n->nr * sizeof *n->ny);
	n->inj = malloc((size_t)n->nr * n->out_fifo * sizeof *n->inj);
	n->ej = malloc((size_t)n->nr * n->in_fifo * sizeof *n->ej);
	n->pool = malloc((size_t)n->npool * sizeof *n->pool);
	n->freep = malloc((size_t)n->npool * sizeof *n->freep);
	/* A router is never scheduled further ahead than a flit's trip
	 * through a link into the next router's VC allocation, or a credit's
	 * return. */
	int span = n->sd + n->xd + n->ld + n->rd + n->vd + 2, wsz = 1;
	if (span < n->cd + 2)
		span = n->cd + 2;
	while (wsz < span)
		wsz *= 2;
	n->wmask = wsz - 1;
	n->slot = malloc((size_t)wsz * sizeof *n->slot);
	n->snext = malloc((size_t)n->nr * sizeof *n->snext);
	n->sprev = malloc((size_t)n->nr * sizeof *n->sprev);
	n->sat = malloc((size_t)n->nr * sizeof *n->sat);
	n->rs = calloc(n->nr, sizeof *n->rs);
	if (!n->r || !n->iv || !n->sl || !n->nb || !n->nx || !n->ny || !n->inj ||
	    !n->ej || !n->pool || !n->freep || !n->slot || !n->snext || !n->sprev || !n->sat || !n->rs) {
		sac_noc_free(n);
		sac_errf(e, SAC_ERR_NOMEM, "out of memory (noc, %d routers)",
			 t->mesh_w * t->mesh_h);
		return NULL;
	}
	for (int i = 0; i < n->nr; i++) {
		int x = i % n->w, y = i / n->w, *nb = n->nb + i * SAC_NOC_PORTS;
		nb[SAC_NOC_LOCAL] = i;
		n->nx[i] = x;
		n->ny[i] = y;
		nb[SAC_NOC_N] = y > 0 ? i - n->w : -1;
		nb[SAC_NOC_S] = y < n->h - 1 ? i + n->w : -1;
		nb[SAC_NOC_E] = x < n->w - 1 ? i + 1 : -1;
		nb[SAC_NOC_W] = x > 0 ? i - 1 : -1;
		n->r[i].inj_vc = -1;
		n->sat[i] = INT64_MAX;
	}
	for (size_t i = 0; i < nivc; i++)
		n->iv[i].fo = (int32_t)(i * n->D);
	for (int i = 0; i <= n->wmask; i++)
		n->slot[i] = -1;
	/* Pop order of the free list: lowest index first (deterministic). */
	for (int i = 0; i < n->npool; i++)
		n->freep[i] = n->npool - 1 - i;
	n->nfree = n->npool;
	n->st.nrouters = n->nr;
	n->st.router = n->rs;
	return n;
}

void sac_noc_free(sac_noc *n)
{
	if (!n)
		return;
	free(n->r);
	free(n->iv);
	free(n->sl);
	free(n->nb);
	free(n->nx);
	free(n->ny);
	free(n->inj);
	free(n->ej);
	free(n->pool);
	free(n->freep);
	free(n->slot);
	free(n->snext);
	free(n->sprev);
	free(n->sat);
	free(n->rs);
	free(n);
}

/* i mod m for 0 <= i < 2m: ring indices, without a divide per packet. */
static inline int wrap(int i, int m)
{
	return i >= m ? i - m : i;
}

/* Make sure router r is visited no later than cycle `when`. */
static void activate(sac_noc *n, int r, int64_t when)
{
	int64_t at = n->sat[r];
	if (when >= at)
		return;
	assert(when >= n->now && when - n->now <= n->wmask);
	if (at != INT64_MAX) { /* unlink from the later slot */
		int p = n->sprev[r], q = n->snext[r];
		if (p >= 0)
			n->snext[p] = q;
		else
			n->slot[at & n->wmask] = q;
		if (q >= 0)
			n->sprev[q] = p;
	} else {
		n->nsched++;
	}
	int *h = &n->slot[when & n->wmask];
	n->sprev[r] = -1;
	n->snext[r] = *h;
	if (*h >= 0)
		n->sprev[*h] = r;
	*h = r;
	n->sat[r] = when;
}

int sac_noc_send(sac_noc *n, const sac_packet *p)
{
	if (p->src < 0 || p->src >= n->nr || p->dst < 0 || p->dst >= n->nr ||
	    p->nflits < 1 || p->nflits > (1 << 30))
		return SAC_ERR_USAGE;
	router *R = &n->r[p->src];
	if (R->inj_n == n->out_fifo)
		return 0;
	assert(n->nfree > 0);
	int k = n->freep[--n->nfree];
	n->pool[k].p = *p;
	if (p->created < 0)
		n->pool[k].p.created = n->now;
	n->pool[k].ejected = 0;
	n->inj[p->src * n->out_fifo + wrap(R->inj_head + R->inj_n, n->out_fifo)] = k;
	R->inj_n++;
	/* The stall clock starts when the network stops being empty. */
	if (n->inflight == 0)
		n->last_move = n->now;
	n->inflight += p->nflits;
	n->st.packets_sent++;
	activate(n, p->src, n->now);
	return 1;
}

static inline ivc *IV(sac_noc *n, int r, int port, int v)
{
	return &n->iv[(r * SAC_NOC_PORTS + port) * n->V + v];
}

static inline flit *front(sac_noc *n, ivc *c)
{
	return &n->sl[c->fo + c->head].f;
}

/* Free slots as the upstream credit counter sees them in cycle c. */
static inline int credits(sac_noc *n, ivc *c, int64_t cyc)
{
	/* Locals: stores to c could alias n->D for the compiler. */
	const vslot *rt = n->sl + c->fo;
	int D = n->D, h = c->rhead, rn = c->rn;
	if (rn && rt[h].ret <= cyc) {
		do {
			h = h + 1 == D ? 0 : h + 1;
			rn--;
		} while (rn && rt[h].ret <= cyc);
		c->rhead = h;
		c->rn = rn;
	}
	assert(c->count + rn <= D);
	return D - c->count - rn;
}

/* The first cycle >= from in which the upstream of VC c will see a credit,
 * without waiting for a flit to leave c; INT64_MAX if it must wait.  Reads
 * only: credits() expires lazily, and only up to the current cycle. */
static inline int64_t credit_from(const sac_noc *n, const ivc *c, int64_t from)
{
	if (c->count + c->rn < n->D)
		return from;
	if (!c->rn)
		return INT64_MAX;
	/* Full, counting credits on their way: the oldest one frees a slot. */
	int64_t t = n->sl[c->fo + c->rhead].ret;
	return t > from ? t : from;
}

/* Write a flit into input VC c of router r; a head reaching an IDLE VC
 * starts route computation at once (the route is ready rd cycles later). */
static void write_flit(sac_noc *n, int r, int p, int v, int64_t t, int k,
		       int seq, int tail)
{
	ivc *c = IV(n, r, p, v);
	assert(c->count < n->D);
	int s = c->head + c->count;
	if (s >= n->D)
		s -= n->D;
	n->sl[c->fo + s].f = (flit){t, k, seq, (unsigned)tail};
	c->count++;
	n->r[r].nbuf++;
	n->rs[r].buf_writes++;
	if (c->state == IDLE) {
		assert(c->count == 1 && seq == 0);
		c->state = VA_WAIT;
		c->t = t + n->rd;
		c->out = (uint8_t)route(n, r, n->pool[k].p.dst);
		n->r[r].vam |= (uint64_t)1 << (p * n->V + v);
	}
}

/* The local input VC the NI writes its next flit into: the one its packet
 * holds, else the lowest-numbered free one; -1 if all are held. */
static int inj_pick(sac_noc *n, int r)
{
	if (n->r[r].inj_vc >= 0)
		return n->r[r].inj_vc;
	unsigned f = ~n->r[r].own[SAC_NOC_LOCAL] & n->vmask;
	return f ? __builtin_ctz(f) : -1;
}

/* The network interface moves one flit per cycle from the injection queue
 * into the local input port; a packet keeps its VC from head to tail. */
static void inject(sac_noc *n, int r, int64_t cyc)
{
	router *R = &n->r[r];
	if (!R->inj_n)
		return;
	int k = n->inj[r * n->out_fifo + R->inj_head];
	if (R->inj_vc < 0) {
		int v = inj_pick(n, r);
		if (v < 0)
			return;
		R->own[SAC_NOC_LOCAL] |= (uint16_t)(1u << v);
		R->inj_vc = v;
		R->inj_seq = 0;
	}
	ivc *c = IV(n, r, SAC_NOC_LOCAL, R->inj_vc);
	if (!credits(n, c, cyc))
		return;
	int last = R->inj_seq == n->pool[k].p.nflits - 1;
	write_flit(n, r, SAC_NOC_LOCAL, R->inj_vc, cyc, k, R->inj_seq, last);
	n->st.flits_injected++;
	if (R->inj_seq == 0)
		n->st.packets_injected++;
	n->last_move = cyc;
	R->inj_seq++;
	if (last) {
		R->own[SAC_NOC_LOCAL] &= (uint16_t)~(1u << R->inj_vc);
		R->inj_vc = -1;
		R->inj_head = wrap(R->inj_head + 1, n->out_fifo);
		R->inj_n--;
	}
}

/* Round robin: the first set bit at or after ptr, wrapping. */
static inline int rr_pick(uint64_t mask, int ptr)
{
	uint64_t hi = mask & (~(uint64_t)0 << ptr);
	return __builtin_ctzll(hi ? hi : mask);
}

/* VC allocation.  Each waiting head requests the one output its route
 * names; per output, requesters are served in round-robin order of input
 * VC index (port * V + vc) from rr_va, each taking the lowest-numbered
 * free output VC (for the local output: a free ejection-queue slot),
 * until the requests or the free VCs run out. */
static void vc_alloc(sac_noc *n, int r, int64_t cyc)
{
	router *R = &n->r[r];
	ivc *base = IV(n, r, 0, 0);
	uint64_t req[SAC_NOC_PORTS];
	unsigned outs = 0;
	for (uint64_t m = R->vam; m; m &= m - 1) {
		int i = __builtin_ctzll(m), o = base[i].out;
		if (base[i].t <= cyc) {
			if (!(outs & 1u << o))
				req[o] = 0;
			req[o] |= (uint64_t)1 << i;
			outs |= 1u << o;
		}
	}
	for (; outs; outs &= outs - 1) {
		int o = __builtin_ctz(outs);
		uint16_t *down = NULL; /* the downstream input port's own */
		if (o != SAC_NOC_LOCAL) {
			int d = n->nb[r * SAC_NOC_PORTS + o];
			assert(d >= 0);
			down = &n->r[d].own[opp[o]];
		}
		while (req[o]) {
			int i = rr_pick(req[o], R->rr_va[o]), w = 0;
			if (o == SAC_NOC_LOCAL) {
				if (R->ej_n + R->ej_res >= n->in_fifo)
					break;
				R->ej_res++;
			} else {
				unsigned f = ~*down & n->vmask;
				if (!f)
					break;
				w = __builtin_ctz(f);
				*down |= (uint16_t)(1u << w);
			}
			base[i].state = ACTIVE;
			base[i].ovc = (uint8_t)w;
			base[i].t = cyc + n->vd;
			req[o] &= ~((uint64_t)1 << i);
			R->vam &= ~((uint64_t)1 << i);
			R->acm |= (uint64_t)1 << i;
			R->rr_va[o] = (uint8_t)(i + 1 == n->nv ? 0 : i + 1);
		}
	}
}

/* Move the front flit of input VC (p, v) through the switch to output o. */
static void traverse(sac_noc *n, int r, int p, int v, int64_t cyc)
{
	router *R = &n->r[r];
	ivc *c = IV(n, r, p, v);
	flit f = *front(n, c);
	int o = c->out;
	pkt *P = &n->pool[f.pkt];
	int tail = f.tail;
	/* A full VC still held upstream: the holder may be waiting off the
	 * wheel for exactly this credit (next_wake), so tell it when it
	 * lands.  (Another holder will see the credit pending.)  For the
	 * local port the holder is our own NI, which this visit re-plans. */
	if (p != SAC_NOC_LOCAL && c->count == n->D && (R->own[p] >> v & 1))
		activate(n, n->nb[r * SAC_NOC_PORTS + p], cyc + n->cd);
	c->head = c->head + 1 == n->D ? 0 : c->head + 1;
	c->count--;
	R->nbuf--;
	int rs = c->rhead + c->rn;
	n->sl[c->fo + (rs >= n->D ? rs - n->D : rs)].ret = cyc + n->cd;
	c->rn++;
	n->rs[r].xbar++;
	n->rs[r].buf_reads++;
	n->rs[r].link[o]++;
	n->last_move = cyc;
	if (o != SAC_NOC_LOCAL) {
		int d = n->nb[r * SAC_NOC_PORTS + o];
		ivc *dc = IV(n, d, opp[o], c->ovc);
		int64_t a = cyc + n->sd + n->xd + n->ld;
		uint16_t *down = &n->r[d].own[opp[o]];
		assert(*down >> c->ovc & 1);
		write_flit(n, d, opp[o], c->ovc, a, f.pkt, f.seq, tail);
		/* Wake the neighbour when the flit can first be acted on; a
		 * flit behind others is no news (the front one's fate is). */
		if (dc->count == 1)
			activate(n, d, dc->state == VA_WAIT ? dc->t
				       : a > dc->t ? a : dc->t);
		n->st.link_flits++;
		if (tail)
			*down &= (uint16_t)~(1u << c->ovc);
	} else {
		n->inflight--;
		n->st.flits_ejected++;
		if (f.seq != P->ejected)
			n->st.misordered++;
		P->ejected++;
		if (tail) {
			int64_t e = cyc + n->sd + n->xd, lat = e - P->p.created;
			assert(R->ej_res > 0 && R->ej_n < n->in_fifo);
			R->ej_res--;
			n->ej[r * n->in_fifo + wrap(R->ej_head + R->ej_n, n->in_fifo)] =
				(ejent){e, f.pkt};
			R->ej_n++;
			n->st.packets_ejected++;
			n->st.latency_sum += lat;
			if (lat > n->st.latency_max)
				n->st.latency_max = lat;
			n->st.hops_sum += (uint64_t)(abs(n->nx[P->p.src] - n->nx[P->p.dst]) +
						     abs(n->ny[P->p.src] - n->ny[P->p.dst]));
		}
	}
	if (tail) {
		if (c->count) {
			/* The next packet's head reaches the front now. */
			flit *g = front(n, c);
			assert(g->seq == 0);
			c->state = VA_WAIT;
			R->acm &= ~((uint64_t)1 << (p * n->V + v));
			R->vam |= (uint64_t)1 << (p * n->V + v);
			c->t = (g->t > cyc + 1 ? g->t : cyc + 1) + n->rd;
			c->out = (uint8_t)route(n, r, n->pool[g->pkt].p.dst);
		} else {
			c->state = IDLE;
			R->acm &= ~((uint64_t)1 << (p * n->V + v));
		}
	}
}

/* Separable switch allocation, input first: each input port picks one
 * ready VC round-robin from rr_in; each output picks one of the input
 * ports that chose it round-robin from rr_out.  Pointers move past the
 * winner only on a final grant. */
static void sw_alloc(sac_noc *n, int r, int64_t cyc)
{
	router *R = &n->r[r];
	ivc *base = IV(n, r, 0, 0);
	uint64_t ready = 0;
	for (uint64_t m = R->acm; m; m &= m - 1) {
		int i = __builtin_ctzll(m);
		ivc *c = &base[i];
		if (c->t > cyc || !c->count || front(n, c)->t > cyc)
			continue;
		int o = c->out;
		if (o != SAC_NOC_LOCAL &&
		    !credits(n, IV(n, n->nb[r * SAC_NOC_PORTS + o], opp[o], c->ovc),
			     cyc))
			continue;
		ready |= (uint64_t)1 << i;
	}
	if (!ready)
		return;
	if (!(ready & (ready - 1))) {
		/* One requester: it wins both stages (the common case). */
		int i = __builtin_ctzll(ready), p = n->port_of[i], v = i - p * n->V;
		int o = base[i].out;
		traverse(n, r, p, v, cyc);
		R->rr_out[o] = (uint8_t)(p + 1 == SAC_NOC_PORTS ? 0 : p + 1);
		R->rr_in[p] = (uint8_t)(v + 1 == n->V ? 0 : v + 1);
		return;
	}
	int win[SAC_NOC_PORTS];
	uint64_t vmask = ((uint64_t)1 << n->V) - 1;
	unsigned oreq[SAC_NOC_PORTS] = {0}, outs = 0;
	for (int p = 0; p < SAC_NOC_PORTS; p++) {
		uint64_t m = (ready >> (p * n->V)) & vmask;
		if (!m)
			continue;
		win[p] = rr_pick(m, R->rr_in[p]);
		int o = base[p * n->V + win[p]].out;
		oreq[o] |= 1u << p;
		outs |= 1u << o;
	}
	for (; outs; outs &= outs - 1) {
		int o = __builtin_ctz(outs);
		int p = rr_pick(oreq[o], R->rr_out[o]);
		traverse(n, r, p, win[p], cyc);
		R->rr_out[o] = (uint8_t)(p + 1 == SAC_NOC_PORTS ? 0 : p + 1);
		R->rr_in[p] = (uint8_t)(win[p] + 1 == n->V ? 0 : win[p] + 1);
	}
}

/* Can a head win VC allocation for output o of router r (all else equal)? */
static int out_free(sac_noc *n, int r, int o)
{
	if (o == SAC_NOC_LOCAL)
		return n->r[r].ej_n + n->r[r].ej_res < n->in_fifo;
	return (~n->r[n->nb[r * SAC_NOC_PORTS + o]].own[opp[o]] & n->vmask) != 0;
}

/* The earliest cycle after cyc in which router r, visited in cyc, could
 * act without news from outside; INT64_MAX if it needs news.  What it
 * waits for is either a cycle written in its state (a VC's t, a front
 * flit's tag, the arrival of a pending credit) or something only news can
 * bring, and every piece of news activates it: a flit from a neighbour
 * (traverse), the first credit for a full downstream VC (traverse), a
 * free ejection slot (sac_noc_pop), a packet to inject (sac_noc_send).
 * What it did itself in cyc (a tail releasing an output VC, a VC lost in
 * arbitration to a winner) shows as a free VC or a credit now: cyc + 1. */
static int64_t next_wake(sac_noc *n, int r, int64_t cyc)
{
	router *R = &n->r[r];
	ivc *base = IV(n, r, 0, 0);
	/* No candidate is earlier than c1, so the first c1 found is the
	 * minimum: a busy router stops looking there (the common case, hence
	 * the moving VCs first). */
	int64_t c1 = cyc + 1, w = INT64_MAX;
	for (uint64_t m = R->acm; m; m &= m - 1) {
		ivc *c = &base[__builtin_ctzll(m)];
		if (!c->count)
			continue; /* its next flit is news */
		int64_t t = front(n, c)->t;
		if (c->t > t)
			t = c->t;
		if (c1 > t)
			t = c1;
		if (c->out != SAC_NOC_LOCAL)
			t = credit_from(n, IV(n, n->nb[r * SAC_NOC_PORTS + c->out],
					      opp[c->out], c->ovc), t);
		if (t == c1)
			return c1;
		if (t < w)
			w = t;
	}
	for (uint64_t m = R->vam; m; m &= m - 1) {
		const ivc *c = &base[__builtin_ctzll(m)];
		/* Refused in cyc: only a VC (slot) freed since can help. */
		int64_t t = c->t > cyc ? c->t
			  : out_free(n, r, c->out) ? c1 : INT64_MAX;
		if (t == c1)
			return c1;
		if (t < w)
			w = t;
	}
	if (R->inj_n) {
		int v = inj_pick(n, r);
		if (v >= 0) {
			int64_t t = credit_from(n, IV(n, r, SAC_NOC_LOCAL, v), c1);
			if (t < w)
				w = t;
		}
	}
	return w;
}

void sac_noc_cycle(sac_noc *n)
{
	int64_t cyc = n->now;
	/* Detach this cycle's list: visits schedule routers strictly later
	 * (flits they send are stamped later than cyc), and the order of the
	 * visits within a cycle cannot change the result (see the top). */
	int *h = &n->slot[cyc & n->wmask], r = *h;
	*h = -1;
	while (r >= 0) {
		int next = n->snext[r];
		assert(n->sat[r] == cyc);
		n->sat[r] = INT64_MAX;
		n->nsched--;
		inject(n, r, cyc);
		vc_alloc(n, r, cyc);
		sw_alloc(n, r, cyc);
		if (n->r[r].nbuf || n->r[r].inj_n) {
			int64_t t = next_wake(n, r, cyc);
			if (t != INT64_MAX)
				activate(n, r, t);
		}
		r = next;
	}
	n->now = cyc + 1;
}

int sac_noc_peek(const sac_noc *n, int node, sac_packet *out)
{
	assert(node >= 0 && node < n->nr);
	const router *R = &n->r[node];
	if (!R->ej_n)
		return 0;
	const ejent *x = &n->ej[node * n->in_fifo + R->ej_head];
	if (x->e >= n->now)
		return 0;
	if (out)
		*out = n->pool[x->pkt].p;
	return 1;
}

int sac_noc_ejection_count(const sac_noc *n, int node)
{
	assert(node >= 0 && node < n->nr);
	const router *R = &n->r[node];
	int c = 0;
	for (int i = 0; i < R->ej_n; i++)
		c += n->ej[node * n->in_fifo + wrap(R->ej_head + i, n->in_fifo)].e <
		     n->now;
	return c;
}

void sac_noc_pop(sac_noc *n, int node)
{
	int ok = sac_noc_peek(n, node, NULL);
	assert(ok);
	(void)ok;
	router *R = &n->r[node];
	n->freep[n->nfree++] = n->ej[node * n->in_fifo + R->ej_head].pkt;
	R->ej_head = wrap(R->ej_head + 1, n->in_fifo);
	R->ej_n--;
	/* A consuming PE is progress: a slow PE is not a deadlock. */
	n->last_move = n->now;
	/* News for a head refused by the full queue (next_wake): the slot is
	 * free for VC allocation in the cycle about to be simulated. */
	if (R->vam)
		activate(n, node, n->now);
}

int64_t sac_noc_now(const sac_noc *n) { return n->now; }

int64_t sac_noc_in_flight(const sac_noc *n) { return n->inflight; }

int sac_noc_busy(const sac_noc *n)
{
	return n->nfree != n->npool;
}

int64_t sac_noc_next_event(const sac_noc *n)
{
	if (!n->nsched)
		return INT64_MAX;
	/* Every scheduled cycle lies in [now, now + wmask] (activate). */
	for (int64_t t = n->now;; t++)
		if (n->slot[t & n->wmask] >= 0)
			return t;
}

void sac_noc_skip(sac_noc *n, int64_t cycles)
{
	assert(cycles >= 0 && sac_noc_next_event(n) >= n->now + cycles);
	n->now += cycles;
}

int64_t sac_noc_last_move(const sac_noc *n) { return n->last_move; }

int sac_noc_send_room(const sac_noc *n, int node)
{
	assert(node >= 0 && node < n->nr);
	return n->out_fifo - n->r[node].inj_n;
}

int64_t sac_noc_peek_from(const sac_noc *n, int node)
{
	assert(node >= 0 && node < n->nr);
	const router *R = &n->r[node];
	return R->ej_n ? n->ej[node * n->in_fifo + R->ej_head].e + 1 : INT64_MAX;
}

const sac_noc_stats *sac_noc_get_stats(const sac_noc *n) { return &n->st; }

/* Why the front flit of VC c (router r, port p, vc v) cannot move. */
static int describe(const sac_noc *n, int r, int p, int v, char *msg,
		    size_t len)
{
	sac_noc *m = (sac_noc *)n; /* front() is shared with the mutators */
	ivc *c = IV(m, r, p, v);
	const flit *f = front(m, c);
	const sac_packet *P = &n->pool[f->pkt].p;
	char why[256];
	int o = c->out;
	if (c->state == VA_WAIT && o == SAC_NOC_LOCAL)
		snprintf(why, sizeof why,
			 "ejection queue full (%d arrived + %d reserved of %d "
			 "packets): the PE at node %d does not consume",
			 n->r[r].ej_n, n->r[r].ej_res, n->in_fifo, r);
	else if (c->state == VA_WAIT)
		snprintf(why, sizeof why,
			 "waiting for a free VC on output %s (all %d held)",
			 sac_noc_port_name(o), n->V);
	else if (o == SAC_NOC_LOCAL)
		snprintf(why, sizeof why, "waiting for the ejection port");
	else {
		int d = n->nb[r * SAC_NOC_PORTS + o];
		snprintf(why, sizeof why,
			 "no credit on output %s VC %d (router (%d,%d) input %s "
			 "VC %d full)",
			 sac_noc_port_name(o), c->ovc, d % n->w, d / n->w,
			 sac_noc_port_name(opp[o]), c->ovc);
	}
	return snprintf(msg, len,
			"NoC stalled at cycle %lld (no flit moved since cycle "
			"%lld): router (%d,%d) input %s VC %d, packet id %llu "
			"(node %d (%d,%d) -> node %d (%d,%d), flit %d of %d): %s",
			(long long)n->now, (long long)n->last_move, r % n->w,
			r / n->w, sac_noc_port_name(p), v,
			(unsigned long long)P->id, P->src, P->src % n->w,
			P->src / n->w, P->dst, P->dst % n->w, P->dst / n->w,
			f->seq + 1, P->nflits, why);
}

int sac_noc_stalled(const sac_noc *n, int64_t limit, char *msg, size_t len)
{
	if (!n->inflight || n->now - n->last_move < limit)
		return 0;
	/* Name the root cause if there is one: a head refused by a full
	 * ejection queue; otherwise the first non-empty VC in router order. */
	int fr = -1, fp = 0, fv = 0;
	for (int r = 0; r < n->nr; r++)
		for (int p = 0; p < SAC_NOC_PORTS; p++)
			for (int v = 0; v < n->V; v++) {
				const ivc *c = &n->iv[(r * SAC_NOC_PORTS + p) * n->V + v];
				if (!c->count)
					continue;
				if (c->state == VA_WAIT && c->out == SAC_NOC_LOCAL) {
					if (msg && len)
						describe(n, r, p, v, msg, len);
					return 1;
				}
				if (fr < 0) {
					fr = r;
					fp = p;
					fv = v;
				}
			}
	if (msg && len) {
		if (fr >= 0)
			describe(n, fr, fp, fv, msg, len);
		else
			snprintf(msg, len,
				 "NoC stalled at cycle %lld: %lld flits wait in "
				 "injection queues, none entered a router since "
				 "cycle %lld",
				 (long long)n->now, (long long)n->inflight,
				 (long long)n->last_move);
	}
	return 1;
}

int sac_noc_hops(const sac_target *t, int src, int dst)
{
	int w = t->mesh_w;
	return abs(src % w - dst % w) + abs(src / w - dst / w);
}

/* The zero-load recurrence of docs/NOC.md, per hop i and flit k:
 *   T[0][k]   = max(c + k, T[0][k-1] + 1, S[0][k-D] + cd)      (injection)
 *   S[i][0]   = T[i][0] + rd + vd
 *   S[i][k]   = max(T[i][k], S[i][k-1] + 1, S[i+1][k-D] + cd)  (i < h)
 *   T[i+1][k] = S[i][k] + sd + xd + ld,  eject = S[h][n-1] + sd + xd.
 * It equals the closed form when n <= D or D >= rd+vd+sd+xd+ld+cd. */
int64_t sac_noc_zero_load_latency(const sac_target *t, int src, int dst,
				  int nflits)
{
	const sac_noc_params *q = &t->noc;
	int h = sac_noc_hops(t, src, dst), D = q->buffer_depth;
	int64_t rd = q->route_delay, vd = q->vc_delay, sd = q->switch_delay,
		xd = q->xbar_delay, ld = q->link_delay, cd = q->credit_delay;
	if (nflits <= D || D >= rd + vd + sd + xd + ld + cd)
		return (h + 1) * (rd + vd + sd + xd) + h * ld + (nflits - 1);
	size_t m = (size_t)(h + 1) * nflits;
	int64_t *T = malloc(m * sizeof *T), *S = malloc(m * sizeof *S);
	int64_t res = -1;
	if (T && S) {
#define AT(A, i, k) A[(size_t)(i) * nflits + (k)]
		for (int k = 0; k < nflits; k++) {
			int64_t x = k;
			if (k && AT(T, 0, k - 1) + 1 > x)
				x = AT(T, 0, k - 1) + 1;
			if (k >= D && AT(S, 0, k - D) + cd > x)
				x = AT(S, 0, k - D) + cd;
			AT(T, 0, k) = x;
			for (int i = 0; i <= h; i++) {
				if (i)
					AT(T, i, k) = AT(S, i - 1, k) + sd + xd + ld;
				int64_t s = AT(T, i, k);
				if (!k)
					s += rd + vd;
				else if (AT(S, i, k - 1) + 1 > s)
					s = AT(S, i, k - 1) + 1;
				if (i < h && k >= D && AT(S, i + 1, k - D) + cd > s)
					s = AT(S, i + 1, k - D) + cd;
				AT(S, i, k) = s;
			}
		}
		res = AT(S, h, nflits - 1) + sd + xd;
#undef AT
	}
	free(T);
	free(S);
	return res;
}
