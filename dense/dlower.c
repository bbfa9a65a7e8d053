/* dlower.c: lowering and mapping of a quantised dense graph onto the
 * mesh: tiling of every operator over the PEs, data-memory allocation,
 * the parameter memory, and the per-PE instruction streams (docs/ISA.md).
 *
 * One pass over the graph in topological order; each operator becomes one
 * or more phases (an MHA five: three projections, attention, output
 * projection; a linear too large for one pass of the weight SRAM one phase
 * per round of output columns).  Tiling rules (documented in
 * docs/ARCHITECTURE.md, "The dense unit"): per-row operators and linears
 * over many tokens cut rows; linears over few rows and conv1d cut output
 * columns; element-wise operators follow their first input's tiles, so
 * that their operands are read in place; the scan cuts channels and walks
 * tokens in chunks; attention cuts (head, query rows).  Invariants: every
 * tensor's tiles are contiguous in the tile table and cover it exactly
 * once; a tensor's memory lives until the last node that reads it (through
 * reshapes) has been lowered; a phase's parameter blocks on one PE fit one
 * half of its weight memory; every capacity violation is an error naming
 * the node, the PE, what is needed and the limit. */
#include <stdlib.h>
#include <string.h>

#include "saccade/dsim.h"

#define RMIN 16          /* fewest rows per tile of a row-cut operator */
#define REPL_MAX 4096    /* largest weight block replicated on every row tile */
#define ATT_RMIN 4       /* fewest query rows per attention tile */
#define SCAN_CHUNK 32    /* tokens per scan step instruction */
#define FREE_PHASE (-2)  /* lifetime: the current phase only */

typedef struct seg {
	uint32_t addr, len;
	int until; /* graph node index after which it is free; FREE_PHASE */
} seg;

typedef struct pealloc {
	seg *v;
	int n, cap;
} pealloc;

typedef struct lw {
	const sac_dense_graph *g;
	sac_dprog *p;
	sac_err *e;
	int npe, cur_node, guard;
	uint32_t whalf;
	pealloc *al;
	uint32_t *ccap;   /* code capacity per PE */
	uint32_t *wcur;   /* weight cursor per PE in this phase */
	char *active;     /* PE has instructions in this phase */
	int tcap, pcap, tilecap;
	uint64_t dcap;
	int *last;        /* per graph node: last consumer (index) */
	int *gt;          /* graph node -> tensor */
	char node_name[SAC_DENSE_NAME_MAX];
} lw;

/* ---- small helpers --------------------------------------------------------- */

static int nomem(lw *L)
{
	return sac_errf(L->e, SAC_ERR_NOMEM, "out of memory");
}

static int grow(void **v, int *cap, int need, size_t el)
{
	if (need <= *cap)
		return 0;
	int nc = *cap ? *cap : 16;
	while (nc < need)
		nc *= 2;
	void *n = realloc(*v, (size_t)nc * el);
	if (!n)
		return -1;
	*v = n;
	*cap = nc;
	return 0;
}

static int cdiv(int a, int b)
{
	return (a + b - 1) / b;
}

/* The tensor whose tiles hold t's data (reshapes are views). */
static int base_of(const sac_dprog *p, int t)
{
	while (p->tensor[t].alias >= 0)
		t = p->tensor[t].alias;
	return t;
}

static int block_of(lw *L, const char *name)
{
	static const struct {
		const char *prefix, *block;
	} map[] = {{"mamba", "mamba"}, {"mcib", "mcib"}, {"fusion", "fusion"},
		   {"moe.", "fusion"}, {"router", "router"}, {"expert", "experts"},
		   {"logits", "experts"}, {"input", "input"}};
	char b[24];
	const char *blk = NULL;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strncmp(name, map[i].prefix, strlen(map[i].prefix))) {
			blk = map[i].block;
			break;
		}
	if (!blk) {
		size_t n = strcspn(name, ".#");
		if (n >= sizeof b)
			n = sizeof b - 1;
		memcpy(b, name, n);
		b[n] = 0;
		blk = b;
	}
	sac_dprog *p = L->p;
	for (int i = 0; i < p->nblocks; i++)
		if (!strcmp(p->block_name[i], blk))
			return i;
	if (p->nblocks == SAC_DSIM_MAX_BLOCKS)
		return SAC_DSIM_MAX_BLOCKS - 1; /* the last one collects the rest */
	snprintf(p->block_name[p->nblocks], sizeof p->block_name[0], "%s", blk);
	return p->nblocks++;
}

/* ---- data memory ------------------------------------------------------------ */

static void release(lw *L, int done_node, int phase_end)
{
	for (int q = 0; q < L->npe; q++) {
		pealloc *a = &L->al[q];
		int k = 0;
		for (int i = 0; i < a->n; i++) {
			int dead = a->v[i].until == FREE_PHASE ? phase_end :
				   a->v[i].until >= 0 && a->v[i].until <= done_node;
			if (!dead)
				a->v[k++] = a->v[i];
		}
		a->n = k;
	}
}

/* First fit of len words on PE q, alive until `until`. */
static int dalloc(lw *L, int q, uint32_t len, int until, uint32_t *addr,
		  const char *what)
{
	pealloc *a = &L->al[q];
	uint32_t at = 0;
	int pos = 0;
	if (len == 0)
		len = 1;
	for (; pos < a->n; pos++) {
		if (a->v[pos].addr >= at && a->v[pos].addr - at >= len)
			break;
		at = a->v[pos].addr + a->v[pos].len;
	}
	if ((uint64_t)at + len > L->p->dwords) {
		uint64_t used = 0;
		for (int i = 0; i < a->n; i++)
			used += a->v[i].len;
		return sac_errf(L->e, SAC_ERR_CAPACITY,
				"node '%s': %s needs %u words of data memory on PE "
				"(%d,%d), which holds %u words with %llu in use",
				L->node_name, what, len, q % L->p->t.mesh_w,
				q / L->p->t.mesh_w, L->p->dwords,
				(unsigned long long)used);
	}
	if (grow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v))
		return nomem(L);
	memmove(a->v + pos + 1, a->v + pos, (size_t)(a->n - pos) * sizeof *a->v);
	a->v[pos] = (seg){at, len, until};
	a->n++;
	*addr = at;
	return SAC_OK;
}

/* ---- code, phases, parameter memory ------------------------------------------- */

