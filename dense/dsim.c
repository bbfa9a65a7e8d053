/* dsim.c: the cycle-accurate simulator of dense programs, and their image
 * sections.
 *
 * The simulator executes every PE's instruction stream phase by phase
 * (docs/ISA.md, "Phases"): in a phase each PE runs its instructions up to
 * the phase's SYNC; compute instructions go to the unit model (dunit.c),
 * which does the arithmetic with the integer reference's kernels; RECV
 * copies words from another PE's data memory, WLOAD bytes from the
 * parameter memory, SELECT sets the chip's expert-guard register.  Values
 * do not depend on timing (phases are synchronous), so this functional
 * pass runs first and records per phase its packets and the PEs' compute
 * cycles; the timing pass then drives one flit-level NoC model (sac_noc)
 * through the whole run: the weight blocks from the DRAM port at node 0,
 * double-buffered against the previous phase, share the network with the
 * phases' RECV tiles (docs/ISA.md specifies the rules cycle by cycle).
 * The analytic estimate of the same docs replaces the NoC model on
 * request; it is computed on every run for comparison.  Deterministic:
 * the same program and input give the same cycles, counts and energy on
 * every host.  Per-PE memories are owned by the run; the program is
 * read-only.  The image reader is strict: every count, index
 * and address is checked before use, and errors name the file, the section
 * and the item. */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/dsim.h"
#include "saccade/image.h"
#include "saccade/noc.h"

#define MAX_GUARD 63

static const char *const ecomp_names[] = {
#define X(id, name) name,
	SAC_DSIM_ECOMPS(X)
#undef X
};

const char *sac_dsim_ecomp_name(int c)
{
	return c >= 0 && c < SAC_DE_COUNT ? ecomp_names[c] : "?";
}

void sac_dsim_trace_free(sac_dsim_trace *tr)
{
	if (!tr)
		return;
	for (int i = 0; i < tr->n; i++)
		free(tr->out ? tr->out[i] : NULL);
	free(tr->out);
	free(tr->ran);
	memset(tr, 0, sizeof *tr);
}

/* ---- the run ------------------------------------------------------------------ */

/* A packet of the timeline: a weight block from the port at node 0 (list
 * 0) or a RECV's tile from one PE to another (list 1).  ready (weights
 * only): cycles after the stream's start from which the port holds the
 * whole block. */
typedef struct xfer {
	int src, dst;
	uint32_t flits;
	int64_t ready;
} xfer;

typedef struct seg {
	int phase;
	uint32_t start, end; /* instructions [start, end) then the SYNC */
} seg;

/* A phase that ran, as the functional pass leaves it for the timing: its
 * packets, its compute, its energy but the leakage; then the timeline. */
typedef struct tph {
	int ph, block, guard;
	int sel;                 /* it ran a SELECT */
	int selp;                /* the last earlier run phase with sel, or -1 */
	int w0, nw, x0, nx;      /* its weight packets, its RECV packets */
	int64_t comp;            /* the slowest PE's compute cycles */
	int64_t gather_a, stream_a; /* the analytic model's times */
	uint64_t dbytes, flits, lf;
	double pj[SAC_DE_COUNT];
	/* Weights streamed over [lstart, lend], RECVs over [start, gend],
	 * then compute and the barrier until end. */
	int64_t lstart, lend, start, gend, end;
} tph;

typedef struct run {
	const sac_dprog *p;
	sac_err *e;
	sac_dunit_cfg cfg;
	int32_t **d;
	uint8_t **w;
	seg **segs;
	int *nseg, *cur;
	uint64_t sel;
	int ran_select;  /* this phase ran a SELECT */
	xfer *xf[2];     /* packets of all run phases: [0] weights, [1] recvs */
	int nxf[2], xcap[2];
	uint64_t *doff;  /* (offset, len) of this phase's WLOADs, in xf[0] order */
	int ndoff, dcap;
	tph *tp;         /* the run phases */
	int ntp, tcap;
	int64_t *link;   /* flits per directed link: npe x 4 */
	int64_t *inj, *ej;
	uint64_t *pe_cycles; /* compute cycles per PE this phase */
	uint64_t *pe_active;
	sac_dsim_stats *st;
} run;

static int push_xfer(run *r, int l, int src, int dst, uint32_t flits)
{
	if (r->nxf[l] == r->xcap[l]) {
		if (r->xcap[l] > INT32_MAX / 4)
			return sac_errf(r->e, SAC_ERR_CAPACITY, "more than %d transfers",
					r->xcap[l]);
		int nc = r->xcap[l] ? 2 * r->xcap[l] : 256;
		xfer *n = realloc(r->xf[l], (size_t)nc * sizeof *n);
		if (!n)
			return sac_errf(r->e, SAC_ERR_NOMEM, "out of memory");
		r->xf[l] = n;
		r->xcap[l] = nc;
	}
	r->xf[l][r->nxf[l]++] = (xfer){src, dst, flits, 0};
	return SAC_OK;
}

static uint32_t flits_of(const sac_target *t, uint64_t bytes)
{
	uint64_t fb = (uint64_t)t->noc.flit_bits / 8;
	return (uint32_t)(1 + (bytes + fb - 1) / fb); /* a head flit + payload */
}

/* Analytic NoC time of packets [from, to) of list l (docs/ISA.md): the
 * largest of the zero-load latencies, and the busiest link, source or
 * sink's flits plus the longest path's one-flit latency.  Also their
 * energy and flit hops, exact for XY routing in both timing models. */
static int64_t noc_time(run *r, int l, int from, int to, double *pj,
			uint64_t *lf)
{
	const sac_target *t = &r->p->t;
	int npe = r->p->npe, W = t->mesh_w;
	if (from == to)
		return 0;
	memset(r->link, 0, sizeof(int64_t) * (size_t)npe * 4);
	memset(r->inj, 0, sizeof(int64_t) * (size_t)npe);
	memset(r->ej, 0, sizeof(int64_t) * (size_t)npe);
	int64_t maxlat = 0, maxload = 0, path1 = 0;
	const sac_energy *en = &t->energy;
	for (int i = from; i < to; i++) {
		const xfer *x = &r->xf[l][i];
		int sx = x->src % W, sy = x->src / W, dx = x->dst % W, dy = x->dst / W;
		int h = abs(sx - dx) + abs(sy - dy);
		int64_t lat = sac_noc_zero_load_latency(t, x->src, x->dst, (int)x->flits);
		int64_t l1 = sac_noc_zero_load_latency(t, x->src, x->dst, 1);
		if (lat > maxlat)
			maxlat = lat;
		if (l1 > path1)
			path1 = l1;
		r->inj[x->src] += x->flits;
		r->ej[x->dst] += x->flits;
		/* XY: x first, then y; link index node * 4 + direction. */
		int cx = sx, cy = sy;
		while (cx != dx) {
			int dir = dx > cx ? 1 : 3;
			r->link[(cy * W + cx) * 4 + dir] += x->flits;
			cx += dx > cx ? 1 : -1;
		}
		while (cy != dy) {
			int dir = dy > cy ? 2 : 0;
			r->link[(cy * W + cx) * 4 + dir] += x->flits;
			cy += dy > cy ? 1 : -1;
		}
		*pj += (double)x->flits * ((h + 1) * (en->router_buffer + en->router_xbar) +
					   h * en->link);
		*lf += (uint64_t)x->flits * (uint64_t)h;
	}
	for (int i = 0; i < npe * 4; i++)
		if (r->link[i] > maxload)
			maxload = r->link[i];
	for (int i = 0; i < npe; i++) {
		if (r->inj[i] > maxload)
			maxload = r->inj[i];
		if (r->ej[i] > maxload)
			maxload = r->ej[i];
	}
	return maxlat > maxload + path1 ? maxlat : maxload + path1;
}

