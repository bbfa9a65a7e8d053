/* dunit.c: the dense unit's unit-level model: encoding, timing and the
 * execution of one tile macro-instruction on a PE's local memories.
 *
 * docs/ISA.md is the specification this file implements.  Invariants:
 * every operand range is checked against the memories before anything is
 * read or written (a hostile image cannot make the model touch memory it
 * does not own); every element is computed by the integer kernels of
 * dense.h, the same calls the integer reference makes; the cycles charged
 * are sac_dunit_cycles' formula of the operands, never a measurement of
 * the host.  No state besides the arguments. */
#include <string.h>

#include "saccade/dense.h"
#include "saccade/dunit.h"

static const struct {
	const char *name;
	int nops, sys;
} optab[] = {
#define X(id, name, nops, sys) {name, nops, sys},
	SAC_DUNIT_OPS(X)
#undef X
};

const char *sac_dunit_op_name(int op)
{
	return op >= 0 && op < SAC_DOP_COUNT ? optab[op].name : "?";
}

int sac_dunit_op_system(int op)
{
	return op >= 0 && op < SAC_DOP_COUNT && optab[op].sys;
}

/* ---- encoding ------------------------------------------------------------ */

void sac_dunit_put_i32(uint8_t *p, int32_t v)
{
	uint32_t u = (uint32_t)v;
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(u >> (8 * i));
}