static int emit(lw *L, int q, sac_dinstr in)
{
	sac_dprog *p = L->p;
	if (p->ncode[q] == L->ccap[q]) {
		uint32_t nc = L->ccap[q] ? 2 * L->ccap[q] : 64;
		sac_dinstr *n = realloc(p->code[q], nc * sizeof *n);
		if (!n)
			return nomem(L);
		p->code[q] = n;
		L->ccap[q] = nc;
	}
	if (in.guard < 0)
		in.guard = (int8_t)L->guard;
	p->code[q][p->ncode[q]++] = in;
	L->active[q] = 1;
	return SAC_OK;
}

static sac_dinstr ins(int op, int bits, int flags)
{
	sac_dinstr in;
	memset(&in, 0, sizeof in);
	in.op = (uint8_t)op;
	in.bits = (uint8_t)bits;
	in.flags = (uint8_t)flags;
	in.guard = -1;
	return in;
}

static int begin_phase(lw *L, int tensor)
{
	sac_dprog *p = L->p;
	if (grow((void **)&p->phase, &L->pcap, p->nphases + 1, sizeof *p->phase))
		return nomem(L);
	int ex = p->tensor[tensor].expert;
	p->phase[p->nphases] = (sac_dphase){tensor, ex, p->tensor[tensor].block};
	L->guard = ex;
	memset(L->wcur, 0, (size_t)L->npe * sizeof *L->wcur);
	memset(L->active, 0, (size_t)L->npe);
	return SAC_OK;
}

static int end_phase(lw *L)
{
	sac_dprog *p = L->p;
	for (int q = 0; q < L->npe; q++)
		if (L->active[q]) {
			sac_dinstr s = ins(SAC_DOP_SYNC, 0, 0);
			s.a[0] = (uint32_t)p->nphases;
			s.guard = (int8_t)L->guard;
			int rc = emit(L, q, s);
			if (rc)
				return rc;
		}
	p->nphases++;
	L->guard = -1;
	release(L, -1, 1);
	return SAC_OK;
}

/* Append a block to the parameter memory; its offset. */
static int dram_put(lw *L, const uint8_t *b, size_t n, uint64_t *off)
{
	sac_dprog *p = L->p;
	uint64_t need = p->dram_len + ((n + 7) & ~(size_t)7);
	if (need > L->dcap) {
		uint64_t nc = L->dcap ? L->dcap : 1 << 16;
		while (nc < need)
			nc *= 2;
		uint8_t *nd = realloc(p->dram, nc);
		if (!nd)
			return nomem(L);
		p->dram = nd;
		L->dcap = nc;
	}
	memcpy(p->dram + p->dram_len, b, n);
	memset(p->dram + p->dram_len + n, 0, need - p->dram_len - n);
	*off = p->dram_len;
	p->dram_len = need;
	return SAC_OK;
}

/* WLOAD of a block at off (n bytes) into PE q's current weight half. */
static int wload(lw *L, int q, uint64_t off, uint32_t n, uint32_t *waddr)
{
	uint32_t at = L->wcur[q];
	if ((uint64_t)at + n > L->whalf)
		return sac_errf(L->e, SAC_ERR_CAPACITY,
				"node '%s': PE (%d,%d) needs %llu bytes of parameters "
				"in one phase, but half its weight SRAM (the other "
				"half streams the next phase) holds %u",
				L->node_name, q % L->p->t.mesh_w, q / L->p->t.mesh_w,
				(unsigned long long)at + n, L->whalf);
	sac_dinstr w = ins(SAC_DOP_WLOAD, 0, 0);
	uint32_t base = (uint32_t)(L->p->nphases % 2) * L->whalf;
	w.a[0] = base + at;
	w.a[1] = (uint32_t)off;
	w.a[2] = (uint32_t)(off >> 32);
	w.a[3] = n;
	L->wcur[q] = at + ((n + 7) & ~7u);
	*waddr = base + at;
	return emit(L, q, w);
}

/* ---- tensors and tiles ------------------------------------------------------ */

static int new_tensor(lw *L, const char *name, int op, int graph, int rows,
		      int cols, int bits, double scale, int expert)
{
	sac_dprog *p = L->p;
	if (grow((void **)&p->tensor, &L->tcap, p->ntensors + 1, sizeof *p->tensor))
		return nomem(L);
	sac_dtensor *t = &p->tensor[p->ntensors];
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	t->op = op;
	t->graph = graph;
	t->rows = rows;
	t->cols = cols;
	t->bits = bits;
	t->scale = scale;
	t->expert = expert;
	t->alias = -1;
	t->tile0 = p->ntiles;
	t->block = block_of(L, name);
	return p->ntensors++;
}

/* A tile of tensor t on PE q, its memory alive until `until`. */
static int new_tile(lw *L, int t, int q, int r0, int r1, int c0, int c1,
		    int until, uint32_t *addr)
{
	sac_dprog *p = L->p;
	int rc = dalloc(L, q, (uint32_t)(r1 - r0) * (uint32_t)(c1 - c0), until, addr,
			"its output tile");
	if (rc)
		return rc;
	if (grow((void **)&p->tile, &L->tilecap, p->ntiles + 1, sizeof *p->tile))
		return nomem(L);
	if (!p->tensor[t].ntiles)
		p->tensor[t].tile0 = p->ntiles;
	p->tile[p->ntiles++] = (sac_dtile){q, *addr, r0, r1, c0, c1};
	p->tensor[t].ntiles++;
	return SAC_OK;
}

/* Lifetime of tensor t's memory: through its last reader. */
static int until_of(lw *L, int t)
{
	int g = L->p->tensor[t].graph;
	return g >= 0 ? L->last[g] : L->cur_node;
}

/* ---- operands: in place or gathered ------------------------------------------ */

typedef struct run {
	int pe;
	uint32_t src, dst, len;
} run;

/* The words of [r0, r1) x [c0, c1) of tensor t (a view through reshapes)
 * into runs; dst relative to a row-major buffer of the rectangle. */