typedef struct kix {
	uint64_t key; /* offset << 24 | length */
	int i;
} kix;

static int cmp_kix(const void *a, const void *b)
{
	const kix *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* The DRAM side of phase T's weight stream (docs/ISA.md): the port reads
 * the distinct blocks in order of first use in the stream, back to back,
 * from dram_latency cycles after the stream's start; a packet is ready
 * when its block has been read.  Sets each packet's ready and T->dbytes. */
static int stream_ready(run *r, tph *T)
{
	const sac_target *t = &r->p->t;
	int n = r->ndoff;
	assert(n == T->nw);
	T->dbytes = 0;
	if (!n)
		return SAC_OK;
	kix *k = malloc(sizeof *k * (size_t)n);
	int *first = malloc(sizeof *first * (size_t)n);
	if (!k || !first) {
		free(k);
		free(first);
		return sac_errf(r->e, SAC_ERR_NOMEM, "out of memory");
	}
	for (int i = 0; i < n; i++)
		k[i] = (kix){r->doff[i], i};
	qsort(k, (size_t)n, sizeof *k, cmp_kix);
	for (int i = 0; i < n; i++)
		first[k[i].i] = i && k[i].key == k[i - 1].key ? first[k[i - 1].i] : k[i].i;
	uint64_t bpc = (uint64_t)t->dense.dram_bytes_per_cycle;
	xfer *x = r->xf[0] + T->w0;
	for (int i = 0; i < n; i++) {
		if (first[i] == i) {
			T->dbytes += r->doff[i] & 0xFFFFFF;
			x[i].ready = t->dense.dram_latency +
				     (int64_t)((T->dbytes + bpc - 1) / bpc);
		} else {
			x[i].ready = x[first[i]].ready;
		}
	}
	free(k);
	free(first);
	return SAC_OK;
}


static int dchk(run *r, int q, uint64_t addr, uint64_t n, const char *what)
{
	if (addr + n > r->p->dwords)
		return sac_errf(r->e, SAC_ERR_CORRUPT,
				"PE %d: %s [%llu, +%llu) outside the data memory", q,
				what, (unsigned long long)addr, (unsigned long long)n);
	return SAC_OK;
}

/* One system instruction of PE q. */
static int sys_instr(run *r, int q, const sac_dinstr *in)
{
	const sac_dprog *p = r->p;
	sac_dunit_counts *k = &r->st->unit;
	const uint32_t *a = in->a;
	switch (in->op) {
	case SAC_DOP_RECV: {
		int src = (int)a[1];
		if (src < 0 || src >= p->npe)
			return sac_errf(r->e, SAC_ERR_CORRUPT, "PE %d: recv from PE %u", q, a[1]);
		int rc = dchk(r, q, a[0], a[3], "recv destination");
		if (!rc) rc = dchk(r, src, a[2], a[3], "recv source");
		if (rc)
			return rc;
		memmove(r->d[q] + a[0], r->d[src] + a[2], sizeof(int32_t) * a[3]);
		k->dmem_reads += a[3];
		k->dmem_writes += a[3];
		if (src != q) {
			uint32_t f = flits_of(&p->t, (uint64_t)a[3] * (a[4] ? a[4] : 4));
			r->pe_active[q] += f;
			r->pe_active[src] += f;
			return push_xfer(r, 1, src, q, f);
		}
		r->pe_active[q] += (a[3] + (uint32_t)r->cfg.vec_lanes - 1) / (uint32_t)r->cfg.vec_lanes;
		return SAC_OK;
	}
	case SAC_DOP_WLOAD: {
		uint64_t off = (uint64_t)a[1] | (uint64_t)a[2] << 32, n = a[3];
		if ((uint64_t)a[0] + n > p->wbytes || off + n > p->dram_len)
			return sac_errf(r->e, SAC_ERR_CORRUPT,
					"PE %d: wload of %llu bytes from %llu to %u outside "
					"the memories", q, (unsigned long long)n,
					(unsigned long long)off, a[0]);
		memcpy(r->w[q] + a[0], p->dram + off, n);
		k->wmem_writes += (n + 7) / 8;
		if (r->ndoff + 1 >= r->dcap) {
			int nc = r->dcap ? 2 * r->dcap : 256;
			uint64_t *nd = realloc(r->doff, (size_t)nc * sizeof *nd);
			if (!nd)
				return sac_errf(r->e, SAC_ERR_NOMEM, "out of memory");
			r->doff = nd;
			r->dcap = nc;
		}
		/* Offsets are 8-aligned and blocks < 2^32: pack (off, len). */
		r->doff[r->ndoff++] = off << 24 | (n & 0xFFFFFF);
		uint32_t f = flits_of(&p->t, n);
		r->pe_active[q] += f;
		return push_xfer(r, 0, 0, q, f);
	}
	case SAC_DOP_SELECT: {
		int rc = dchk(r, q, a[0], a[1], "select");
		if (rc)
			return rc;
		r->sel = 0;
		r->ran_select = 1;
		for (uint32_t j = 0; j < a[1]; j++) {
			int32_t x = r->d[q][a[0] + j];
			if (x >= 0 && x <= MAX_GUARD)
				r->sel |= (uint64_t)1 << x;
		}
		return SAC_OK;
	}
	default:
		return SAC_OK;
	}
}

/* Put a prefix before the error already in e (the first error wins in
 * sac_errf, so rewrite it). */
static int prefix(sac_err *e, const char *fmt, ...)
{
	char m[sizeof e->msg], pre[sizeof e->msg];
	int code = e->code ? e->code : SAC_ERR_STATE;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	snprintf(m, sizeof m, "%s", e->msg);
	sac_err_clear(e);
	return sac_errf(e, code, "%s%s", pre, m);
}

static int guard_ok(const run *r, int g)
{
	return g < 0 || (r->sel >> g & 1);
}

/* Per-PE phase segments of the streams. */
static int build_segs(run *r)
{
	const sac_dprog *p = r->p;
	for (int q = 0; q < p->npe; q++) {
		int n = 0;
		for (uint32_t i = 0; i < p->ncode[q]; i++)
			n += p->code[q][i].op == SAC_DOP_SYNC;
		r->segs[q] = calloc((size_t)n + 1, sizeof(seg));
		if (!r->segs[q])
			return sac_errf(r->e, SAC_ERR_NOMEM, "out of memory");
		uint32_t s = 0;
		int last = -1;
		for (uint32_t i = 0; i < p->ncode[q]; i++) {
			if (p->code[q][i].op != SAC_DOP_SYNC)
				continue;
			int ph = (int)p->code[q][i].a[0];
			if (ph <= last || ph >= p->nphases)
				return sac_errf(r->e, SAC_ERR_CORRUPT,
						"PE %d: sync %d out of order", q, ph);
			r->segs[q][r->nseg[q]++] = (seg){ph, s, i};
			last = ph;
			s = i + 1;
		}
		if (s != p->ncode[q])
			return sac_errf(r->e, SAC_ERR_CORRUPT,
					"PE %d: instructions after the last sync", q);
	}
	return SAC_OK;
}

/* Copy tensor t's tiles out of the owners' memories into out. */
static void read_tensor(const run *r, int t, int32_t *out)
{
	const sac_dprog *p = r->p;
	int b = t;
	while (p->tensor[b].alias >= 0)
		b = p->tensor[b].alias;
	const sac_dtensor *x = &p->tensor[b];
	for (int i = 0; i < x->ntiles; i++) {
		const sac_dtile *tl = &p->tile[x->tile0 + i];
		int w = tl->c1 - tl->c0;
		for (int row = tl->r0; row < tl->r1; row++)
			memcpy(out + (size_t)row * x->cols + tl->c0,
			       r->d[tl->pe] + tl->addr + (size_t)(row - tl->r0) * w,
			       sizeof(int32_t) * (size_t)w);
	}
}

static void write_tensor(run *r, int t, const int32_t *in)
{
	const sac_dprog *p = r->p;
	const sac_dtensor *x = &p->tensor[t];
	int64_t hi = ((int64_t)1 << (x->bits - 1)) - 1;
	for (int i = 0; i < x->ntiles; i++) {
		const sac_dtile *tl = &p->tile[x->tile0 + i];
		int w = tl->c1 - tl->c0;
		for (int row = tl->r0; row < tl->r1; row++)
			for (int c = tl->c0; c < tl->c1; c++) {
				int32_t v = in[(size_t)row * x->cols + c];
				if (x->bits < 32)
					v = (int32_t)(v > hi ? hi : v < -hi - 1 ? -hi - 1 : v);
				r->d[tl->pe][tl->addr + (size_t)(row - tl->r0) * w + (c - tl->c0)] = v;
			}
	}
}

static void charge_unit(const sac_target *t, const sac_dunit_counts *k,
			double *pj)
{
	const sac_energy *en = &t->energy;
	pj[SAC_DE_MAC] += (double)k->macs * en->mac;
	pj[SAC_DE_REQUANT] += (double)k->rq * en->requant;
	pj[SAC_DE_ALU] += (double)k->alu * en->add;
	pj[SAC_DE_LUT] += (double)k->lut * en->lut;
	pj[SAC_DE_DIV] += (double)k->div * en->divide;
	pj[SAC_DE_DMEM] += (double)k->dmem_reads * en->potential_read +
			   (double)k->dmem_writes * en->potential_write;
	pj[SAC_DE_WMEM] += (double)k->wmem_reads * en->weight_read +
			   (double)k->wmem_writes * en->weight_write;
}

static void counts_diff(sac_dunit_counts *d, const sac_dunit_counts *a,
			const sac_dunit_counts *b)
{
	d->cycles = a->cycles - b->cycles;
	d->macs = a->macs - b->macs;
	d->rq = a->rq - b->rq;
	d->alu = a->alu - b->alu;
	d->lut = a->lut - b->lut;
	d->div = a->div - b->div;
	d->dmem_reads = a->dmem_reads - b->dmem_reads;
	d->dmem_writes = a->dmem_writes - b->dmem_writes;
	d->wmem_reads = a->wmem_reads - b->wmem_reads;
	d->wmem_writes = a->wmem_writes - b->wmem_writes;
	d->instrs = a->instrs - b->instrs;
}

static void run_free(run *r)
{
	const sac_dprog *p = r->p;
	for (int q = 0; q < p->npe; q++) {
		if (r->d)
			free(r->d[q]);
		if (r->w)
			free(r->w[q]);
		if (r->segs)
			free(r->segs[q]);
	}
	free(r->d);
	free(r->w);
	free(r->segs);
	free(r->nseg);
	free(r->cur);
	free(r->xf[0]);
	free(r->xf[1]);
	free(r->doff);
	free(r->tp);
	free(r->link);
	free(r->inj);
	free(r->ej);
	free(r->pe_cycles);
	free(r->pe_active);
}

/* The analytic estimate (docs/ISA.md, "The analytic estimate"): the
 * double-buffering recurrence over the phases' analytic NoC times.
 * Returns the latency; with write, also the timeline in T. */
static int64_t analytic_timeline(const sac_target *t, tph *T, int n, int write)
{
	int64_t end_prev = 0, start_prev = 0, load_end = 0, sel_end = 0;
	for (int i = 0; i < n; i++) {
		int64_t ls = load_end > start_prev ? load_end : start_prev;
		if (T[i].guard >= 0 && ls < sel_end)
			ls = sel_end;
		int64_t le = ls + T[i].stream_a;
		int64_t start = end_prev > le ? end_prev : le;
		int64_t gend = start + T[i].gather_a;
		int64_t end = gend + T[i].comp + t->noc.sync_delay;
		if (write) {
			T[i].lstart = ls;
			T[i].lend = le;
			T[i].start = start;
			T[i].gend = gend;
			T[i].end = end;
		}
		if (T[i].sel)
			sel_end = end;
		load_end = le;
		start_prev = start;
		end_prev = end;
	}
	return end_prev;
}

/* A set of nodes with O(1) insertion and removal: items[0, *n), pos[x]
 * the index of x or -1. */
static void set_add(int *item, int *pos, int *n, int x)
{
	if (pos[x] < 0) {
		pos[x] = *n;
		item[(*n)++] = x;
	}
}

static void set_del(int *item, int *pos, int *n, int x)
{
	int k = pos[x], y = item[--*n];
	item[k] = y;
	pos[y] = k;
	pos[x] = -1;
}

#define ID_RECV 1 /* sac_packet.id of a RECV tile; 0: a weight block */

enum { WAITING, GATHER, COMPUTE };

/* The flit-level timeline (docs/ISA.md, "Phases, data movement and weight
 * streaming"): one sac_noc carries every weight block and every RECV tile
 * of the run phases T[0, n) on one clock.  Per cycle, in this order: the
 * PEs pop what arrived; phase boundaries and the next weight stream's
 * start; the port offers its next ready block to node 0's injection
 * queue; the sources offer their RECV tiles in order as their queues have
 * room; the network moves.  Cycles in which none of that can happen are
 * skipped (sac_noc_skip), which changes nothing but the speed.  Fills the
 * timeline fields of T. */
static int flit_timeline(run *r, tph *T, int n)
{
	const sac_dprog *p = r->p;
	const sac_target *t = &p->t;
	int npe = p->npe, maxx = 1, ofifo = t->pe.out_fifo;
	for (int i = 0; i < n; i++)
		if (T[i].nx > maxx)
			maxx = T[i].nx;
	sac_noc *noc = sac_noc_new(t, r->e);
	if (!noc)
		return r->e->code ? r->e->code : SAC_ERR_NOMEM;
	int *inb = calloc((size_t)npe, sizeof *inb);   /* packets on their way to q */
	int *pl = malloc(sizeof(int) * (size_t)npe);   /* nodes with inb > 0 */
	int *pp = malloc(sizeof(int) * (size_t)npe);
	int *sl = malloc(sizeof(int) * (size_t)npe);   /* sources with tiles to send */
	int *sp = malloc(sizeof(int) * (size_t)npe);
	int *cnt = malloc(sizeof(int) * ((size_t)npe + 1));
	int *head = malloc(sizeof(int) * (size_t)npe);
	int *order = malloc(sizeof(int) * (size_t)maxx);
	int rc = SAC_OK;
	if (!inb || !pl || !pp || !sl || !sp || !cnt || !head || !order)
		rc = sac_errf(r->e, SAC_ERR_NOMEM, "out of memory");
	for (int q = 0; !rc && q < npe; q++)
		pp[q] = sp[q] = -1;
	const xfer *W = r->xf[0], *X = r->xf[1];
	const sac_noc_stats *ns = sac_noc_get_stats(noc);
	int i = 0, state = WAITING, j = 0, streaming = 0, k = 0, wleft = 0,
	    rleft = 0, npl = 0, nsl = 0;
	uint64_t popped = 0, seen = 0;
	int64_t pop_at = INT64_MAX;
	while (!rc && i < n) {
		int64_t c = sac_noc_now(noc);
		/* The PEs consume what arrived; the scan runs when packets were
		 * ejected since the last one, or the first it saw shows. */
		if (ns->packets_ejected != popped &&
		    (ns->packets_ejected != seen || c >= pop_at)) {
			seen = ns->packets_ejected;
			pop_at = INT64_MAX;
			for (int a = 0; a < npl; a++) {
				int q = pl[a];
				sac_packet pk;
				while (sac_noc_peek(noc, q, &pk)) {
					sac_noc_pop(noc, q);
					popped++;
					inb[q]--;
					if (pk.id == ID_RECV) {
						assert(state == GATHER && rleft > 0);
						if (--rleft == 0) {
							T[i].gend = c;
							T[i].end = c + T[i].comp + t->noc.sync_delay;
							state = COMPUTE;
						}
					} else {
						assert(streaming && wleft > 0);
						if (--wleft == 0) {
							T[j++].lend = c;
							streaming = 0;
						}
					}
				}
				int64_t f = sac_noc_peek_from(noc, q);
				if (f < pop_at)
					pop_at = f;
				if (!inb[q])
					set_del(pl, pp, &npl, q), a--;
			}
		}
		/* Phase boundaries and the next stream's start in cycle c. */
		for (;;) {
			if (state == COMPUTE && c >= T[i].end) {
				assert(c == T[i].end);
				state = WAITING;
				if (++i == n)
					break;
				continue;
			}
			if (state == WAITING && j > i) {
				/* Its weights are in and the previous phase ended. */
				T[i].start = c;
				rleft = T[i].nx;
				if (!rleft) {
					T[i].gend = c;
					T[i].end = c + T[i].comp + t->noc.sync_delay;
					state = COMPUTE;
					continue;
				}
				/* Tiles grouped by source, stream order kept. */
				memset(cnt, 0, sizeof(int) * ((size_t)npe + 1));
				for (int a = 0; a < T[i].nx; a++)
					cnt[X[T[i].x0 + a].src + 1]++;
				for (int q = 0; q < npe; q++)
					cnt[q + 1] += cnt[q];
				memcpy(head, cnt, sizeof(int) * (size_t)npe);
				for (int a = 0; a < T[i].nx; a++)
					order[head[X[T[i].x0 + a].src]++] = a;
				memcpy(head, cnt, sizeof(int) * (size_t)npe);
				for (int q = 0; q < npe; q++)
					if (cnt[q + 1] > cnt[q])
						set_add(sl, sp, &nsl, q);
				state = GATHER;
				continue;
			}
			/* Stream j starts once phase j - 1 started and, for an
			 * expert's phase, the phase of the SELECT ended. */
			if (!streaming && j < n &&
			    (j == 0 || j - 1 < i || (j - 1 == i && state != WAITING)) &&
			    (T[j].guard < 0 || T[j].selp < i)) {
				T[j].lstart = c;
				k = T[j].w0;
				wleft = T[j].nw;
				streaming = 1;
				if (!wleft) {
					T[j++].lend = c;
					streaming = 0;
				}
				continue;
			}
			break;
		}
		if (i == n)
			break;
		/* The port offers its next block once read, into an empty
		 * injection queue: a block waits for PE 0's queued tiles, a
		 * tile behind at most one block. */
		if (streaming && k < T[j].w0 + T[j].nw &&
		    c >= T[j].lstart + W[k].ready && sac_noc_send_room(noc, 0) == ofifo) {
			sac_packet pk = {0, W[k].dst, (int)W[k].flits, 0, -1, 0};
			int ok = sac_noc_send(noc, &pk);
			assert(ok == 1);
			(void)ok;
			if (!inb[W[k].dst]++)
				set_add(pl, pp, &npl, W[k].dst);
			k++;
		}
		/* The PEs' DMAs offer their tiles. */
		for (int a = 0; a < nsl; a++) {
			int s = sl[a];
			while (head[s] < cnt[s + 1] && sac_noc_send_room(noc, s) > 0) {
				const xfer *x = &X[T[i].x0 + order[head[s]++]];
				sac_packet pk = {s, x->dst, (int)x->flits, 0, -1, ID_RECV};
				int ok = sac_noc_send(noc, &pk);
				assert(ok == 1);
				(void)ok;
				if (!inb[x->dst]++)
					set_add(pl, pp, &npl, x->dst);
			}
			if (head[s] == cnt[s + 1])
				set_del(sl, sp, &nsl, s), a--;
		}
		sac_noc_cycle(noc);
		/* Skip the cycles in which nothing can happen. */
		int64_t now = c + 1, nx = sac_noc_next_event(noc);
		if (nx > now) {
			if (ns->packets_ejected != popped) {
				int64_t v = ns->packets_ejected != seen ? now : pop_at;
				if (v < nx)
					nx = v;
			}
			if (state == COMPUTE && T[i].end < nx)
				nx = T[i].end;
			if (streaming && k < T[j].w0 + T[j].nw &&
			    sac_noc_send_room(noc, 0) == ofifo) {
				int64_t v = T[j].lstart + W[k].ready;
				if (v < nx)
					nx = v > now ? v : now;
			}
			for (int a = 0; nx > now && a < nsl; a++)
				if (sac_noc_send_room(noc, sl[a]) > 0)
					nx = now;
			if (nx == INT64_MAX)
				rc = sac_errf(r->e, SAC_ERR_STATE, "dense timeline: nothing "
					      "can move at cycle %lld in phase %d (a bug)",
					      (long long)now, T[i].ph);
			else if (nx > now)
				sac_noc_skip(noc, nx - now);
		}
	}
	if (!rc) {
		/* The network's own count of flit hops is the energy's. */
		uint64_t lf = 0;
		for (int a = 0; a < n; a++)
			lf += T[a].lf;
		assert(ns->link_flits == lf && !sac_noc_busy(noc));
		(void)lf;
	}
	free(inb);
	free(pl);
	free(pp);
	free(sl);
	free(sp);
	free(cnt);
	free(head);
	free(order);
	sac_noc_free(noc);
	return rc;
}

static int dsim_run(const sac_dprog *p, const int32_t *const *qin,
		    int32_t *logits, sac_dsim_stats *st, sac_dsim_trace *tr,
		    int flit, sac_err *e);

int sac_dsim_run(const sac_dprog *p, const int32_t *const *qin,
		 int32_t *logits, sac_dsim_stats *st, sac_dsim_trace *tr,
		 sac_err *e)
{
	return dsim_run(p, qin, logits, st, tr, 1, e);
}

int sac_dsim_run_analytic(const sac_dprog *p, const int32_t *const *qin,
			  int32_t *logits, sac_dsim_stats *st,
			  sac_dsim_trace *tr, sac_err *e)
{
	return dsim_run(p, qin, logits, st, tr, 0, e);
}

/* After phase ph's instructions ran: its packets' analytic times and
 * energy, its DRAM stream, its compute, appended to r->tp. */
static int record_phase(run *r, int ph, int w0, int x0, int *last_sel,
			const sac_dunit_counts *before)
{
	const sac_dprog *p = r->p;
	const sac_target *t = &p->t;
	if (r->ntp == r->tcap) {
		int nc = r->tcap ? 2 * r->tcap : 64;
		tph *a = realloc(r->tp, sizeof *a * (size_t)nc);
		if (!a)
			return sac_errf(r->e, SAC_ERR_NOMEM, "out of memory");
		r->tp = a;
		r->tcap = nc;
	}
	tph *T = &r->tp[r->ntp];
	memset(T, 0, sizeof *T);
	T->ph = ph;
	T->block = p->phase[ph].block;
	T->guard = p->phase[ph].guard;
	T->sel = r->ran_select;
	T->selp = *last_sel;
	T->w0 = w0;
	T->nw = r->nxf[0] - w0;
	T->x0 = x0;
	T->nx = r->nxf[1] - x0;
	double npj = 0;
	int64_t wnoc = noc_time(r, 0, w0, r->nxf[0], &npj, &T->lf);
	T->gather_a = noc_time(r, 1, x0, r->nxf[1], &npj, &T->lf);
	for (int i = w0; i < r->nxf[0]; i++)
		T->flits += r->xf[0][i].flits;
	for (int i = x0; i < r->nxf[1]; i++)
		T->flits += r->xf[1][i].flits;
	int rc = stream_ready(r, T);
	if (rc)
		return rc;
	if (T->nw) {
		uint64_t bpc = (uint64_t)t->dense.dram_bytes_per_cycle;
		int64_t dr = (int64_t)((T->dbytes + bpc - 1) / bpc);
		T->stream_a = t->dense.dram_latency + (dr > wnoc ? dr : wnoc);
	}
	uint64_t comp = 0, active = 0;
	for (int q = 0; q < p->npe; q++) {
		if (r->pe_cycles[q] > comp)
			comp = r->pe_cycles[q];
		active += r->pe_cycles[q] + r->pe_active[q];
	}
	T->comp = (int64_t)comp;
	sac_dunit_counts d;
	counts_diff(&d, &r->st->unit, before);
	charge_unit(t, &d, T->pj);
	T->pj[SAC_DE_DRAM] += (double)T->dbytes * t->energy.dram_byte;
	T->pj[SAC_DE_NOC] += npj;
	T->pj[SAC_DE_CLOCK] += (double)active * t->energy.clock_pe;
	if (T->sel)
		*last_sel = r->ntp;
	r->ntp++;
	return SAC_OK;
}

/* Charge the leakage of the timeline and sum the phases into st. */
static void finish_stats(run *r)
{
	const sac_dprog *p = r->p;
	const sac_target *t = &p->t;
	sac_dsim_stats *st = r->st;
	int64_t end_prev = 0;
	for (int i = 0; i < r->ntp; i++) {
		tph *T = &r->tp[i];
		assert(T->lstart <= T->lend && T->lend <= T->start &&
		       T->start >= end_prev && T->start <= T->gend && T->gend <= T->end);
		T->pj[SAC_DE_LEAK] += (double)(T->end - end_prev) * p->npe * t->energy.leak_pe;
		sac_dsim_block *B = &st->block[T->block];
		B->cycles += T->end - end_prev;
		B->stall += T->start - end_prev;
		B->phases_run++;
		for (int c = 0; c < SAC_DE_COUNT; c++) {
			B->pj[c] += T->pj[c];
			st->pj[c] += T->pj[c];
		}
		st->gather_cycles += T->gend - T->start;
		st->compute_cycles += T->comp;
		st->stream_cycles += T->lend - T->lstart;
		st->stall_cycles += T->start - end_prev;
		st->dram_bytes += T->dbytes;
		st->flits += T->flits;
		st->link_flits += T->lf;
		st->phases_run++;
		end_prev = T->end;
	}
	st->cycles = end_prev;
	st->seconds = (double)end_prev / t->clock_hz;
	st->instrs = st->unit.instrs;
	for (int c = 0; c < SAC_DE_COUNT; c++)
		st->energy_pj += st->pj[c];
}

static int dsim_run(const sac_dprog *p, const int32_t *const *qin,
		    int32_t *logits, sac_dsim_stats *st, sac_dsim_trace *tr,
		    int flit, sac_err *e)
{
	run R;
	memset(&R, 0, sizeof R);
	memset(st, 0, sizeof *st);
	R.p = p;
	R.e = e;
	R.st = st;
	R.cfg = (sac_dunit_cfg){p->t.dense.mac_lanes, p->t.dense.vector_lanes,
				p->t.pe.pipeline, p->t.dense.div_cycles};
	int npe = p->npe, rc = SAC_OK;
	R.d = calloc((size_t)npe, sizeof *R.d);
	R.w = calloc((size_t)npe, sizeof *R.w);
	R.segs = calloc((size_t)npe, sizeof *R.segs);
	R.nseg = calloc((size_t)npe, sizeof *R.nseg);
	R.cur = calloc((size_t)npe, sizeof *R.cur);
	R.link = calloc((size_t)npe * 4, sizeof *R.link);
	R.inj = calloc((size_t)npe, sizeof *R.inj);
	R.ej = calloc((size_t)npe, sizeof *R.ej);
	R.pe_cycles = calloc((size_t)npe, sizeof *R.pe_cycles);
	R.pe_active = calloc((size_t)npe, sizeof *R.pe_active);
	int *lastph = calloc((size_t)p->ntensors + 1, sizeof *lastph);
	if (!R.d || !R.w || !R.segs || !R.nseg || !R.cur || !R.link || !R.inj ||
	    !R.ej || !R.pe_cycles || !R.pe_active || !lastph)
		rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int q = 0; !rc && q < npe; q++) {
		R.d[q] = calloc(p->dwords, sizeof(int32_t));
		R.w[q] = calloc(p->wbytes, 1);
		if (!R.d[q] || !R.w[q])
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	}
	if (!rc) rc = build_segs(&R);
	if (!rc && tr) {
		memset(tr, 0, sizeof *tr);
		tr->n = p->ntensors;
		tr->out = calloc((size_t)p->ntensors, sizeof *tr->out);
		tr->ran = calloc((size_t)p->ntensors, 1);
		if (!tr->out || !tr->ran)
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		for (int i = 0; !rc && i < p->ntensors; i++)
			if (p->tensor[i].graph >= 0) {
				tr->out[i] = calloc((size_t)p->tensor[i].rows * p->tensor[i].cols,
						    sizeof(int32_t));
				if (!tr->out[i])
					rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			}
	}
	/* The host loads the inputs (outside the latency). */
	for (int i = 0, j = 0; !rc && i < p->ntensors; i++) {
		lastph[i] = -1;
		if (p->tensor[i].op == SAC_DENSE_INPUT) {
			write_tensor(&R, i, qin[j++]);
			if (tr) {
				read_tensor(&R, i, tr->out[i]);
				tr->ran[i] = 1;
			}
		}
	}
	for (int ph = 0; ph < p->nphases; ph++)
		lastph[p->phase[ph].tensor] = ph;

	/* The functional pass: values do not depend on timing (phases are
	 * synchronous), so every phase runs here and leaves its packets and
	 * compute for the timing pass. */
	const sac_target *t = &p->t;
	int last_sel = -1;
	for (int ph = 0; !rc && ph < p->nphases; ph++) {
		const sac_dphase *P = &p->phase[ph];
		int skip = !guard_ok(&R, P->guard);
		sac_dunit_counts before = st->unit;
		int w0 = R.nxf[0], x0 = R.nxf[1];
		R.ndoff = 0;
		R.ran_select = 0;
		memset(R.pe_cycles, 0, sizeof(uint64_t) * (size_t)npe);
		memset(R.pe_active, 0, sizeof(uint64_t) * (size_t)npe);
		for (int q = 0; !rc && q < npe; q++) {
			if (R.cur[q] >= R.nseg[q] || R.segs[q][R.cur[q]].phase != ph)
				continue;
			const seg *s = &R.segs[q][R.cur[q]++];
			if (skip)
				continue;
			for (uint32_t i = s->start; !rc && i < s->end; i++) {
				const sac_dinstr *in = &p->code[q][i];
				if (!guard_ok(&R, in->guard))
					continue;
				if (sac_dunit_op_system(in->op)) {
					rc = sys_instr(&R, q, in);
				} else {
					sac_dunit_mem m = {R.d[q], p->dwords, R.w[q], p->wbytes};
					uint64_t c0 = st->unit.cycles;
					rc = sac_dunit_exec(&R.cfg, &m, in, &st->unit, e);
					R.pe_cycles[q] += st->unit.cycles - c0;
				}
				if (rc)
					rc = prefix(e, "phase %d ('%s'), PE (%d,%d), instruction %u (%s): ",
						    ph, p->tensor[P->tensor].name, q % t->mesh_w,
						    q / t->mesh_w, i, sac_dunit_op_name(in->op));
			}
		}
		if (rc)
			break;
		if (skip) {
			st->phases_skipped++;
			continue;
		}
		rc = record_phase(&R, ph, w0, x0, &last_sel, &before);
		if (tr && lastph[P->tensor] == ph && tr->out[P->tensor]) {
			read_tensor(&R, P->tensor, tr->out[P->tensor]);
			tr->ran[P->tensor] = 1;
		}
	}
	/* The timing pass. */
	if (!rc) {
		st->analytic_cycles = analytic_timeline(t, R.tp, R.ntp, !flit);
		if (flit)
			rc = flit_timeline(&R, R.tp, R.ntp);
	}
	if (!rc) {
		/* Reshapes are views: their trace is their base's data. */
		for (int i = 0; tr && i < p->ntensors; i++)
			if (p->tensor[i].alias >= 0 && tr->out[i]) {
				int b = i;
				while (p->tensor[b].alias >= 0)
					b = p->tensor[b].alias;
				if (tr->ran[b]) {
					memcpy(tr->out[i], tr->out[b], sizeof(int32_t) *
					       (size_t)p->tensor[i].rows * p->tensor[i].cols);
					tr->ran[i] = 1;
				}
			}
		if (logits)
			read_tensor(&R, p->output, logits);
		finish_stats(&R);
	}
	free(lastph);
	run_free(&R);
	if (rc && tr)
		sac_dsim_trace_free(tr);
	return rc;
}