void sac_dunit_put_i64(uint8_t *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(u >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int64_t get_i64(const uint8_t *p)
{
	uint64_t u = 0;
	for (int i = 7; i >= 0; i--)
		u = u << 8 | p[i];
	return (int64_t)u;
}

void sac_dunit_encode(const sac_dinstr *in, uint8_t out[SAC_DUNIT_IBYTES])
{
	out[0] = in->op;
	out[1] = in->bits;
	out[2] = in->flags;
	out[3] = (uint8_t)in->guard;
	for (int i = 0; i < SAC_DUNIT_NOPS; i++)
		sac_dunit_put_i32(out + 4 + 4 * i, (int32_t)in->a[i]);
}

int sac_dunit_decode(const uint8_t in[SAC_DUNIT_IBYTES], sac_dinstr *out,
		     sac_err *e)
{
	memset(out, 0, sizeof *out);
	out->op = in[0];
	out->bits = in[1];
	out->flags = in[2];
	out->guard = (int8_t)in[3];
	for (int i = 0; i < SAC_DUNIT_NOPS; i++)
		out->a[i] = get_u32(in + 4 + 4 * i);
	if (out->op >= SAC_DOP_COUNT)
		return sac_errf(e, SAC_ERR_CORRUPT, "unknown dense opcode %u", out->op);
	if (out->bits != 0 && out->bits != 8 && out->bits != 16 && out->bits != 32)
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: output width %u",
				optab[out->op].name, out->bits);
	if (out->flags & ~31u)
		return sac_errf(e, SAC_ERR_CORRUPT, "%s: unknown flags 0x%x",
				optab[out->op].name, out->flags);
	return SAC_OK;
}

/* ---- timing ------------------------------------------------------------- */

static uint64_t cdiv(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* Passes of the 8x8 MAC array for the operand widths.  GATE multiplies
 * two activations (no weights): with IN16 both are int16, four passes. */
static uint64_t mac_factor(const sac_dinstr *in)
{
	if (in->op == SAC_DOP_GATE)
		return in->flags & SAC_DF_IN16 ? 4 : 1;
	return (uint64_t)(in->flags & SAC_DF_W16 ? 2 : 1) *
	       (in->flags & SAC_DF_IN16 ? 2 : 1);
}

uint64_t sac_dunit_cycles(const sac_dunit_cfg *c, const sac_dinstr *in)
{
	uint64_t L = (uint64_t)c->mac_lanes, V = (uint64_t)c->vec_lanes;
	uint64_t P = (uint64_t)c->pipeline, D = (uint64_t)c->div_cycles;
	uint64_t f = mac_factor(in);
	const uint32_t *a = in->a;
	switch ((sac_dunit_op)in->op) {
	case SAC_DOP_MATMUL: /* X rows K Y n P */
		return a[1] * (cdiv(a[4], L) * a[2] * f + cdiv(a[4], V)) + P;
	case SAC_DOP_CONV: /* ... kernel a[10] */
		return a[1] * (cdiv(a[4], L) * a[2] * a[10] * f + cdiv(a[4], V)) + P;
	case SAC_DOP_DWCONV: /* X rows C Y P t0 xr0 xrows T kernel */
		return a[1] * (cdiv(a[2], L) * a[9] * f + cdiv(a[2], V)) + P;
	case SAC_DOP_ADD:
	case SAC_DOP_MUL:
		return cdiv(a[3], V) + P;
	case SAC_DOP_LUT:
		return cdiv(a[2], V) * (in->flags & SAC_DF_IN16 ? 2 : 1) + P;
	case SAC_DOP_LNORM:
		return a[1] * (2 * cdiv(a[2], V) + 2 * D) + P;
	case SAC_DOP_SOFTMAX:
		return a[1] * (3 * cdiv(a[2], V) + D) + P;
	case SAC_DOP_SCAN: /* rows a[6], nd a[7], N a[8] */
		return (uint64_t)a[6] * a[7] * (4 * cdiv(a[8], V) + 1) + P;
	case SAC_DOP_MJOS: /* rows a[2], N a[3] */
		return a[2] * (cdiv(a[3], L) * 2 * a[3] * f + cdiv(a[3], V)) + P;
	case SAC_DOP_ATTN: { /* rows a[3], Tk a[4], dk a[5] */
		uint64_t fs = in->flags & SAC_DF_IN16 ? 4 : 1;
		uint64_t fc = in->flags & SAC_DF_IN16 ? 4 : 2;
		uint64_t td = (uint64_t)a[4] * a[5];
		return a[3] * (cdiv(td * fs, L) + cdiv(td * fc, L) +
			       3 * cdiv(a[4], V) + D + cdiv(a[5], V)) + P;
	}
	case SAC_DOP_GATE: /* rows a[2], K a[3] */
		return a[2] * (cdiv(a[3] * f, L) + D) + P;
	case SAC_DOP_MIX: /* rows a[3], F a[4] */
		return cdiv((uint64_t)a[3] * a[4], V) + P;
	case SAC_DOP_TOPK:
		return (uint64_t)a[1] * a[2] + P;
	case SAC_DOP_MOESUM:
		return (uint64_t)a[2] * a[1] + P;
	default:
		return 0;
	}
}

/* ---- execution ----------------------------------------------------------- */

typedef struct ctx {
	sac_dunit_mem *m;
	const sac_dinstr *in;
	sac_err *e;
} ctx;

/* D[addr .. addr + n) inside the data memory? */
static int dok(ctx *x, uint32_t addr, uint64_t n, const char *what)
{
	if ((uint64_t)addr + n > x->m->dwords)
		return sac_errf(x->e, SAC_ERR_CORRUPT,
				"%s: operand %s [%u, +%llu) outside the data memory "
				"(%u words)", optab[x->in->op].name, what, addr,
				(unsigned long long)n, x->m->dwords);
	return SAC_OK;
}

static int wok(ctx *x, uint32_t addr, uint64_t n, const char *what)
{
	if ((uint64_t)addr + n > x->m->wbytes)
		return sac_errf(x->e, SAC_ERR_CORRUPT,
				"%s: parameter %s [%u, +%llu) outside the weight "
				"memory (%u bytes)", optab[x->in->op].name, what,
				addr, (unsigned long long)n, x->m->wbytes);
	return SAC_OK;
}

static sac_dense_mult mult_at(const uint8_t *p)
{
	sac_dense_mult m = {(int32_t)get_u32(p), (int)(int32_t)get_u32(p + 4)};
	return m;
}

/* Weight j of a block of element size wb (1: int8, 2: int16 LE). */
static int32_t wt(const uint8_t *w, size_t j, int wb)
{
	if (wb == 1)
		return (int8_t)w[j];
	return (int16_t)(uint16_t)(w[2 * j] | w[2 * j + 1] << 8);
}

/* A multiplier read from a block must have a shift the rounding shift
 * accepts: images come from files. */
static int mults_ok(ctx *x, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sac_dense_mult m = mult_at(p + 8 * i);
		if (m.sh < 0 || m.sh > 62 || m.m < 0)
			return sac_errf(x->e, SAC_ERR_CORRUPT,
					"%s: multiplier %zu has m %d, shift %d",
					optab[x->in->op].name, i, m.m, m.sh);
	}
	return SAC_OK;
}

/* Words D[addr .. addr + n) that the MAC array multiplies must lie within
 * the declared input width, int8 or int16 with IN16 (docs/ISA.md,
 * "Declared widths"): its lanes are 8 bits wide (two passes for int16)
 * and cannot hold a wider word, so such an instruction is corrupt, not a
 * value to saturate silently. */
static int in_ok(ctx *x, uint32_t addr, uint64_t n, const char *what)
{
	int bits = x->in->flags & SAC_DF_IN16 ? 16 : 8;
	for (uint64_t i = 0; i < n; i++) {
		int32_t v = x->m->d[addr + i];
		if (v != sac_dense_sat(v, bits))
			return sac_errf(x->e, SAC_ERR_CORRUPT,
					"%s: operand %s word D[%llu] = %d outside int%d%s",
					optab[x->in->op].name, what,
					(unsigned long long)(addr + i), v, bits,
					bits == 8 ? " (flag IN16 not set)" : "");
	}
	return SAC_OK;
}

/* The rows [lo, hi] of a convolution's [T, width] input that its taps
 * read, clipped to [0, T) and to the buffer's rows [xr0, xr0 + xrows)
 * (a tap outside the buffer is an error of its own): in_ok on them. */
static int in_rows_ok(ctx *x, uint32_t X, int64_t lo, int64_t hi, int64_t T,
		      int64_t xr0, int64_t xrows, uint64_t width)
{
	lo = lo > 0 ? lo : 0;
	lo = lo > xr0 ? lo : xr0;
	hi = hi < T - 1 ? hi : T - 1;
	hi = hi < xr0 + xrows - 1 ? hi : xr0 + xrows - 1;
	if (hi < lo)
		return SAC_OK;
	return in_ok(x, X + (uint32_t)((uint64_t)(lo - xr0) * width),
		     (uint64_t)(hi - lo + 1) * width, "X");
}

static int bits_of(const sac_dinstr *in)
{
	return in->bits ? in->bits : 32;
}

/* Linear, convolution and depthwise convolution share their block:
 * n multipliers, n int64 biases, weights. */
static int ex_matmul(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t X = a[0], rows = a[1], K = a[2], Y = a[3], n = a[4], P = a[5];
	int wb = x->in->flags & SAC_DF_W16 ? 2 : 1, bits = bits_of(x->in);
	uint64_t wlen = (uint64_t)n * K * wb;
	int rc = dok(x, X, (uint64_t)rows * K, "X");
	if (!rc) rc = dok(x, Y, (uint64_t)rows * n, "Y");
	if (!rc) rc = wok(x, P, 16ull * n + wlen, "block");
	/* No lowering emits a matmul without outputs; its counted reads of X
	 * would be reads no datapath makes (the RTL reads nothing). */
	if (!rc && n == 0 && rows > 0)
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "matmul: %u rows but no output columns", rows);
	const uint8_t *pm = x->m->w + P, *pb = pm + 8ull * n, *pw = pb + 8ull * n;
	if (!rc) rc = mults_ok(x, pm, n);
	if (!rc) rc = in_ok(x, X, (uint64_t)rows * K, "X");
	if (rc)
		return rc;
	const int32_t *xv = x->m->d + X;
	int32_t *y = x->m->d + Y;
	for (uint32_t t = 0; t < rows; t++)
		for (uint32_t o = 0; o < n; o++) {
			int64_t acc = get_i64(pb + 8ull * o);
			for (uint32_t j = 0; j < K; j++)
				acc += (int64_t)wt(pw, (size_t)o * K + j, wb) * xv[(size_t)t * K + j];
			y[(size_t)t * n + o] = sac_dense_sat(sac_dense_rq(acc, mult_at(pm + 8ull * o)), bits);
		}
	k->macs += (uint64_t)rows * n * K * mac_factor(x->in);
	k->rq += (uint64_t)rows * n;
	k->dmem_reads += (uint64_t)rows * K;
	k->dmem_writes += (uint64_t)rows * n;
	k->wmem_reads += rows * cdiv(wlen + 16ull * n, 8);
	return SAC_OK;
}