static int runs_of(lw *L, int t, int r0, int r1, int c0, int c1, run **out,
		   int *nout)
{
	sac_dprog *p = L->p;
	int b = base_of(p, t), C = p->tensor[t].cols, Cs = p->tensor[b].cols;
	const sac_dtile *tl = p->tile + p->tensor[b].tile0;
	int nt = p->tensor[b].ntiles, hint = 0, n = 0, cap = 0;
	run *v = NULL;
	for (int r = r0; r < r1; r++) {
		int64_t f = (int64_t)r * C + c0, fe = (int64_t)r * C + c1;
		uint32_t d = (uint32_t)((r - r0) * (c1 - c0));
		while (f < fe) {
			int sr = (int)(f / Cs), sc = (int)(f % Cs), k;
			for (k = 0; k < nt; k++) {
				const sac_dtile *x = &tl[(hint + k) % nt];
				if (sr >= x->r0 && sr < x->r1 && sc >= x->c0 && sc < x->c1)
					break;
			}
			if (k == nt) {
				free(v);
				return sac_errf(L->e, SAC_ERR_STATE,
						"node '%s': element (%d,%d) of '%s' has no tile",
						L->node_name, sr, sc, p->tensor[b].name);
			}
			hint = (hint + k) % nt;
			const sac_dtile *x = &tl[hint];
			int64_t len = x->c1 - sc;
			if (len > fe - f)
				len = fe - f;
			uint32_t src = x->addr + (uint32_t)((sr - x->r0) * (x->c1 - x->c0) + (sc - x->c0));
			if (n && v[n - 1].pe == x->pe && v[n - 1].src + v[n - 1].len == src &&
			    v[n - 1].dst + v[n - 1].len == d) {
				v[n - 1].len += (uint32_t)len;
			} else {
				if (grow((void **)&v, &cap, n + 1, sizeof *v)) {
					free(v);
					return nomem(L);
				}
				v[n++] = (run){x->pe, src, d, (uint32_t)len};
			}
			f += len;
			d += (uint32_t)len;
		}
	}
	*out = v;
	*nout = n;
	return SAC_OK;
}

/* RECVs of the rectangle into buf on PE q. */
static int gather_to(lw *L, int q, int t, int r0, int r1, int c0, int c1,
		     uint32_t buf)
{
	run *v;
	int n, rc = runs_of(L, t, r0, r1, c0, c1, &v, &n);
	int eb = L->p->tensor[base_of(L->p, t)].bits / 8;
	for (int i = 0; !rc && i < n; i++) {
		sac_dinstr r = ins(SAC_DOP_RECV, 0, 0);
		r.a[0] = buf + v[i].dst;
		r.a[1] = (uint32_t)v[i].pe;
		r.a[2] = v[i].src;
		r.a[3] = v[i].len;
		r.a[4] = (uint32_t)(eb ? eb : 4);
		rc = emit(L, q, r);
	}
	free(v);
	return rc;
}

/* The rectangle as an operand on PE q: in place if it is one contiguous
 * run in q's own memory, else gathered into a buffer of this phase. */
static int operand(lw *L, int q, int t, int r0, int r1, int c0, int c1,
		   uint32_t *addr)
{
	run *v;
	int n, rc = runs_of(L, t, r0, r1, c0, c1, &v, &n);
	if (rc)
		return rc;
	if (n == 1 && v[0].pe == q && v[0].len == (uint32_t)((r1 - r0) * (c1 - c0))) {
		*addr = v[0].src;
		free(v);
		return SAC_OK;
	}
	free(v);
	rc = dalloc(L, q, (uint32_t)((r1 - r0) * (c1 - c0)), FREE_PHASE, addr,
		    "an input tile");
	return rc ? rc : gather_to(L, q, t, r0, r1, c0, c1, *addr);
}

/* ---- parameter blocks ----------------------------------------------------------- */

typedef struct blk {
	uint8_t *b;
	size_t n, cap;
	int oom;
} blk;

static void bput(blk *k, const void *s, size_t n)
{
	if (k->oom)
		return;
	if (k->n + n > k->cap) {
		size_t nc = k->cap ? k->cap : 256;
		while (nc < k->n + n)
			nc *= 2;
		uint8_t *x = realloc(k->b, nc);
		if (!x) {
			k->oom = 1;
			return;
		}
		k->b = x;
		k->cap = nc;
	}
	memcpy(k->b + k->n, s, n);
	k->n += n;
}

static void bi32(blk *k, int32_t v)
{
	uint8_t b[4];
	sac_dunit_put_i32(b, v);
	bput(k, b, 4);
}

static void bi64(blk *k, int64_t v)
{
	uint8_t b[8];
	sac_dunit_put_i64(b, v);
	bput(k, b, 8);
}

static void bmult(blk *k, sac_dense_mult m)
{
	bi32(k, m.m);
	bi32(k, m.sh);
}

static void bw(blk *k, int16_t w, int wb)
{
	uint8_t b[2] = {(uint8_t)(w & 0xff), (uint8_t)((uint16_t)w >> 8)};
	bput(k, b, (size_t)wb);
}

/* Put the block into the parameter memory; reset it. */
static int bflush(lw *L, blk *k, uint64_t *off)
{
	if (k->oom)
		return nomem(L);
	int rc = dram_put(L, k->b, k->n, off);
	return rc;
}

/* ---- operators --------------------------------------------------------------------- */

typedef struct linp {
	const int16_t *w;
	const sac_dense_qview *v; /* biases of slot `slot` */
	int slot;
	const sac_dense_mult *m;
	int K, N, wb, in_bits, out_bits, kernel; /* kernel 0: linear */
} linp;

/* Block of output columns [o0, o1). */
static void lin_block(blk *k, const linp *l, int o0, int o1)
{
	size_t per = (size_t)l->K * (l->kernel ? l->kernel : 1);
	for (int o = o0; o < o1; o++)
		bmult(k, l->m[o]);
	for (int o = o0; o < o1; o++)
		bi64(k, sac_dense_qview_bias(l->v, l->slot, o));
	for (int o = o0; o < o1; o++)
		for (size_t j = 0; j < per; j++)
			bw(k, l->w[(size_t)o * per + j], l->wb);
}