int sac_dsim_quantize_inputs(const sac_dprog *p, const double *const *in,
			     int32_t **qin, sac_err *e)
{
	for (int i = 0, j = 0; i < p->ntensors; i++) {
		const sac_dtensor *x = &p->tensor[i];
		if (x->op != SAC_DENSE_INPUT)
			continue;
		size_t n = (size_t)x->rows * x->cols;
		double hi = (double)(((int64_t)1 << (x->bits - 1)) - 1);
		if (!(x->scale > 0))
			return sac_errf(e, SAC_ERR_CORRUPT, "input '%s' has no scale", x->name);
		for (size_t k = 0; k < n; k++) {
			double v = in[j][k] / x->scale;
			v = v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
			qin[j][k] = v > hi ? (int32_t)hi : v < -hi - 1 ? (int32_t)(-hi - 1) : (int32_t)v;
		}
		j++;
	}
	return SAC_OK;
}

/* ---- image sections (docs/FORMATS.md, "Dense images") -------------------- */

#define DPROG_VERSION 1u

/* The target fields a dense program uses, in section order. */
#define DT_INTS(X) X(mesh_w) X(mesh_h) X(uarch) X(pe.neurons) X(pe.weight_bytes) \
	X(pe.weight_width) X(pe.lanes) X(pe.route_entries) X(pe.in_fifo)          \
	X(pe.out_fifo) X(pe.pipeline) X(noc.flit_bits) X(noc.vcs)                  \
	X(noc.buffer_depth) X(noc.route_delay) X(noc.vc_delay) X(noc.switch_delay) \
	X(noc.xbar_delay) X(noc.link_delay) X(noc.credit_delay) X(noc.sync_delay)  \
	X(dense.mac_lanes) X(dense.vector_lanes) X(dense.div_cycles)              \
	X(dense.dram_bytes_per_cycle) X(dense.dram_latency)