/* conv: X holds rows [xr0, xr0 + xrows) of the [T, K] input; output rows
 * t0 .. t0 + rows; "same" zero padding (kernel odd). */
static int ex_conv(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t X = a[0], rows = a[1], K = a[2], Y = a[3], n = a[4], P = a[5];
	int64_t t0 = a[6], xr0 = a[7], xrows = a[8], T = a[9], ker = a[10];
	int wb = x->in->flags & SAC_DF_W16 ? 2 : 1, bits = bits_of(x->in);
	uint64_t wlen = (uint64_t)n * K * ker * wb;
	int rc = dok(x, X, (uint64_t)xrows * K, "X");
	if (!rc) rc = dok(x, Y, (uint64_t)rows * n, "Y");
	if (!rc) rc = wok(x, P, 16ull * n + wlen, "block");
	if (!rc && (ker < 1 || ker % 2 == 0 || t0 + rows > T))
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "conv: kernel %lld, rows %u from %lld of %lld",
			      (long long)ker, rows, (long long)t0, (long long)T);
	/* As matmul: no lowering emits it, and its counted reads would be
	 * reads no datapath makes. */
	if (!rc && n == 0 && rows > 0)
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "conv: %u rows but no output columns", rows);
	const uint8_t *pm = x->m->w + P, *pb = pm + 8ull * n, *pw = pb + 8ull * n;
	if (!rc) rc = mults_ok(x, pm, n);
	int64_t pad = (ker - 1) / 2;
	if (!rc && rows > 0)
		rc = in_rows_ok(x, X, t0 - pad, t0 + rows - 1 + pad, T, xr0, xrows, K);
	if (rc)
		return rc;
	const int32_t *xv = x->m->d + X;
	int32_t *y = x->m->d + Y;
	for (uint32_t r = 0; r < rows; r++) {
		int64_t t = t0 + r;
		for (uint32_t o = 0; o < n; o++) {
			int64_t acc = get_i64(pb + 8ull * o);
			for (int64_t j = 0; j < ker; j++) {
				int64_t tt = t - pad + j;
				if (tt < 0 || tt >= T)
					continue;
				if (tt < xr0 || tt >= xr0 + xrows)
					return sac_errf(x->e, SAC_ERR_CORRUPT,
							"conv: row %lld not in the buffer", (long long)tt);
				for (uint32_t kk = 0; kk < K; kk++)
					acc += (int64_t)wt(pw, ((size_t)o * K + kk) * ker + j, wb) *
					       xv[(size_t)(tt - xr0) * K + kk];
			}
			y[(size_t)r * n + o] = sac_dense_sat(sac_dense_rq(acc, mult_at(pm + 8ull * o)), bits);
		}
	}
	k->macs += (uint64_t)rows * n * K * ker * mac_factor(x->in);
	k->rq += (uint64_t)rows * n;
	k->dmem_reads += (uint64_t)rows * K * ker;
	k->dmem_writes += (uint64_t)rows * n;
	k->wmem_reads += rows * cdiv(wlen + 16ull * n, 8);
	return SAC_OK;
}