/* linear (and conv1d with kernel > 0) of tensor in into tensor out. */
static int lower_linear(lw *L, int out, int in, const linp *l)
{
	sac_dprog *p = L->p;
	int T = p->tensor[in].rows, K = l->K, N = l->N;
	int ker = l->kernel ? l->kernel : 1, rc = SAC_OK;
	int flags = (l->wb == 2 ? SAC_DF_W16 : 0) | (l->in_bits == 16 ? SAC_DF_IN16 : 0);
	uint64_t colbytes = 16 + (uint64_t)K * ker * l->wb;
	uint64_t all = colbytes * (uint64_t)N;
	int until = until_of(L, out);
	blk k = {0};
	if (!l->kernel && T >= 2 * RMIN && all <= REPL_MAX) {
		/* Rows: every tile holds the whole (small) weight matrix. */
		int rpt = RMIN > cdiv(T, L->npe) ? RMIN : cdiv(T, L->npe);
		uint64_t off;
		lin_block(&k, l, 0, N);
		rc = begin_phase(L, out);
		if (!rc) rc = bflush(L, &k, &off);
		for (int i = 0; !rc && i * rpt < T; i++) {
			int r0 = i * rpt, r1 = r0 + rpt < T ? r0 + rpt : T, q = i % L->npe;
			uint32_t x, y, w;
			rc = new_tile(L, out, q, r0, r1, 0, N, until, &y);
			if (!rc) rc = wload(L, q, off, (uint32_t)k.n, &w);
			if (!rc) rc = operand(L, q, in, r0, r1, 0, K, &x);
			if (!rc) {
				sac_dinstr m = ins(SAC_DOP_MATMUL, l->out_bits, flags);
				uint32_t a[] = {x, (uint32_t)(r1 - r0), (uint32_t)K, y, (uint32_t)N, w};
				memcpy(m.a, a, sizeof a);
				rc = emit(L, q, m);
			}
		}
		free(k.b);
		return rc ? rc : end_phase(L);
	}
	/* Output columns over the PEs, in rounds when one pass does not fit
	 * the weight SRAM halves. */
	if (colbytes > L->whalf) {
		free(k.b);
		return sac_errf(L->e, SAC_ERR_CAPACITY,
				"node '%s': one output column needs %llu bytes of "
				"parameters (%d inputs x %d taps x %d-byte weights + "
				"multiplier and bias), but half a PE's weight SRAM holds %u",
				L->node_name, (unsigned long long)colbytes, K, ker,
				l->wb, L->whalf);
	}
	int cpt = cdiv(N, L->npe), cmax = (int)(L->whalf / colbytes);
	if (cpt > cmax)
		cpt = cmax;
	int ntile = cdiv(N, cpt);
	for (int round = 0; !rc && round * L->npe < ntile; round++) {
		rc = begin_phase(L, out);
		for (int i = round * L->npe; !rc && i < ntile && i < (round + 1) * L->npe; i++) {
			int o0 = i * cpt, o1 = o0 + cpt < N ? o0 + cpt : N, q = i % L->npe;
			uint32_t x, y, w;
			uint64_t off;
			k.n = 0;
			lin_block(&k, l, o0, o1);
			rc = new_tile(L, out, q, 0, T, o0, o1, until, &y);
			if (!rc) rc = bflush(L, &k, &off);
			if (!rc) rc = wload(L, q, off, (uint32_t)k.n, &w);
			if (!rc) rc = operand(L, q, in, 0, T, 0, K, &x);
			if (rc)
				break;
			sac_dinstr m;
			if (!l->kernel) {
				m = ins(SAC_DOP_MATMUL, l->out_bits, flags);
				uint32_t a[] = {x, (uint32_t)T, (uint32_t)K, y, (uint32_t)(o1 - o0), w};
				memcpy(m.a, a, sizeof a);
			} else {
				m = ins(SAC_DOP_CONV, l->out_bits, flags);
				uint32_t a[] = {x, (uint32_t)T, (uint32_t)K, y, (uint32_t)(o1 - o0), w,
						0, 0, (uint32_t)T, (uint32_t)T, (uint32_t)ker};
				memcpy(m.a, a, sizeof a);
			}
			rc = emit(L, q, m);
		}
		if (!rc)
			rc = end_phase(L);
	}
	free(k.b);
	return rc;
}

/* Row tiles of T rows: rows per tile. */
static int rows_per(lw *L, int T)
{
	int r = cdiv(T, L->npe);
	return r > RMIN ? r : RMIN;
}

/* Per-row operators: the block is the same on every tile.  fn emits the
 * compute instruction for rows [r0, r1) on PE q with output at y. */
typedef int (*rowfn)(lw *L, int q, int r0, int r1, uint32_t y, uint32_t w,
		     const sac_dense_qview *v, int node);

static int lower_rows(lw *L, int node, const sac_dense_qview *v, blk *k,
		      rowfn fn)
{
	sac_dprog *p = L->p;
	int out = L->gt[node], T = v->rows, C = v->cols, rpt = rows_per(L, T);
	int until = until_of(L, out);
	uint64_t off = 0;
	int rc = begin_phase(L, out);
	if (!rc && k->n) rc = bflush(L, k, &off);
	for (int i = 0; !rc && i * rpt < T; i++) {
		int r0 = i * rpt, r1 = r0 + rpt < T ? r0 + rpt : T, q = i % L->npe;
		uint32_t y, w = 0;
		rc = new_tile(L, out, q, r0, r1, 0, C, until, &y);
		if (!rc && k->n) rc = wload(L, q, off, (uint32_t)k->n, &w);
		if (!rc) rc = fn(L, q, r0, r1, y, w, v, node);
	}
	(void)p;
	return rc ? rc : end_phase(L);
}

/* Element-wise operators follow their first input's tiles when it is not
 * a reshape view, else cut rows. */
static int lower_ewise(lw *L, int node, const sac_dense_qview *v, blk *k,
		       int op, int flags)
{
	sac_dprog *p = L->p;
	int out = L->gt[node], a = L->gt[v->in[0]];
	int b = v->nin > 1 ? L->gt[v->in[1]] : -1, until = until_of(L, out);
	uint64_t off = 0;
	int rc = begin_phase(L, out);
	if (!rc) rc = bflush(L, k, &off);
	int follow = p->tensor[a].alias < 0, nt;
	int rpt = rows_per(L, v->rows);
	nt = follow ? p->tensor[a].ntiles : cdiv(v->rows, rpt);
	int t0 = p->tensor[a].tile0;
	for (int i = 0; !rc && i < nt; i++) {
		int q, r0, r1, c0, c1;
		if (follow) {
			const sac_dtile x = p->tile[t0 + i];
			q = x.pe; r0 = x.r0; r1 = x.r1; c0 = x.c0; c1 = x.c1;
		} else {
			q = i % L->npe; r0 = i * rpt; r1 = r0 + rpt < v->rows ? r0 + rpt : v->rows;
			c0 = 0; c1 = v->cols;
		}
		uint32_t y, w, xa, xb = 0;
		rc = new_tile(L, out, q, r0, r1, c0, c1, until, &y);
		if (!rc) rc = wload(L, q, off, (uint32_t)k->n, &w);
		if (!rc) rc = operand(L, q, a, r0, r1, c0, c1, &xa);
		if (!rc && b >= 0) rc = operand(L, q, b, r0, r1, c0, c1, &xb);
		if (rc)
			break;
		uint32_t cnt = (uint32_t)((r1 - r0) * (c1 - c0));
		sac_dinstr m = ins(op, v->bits, flags);
		if (op == SAC_DOP_LUT) {
			uint32_t ar[] = {xa, y, cnt, w};
			memcpy(m.a, ar, sizeof ar);
		} else {
			uint32_t ar[] = {xa, xb, y, cnt, w};
			memcpy(m.a, ar, sizeof ar);
		}
		rc = emit(L, q, m);
	}
	return rc ? rc : end_phase(L);
}