#define DT_DBLS(X) X(clock_hz) X(energy.weight_read) X(energy.weight_write)      \
	X(energy.potential_read) X(energy.potential_write) X(energy.accum_read)   \
	X(energy.accum_write) X(energy.spike_read) X(energy.spike_write)          \
	X(energy.add) X(energy.mac) X(energy.compare) X(energy.divide)            \
	X(energy.router_buffer) X(energy.router_xbar) X(energy.link)              \
	X(energy.leak_pe) X(energy.clock_pe) X(energy.requant) X(energy.lut)      \
	X(energy.dram_byte)

static void put_prog(sac_wbuf *w, const sac_dprog *p)
{
	sac_wbuf_u32(w, DPROG_VERSION);
	sac_wbuf_str(w, p->t.name);
#define X(f) sac_wbuf_i32(w, (int32_t)p->t.f);
	DT_INTS(X)
#undef X
#define X(f) sac_wbuf_f64(w, p->t.f);
	DT_DBLS(X)
#undef X
	sac_wbuf_u32(w, p->dwords);
	sac_wbuf_u32(w, p->wbytes);
	sac_wbuf_u32(w, (uint32_t)p->nblocks);
	for (int i = 0; i < p->nblocks; i++)
		sac_wbuf_str(w, p->block_name[i]);
	sac_wbuf_u32(w, (uint32_t)p->ntensors);
	for (int i = 0; i < p->ntensors; i++) {
		const sac_dtensor *t = &p->tensor[i];
		sac_wbuf_str(w, t->name);
		sac_wbuf_i32(w, t->op);
		sac_wbuf_i32(w, t->graph);
		sac_wbuf_u32(w, (uint32_t)t->rows);
		sac_wbuf_u32(w, (uint32_t)t->cols);
		sac_wbuf_u32(w, (uint32_t)t->bits);
		sac_wbuf_f64(w, t->scale);
		sac_wbuf_i32(w, t->expert);
		sac_wbuf_i32(w, t->alias);
		sac_wbuf_u32(w, (uint32_t)t->tile0);
		sac_wbuf_u32(w, (uint32_t)t->ntiles);
		sac_wbuf_u32(w, (uint32_t)t->block);
	}
	sac_wbuf_u32(w, (uint32_t)p->ntiles);
	for (int i = 0; i < p->ntiles; i++) {
		const sac_dtile *t = &p->tile[i];
		sac_wbuf_u32(w, (uint32_t)t->pe);
		sac_wbuf_u32(w, t->addr);
		sac_wbuf_u32(w, (uint32_t)t->r0);
		sac_wbuf_u32(w, (uint32_t)t->r1);
		sac_wbuf_u32(w, (uint32_t)t->c0);
		sac_wbuf_u32(w, (uint32_t)t->c1);
	}
	sac_wbuf_u32(w, (uint32_t)p->nphases);
	for (int i = 0; i < p->nphases; i++) {
		sac_wbuf_u32(w, (uint32_t)p->phase[i].tensor);
		sac_wbuf_i32(w, p->phase[i].guard);
		sac_wbuf_u32(w, (uint32_t)p->phase[i].block);
	}
	sac_wbuf_u32(w, (uint32_t)p->output);
	sac_wbuf_u64(w, p->dram_len);
	sac_wbuf_u32(w, (uint32_t)p->npe);
	for (int q = 0; q < p->npe; q++) {
		sac_wbuf_u32(w, p->ncode[q]);
		for (uint32_t i = 0; i < p->ncode[q]; i++) {
			uint8_t b[SAC_DUNIT_IBYTES];
			sac_dunit_encode(&p->code[q][i], b);
			sac_wbuf_bytes(w, b, sizeof b);
		}
	}
}