static int ex_dwconv(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t X = a[0], rows = a[1], C = a[2], Y = a[3], P = a[4];
	int64_t t0 = a[5], xr0 = a[6], xrows = a[7], T = a[8], ker = a[9];
	int causal = !!(x->in->flags & SAC_DF_CAUSAL), rev = !!(x->in->flags & SAC_DF_REVERSE);
	int wb = x->in->flags & SAC_DF_W16 ? 2 : 1, bits = bits_of(x->in);
	uint64_t wlen = (uint64_t)C * ker * wb;
	int rc = dok(x, X, (uint64_t)xrows * C, "X");
	if (!rc) rc = dok(x, Y, (uint64_t)rows * C, "Y");
	if (!rc) rc = wok(x, P, 16ull * C + wlen, "block");
	if (!rc && (ker < 1 || (!causal && ker % 2 == 0) || t0 + rows > T))
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "dwconv: kernel %lld, rows %u from %lld of %lld",
			      (long long)ker, rows, (long long)t0, (long long)T);
	if (!rc && C == 0 && rows > 0)
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "dwconv: %u rows but no channels", rows);
	const uint8_t *pm = x->m->w + P, *pb = pm + 8ull * C, *pw = pb + 8ull * C;
	if (!rc) rc = mults_ok(x, pm, C);
	int64_t off = causal ? ker - 1 : (ker - 1) / 2;
	int64_t lo = causal && rev ? t0 : t0 - off; /* the first row a tap reads */
	if (!rc && rows > 0)
		rc = in_rows_ok(x, X, lo, lo + rows - 1 + ker - 1, T, xr0, xrows, C);
	if (rc)
		return rc;
	const int32_t *xv = x->m->d + X;
	int32_t *y = x->m->d + Y;
	for (uint32_t r = 0; r < rows; r++) {
		int64_t t = t0 + r;
		for (uint32_t c = 0; c < C; c++) {
			int64_t acc = get_i64(pb + 8ull * c);
			for (int64_t j = 0; j < ker; j++) {
				int64_t tt = causal && rev ? t + off - j : t - off + j;
				if (tt < 0 || tt >= T)
					continue;
				if (tt < xr0 || tt >= xr0 + xrows)
					return sac_errf(x->e, SAC_ERR_CORRUPT,
							"dwconv: row %lld not in the buffer", (long long)tt);
				acc += (int64_t)wt(pw, (size_t)c * ker + j, wb) *
				       xv[(size_t)(tt - xr0) * C + c];
			}
			y[(size_t)r * C + c] = sac_dense_sat(sac_dense_rq(acc, mult_at(pm + 8ull * c)), bits);
		}
	}
	k->macs += (uint64_t)rows * C * ker * mac_factor(x->in);
	k->rq += (uint64_t)rows * C;
	k->dmem_reads += (uint64_t)rows * C * ker;
	k->dmem_writes += (uint64_t)rows * C;
	k->wmem_reads += rows * cdiv(wlen + 16ull * C, 8);
	return SAC_OK;
}

/* add, mul: A B Y count P. */
static int ex_ewise(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t A = a[0], B = a[1], Y = a[2], n = a[3], P = a[4];
	int add = x->in->op == SAC_DOP_ADD, bits = bits_of(x->in);
	int rc = dok(x, A, n, "A");
	if (!rc) rc = dok(x, B, n, "B");
	if (!rc) rc = dok(x, Y, n, "Y");
	if (!rc) rc = wok(x, P, add ? 16 : 8, "block");
	if (!rc) rc = mults_ok(x, x->m->w + P, add ? 2 : 1);
	if (rc)
		return rc;
	sac_dense_mult m0 = mult_at(x->m->w + P), m1 = mult_at(x->m->w + P + 8);
	int32_t *d = x->m->d;
	for (uint32_t i = 0; i < n; i++)
		d[Y + i] = add ? sac_dense_sat(sac_dense_rq(d[A + i], m0) +
					       sac_dense_rq(d[B + i], m1), bits) :
				 sac_dense_sat(sac_dense_rq((int64_t)d[A + i] * d[B + i], m0), bits);
	k->rq += (uint64_t)n * (add ? 2 : 1);
	k->alu += add ? n : 0;
	k->macs += add ? 0 : n;
	k->dmem_reads += 2ull * n;
	k->dmem_writes += n;
	k->wmem_reads += add ? 2 : 1;
	return SAC_OK;
}

static int ex_lut(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t X = a[0], Y = a[1], n = a[2], P = a[3];
	int in16 = !!(x->in->flags & SAC_DF_IN16);
	int win = in16 && (x->in->flags & SAC_DF_WIN);
	int rc = dok(x, X, n, "X");
	if (!rc) rc = dok(x, Y, n, "Y");
	if (!rc) rc = wok(x, P, win ? 257 * 4 + 16 : in16 ? 257 * 4 : 256 * 4, "table");
	if (!rc && win) rc = mults_ok(x, x->m->w + P + 257 * 4 + 8, 1);
	if (rc)
		return rc;
	int32_t t[257];
	for (int i = 0; i < (in16 ? 257 : 256); i++)
		t[i] = (int32_t)get_u32(x->m->w + P + 4 * i);
	/* int16 inputs: the window after the table (x0, k, slope above). */
	sac_dense_win w = {0, 8, {0, 0}, bits_of(x->in)};
	if (win) {
		const uint8_t *q = x->m->w + P + 257 * 4;
		w.x0 = (int32_t)get_u32(q);
		w.k = (int)(int32_t)get_u32(q + 4);
		w.up = mult_at(q + 8);
		if (w.k < 0 || w.k > 8)
			return sac_errf(x->e, SAC_ERR_CORRUPT, "lut: window step 2^%d", w.k);
	}
	int32_t *d = x->m->d;
	for (uint32_t i = 0; i < n; i++)
		d[Y + i] = win ? sac_dense_lutw(t, &w, d[X + i]) :
			   in16 ? sac_dense_lut16(t, d[X + i]) : t[sac_dense_sat(d[X + i], 8) + 128];
	k->lut += (uint64_t)n * (in16 ? 2 : 1);
	k->alu += in16 ? n : 0;
	k->rq += in16 ? n : 0; /* the interpolation product and its shift */
	k->dmem_reads += n;
	k->dmem_writes += n;
	return SAC_OK;
}