static int row_lnorm(lw *L, int q, int r0, int r1, uint32_t y, uint32_t w,
		     const sac_dense_qview *v, int node)
{
	uint32_t x;
	int rc = operand(L, q, L->gt[v->in[0]], r0, r1, 0, v->cols, &x);
	(void)node;
	if (rc)
		return rc;
	sac_dinstr m = ins(SAC_DOP_LNORM, v->bits, v->wbytes == 2 ? SAC_DF_W16 : 0);
	uint32_t a[] = {x, (uint32_t)(r1 - r0), (uint32_t)v->cols, y, w};
	memcpy(m.a, a, sizeof a);
	return emit(L, q, m);
}

static int row_softmax(lw *L, int q, int r0, int r1, uint32_t y, uint32_t w,
		       const sac_dense_qview *v, int node)
{
	uint32_t x;
	int rc = operand(L, q, L->gt[v->in[0]], r0, r1, 0, v->cols, &x);
	(void)node;
	if (rc)
		return rc;
	sac_dinstr m = ins(SAC_DOP_SOFTMAX, v->bits, 0);
	uint32_t a[] = {x, (uint32_t)(r1 - r0), (uint32_t)v->cols, y, w};
	memcpy(m.a, a, sizeof a);
	return emit(L, q, m);
}

static int row_mjos(lw *L, int q, int r0, int r1, uint32_t y, uint32_t w,
		    const sac_dense_qview *v, int node)
{
	uint32_t xa, xb;
	int rc = operand(L, q, L->gt[v->in[0]], r0, r1, 0, v->cols, &xa);
	if (!rc) rc = operand(L, q, L->gt[v->in[1]], r0, r1, 0, v->cols, &xb);
	if (rc)
		return rc;
	int in16 = L->p->tensor[L->gt[v->in[0]]].bits == 16 ||
		   L->p->tensor[L->gt[v->in[1]]].bits == 16;
	(void)node;
	sac_dinstr m = ins(SAC_DOP_MJOS, v->bits, (v->wbytes == 2 ? SAC_DF_W16 : 0) |
						   (in16 ? SAC_DF_IN16 : 0));
	uint32_t a[] = {xa, xb, (uint32_t)(r1 - r0), (uint32_t)v->cols, y, w};
	memcpy(m.a, a, sizeof a);
	return emit(L, q, m);
}

static int row_gate(lw *L, int q, int r0, int r1, uint32_t y, uint32_t w,
		    const sac_dense_qview *v, int node)
{
	const sac_dprog *p = L->p;
	int a0 = L->gt[v->in[0]], b0 = L->gt[v->in[1]], K = p->tensor[a0].cols;
	uint32_t xa, xb;
	int rc = operand(L, q, a0, r0, r1, 0, K, &xa);
	if (!rc) rc = operand(L, q, b0, r0, r1, 0, K, &xb);
	(void)node;
	if (rc)
		return rc;
	int in16 = p->tensor[a0].bits == 16 || p->tensor[b0].bits == 16;
	sac_dinstr m = ins(SAC_DOP_GATE, v->bits, in16 ? SAC_DF_IN16 : 0);
	uint32_t a[] = {xa, xb, (uint32_t)(r1 - r0), (uint32_t)K, y, w};
	memcpy(m.a, a, sizeof a);
	return emit(L, q, m);
}

static int row_mix(lw *L, int q, int r0, int r1, uint32_t y, uint32_t w,
		   const sac_dense_qview *v, int node)
{
	uint32_t al, pp, qq;
	int rc = operand(L, q, L->gt[v->in[0]], r0, r1, 0, 1, &al);
	if (!rc) rc = operand(L, q, L->gt[v->in[1]], r0, r1, 0, v->cols, &pp);
	if (!rc) rc = operand(L, q, L->gt[v->in[2]], r0, r1, 0, v->cols, &qq);
	(void)node;
	if (rc)
		return rc;
	sac_dinstr m = ins(SAC_DOP_MIX, v->bits, 0);
	uint32_t a[] = {al, pp, qq, (uint32_t)(r1 - r0), (uint32_t)v->cols, y, w};
	memcpy(m.a, a, sizeof a);
	return emit(L, q, m);
}

/* Depthwise convolutions: rows with their halo; replicated block. */
static int lower_dwconv(lw *L, int node, const sac_dense_qview *v)
{
	int out = L->gt[node], in = L->gt[v->in[0]], T = v->rows, C = v->cols;
	int causal = sac_dense_node_op(L->g, node) == SAC_DENSE_DWCONV1D_CAUSAL;
	int ker = v->kernel, rpt = rows_per(L, T), until = until_of(L, out);
	int flags = (v->wbytes == 2 ? SAC_DF_W16 : 0) |
		    (L->p->tensor[in].bits == 16 ? SAC_DF_IN16 : 0) |
		    (causal ? SAC_DF_CAUSAL : 0) | (causal && v->reverse ? SAC_DF_REVERSE : 0);
	blk k = {0};
	for (int c = 0; c < C; c++)
		bmult(&k, v->qm[0][c]);
	for (int c = 0; c < C; c++)
		bi64(&k, sac_dense_qview_bias(v, 0, c));
	for (size_t j = 0; j < (size_t)C * ker; j++)
		bw(&k, v->qw[0][j], v->wbytes);
	uint64_t off;
	int rc = begin_phase(L, out);
	if (!rc) rc = bflush(L, &k, &off);
	for (int i = 0; !rc && i * rpt < T; i++) {
		int r0 = i * rpt, r1 = r0 + rpt < T ? r0 + rpt : T, q = i % L->npe;
		int lo = causal ? (v->reverse ? 0 : ker - 1) : (ker - 1) / 2;
		int hi = causal ? (v->reverse ? ker - 1 : 0) : (ker - 1) / 2;
		int xa = r0 - lo < 0 ? 0 : r0 - lo, xb = r1 + hi > T ? T : r1 + hi;
		uint32_t x, y, w;
		rc = new_tile(L, out, q, r0, r1, 0, C, until, &y);
		if (!rc) rc = wload(L, q, off, (uint32_t)k.n, &w);
		if (!rc) rc = operand(L, q, in, xa, xb, 0, C, &x);
		if (rc)
			break;
		sac_dinstr m = ins(SAC_DOP_DWCONV, v->bits, flags);
		uint32_t a[] = {x, (uint32_t)(r1 - r0), (uint32_t)C, y, w, (uint32_t)r0,
				(uint32_t)xa, (uint32_t)(xb - xa), (uint32_t)T, (uint32_t)ker};
		memcpy(m.a, a, sizeof a);
		rc = emit(L, q, m);
	}
	free(k.b);
	return rc ? rc : end_phase(L);
}