static int build_image(const sac_dprog *p, const char *model, sac_image **out,
		       sac_err *e)
{
	sac_wbuf w = {0};
	char meta[512];
	int n = snprintf(meta, sizeof meta,
			 "saccade=%s\nkind=dense\nmodel=%s\ntarget=%s\nmesh=%dx%d\n"
			 "phases=%d\ninstructions=%llu\nparameter_bytes=%llu\n",
			 SAC_VERSION_STRING, model ? model : "", p->t.name,
			 p->t.mesh_w, p->t.mesh_h, p->nphases,
			 (unsigned long long)sac_dprog_instructions(p),
			 (unsigned long long)p->dram_len);
	put_prog(&w, p);
	sac_image *img = sac_image_new();
	int rc = !img || w.oom ? sac_errf(e, SAC_ERR_NOMEM, "out of memory") : SAC_OK;
	if (!rc) rc = sac_image_add(img, SAC_SEC_META, meta, (size_t)n, e);
	if (!rc) rc = sac_image_add(img, SAC_SEC_DPROG, w.data, w.len, e);
	if (!rc) rc = sac_image_add(img, SAC_SEC_DPARAM, p->dram, p->dram_len, e);
	sac_wbuf_free(&w);
	if (rc) {
		sac_image_free(img);
		return rc;
	}
	*out = img;
	return SAC_OK;
}