/* lnorm block: mult, eps (i64), beta[K] (i64), gamma[K] (int8, or int16
 * with W16). */
static int ex_lnorm(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t X = a[0], rows = a[1], K = a[2], Y = a[3], P = a[4];
	int bits = bits_of(x->in), wb = x->in->flags & SAC_DF_W16 ? 2 : 1;
	int rc = dok(x, X, (uint64_t)rows * K, "X");
	if (!rc) rc = dok(x, Y, (uint64_t)rows * K, "Y");
	if (!rc) rc = wok(x, P, 16 + (8ull + wb) * K, "block");
	if (!rc) rc = mults_ok(x, x->m->w + P, 1);
	if (!rc && (K < 1 || K > (1u << 20) || get_i64(x->m->w + P + 8) < 1))
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "lnorm: K %u or epsilon", K);
	if (rc)
		return rc;
	const uint8_t *p = x->m->w + P;
	sac_dense_mult m = mult_at(p);
	int64_t eps = get_i64(p + 8);
	const uint8_t *beta = p + 16, *gam = beta + 8ull * K;
	for (uint32_t t = 0; t < rows; t++) {
		const int32_t *r = x->m->d + X + (size_t)t * K;
		int32_t *y = x->m->d + Y + (size_t)t * K;
		int64_t s1 = 0, s2 = 0, inv;
		int sh;
		for (uint32_t j = 0; j < K; j++) {
			s1 += r[j];
			s2 += (int64_t)r[j] * r[j];
		}
		sac_dense_ln_row(s1, s2, (int)K, eps, &inv, &sh);
		for (uint32_t j = 0; j < K; j++)
			y[j] = sac_dense_ln_elem(r[j], (int)K, s1, inv, sh, wt(gam, j, wb),
						 get_i64(beta + 8ull * j), m, bits);
	}
	k->macs += 2ull * rows * K;
	k->alu += 2ull * rows * K;
	k->rq += 2ull * rows * K;
	k->div += 2ull * rows;
	k->dmem_reads += 2ull * rows * K;
	k->dmem_writes += (uint64_t)rows * K;
	k->wmem_reads += rows * cdiv(16 + (8ull + wb) * K, 8);
	return SAC_OK;
}

static int ex_softmax(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t X = a[0], rows = a[1], K = a[2], Y = a[3], P = a[4];
	int rc = dok(x, X, (uint64_t)rows * K, "X");
	if (!rc) rc = dok(x, Y, (uint64_t)rows * K, "Y");
	if (!rc) rc = wok(x, P, 16, "block");
	int64_t c = rc ? 0 : get_i64(x->m->w + P), g = rc ? 0 : get_i64(x->m->w + P + 8);
	if (!rc && (K < 1 || c < 1 || g < 0 || g > 30))
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "softmax: K %u or coefficient", K);
	if (rc)
		return rc;
	for (uint32_t t = 0; t < rows; t++)
		sac_dense_softmax_rowg(x->m->d + X + (size_t)t * K, (int)K, c, (int)g,
				       x->m->d + Y + (size_t)t * K);
	k->alu += 3ull * rows * K;
	k->lut += (uint64_t)rows * K;
	k->rq += 2ull * rows * K;
	k->div += rows;
	/* X twice (the maximum, the exponentials), the exponentials once more
	 * from Y (the normalisation). */
	k->dmem_reads += 3ull * rows * K;
	k->dmem_writes += 2ull * rows * K;
	k->wmem_reads += rows;
	return SAC_OK;
}

/* scan: X DL B C Y H rows nd N P init (init != 0: the state starts at
 * zero, the first chunk of a scan); block: m0 m1 m2, ae[nd N] (i64),
 * dq[nd] (i8).  Rows are in token order; REVERSE walks them last first. */