/* The scan: channels over PEs, tokens in chunks in scan order. */
static int lower_scan(lw *L, int node, const sac_dense_qview *v)
{
	sac_dprog *p = L->p;
	int out = L->gt[node], T = v->rows, D = v->cols;
	int tx = L->gt[v->in[0]], td = L->gt[v->in[1]], tb = L->gt[v->in[2]], tc = L->gt[v->in[3]];
	int N = p->tensor[tb].cols, cpt = cdiv(D, L->npe), until = until_of(L, out);
	int rc = begin_phase(L, out);
	for (int i = 0; !rc && i * cpt < D; i++) {
		int d0 = i * cpt, d1 = d0 + cpt < D ? d0 + cpt : D, nd = d1 - d0, q = i % L->npe;
		blk k = {0};
		bmult(&k, v->mm[0]);
		bmult(&k, v->mm[1]);
		bmult(&k, v->mm[2]);
		bi64(&k, v->cg);
		for (int d = d0; d < d1; d++)
			for (int n = 0; n < N; n++)
				bi64(&k, v->ae[(size_t)d * N + n]);
		for (int d = d0; d < d1; d++)
			bput(&k, &(uint8_t){(uint8_t)(int8_t)v->qw[0][d]}, 1);
		uint64_t off;
		uint32_t y, w, h, bx, bd, bb, bc;
		int ch = T < SCAN_CHUNK ? T : SCAN_CHUNK;
		rc = bflush(L, &k, &off);
		free(k.b);
		if (!rc) rc = new_tile(L, out, q, 0, T, d0, d1, until, &y);
		if (!rc) rc = wload(L, q, off, (uint32_t)(32 + 8 * nd * N + nd), &w);
		if (!rc) rc = dalloc(L, q, (uint32_t)(nd * N), FREE_PHASE, &h, "the scan state");
		if (!rc) rc = dalloc(L, q, (uint32_t)(ch * nd), FREE_PHASE, &bx, "a scan buffer");
		if (!rc) rc = dalloc(L, q, (uint32_t)(ch * nd), FREE_PHASE, &bd, "a scan buffer");
		if (!rc) rc = dalloc(L, q, (uint32_t)(ch * N), FREE_PHASE, &bb, "a scan buffer");
		if (!rc) rc = dalloc(L, q, (uint32_t)(ch * N), FREE_PHASE, &bc, "a scan buffer");
		int nch = cdiv(T, ch);
		for (int j = 0; !rc && j < nch; j++) {
			int c = v->reverse ? nch - 1 - j : j;
			int r0 = c * ch, r1 = r0 + ch < T ? r0 + ch : T;
			rc = gather_to(L, q, tx, r0, r1, d0, d1, bx);
			if (!rc) rc = gather_to(L, q, td, r0, r1, d0, d1, bd);
			if (!rc) rc = gather_to(L, q, tb, r0, r1, 0, N, bb);
			if (!rc) rc = gather_to(L, q, tc, r0, r1, 0, N, bc);
			if (rc)
				break;
			sac_dinstr m = ins(SAC_DOP_SCAN, v->bits, v->reverse ? SAC_DF_REVERSE : 0);
			uint32_t a[] = {bx, bd, bb, bc, y + (uint32_t)(r0 * nd), h, (uint32_t)(r1 - r0),
					(uint32_t)nd, (uint32_t)N, w, j == 0};
			memcpy(m.a, a, sizeof a);
			rc = emit(L, q, m);
		}
	}
	return rc ? rc : end_phase(L);
}

static int lower_mha(lw *L, int node, const sac_dense_qview *v)
{
	sac_dprog *p = L->p;
	int out = L->gt[node], qs = L->gt[v->in[0]], kv = L->gt[v->in[1]];
	int E = v->cols, H = v->heads, dk = E / H, Tq = v->rows, Tk = p->tensor[kv].rows;
	char nm[SAC_DENSE_NAME_MAX + 4], name[SAC_DENSE_NAME_MAX + 8];
	snprintf(nm, sizeof nm, "%s", p->tensor[out].name);
	int ti[4], rc = SAC_OK;
	static const char *const suf[4] = {"#q", "#k", "#v", "#ctx"};
	for (int j = 0; j < 4 && rc >= 0; j++) {
		snprintf(name, sizeof name, "%s%s", nm, suf[j]);
		rc = ti[j] = new_tensor(L, name, -1, -1, j == 1 || j == 2 ? Tk : Tq, E,
					v->bits, 0, v->expert);
		if (rc >= 0)
			p->tensor[ti[j]].block = p->tensor[out].block;
	}
	if (rc < 0)
		return rc;
	out = L->gt[node]; /* the tensor table may have moved */
	int src[3] = {qs, kv, kv};
	for (int j = 0; j < 3; j++) {
		linp l = {v->qw[j], v, j, v->qm[j], E, E, v->wbytes,
			  p->tensor[src[j]].bits, v->bits, 0};
		rc = lower_linear(L, ti[j], src[j], &l);
		if (rc)
			return rc;
	}
	/* Attention: (head, query rows) tiles. */
	int rpt = cdiv(Tq * H, L->npe);
	if (rpt < ATT_RMIN)
		rpt = ATT_RMIN;
	if (rpt > Tq)
		rpt = Tq;
	blk k = {0};
	bmult(&k, v->mm[0]);
	bmult(&k, v->mm[1]);
	bi64(&k, v->c);
	bi64(&k, v->cg);
	uint64_t off;
	rc = begin_phase(L, ti[3]);
	if (!rc) rc = bflush(L, &k, &off);
	free(k.b);
	int nr = cdiv(Tq, rpt), i = 0;
	for (int h = 0; !rc && h < H; h++)
		for (int r = 0; !rc && r < nr; r++, i++) {
			int r0 = r * rpt, r1 = r0 + rpt < Tq ? r0 + rpt : Tq, q = i % L->npe;
			int c0 = h * dk, c1 = c0 + dk;
			uint32_t y, w, qa, ka, va, s;
			rc = new_tile(L, ti[3], q, r0, r1, c0, c1, L->cur_node, &y);
			if (!rc) rc = wload(L, q, off, 32, &w);
			if (!rc) rc = operand(L, q, ti[0], r0, r1, c0, c1, &qa);
			if (!rc) rc = operand(L, q, ti[1], 0, Tk, c0, c1, &ka);
			if (!rc) rc = operand(L, q, ti[2], 0, Tk, c0, c1, &va);
			if (!rc) rc = dalloc(L, q, (uint32_t)(2 * Tk), FREE_PHASE, &s, "attention scratch");
			if (rc)
				break;
			sac_dinstr m = ins(SAC_DOP_ATTN, v->bits, v->bits == 16 ? SAC_DF_IN16 : 0);
			uint32_t a[] = {qa, ka, va, (uint32_t)(r1 - r0), (uint32_t)Tk, (uint32_t)dk, y, w, s};
			memcpy(m.a, a, sizeof a);
			rc = emit(L, q, m);
		}
	if (!rc) rc = end_phase(L);
	linp l = {v->qw[3], v, 3, v->qm[3], E, E, v->wbytes, v->bits, v->bits, 0};
	return rc ? rc : lower_linear(L, out, ti[3], &l);
}