int sac_dprog_save_mem(const sac_dprog *p, const char *model, void **out,
		       size_t *len, sac_err *e)
{
	sac_image *img;
	int rc = build_image(p, model, &img, e);
	if (rc)
		return rc;
	rc = sac_image_write_mem(img, out, len, e);
	sac_image_free(img);
	return rc;
}

int sac_dprog_save(const sac_dprog *p, const char *path, const char *model,
		   sac_err *e)
{
	sac_image *img;
	int rc = build_image(p, model, &img, e);
	if (rc)
		return rc;
	rc = sac_image_write(img, path, e);
	sac_image_free(img);
	return rc;
}

/* A located section error. */
static int bad(sac_err *e, const char *name, const char *fmt, const char *what,
	       long a, long b)
{
	char m[400];
	snprintf(m, sizeof m, fmt, what, a, b);
	return sac_errf(e, SAC_ERR_CORRUPT, "%s: section 'dprog': %s", name, m);
}

static int get_prog(sac_rbuf *r, const char *name, sac_dprog *p, sac_err *e)
{
	uint32_t ver = sac_rbuf_u32(r);
	if (sac_rbuf_ok(r) && ver != DPROG_VERSION)
		return sac_errf(e, SAC_ERR_UNSUPPORTED, "%s: dense program version %u "
				"(this saccade reads %u)", name, ver, DPROG_VERSION);
	sac_target_default(&p->t);
	sac_rbuf_str(r, p->t.name, sizeof p->t.name);
#define X(f) p->t.f = sac_rbuf_i32(r);
	DT_INTS(X)
#undef X
#define X(f) p->t.f = sac_rbuf_f64(r);
	DT_DBLS(X)
#undef X
	if (!sac_rbuf_ok(r))
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: section 'dprog' is truncated in the target", name);
	int rc = sac_target_check(&p->t, e);
	if (rc)
		return prefix(e, "%s: section 'dprog': target: ", name);
	p->npe = p->t.mesh_w * p->t.mesh_h;
	p->dwords = sac_rbuf_u32(r);
	p->wbytes = sac_rbuf_u32(r);
	if (p->dwords != 2u * (uint32_t)p->t.pe.neurons || p->wbytes != (uint32_t)p->t.pe.weight_bytes)
		return bad(e, name, "%s: memories %ld words, %ld bytes disagree with the target",
			   "memories", (long)p->dwords, (long)p->wbytes);
	p->nblocks = (int)sac_rbuf_count(r, 4);
	if (p->nblocks > SAC_DSIM_MAX_BLOCKS)
		return bad(e, name, "%s: %ld blocks (at most %ld)", "blocks", p->nblocks,
			   SAC_DSIM_MAX_BLOCKS);
	for (int i = 0; i < p->nblocks; i++)
		sac_rbuf_str(r, p->block_name[i], sizeof p->block_name[i]);
	p->ntensors = (int)sac_rbuf_count(r, 60);
	p->tensor = calloc((size_t)p->ntensors + 1, sizeof *p->tensor);
	if (!p->tensor)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int i = 0; i < p->ntensors; i++) {
		sac_dtensor *t = &p->tensor[i];
		sac_rbuf_str(r, t->name, sizeof t->name);
		t->op = sac_rbuf_i32(r);
		t->graph = sac_rbuf_i32(r);
		t->rows = (int)sac_rbuf_u32(r);
		t->cols = (int)sac_rbuf_u32(r);
		t->bits = (int)sac_rbuf_u32(r);
		t->scale = sac_rbuf_f64(r);
		t->expert = sac_rbuf_i32(r);
		t->alias = sac_rbuf_i32(r);
		t->tile0 = (int)sac_rbuf_u32(r);
		t->ntiles = (int)sac_rbuf_u32(r);
		t->block = (int)sac_rbuf_u32(r);
		if (!sac_rbuf_ok(r))
			break;
		if (t->op < -1 || t->op >= SAC_DENSE_OP_COUNT || t->graph < -1 ||
		    t->rows < 1 || t->cols < 1 || (int64_t)t->rows * t->cols > (1 << 26) ||
		    (t->bits != 8 && t->bits != 16 && t->bits != 32) ||
		    t->expert < -1 || t->expert > MAX_GUARD || t->alias < -1 || t->alias >= i ||
		    t->block < 0 || t->block >= p->nblocks || t->tile0 < 0 || t->ntiles < 0 ||
		    (t->alias >= 0 && t->ntiles) ||
		    (t->alias >= 0 && (int64_t)t->rows * t->cols !=
		     (int64_t)p->tensor[t->alias].rows * p->tensor[t->alias].cols))
			return bad(e, name, "%s %ld ('%s'): inconsistent fields", "tensor", i, 0);
	}
	p->ntiles = (int)sac_rbuf_count(r, 24);
	p->tile = calloc((size_t)p->ntiles + 1, sizeof *p->tile);
	if (!p->tile)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int i = 0; i < p->ntiles; i++) {
		sac_dtile *t = &p->tile[i];
		t->pe = (int)sac_rbuf_u32(r);
		t->addr = sac_rbuf_u32(r);
		t->r0 = (int)sac_rbuf_u32(r);
		t->r1 = (int)sac_rbuf_u32(r);
		t->c0 = (int)sac_rbuf_u32(r);
		t->c1 = (int)sac_rbuf_u32(r);
	}
	for (int i = 0; sac_rbuf_ok(r) && i < p->ntensors; i++) {
		const sac_dtensor *t = &p->tensor[i];
		if ((int64_t)t->tile0 + t->ntiles > p->ntiles)
			return bad(e, name, "%s %ld: tiles beyond the %ld of the table", "tensor",
				   i, p->ntiles);
		for (int k = 0; k < t->ntiles; k++) {
			const sac_dtile *x = &p->tile[t->tile0 + k];
			if (x->pe < 0 || x->pe >= p->npe || x->r0 < 0 || x->r0 >= x->r1 ||
			    x->r1 > t->rows || x->c0 < 0 || x->c0 >= x->c1 || x->c1 > t->cols ||
			    (uint64_t)x->addr + (uint64_t)(x->r1 - x->r0) * (x->c1 - x->c0) > p->dwords)
				return bad(e, name, "%s %ld: outside its tensor, the mesh or the "
					   "data memory (tensor %ld)", "tile", t->tile0 + k, i);
		}
	}
	p->nphases = (int)sac_rbuf_count(r, 12);
	p->phase = calloc((size_t)p->nphases + 1, sizeof *p->phase);
	if (!p->phase)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int i = 0; i < p->nphases; i++) {
		sac_dphase *x = &p->phase[i];
		x->tensor = (int)sac_rbuf_u32(r);
		x->guard = sac_rbuf_i32(r);
		x->block = (int)sac_rbuf_u32(r);
		if (sac_rbuf_ok(r) && (x->tensor < 0 || x->tensor >= p->ntensors ||
				       x->guard < -1 || x->guard > MAX_GUARD ||
				       x->block < 0 || x->block >= p->nblocks))
			return bad(e, name, "%s %ld: bad tensor, guard or block%.0ld", "phase", i, 0);
	}
	p->output = (int)sac_rbuf_u32(r);
	p->dram_len = sac_rbuf_u64(r);
	uint32_t npe = sac_rbuf_u32(r);
	if (!sac_rbuf_ok(r))
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: section 'dprog' is truncated", name);
	if (p->output < 0 || p->output >= p->ntensors || npe != (uint32_t)p->npe)
		return bad(e, name, "%s: output tensor %ld or %ld PEs", "header", p->output, (long)npe);
	p->ncode = calloc((size_t)p->npe, sizeof *p->ncode);
	p->code = calloc((size_t)p->npe, sizeof *p->code);
	if (!p->ncode || !p->code)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int q = 0; q < p->npe; q++) {
		uint32_t n = sac_rbuf_count(r, SAC_DUNIT_IBYTES);
		p->code[q] = malloc(sizeof(sac_dinstr) * ((size_t)n + 1));
		if (!p->code[q])
			return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		p->ncode[q] = n;
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *b = sac_rbuf_ptr(r, SAC_DUNIT_IBYTES);
			if (!b)
				break;
			sac_dinstr *in = &p->code[q][i];
			rc = sac_dunit_decode(b, in, e);
			if (rc)
				return prefix(e, "%s: section 'dprog': PE %d instruction %u: ",
					      name, q, i);
			if (in->guard < -1 || in->guard > MAX_GUARD ||
			    (in->op == SAC_DOP_SYNC && in->a[0] >= (uint32_t)p->nphases) ||
			    (in->op == SAC_DOP_RECV && in->a[1] >= (uint32_t)p->npe) ||
			    (in->op == SAC_DOP_WLOAD &&
			     ((uint64_t)in->a[1] | (uint64_t)in->a[2] << 32) + in->a[3] > p->dram_len))
				return sac_errf(e, SAC_ERR_CORRUPT, "%s: section 'dprog': PE %d "
						"instruction %u (%s): operand out of range", name,
						q, i, sac_dunit_op_name(in->op));
		}
	}
	if (!sac_rbuf_done(r))
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: section 'dprog' is truncated or "
				"has trailing bytes", name);
	return SAC_OK;
}