static int ex_scan(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t X = a[0], DL = a[1], B = a[2], C = a[3], Y = a[4], H = a[5];
	uint32_t rows = a[6], nd = a[7], N = a[8], P = a[9];
	int rev = !!(x->in->flags & SAC_DF_REVERSE), bits = bits_of(x->in);
	uint64_t bl = 32 + 8ull * nd * N + nd;
	int rc = dok(x, X, (uint64_t)rows * nd, "X");
	if (!rc) rc = dok(x, DL, (uint64_t)rows * nd, "delta");
	if (!rc) rc = dok(x, B, (uint64_t)rows * N, "B");
	if (!rc) rc = dok(x, C, (uint64_t)rows * N, "C");
	if (!rc) rc = dok(x, Y, (uint64_t)rows * nd, "Y");
	if (!rc) rc = dok(x, H, (uint64_t)nd * N, "state");
	if (!rc) rc = wok(x, P, bl, "block");
	if (!rc) rc = mults_ok(x, x->m->w + P, 3);
	/* No lowering emits it; its outputs would be written in no cycle of
	 * the state passes. */
	if (!rc && N == 0 && rows > 0 && nd > 0)
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "scan: %u tokens but no state", rows);
	if (rc)
		return rc;
	const uint8_t *p = x->m->w + P, *ae = p + 32, *dq = ae + 8ull * nd * N;
	sac_dense_mult m0 = mult_at(p), m1 = mult_at(p + 8), m2 = mult_at(p + 16);
	int64_t cg = get_i64(p + 24);
	if (cg < 0 || cg > 30)
		return sac_errf(x->e, SAC_ERR_CORRUPT, "scan: %lld extra fraction bits",
				(long long)cg);
	int32_t *d = x->m->d;
	/* init: the state starts at zero; an instruction without tokens
	 * leaves it as it is (the RTL zeroes the first token's reads). */
	if (a[10] && rows > 0)
		memset(d + H, 0, sizeof(int32_t) * nd * N);
	for (uint32_t s = 0; s < rows; s++) {
		uint32_t t = rev ? rows - 1 - s : s;
		for (uint32_t c = 0; c < nd; c++) {
			int32_t xv = d[X + (size_t)t * nd + c], dv = d[DL + (size_t)t * nd + c];
			int64_t acc = 0;
			for (uint32_t n = 0; n < N; n++) {
				int32_t *hv = &d[H + (size_t)c * N + n];
				*hv = sac_dense_scan_state(*hv, dv, get_i64(ae + 8 * ((size_t)c * N + n)),
							   (int)cg, d[B + (size_t)t * N + n], xv, m0);
				acc += (int64_t)d[C + (size_t)t * N + n] * *hv;
			}
			d[Y + (size_t)t * nd + c] = sac_dense_scan_out(acc, xv, (int8_t)dq[c], m1, m2, bits);
		}
	}
	uint64_t el = (uint64_t)rows * nd * N;
	k->lut += el;          /* exp2 table */
	k->rq += 3 * el + 2ull * rows * nd;
	k->macs += el * 4;     /* C h: 16 x 32 bits */
	k->alu += 2 * el;
	k->dmem_reads += 4 * el + 2ull * rows * nd;
	k->dmem_writes += el + (uint64_t)rows * nd;
	k->wmem_reads += rows * cdiv(bl, 8);
	return SAC_OK;
}

/* mjos: A B rows N Y P; block: mm0, qm0[N], qm1[N], bias[N] (i64), W[N][2N]. */
static int ex_mjos(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t A = a[0], Bv = a[1], rows = a[2], N = a[3], Y = a[4], P = a[5];
	int wb = x->in->flags & SAC_DF_W16 ? 2 : 1, bits = bits_of(x->in);
	uint64_t bl = 8 + 24ull * N + 2ull * N * N * wb;
	int rc = dok(x, A, (uint64_t)rows * N, "A");
	if (!rc) rc = dok(x, Bv, (uint64_t)rows * N, "B");
	if (!rc) rc = dok(x, Y, (uint64_t)rows * N, "Y");
	if (!rc) rc = wok(x, P, bl, "block");
	if (!rc) rc = mults_ok(x, x->m->w + P, 1 + 2ull * N);
	if (!rc) rc = in_ok(x, A, (uint64_t)rows * N, "A");
	if (!rc) rc = in_ok(x, Bv, (uint64_t)rows * N, "B");
	if (rc)
		return rc;
	const uint8_t *p = x->m->w + P, *q0 = p + 8, *q1 = q0 + 8ull * N;
	const uint8_t *pb = q1 + 8ull * N, *pw = pb + 8ull * N;
	sac_dense_mult mm0 = mult_at(p);
	int32_t *d = x->m->d;
	for (uint32_t t = 0; t < rows; t++)
		for (uint32_t o = 0; o < N; o++) {
			int64_t aa = get_i64(pb + 8ull * o), bb = 0;
			for (uint32_t j = 0; j < N; j++) {
				aa += (int64_t)wt(pw, (size_t)o * 2 * N + j, wb) * d[A + (size_t)t * N + j];
				bb += (int64_t)wt(pw, (size_t)o * 2 * N + N + j, wb) * d[Bv + (size_t)t * N + j];
			}
			d[Y + (size_t)t * N + o] = sac_dense_sat(
				sac_dense_rq(aa, mult_at(q0 + 8ull * o)) +
				sac_dense_rq(bb, mult_at(q1 + 8ull * o)) +
				sac_dense_rq(d[A + (size_t)t * N + o], mm0), bits);
		}
	k->macs += 2ull * rows * N * N * mac_factor(x->in);
	k->rq += 3ull * rows * N;
	k->alu += 2ull * rows * N;
	k->dmem_reads += 2ull * rows * N;
	k->dmem_writes += (uint64_t)rows * N;
	k->wmem_reads += rows * cdiv(bl, 8);
	return SAC_OK;
}

/* attn: Q K V rows Tk dk Y P S; block: mm0, mm1, c (i64).  One head:
 * scores, integer softmax, context; S is scratch for 2 Tk words. */