static int lower_topk(lw *L, int node, const sac_dense_qview *v)
{
	sac_dprog *p = L->p;
	int out = L->gt[node], in = L->gt[v->in[0]], n = v->cols / 2, K = p->tensor[in].cols;
	int q = p->tile[p->tensor[base_of(p, in)].tile0].pe;
	uint32_t x, y;
	int rc = begin_phase(L, out);
	if (!rc) rc = new_tile(L, out, q, 0, 1, 0, 2 * n, until_of(L, out), &y);
	if (!rc) rc = operand(L, q, in, 0, 1, 0, K, &x);
	if (rc)
		return rc;
	sac_dinstr m = ins(SAC_DOP_TOPK, 16, 0);
	uint32_t a[] = {x, (uint32_t)K, (uint32_t)n, y};
	memcpy(m.a, a, sizeof a);
	rc = emit(L, q, m);
	sac_dinstr s = ins(SAC_DOP_SELECT, 0, 0);
	s.a[0] = y;
	s.a[1] = (uint32_t)n;
	if (!rc) rc = emit(L, q, s);
	return rc ? rc : end_phase(L);
}

static int lower_moesum(lw *L, int node, const sac_dense_qview *v)
{
	sac_dprog *p = L->p;
	int out = L->gt[node], tk = L->gt[v->in[0]], ne = v->nin - 1;
	int k = p->tensor[tk].cols / 2, cnt = v->rows * v->cols;
	if (ne > SAC_DUNIT_MAX_EXPERTS)
		return sac_errf(L->e, SAC_ERR_UNSUPPORTED,
				"node '%s': %d experts, the moesum instruction takes at most %d",
				L->node_name, ne, SAC_DUNIT_MAX_EXPERTS);
	int q = p->tile[p->tensor[base_of(p, tk)].tile0].pe;
	uint32_t t, y, ea[SAC_DUNIT_MAX_EXPERTS];
	int rc = begin_phase(L, out);
	if (!rc) rc = new_tile(L, out, q, 0, v->rows, 0, v->cols, until_of(L, out), &y);
	if (!rc) rc = operand(L, q, tk, 0, 1, 0, 2 * k, &t);
	for (int j = 0; !rc && j < ne; j++) {
		int et = L->gt[v->in[1 + j]];
		/* Only the chosen experts' outputs travel: the RECVs are
		 * guarded by their expert. */
		L->guard = p->tensor[et].expert;
		rc = operand(L, q, et, 0, v->rows, 0, v->cols, &ea[j]);
		L->guard = p->tensor[out].expert;
	}
	if (rc)
		return rc;
	sac_dinstr m = ins(SAC_DOP_MOESUM, 32, 0);
	uint32_t a[] = {t, (uint32_t)k, (uint32_t)cnt, y, (uint32_t)ne};
	memcpy(m.a, a, sizeof a);
	memcpy(m.a + 5, ea, sizeof(uint32_t) * (size_t)ne);
	rc = emit(L, q, m);
	return rc ? rc : end_phase(L);
}

static int lower_input(lw *L, int node, const sac_dense_qview *v)
{
	int out = L->gt[node], rpt = rows_per(L, v->rows), rc = SAC_OK;
	for (int i = 0; !rc && i * rpt < v->rows; i++) {
		int r0 = i * rpt, r1 = r0 + rpt < v->rows ? r0 + rpt : v->rows;
		uint32_t y;
		rc = new_tile(L, out, i % L->npe, r0, r1, 0, v->cols, until_of(L, out), &y);
	}
	return rc;
}