static int from_image(const sac_image *img, const char *name, sac_dprog **out,
		      sac_err *e)
{
	size_t len, dlen;
	const void *d = sac_image_section(img, SAC_SEC_DPROG, &len);
	const void *pm = sac_image_section(img, SAC_SEC_DPARAM, &dlen);
	if (!d)
		return sac_errf(e, SAC_ERR_PARSE, "%s: no section 'dprog': not a dense image", name);
	if (!pm)
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: no section 'dparam'", name);
	sac_dprog *p = calloc(1, sizeof *p);
	if (!p)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	sac_rbuf r;
	sac_rbuf_init(&r, d, len);
	int rc = get_prog(&r, name, p, e);
	if (!rc && p->dram_len != dlen)
		rc = sac_errf(e, SAC_ERR_CORRUPT, "%s: section 'dparam' has %zu bytes, "
			      "'dprog' announces %llu", name, dlen,
			      (unsigned long long)p->dram_len);
	if (!rc) {
		p->dram = malloc(dlen + 1);
		if (!p->dram)
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		else
			memcpy(p->dram, pm, dlen);
	}
	if (rc) {
		sac_dprog_free(p);
		return rc;
	}
	*out = p;
	return SAC_OK;
}

int sac_dprog_load_mem(const void *data, size_t len, const char *name,
		       sac_dprog **out, sac_err *e)
{
	*out = NULL;
	sac_image *img;
	int rc = sac_image_read_mem(data, len, name, &img, e);
	if (rc)
		return rc;
	rc = from_image(img, name, out, e);
	sac_image_free(img);
	return rc;
}

int sac_dprog_load(const char *path, sac_dprog **out, sac_err *e)
{
	*out = NULL;
	sac_image *img;
	int rc = sac_image_read(path, &img, e);
	if (rc)
		return rc;
	rc = from_image(img, path, out, e);
	sac_image_free(img);
	return rc;
}

int sac_dprog_is_image(const char *path)
{
	sac_image *img;
	sac_err e = {0};
	if (sac_image_read(path, &img, &e))
		return 0;
	int r = sac_image_section(img, SAC_SEC_DPROG, NULL) != NULL;
	sac_image_free(img);
	return r;
}