static int ex_attn(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t Q = a[0], Kb = a[1], Vb = a[2], rows = a[3], Tk = a[4], dk = a[5];
	uint32_t Y = a[6], P = a[7], S = a[8];
	int bits = bits_of(x->in);
	int rc = dok(x, Q, (uint64_t)rows * dk, "Q");
	if (!rc) rc = dok(x, Kb, (uint64_t)Tk * dk, "K");
	if (!rc) rc = dok(x, Vb, (uint64_t)Tk * dk, "V");
	if (!rc) rc = dok(x, Y, (uint64_t)rows * dk, "Y");
	if (!rc) rc = dok(x, S, 2ull * Tk, "scratch");
	if (!rc) rc = wok(x, P, 32, "block");
	if (!rc) rc = mults_ok(x, x->m->w + P, 2);
	int64_t c = rc ? 0 : get_i64(x->m->w + P + 16), g = rc ? 0 : get_i64(x->m->w + P + 24);
	if (!rc && (Tk < 1 || c < 1 || g < 0 || g > 30))
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "attn: keys %u or coefficient", Tk);
	/* No lowering emits it; its scores would be written in no cycle. */
	if (!rc && dk == 0 && rows > 0)
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "attn: %u query rows but no columns", rows);
	if (!rc && rows > 0) {
		rc = in_ok(x, Q, (uint64_t)rows * dk, "Q");
		if (!rc) rc = in_ok(x, Kb, (uint64_t)Tk * dk, "K");
		if (!rc) rc = in_ok(x, Vb, (uint64_t)Tk * dk, "V");
	}
	if (rc)
		return rc;
	sac_dense_mult m0 = mult_at(x->m->w + P), m1 = mult_at(x->m->w + P + 8);
	int32_t *d = x->m->d, *s = d + S, *p = s + Tk;
	for (uint32_t i = 0; i < rows; i++) {
		for (uint32_t j = 0; j < Tk; j++) {
			int64_t acc = 0;
			for (uint32_t cc = 0; cc < dk; cc++)
				acc += (int64_t)d[Q + (size_t)i * dk + cc] * d[Kb + (size_t)j * dk + cc];
			s[j] = sac_dense_sat(sac_dense_rq(acc, m0), 16);
		}
		sac_dense_softmax_rowg(s, (int)Tk, c, (int)g, p);
		for (uint32_t cc = 0; cc < dk; cc++) {
			int64_t acc = 0;
			for (uint32_t j = 0; j < Tk; j++)
				acc += (int64_t)p[j] * d[Vb + (size_t)j * dk + cc];
			d[Y + (size_t)i * dk + cc] = sac_dense_sat(sac_dense_rq(acc, m1), bits);
		}
	}
	uint64_t td = (uint64_t)rows * Tk * dk;
	int in16 = !!(x->in->flags & SAC_DF_IN16);
	k->macs += td * (in16 ? 4 : 1) + td * (in16 ? 4 : 2);
	k->rq += (uint64_t)rows * Tk * 2 + (uint64_t)rows * dk;
	k->alu += 3ull * rows * Tk;
	k->lut += (uint64_t)rows * Tk;
	k->div += rows;
	k->dmem_reads += 2 * td + (uint64_t)rows * dk + 3ull * rows * Tk;
	k->dmem_writes += (uint64_t)rows * dk + 2ull * rows * Tk;
	k->wmem_reads += 3ull * rows;
	return SAC_OK;
}

static int ex_gate(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t A = a[0], B = a[1], rows = a[2], K = a[3], Y = a[4], P = a[5];
	int rc = dok(x, A, (uint64_t)rows * K, "A");
	if (!rc) rc = dok(x, B, (uint64_t)rows * K, "B");
	if (!rc) rc = dok(x, Y, rows, "Y");
	if (!rc) rc = wok(x, P, 16, "block");
	int64_t c = rc ? 0 : get_i64(x->m->w + P), g = rc ? 0 : get_i64(x->m->w + P + 8);
	if (!rc && (c < 1 || g < 0 || g > 30))
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "gate: coefficient");
	if (!rc) rc = in_ok(x, A, (uint64_t)rows * K, "A");
	if (!rc) rc = in_ok(x, B, (uint64_t)rows * K, "B");
	if (rc)
		return rc;
	int32_t *d = x->m->d;
	for (uint32_t t = 0; t < rows; t++) {
		int64_t s = 0;
		for (uint32_t j = 0; j < K; j++)
			s += (int64_t)d[A + (size_t)t * K + j] * d[B + (size_t)t * K + j];
		d[Y + t] = sac_dense_sigmoid_q14g(s, c, (int)g);
	}
	k->macs += (uint64_t)rows * K * mac_factor(x->in);
	k->lut += rows;
	k->rq += rows;
	k->div += rows;
	k->dmem_reads += 2ull * rows * K;
	k->dmem_writes += rows;
	k->wmem_reads += 1;
	return SAC_OK;
}