static int lower_node(lw *L, int i)
{
	sac_dense_qview v;
	sac_dprog *p = L->p;
	int rc = sac_dense_node_qview(L->g, i, &v, L->e);
	if (rc)
		return rc;
	sac_dense_op op = sac_dense_node_op(L->g, i);
	snprintf(L->node_name, sizeof L->node_name, "%s", sac_dense_name(L->g, i));
	L->cur_node = i;
	rc = new_tensor(L, L->node_name, op, i, v.rows, v.cols, v.bits, v.scale, v.expert);
	if (rc < 0)
		return rc;
	L->gt[i] = rc;
	rc = SAC_OK;
	int in0 = v.nin ? L->gt[v.in[0]] : -1;
	int in16 = in0 >= 0 && p->tensor[in0].bits == 16;
	blk k = {0};
	switch (op) {
	case SAC_DENSE_INPUT:
		rc = lower_input(L, i, &v);
		break;
	case SAC_DENSE_RESHAPE:
		p->tensor[L->gt[i]].alias = in0;
		break;
	case SAC_DENSE_LINEAR:
	case SAC_DENSE_CONV1D: {
		linp l = {v.qw[0], &v, 0, v.qm[0], p->tensor[in0].cols, v.n, v.wbytes,
			  p->tensor[in0].bits, v.bits, op == SAC_DENSE_CONV1D ? v.kernel : 0};
		rc = lower_linear(L, L->gt[i], in0, &l);
		break;
	}
	case SAC_DENSE_DWCONV1D:
	case SAC_DENSE_DWCONV1D_CAUSAL:
		rc = lower_dwconv(L, i, &v);
		break;
	case SAC_DENSE_ADD:
		bmult(&k, v.mm[0]);
		bmult(&k, v.mm[1]);
		rc = lower_ewise(L, i, &v, &k, SAC_DOP_ADD, 0);
		break;
	case SAC_DENSE_MUL:
		bmult(&k, v.mm[0]);
		rc = lower_ewise(L, i, &v, &k, SAC_DOP_MUL, 0);
		break;
	case SAC_DENSE_SOFTPLUS: case SAC_DENSE_EXP: case SAC_DENSE_SIGMOID:
	case SAC_DENSE_SILU: case SAC_DENSE_GELU:
		if (p->tensor[in0].bits != 8 && p->tensor[in0].bits != 16) {
			rc = sac_errf(L->e, SAC_ERR_UNSUPPORTED, "node '%s': lookup of a "
				      "%d-bit input", L->node_name, p->tensor[in0].bits);
			break;
		}
		for (int j = 0; j < (in16 ? 257 : 256); j++)
			bi32(&k, v.lut[j]);
		if (in16) { /* the window of the int16 table */
			bi32(&k, v.win->x0);
			bi32(&k, v.win->k);
			bmult(&k, v.win->up);
		}
		rc = lower_ewise(L, i, &v, &k, SAC_DOP_LUT, in16 ? SAC_DF_IN16 | SAC_DF_WIN : 0);
		break;
	case SAC_DENSE_LAYERNORM:
		bmult(&k, v.mm[0]);
		bi64(&k, v.eps_q);
		for (int j = 0; j < v.cols; j++)
			bi64(&k, sac_dense_qview_bias(&v, 0, j));
		for (int j = 0; j < v.cols; j++)
			bw(&k, v.qw[0][j], v.wbytes); /* gamma at the weight width */
		rc = lower_rows(L, i, &v, &k, row_lnorm);
		break;
	case SAC_DENSE_SOFTMAX:
		bi64(&k, v.c);
		bi64(&k, v.cg);
		rc = lower_rows(L, i, &v, &k, row_softmax);
		break;
	case SAC_DENSE_SCAN:
		rc = lower_scan(L, i, &v);
		break;
	case SAC_DENSE_MJOS: {
		int N = v.cols;
		bmult(&k, v.mm[0]);
		for (int o = 0; o < N; o++)
			bmult(&k, v.qm[0][o]);
		for (int o = 0; o < N; o++)
			bmult(&k, v.qm[1][o]);
		for (int o = 0; o < N; o++)
			bi64(&k, sac_dense_qview_bias(&v, 0, o));
		for (size_t j = 0; j < (size_t)N * 2 * N; j++)
			bw(&k, v.qw[0][j], v.wbytes);
		rc = lower_rows(L, i, &v, &k, row_mjos);
		break;
	}
	case SAC_DENSE_MHA:
		rc = lower_mha(L, i, &v);
		break;
	case SAC_DENSE_GATE:
		bi64(&k, v.c);
		bi64(&k, v.cg);
		rc = lower_rows(L, i, &v, &k, row_gate);
		break;
	case SAC_DENSE_MIX:
		bmult(&k, v.mm[0]);
		bmult(&k, v.mm[1]);
		rc = lower_rows(L, i, &v, &k, row_mix);
		break;
	case SAC_DENSE_TOPK:
		rc = lower_topk(L, i, &v);
		break;
	case SAC_DENSE_MOE_SUM:
		rc = lower_moesum(L, i, &v);
		break;
	case SAC_DENSE_OP_COUNT:
		break;
	}
	free(k.b);
	if (rc)
		return rc;
	/* Tensors whose last reader was this node are free from now on. */
	release(L, i, 0);
	return SAC_OK;
}

void sac_dprog_free(sac_dprog *p)
{
	if (!p)
		return;
	for (int q = 0; q < p->npe; q++)
		free(p->code ? p->code[q] : NULL);
	free(p->code);
	free(p->ncode);
	free(p->tensor);
	free(p->tile);
	free(p->phase);
	free(p->dram);
	free(p);
}

uint64_t sac_dprog_instructions(const sac_dprog *p)
{
	uint64_t n = 0;
	for (int q = 0; q < p->npe; q++)
		n += p->ncode[q];
	return n;
}

int sac_dlower(const sac_dense_graph *g, const sac_target *t, sac_dprog **out,
	       sac_err *e)
{
	*out = NULL;
	int rc = sac_target_check(t, e);
	if (rc)
		return rc;
	int n = sac_dense_count(g);
	sac_dprog *p = calloc(1, sizeof *p);
	lw L;
	memset(&L, 0, sizeof L);
	L.g = g;
	L.p = p;
	L.e = e;
	L.guard = -1;
	if (!p)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	p->t = *t;
	p->npe = L.npe = t->mesh_w * t->mesh_h;
	p->dwords = 2u * (uint32_t)t->pe.neurons;
	p->wbytes = (uint32_t)t->pe.weight_bytes;
	L.whalf = p->wbytes / 2 & ~7u;
	p->ncode = calloc((size_t)L.npe, sizeof *p->ncode);
	p->code = calloc((size_t)L.npe, sizeof *p->code);
	L.al = calloc((size_t)L.npe, sizeof *L.al);
	L.ccap = calloc((size_t)L.npe, sizeof *L.ccap);
	L.wcur = calloc((size_t)L.npe, sizeof *L.wcur);
	L.active = calloc((size_t)L.npe, 1);
	L.last = calloc((size_t)n + 1, sizeof *L.last);
	L.gt = calloc((size_t)n + 1, sizeof *L.gt);
	if (!p->ncode || !p->code || !L.al || !L.ccap || !L.wcur || !L.active ||
	    !L.last || !L.gt)
		rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	/* Last reader of every node, through reshapes; the output lives on. */
	for (int i = 0; !rc && i < n; i++) {
		sac_dense_qview v;
		rc = sac_dense_node_qview(g, i, &v, e);
		L.last[i] = i == n - 1 ? n : i;
		for (int j = 0; !rc && j < v.nin; j++) {
			int s = v.in[j];
			for (;;) {
				if (L.last[s] < i)
					L.last[s] = i;
				if (sac_dense_node_op(g, s) != SAC_DENSE_RESHAPE)
					break;
				sac_dense_qview w;
				rc = sac_dense_node_qview(g, s, &w, e);
				if (rc)
					break;
				s = w.in[0];
			}
		}
	}
	/* A reshape's data lives as long as its base: propagate back. */
	for (int i = n - 1; !rc && i >= 0; i--)
		if (sac_dense_node_op(g, i) == SAC_DENSE_RESHAPE) {
			sac_dense_qview v;
			rc = sac_dense_node_qview(g, i, &v, e);
			if (!rc && L.last[v.in[0]] < L.last[i])
				L.last[v.in[0]] = L.last[i];
		}
	for (int i = 0; !rc && i < n; i++)
		rc = lower_node(&L, i);
	if (!rc) {
		p->output = L.gt[n - 1];
		if (n < 1 || sac_dense_node_op(g, n - 1) == SAC_DENSE_RESHAPE)
			rc = sac_errf(e, SAC_ERR_UNSUPPORTED, "the output node must compute");
	}
	for (int q = 0; L.al && q < L.npe; q++)
		free(L.al[q].v);
	free(L.al);
	free(L.ccap);
	free(L.wcur);
	free(L.active);
	free(L.last);
	free(L.gt);
	if (rc) {
		sac_dprog_free(p);
		return rc;
	}
	*out = p;
	return SAC_OK;
}