static int ex_mix(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t AL = a[0], Pp = a[1], Qq = a[2], rows = a[3], F = a[4], Y = a[5], P = a[6];
	int bits = bits_of(x->in);
	uint64_t n = (uint64_t)rows * F;
	int rc = dok(x, AL, rows, "alpha");
	if (!rc) rc = dok(x, Pp, n, "p");
	if (!rc) rc = dok(x, Qq, n, "q");
	if (!rc) rc = dok(x, Y, n, "Y");
	if (!rc) rc = wok(x, P, 16, "block");
	if (!rc) rc = mults_ok(x, x->m->w + P, 2);
	/* No lowering emits it; its counted gate reads would be reads no
	 * datapath makes. */
	if (!rc && F == 0 && rows > 0)
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "mix: %u rows but no columns", rows);
	if (rc)
		return rc;
	sac_dense_mult m0 = mult_at(x->m->w + P), m1 = mult_at(x->m->w + P + 8);
	int32_t *d = x->m->d;
	for (uint32_t t = 0; t < rows; t++)
		for (uint32_t j = 0; j < F; j++) {
			size_t i = (size_t)t * F + j;
			d[Y + i] = sac_dense_sat(
				sac_dense_rq((int64_t)d[AL + t] * d[Pp + i], m0) +
				sac_dense_rq((int64_t)(16384 - d[AL + t]) * d[Qq + i], m1), bits);
		}
	k->macs += 4 * n;
	k->rq += 2 * n;
	k->alu += 2 * n;
	k->dmem_reads += 2 * n + rows;
	k->dmem_writes += n;
	k->wmem_reads += 2;
	return SAC_OK;
}

static int ex_topk(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t X = a[0], n = a[1], kk = a[2], Y = a[3];
	int rc = dok(x, X, n, "X");
	if (!rc) rc = dok(x, Y, 2ull * kk, "Y");
	if (!rc && (kk < 1 || kk > n || kk > 64))
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "topk: k %u of %u", kk, n);
	if (rc)
		return rc;
	sac_dense_topk_weights(x->m->d + X, (int)n, (int)kk, x->m->d + Y);
	k->alu += (uint64_t)kk * n + kk;
	k->div += kk;
	k->dmem_reads += (uint64_t)kk * n;
	k->dmem_writes += 2ull * kk;
	return SAC_OK;
}

/* moesum: T k count Y nexp E0..: logit = sum over the chosen j of
 * w_j O_{idx_j}; an index outside 0..nexp-1 contributes nothing. */
static int ex_moesum(ctx *x, sac_dunit_counts *k)
{
	const uint32_t *a = x->in->a;
	uint32_t T = a[0], kk = a[1], n = a[2], Y = a[3], ne = a[4];
	int rc = dok(x, T, 2ull * kk, "topk");
	if (!rc) rc = dok(x, Y, n, "Y");
	if (!rc && (ne > SAC_DUNIT_MAX_EXPERTS || kk > 64))
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "moesum: %u experts, k %u", ne, kk);
	/* No lowering emits it; it would write count words in no cycle. */
	if (!rc && kk == 0 && n > 0)
		rc = sac_errf(x->e, SAC_ERR_CORRUPT, "moesum: %u outputs but no chosen experts", n);
	for (uint32_t j = 0; !rc && j < kk; j++) {
		int32_t ex = x->m->d[T + j];
		if (ex >= 0 && (uint32_t)ex < ne)
			rc = dok(x, a[5 + ex], n, "expert");
	}
	if (rc)
		return rc;
	int32_t *d = x->m->d;
	for (uint32_t c = 0; c < n; c++) {
		int64_t acc = 0;
		for (uint32_t j = 0; j < kk; j++) {
			int32_t ex = d[T + j];
			if (ex >= 0 && (uint32_t)ex < ne)
				acc += (int64_t)d[T + kk + j] * d[a[5 + ex] + c];
		}
		d[Y + c] = sac_dense_sat(acc, 32);
	}
	k->macs += (uint64_t)n * kk * 4;
	k->dmem_reads += (uint64_t)n * kk + 2ull * kk;
	k->dmem_writes += n;
	return SAC_OK;
}

int sac_dunit_exec(const sac_dunit_cfg *c, sac_dunit_mem *m,
		   const sac_dinstr *in, sac_dunit_counts *k, sac_err *e)
{
	ctx x = {m, in, e};
	int rc;
	if (in->op >= SAC_DOP_COUNT)
		return sac_errf(e, SAC_ERR_CORRUPT, "unknown dense opcode %u", in->op);
	switch ((sac_dunit_op)in->op) {
	case SAC_DOP_NOP: rc = SAC_OK; break;
	case SAC_DOP_MATMUL: rc = ex_matmul(&x, k); break;
	case SAC_DOP_CONV: rc = ex_conv(&x, k); break;
	case SAC_DOP_DWCONV: rc = ex_dwconv(&x, k); break;
	case SAC_DOP_ADD: case SAC_DOP_MUL: rc = ex_ewise(&x, k); break;
	case SAC_DOP_LUT: rc = ex_lut(&x, k); break;
	case SAC_DOP_LNORM: rc = ex_lnorm(&x, k); break;
	case SAC_DOP_SOFTMAX: rc = ex_softmax(&x, k); break;
	case SAC_DOP_SCAN: rc = ex_scan(&x, k); break;
	case SAC_DOP_MJOS: rc = ex_mjos(&x, k); break;
	case SAC_DOP_ATTN: rc = ex_attn(&x, k); break;
	case SAC_DOP_GATE: rc = ex_gate(&x, k); break;
	case SAC_DOP_MIX: rc = ex_mix(&x, k); break;
	case SAC_DOP_TOPK: rc = ex_topk(&x, k); break;
	case SAC_DOP_MOESUM: rc = ex_moesum(&x, k); break;
	default:
		return sac_errf(e, SAC_ERR_USAGE, "%s is a system instruction "
				"(executed by the simulator)", optab[in->op].name);
	}
	if (rc)
		return rc;
	k->cycles += sac_dunit_cycles(c, in);
	k->instrs++;
	return SAC_OK;
}
