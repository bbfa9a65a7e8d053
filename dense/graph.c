/* graph.c: dense graphs and their three executions: the float reference
 * (double accumulation, also the calibrator), the quantiser (ranges to
 * integer parameters) and the integer reference (the bits the hardware
 * must reproduce).
 *
 * Invariants: nodes are in topological order and every input index is
 * smaller than the node's own; shapes are inferred when a node is added
 * and never change; a node with expert >= 0 runs only if the most recent
 * topk node picked that expert (always while calibrating), and topk nodes
 * come before the experts they gate.  The integer executor uses integer
 * arithmetic only; every real number it needs (multipliers, tables,
 * exp coefficients) was turned into integers by sac_dense_quantize.  The
 * per-op algorithms are in docs/MCOE.md; a kernel here and its paragraph
 * there must change together. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saccade/dense.h"

#define LOG2E 1.4426950408889634
#define Q14 16384
#define NMULT 8
#define NQ 4

typedef struct node {
	char name[SAC_DENSE_NAME_MAX];
	sac_dense_op op;
	int nin, in[SAC_DENSE_MAX_IN];
	int rows, cols;
	int n, kernel, reverse, heads, expert, obits;
	double coef[2], eps;
	float *p[SAC_DENSE_MAX_PARAMS];
	size_t plen[SAC_DENSE_MAX_PARAMS];
	int given; /* bit j: parameter j came from the caller (not zeros) */

	/* Calibration: largest |output| and internal ranges (scan: state;
	 * mha: Q, K, V, scaled scores, context; gate: the row sums); icur
	 * the internal ranges of the current input; per range (0..4
	 * internal, 5 the output) the count, sum and sum of squares of the
	 * log of its per-input maxima, whose spread sets the tail factor. */
	double amax, imax[5], icur[5];
	int lgn[6];
	double lgs[6], lgs2[6];

	/* Integer parameters. */
	double scale;  /* value of one integer step of the output */
	int bits;      /* declared width of the output */
	int16_t *qw[NQ]; /* int8 or int16 weights (wmax 127 or 32767) */
	double wmax;
	int64_t *qb[NQ]; /* biases, 48-bit (docs/MCOE.md) */
	sac_dense_mult *qm[NQ];
	sac_dense_mult mm[NMULT];
	int32_t lut[257];
	sac_dense_win win; /* lookup ops with an int16 input */
	int64_t c;      /* softmax, mha, gate: round(s log2(e) 2^(24+cg)) */
	int cg;         /* extra fraction bits of c and of the scan's ae */
	int64_t *ae;    /* scan: round(-A s_delta log2(e) 2^24) */
	int64_t eps_q;  /* layernorm: round(n^2 eps / s^2) */
	double iscale[5]; /* mha: Q, K, V, scores, context; scan: state */
} node;

struct sac_dense_graph {
	int n, cap;
	node *v;
	int quantized;
};

/* ---- building --------------------------------------------------------- */

sac_dense_graph *sac_dense_graph_new(void)
{
	return calloc(1, sizeof(sac_dense_graph));
}

static void node_free_q(node *d)
{
	for (int i = 0; i < NQ; i++) {
		free(d->qw[i]);
		free(d->qb[i]);
		free(d->qm[i]);
		d->qw[i] = NULL;
		d->qb[i] = NULL;
		d->qm[i] = NULL;
	}
	free(d->ae);
	d->ae = NULL;
}

void sac_dense_graph_free(sac_dense_graph *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->n; i++) {
		for (int j = 0; j < SAC_DENSE_MAX_PARAMS; j++)
			free(g->v[i].p[j]);
		node_free_q(&g->v[i]);
	}
	free(g->v);
	free(g);
}

int sac_dense_count(const sac_dense_graph *g)
{
	return g->n;
}

int sac_dense_find(const sac_dense_graph *g, const char *name)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->v[i].name, name))
			return i;
	return -1;
}

const char *sac_dense_name(const sac_dense_graph *g, int i)
{
	return g->v[i].name;
}

sac_dense_op sac_dense_node_op(const sac_dense_graph *g, int i)
{
	return g->v[i].op;
}

void sac_dense_node_shape(const sac_dense_graph *g, int i, int *r, int *c)
{
	*r = g->v[i].rows;
	*c = g->v[i].cols;
}

double sac_dense_node_scale(const sac_dense_graph *g, int i)
{
	return g->v[i].scale;
}

int64_t sac_dense_params(const sac_dense_graph *g)
{
	int64_t t = 0;
	for (int i = 0; i < g->n; i++)
		for (int j = 0; j < SAC_DENSE_MAX_PARAMS; j++)
			if (g->v[i].given & (1 << j))
				t += (int64_t)g->v[i].plen[j];
	return t;
}

/* Parameter j of node d holds `len` floats; a NULL source means zeros
 * (a missing bias) unless `required`. */
static int param(node *d, const sac_dense_desc *s, int j, size_t len,
		 int required, sac_err *e)
{
	if (!s->p[j] && required)
		return sac_errf(e, SAC_ERR_USAGE, "node '%s': parameter %d missing",
				d->name, j);
	d->p[j] = malloc(len * sizeof(float));
	if (!d->p[j])
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	if (s->p[j]) {
		memcpy(d->p[j], s->p[j], len * sizeof(float));
		d->given |= 1 << j;
	}
	else
		memset(d->p[j], 0, len * sizeof(float));
	d->plen[j] = len;
	return SAC_OK;
}

static int shape_err(sac_err *e, const node *d, const char *what)
{
	return sac_errf(e, SAC_ERR_SHAPE, "node '%s' (%s): %s", d->name,
			sac_dense_op_name(d->op), what);
}

int sac_dense_add(sac_dense_graph *g, const sac_dense_desc *s, sac_err *e)
{
	if (!s->name || strlen(s->name) >= SAC_DENSE_NAME_MAX)
		return sac_errf(e, SAC_ERR_USAGE, "dense node name missing or too long");
	if ((unsigned)s->op >= SAC_DENSE_OP_COUNT)
		return sac_errf(e, SAC_ERR_USAGE, "node '%s': bad op", s->name);
	if (sac_dense_find(g, s->name) >= 0)
		return sac_errf(e, SAC_ERR_USAGE, "node '%s' defined twice", s->name);
	int want = sac_dense_op_inputs(s->op);
	if ((want >= 0 && s->nin != want) || s->nin < 0 ||
	    s->nin > SAC_DENSE_MAX_IN || (want < 0 && s->nin < 2))
		return sac_errf(e, SAC_ERR_USAGE, "node '%s' (%s): %d inputs",
				s->name, sac_dense_op_name(s->op), s->nin);
	for (int i = 0; i < s->nin; i++)
		if (s->in[i] < 0 || s->in[i] >= g->n)
			return sac_errf(e, SAC_ERR_USAGE,
					"node '%s': input %d is not an earlier node",
					s->name, i);
	if (g->n == g->cap) {
		int nc = g->cap ? 2 * g->cap : 64;
		node *nv = realloc(g->v, (size_t)nc * sizeof *nv);
		if (!nv)
			return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		g->v = nv;
		g->cap = nc;
	}
	node *d = &g->v[g->n];
	memset(d, 0, sizeof *d);
	snprintf(d->name, sizeof d->name, "%s", s->name);
	d->op = s->op;
	d->nin = s->nin;
	memcpy(d->in, s->in, sizeof d->in);
	d->n = s->n;
	d->kernel = s->kernel;
	d->reverse = s->reverse;
	d->heads = s->heads;
	d->expert = s->expert;
	d->coef[0] = s->coef[0] == 0 && s->coef[1] == 0 ? 1 : s->coef[0];
	d->coef[1] = s->coef[0] == 0 && s->coef[1] == 0 ? 1 : s->coef[1];
	d->eps = s->eps > 0 ? s->eps : 1e-5;
	if (s->bits && ((s->bits != 8 && s->bits != 16) || s->op == SAC_DENSE_SOFTMAX ||
			s->op == SAC_DENSE_GATE || s->op == SAC_DENSE_TOPK ||
			s->op == SAC_DENSE_MOE_SUM || s->op == SAC_DENSE_RESHAPE))
		return sac_errf(e, SAC_ERR_USAGE, "node '%s' (%s): output bits %d "
				"(8 or 16, and not for softmax, mcib_gate, topk, "
				"moe_sum, reshape)", s->name, sac_dense_op_name(s->op),
				s->bits);
	d->obits = s->bits;

	const node *a = s->nin ? &g->v[s->in[0]] : NULL;
	const node *b = s->nin > 1 ? &g->v[s->in[1]] : NULL;
	int T = a ? a->rows : 0, K = a ? a->cols : 0;
	switch (sac_dense_op_shape(s->op)) {
	case SAC_DSHAPE_INPUT:
		d->rows = s->rows;
		d->cols = s->cols;
		break;
	case SAC_DSHAPE_SAME: d->rows = T; d->cols = K; break;
	case SAC_DSHAPE_COLS: d->rows = T; d->cols = s->n; break;
	case SAC_DSHAPE_ROW1: d->rows = T; d->cols = 1; break;
	case SAC_DSHAPE_LAST:
		d->rows = g->v[s->in[s->nin - 1]].rows;
		d->cols = g->v[s->in[s->nin - 1]].cols;
		break;
	case SAC_DSHAPE_TOPK: d->rows = 1; d->cols = 2 * s->n; break;
	case SAC_DSHAPE_MOE: d->rows = b->rows; d->cols = b->cols; break;
	case SAC_DSHAPE_RESHAPE:
		if (s->n < 1 || (T * K) % s->n)
			return shape_err(e, d, "rows do not divide the element count");
		d->rows = s->n;
		d->cols = T * K / s->n;
		break;
	}
	if (d->rows < 1 || d->cols < 1)
		return shape_err(e, d, "empty output");

	int rc = SAC_OK;
	switch (s->op) {
	case SAC_DENSE_LINEAR:
		rc = param(d, s, 0, (size_t)s->n * K, 1, e);
		if (!rc) rc = param(d, s, 1, s->n, 0, e);
		break;
	case SAC_DENSE_CONV1D:
		if (s->kernel < 1 || s->kernel % 2 == 0)
			return shape_err(e, d, "kernel must be odd (same padding)");
		rc = param(d, s, 0, (size_t)s->n * K * s->kernel, 1, e);
		if (!rc) rc = param(d, s, 1, s->n, 0, e);
		break;
	case SAC_DENSE_DWCONV1D:
	case SAC_DENSE_DWCONV1D_CAUSAL:
		if (s->kernel < 1 || (s->op == SAC_DENSE_DWCONV1D && s->kernel % 2 == 0))
			return shape_err(e, d, "bad kernel");
		rc = param(d, s, 0, (size_t)K * s->kernel, 1, e);
		if (!rc) rc = param(d, s, 1, K, 0, e);
		break;
	case SAC_DENSE_ADD:
	case SAC_DENSE_MUL:
		if (b->rows != T || b->cols != K)
			return shape_err(e, d, "inputs differ in shape");
		break;
	case SAC_DENSE_LAYERNORM:
		rc = param(d, s, 0, K, 1, e);
		if (!rc) rc = param(d, s, 1, K, 0, e);
		break;
	case SAC_DENSE_SCAN: {
		const node *B = &g->v[s->in[2]], *C = &g->v[s->in[3]];
		if (b->rows != T || b->cols != K || B->rows != T || C->rows != T ||
		    C->cols != B->cols)
			return shape_err(e, d, "x, delta [T, D] and B, C [T, N] expected");
		rc = param(d, s, 0, (size_t)K * B->cols, 1, e);
		if (!rc) rc = param(d, s, 1, K, 0, e);
		for (size_t i = 0; !rc && i < d->plen[0]; i++)
			if (!(d->p[0][i] < 0))
				return shape_err(e, d, "A must be negative");
		break;
	}
	case SAC_DENSE_MJOS:
		if (b->rows != T || b->cols != K)
			return shape_err(e, d, "inputs differ in shape");
		rc = param(d, s, 0, (size_t)K * 2 * K, 1, e);
		if (!rc) rc = param(d, s, 1, K, 0, e);
		break;
	case SAC_DENSE_MHA:
		if (b->cols != K || s->heads < 1 || K % s->heads)
			return shape_err(e, d, "inputs need equal features divisible by heads");
		for (int j = 0; j < 8 && !rc; j++)
			rc = param(d, s, j, j % 2 ? (size_t)K : (size_t)K * K, j % 2 == 0, e);
		break;
	case SAC_DENSE_GATE:
		if (b->rows != T || b->cols != K)
			return shape_err(e, d, "inputs differ in shape");
		break;
	case SAC_DENSE_MIX: {
		const node *q = &g->v[s->in[2]];
		if (K != 1 || b->rows != T || q->rows != T || q->cols != b->cols)
			return shape_err(e, d, "alpha [T, 1], p and q [T, F] expected");
		break;
	}
	case SAC_DENSE_TOPK:
		if (T != 1 || s->n < 1 || s->n > K || s->n > SAC_DENSE_MAX_IN)
			return shape_err(e, d, "one row and 1 <= k <= columns expected");
		break;
	case SAC_DENSE_MOE_SUM:
		if (a->op != SAC_DENSE_TOPK || a->cols / 2 > s->nin - 1)
			return shape_err(e, d, "input 0 must be a topk over the experts");
		for (int i = 2; i < s->nin; i++)
			if (g->v[s->in[i]].rows != b->rows || g->v[s->in[i]].cols != b->cols)
				return shape_err(e, d, "expert outputs differ in shape");
		break;
	default:
		break;
	}
	if (rc) {
		for (int j = 0; j < SAC_DENSE_MAX_PARAMS; j++)
			free(d->p[j]);
		return rc;
	}
	g->quantized = 0;
	return g->n++;
}

/* ---- executions: buffers -------------------------------------------------- */

int sac_dense_exec_init(const sac_dense_graph *g, sac_dense_exec *x, sac_err *e)
{
	memset(x, 0, sizeof *x);
	x->n = g->n;
	x->f = calloc((size_t)g->n + 1, sizeof *x->f);
	x->q = calloc((size_t)g->n + 1, sizeof *x->q);
	x->ran = calloc((size_t)g->n + 1, 1);
	if (!x->f || !x->q || !x->ran)
		goto nomem;
	for (int i = 0; i < g->n; i++) {
		size_t c = (size_t)g->v[i].rows * g->v[i].cols;
		x->f[i] = calloc(c, sizeof(double));
		x->q[i] = calloc(c, sizeof(int32_t));
		if (!x->f[i] || !x->q[i])
			goto nomem;
	}
	return SAC_OK;
nomem:
	sac_dense_exec_free(x);
	return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
}

void sac_dense_exec_free(sac_dense_exec *x)
{
	for (int i = 0; i < x->n; i++) {
		if (x->f)
			free(x->f[i]);
		if (x->q)
			free(x->q[i]);
	}
	free(x->f);
	free(x->q);
	free(x->ran);
	memset(x, 0, sizeof *x);
}

static double amax_of(const double *v, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(v[i]) > m)
			m = fabs(v[i]);
	return m;
}

static void upd(double *m, double v)
{
	if (fabs(v) > *m)
		*m = fabs(v);
}

/* One input's maximum v of range `slot` into its log statistics. */
static void lg_add(node *d, int slot, double v)
{
	if (v > 1e-30) {
		d->lgn[slot]++;
		d->lgs[slot] += log(v);
		d->lgs2[slot] += log(v) * log(v);
	}
}

/* After one calibrating forward of node d with output maximum out. */
static void calib_fold(node *d, double out)
{
	upd(&d->amax, out);
	lg_add(d, 5, out);
	for (int j = 0; j < 5; j++) {
		upd(&d->imax[j], d->icur[j]);
		lg_add(d, j, d->icur[j]);
		d->icur[j] = 0;
	}
}

/* Is node d gated off by the last topk's choice? */
static int skipped(const node *d, const int *sel, int nsel, int all)
{
	if (d->expert < 0 || all)
		return 0;
	for (int i = 0; i < nsel; i++)
		if (sel[i] == d->expert)
			return 0;
	return 1;
}

/* ---- the float reference --------------------------------------------------- */

static void flin(const double *x, int T, int K, const float *w, const float *b,
		 int N, double *y)
{
	for (int t = 0; t < T; t++)
		for (int o = 0; o < N; o++) {
			double acc = b ? b[o] : 0;
			const float *wr = w + (size_t)o * K;
			const double *xr = x + (size_t)t * K;
			for (int k = 0; k < K; k++)
				acc += (double)wr[k] * xr[k];
			y[(size_t)t * N + o] = acc;
		}
}

static int f_mha(node *d, const double *qs, int Tq, const double *kv, int Tk,
		 double *y, int cal, sac_err *e)
{
	int E = d->cols, h = d->heads, dk = E / h;
	double *Q = malloc(sizeof(double) * ((size_t)Tq * E * 2 + (size_t)Tk * E * 2 + Tk));
	if (!Q)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	double *K = Q + (size_t)Tq * E, *V = K + (size_t)Tk * E;
	double *ctx = V + (size_t)Tk * E, *s = ctx + (size_t)Tq * E;
	flin(qs, Tq, E, d->p[0], d->p[1], E, Q);
	flin(kv, Tk, E, d->p[2], d->p[3], E, K);
	flin(kv, Tk, E, d->p[4], d->p[5], E, V);
	double inv = 1.0 / sqrt((double)dk);
	for (int hh = 0; hh < h; hh++)
		for (int i = 0; i < Tq; i++) {
			double m = -INFINITY, sum = 0;
			for (int j = 0; j < Tk; j++) {
				double acc = 0;
				for (int c = hh * dk; c < (hh + 1) * dk; c++)
					acc += Q[(size_t)i * E + c] * K[(size_t)j * E + c];
				s[j] = acc * inv;
				if (cal)
					upd(&d->icur[3], s[j]);
				if (s[j] > m)
					m = s[j];
			}
			for (int j = 0; j < Tk; j++)
				sum += s[j] = exp(s[j] - m);
			for (int c = hh * dk; c < (hh + 1) * dk; c++) {
				double acc = 0;
				for (int j = 0; j < Tk; j++)
					acc += s[j] * V[(size_t)j * E + c];
				ctx[(size_t)i * E + c] = acc / sum;
			}
		}
	flin(ctx, Tq, E, d->p[6], d->p[7], E, y);
	if (cal) {
		upd(&d->icur[0], amax_of(Q, (size_t)Tq * E));
		upd(&d->icur[1], amax_of(K, (size_t)Tk * E));
		upd(&d->icur[2], amax_of(V, (size_t)Tk * E));
		upd(&d->icur[4], amax_of(ctx, (size_t)Tq * E));
	}
	free(Q);
	return SAC_OK;
}

static void f_scan(node *d, const double *x, const double *dl, const double *B,
		   const double *C, double *y, int T, int D, int N, double *h,
		   int cal)
{
	const float *A = d->p[0], *Ds = d->p[1];
	memset(h, 0, sizeof(double) * (size_t)D * N);
	for (int s = 0; s < T; s++) {
		int t = d->reverse ? T - 1 - s : s;
		for (int c = 0; c < D; c++) {
			double xv = x[(size_t)t * D + c], dv = dl[(size_t)t * D + c];
			double acc = 0;
			for (int n = 0; n < N; n++) {
				double *hv = &h[(size_t)c * N + n];
				*hv = exp(dv * A[(size_t)c * N + n]) * *hv +
				      dv * B[(size_t)t * N + n] * xv;
				if (cal)
					upd(&d->icur[0], *hv);
				acc += C[(size_t)t * N + n] * *hv;
			}
			y[(size_t)t * D + c] = acc + Ds[c] * xv;
		}
	}
}

static const sac_dense_fn lut_fn[SAC_DENSE_OP_COUNT] = {
	[SAC_DENSE_SOFTPLUS] = SAC_DENSE_FN_SOFTPLUS,
	[SAC_DENSE_EXP] = SAC_DENSE_FN_EXP,
	[SAC_DENSE_SIGMOID] = SAC_DENSE_FN_SIGMOID,
	[SAC_DENSE_SILU] = SAC_DENSE_FN_SILU,
	[SAC_DENSE_GELU] = SAC_DENSE_FN_GELU,
};

int sac_dense_forward_float(sac_dense_graph *g, sac_dense_exec *x,
			    const double *const *in, int cal, sac_err *e)
{
	if (x->n != g->n)
		return sac_errf(e, SAC_ERR_USAGE, "execution made for another graph");
	int sel[SAC_DENSE_MAX_IN], nsel = 0, nin = 0;
	double *scratch = NULL;
	size_t scap = 0;
	for (int i = 0; i < g->n; i++) {
		node *d = &g->v[i];
		x->ran[i] = 0;
		if (skipped(d, sel, nsel, cal))
			continue;
		x->ran[i] = 1;
		double *y = x->f[i];
		const node *a = d->nin ? &g->v[d->in[0]] : NULL;
		const double *A = d->nin ? x->f[d->in[0]] : NULL;
		const double *B = d->nin > 1 ? x->f[d->in[1]] : NULL;
		int T = a ? a->rows : d->rows, K = a ? a->cols : d->cols;
		size_t cnt = (size_t)d->rows * d->cols;
		switch (d->op) {
		case SAC_DENSE_INPUT:
			memcpy(y, in[nin++], cnt * sizeof(double));
			break;
		case SAC_DENSE_LINEAR:
			flin(A, T, K, d->p[0], d->p[1], d->n, y);
			break;
		case SAC_DENSE_CONV1D: {
			int pad = (d->kernel - 1) / 2;
			for (int t = 0; t < T; t++)
				for (int o = 0; o < d->n; o++) {
					double acc = d->p[1][o];
					for (int j = 0; j < d->kernel; j++) {
						int tt = t - pad + j;
						if (tt < 0 || tt >= T)
							continue;
						for (int k = 0; k < K; k++)
							acc += (double)d->p[0][((size_t)o * K + k) * d->kernel + j] *
							       A[(size_t)tt * K + k];
					}
					y[(size_t)t * d->n + o] = acc;
				}
			break;
		}
		case SAC_DENSE_DWCONV1D:
		case SAC_DENSE_DWCONV1D_CAUSAL: {
			int causal = d->op == SAC_DENSE_DWCONV1D_CAUSAL;
			int off = causal ? d->kernel - 1 : (d->kernel - 1) / 2;
			for (int t = 0; t < T; t++)
				for (int c = 0; c < K; c++) {
					double acc = d->p[1][c];
					for (int j = 0; j < d->kernel; j++) {
						int tt = causal && d->reverse ? t + off - j : t - off + j;
						if (tt >= 0 && tt < T)
							acc += (double)d->p[0][(size_t)c * d->kernel + j] *
							       A[(size_t)tt * K + c];
					}
					y[(size_t)t * K + c] = acc;
				}
			break;
		}
		case SAC_DENSE_ADD:
			for (size_t k = 0; k < cnt; k++)
				y[k] = d->coef[0] * A[k] + d->coef[1] * B[k];
			break;
		case SAC_DENSE_MUL:
			for (size_t k = 0; k < cnt; k++)
				y[k] = A[k] * B[k];
			break;
		case SAC_DENSE_SOFTPLUS: case SAC_DENSE_EXP: case SAC_DENSE_SIGMOID:
		case SAC_DENSE_SILU: case SAC_DENSE_GELU:
			for (size_t k = 0; k < cnt; k++)
				y[k] = sac_dense_fn_eval(lut_fn[d->op], A[k]);
			break;
		case SAC_DENSE_LAYERNORM:
			for (int t = 0; t < T; t++) {
				const double *r = A + (size_t)t * K;
				double mu = 0, var = 0;
				for (int k = 0; k < K; k++)
					mu += r[k];
				mu /= K;
				for (int k = 0; k < K; k++)
					var += (r[k] - mu) * (r[k] - mu);
				var /= K;
				double is = 1.0 / sqrt(var + d->eps);
				for (int k = 0; k < K; k++)
					y[(size_t)t * K + k] = (r[k] - mu) * is * d->p[0][k] + d->p[1][k];
			}
			break;
		case SAC_DENSE_SOFTMAX:
			for (int t = 0; t < T; t++) {
				const double *r = A + (size_t)t * K;
				double m = r[0], s = 0;
				for (int k = 1; k < K; k++)
					if (r[k] > m)
						m = r[k];
				for (int k = 0; k < K; k++)
					s += y[(size_t)t * K + k] = exp(r[k] - m);
				for (int k = 0; k < K; k++)
					y[(size_t)t * K + k] /= s;
			}
			break;
		case SAC_DENSE_SCAN: {
			int N = g->v[d->in[2]].cols;
			size_t need = (size_t)K * N;
			if (need > scap) {
				free(scratch);
				scratch = malloc(need * sizeof(double));
				scap = scratch ? need : 0;
				if (!scratch)
					return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			}
			f_scan(d, A, B, x->f[d->in[2]], x->f[d->in[3]], y, T, K, N,
			       scratch, cal);
			break;
		}
		case SAC_DENSE_MJOS:
			for (int t = 0; t < T; t++)
				for (int o = 0; o < K; o++) {
					double acc = d->p[1][o];
					const float *w = d->p[0] + (size_t)o * 2 * K;
					for (int k = 0; k < K; k++)
						acc += w[k] * A[(size_t)t * K + k] +
						       w[K + k] * B[(size_t)t * K + k];
					y[(size_t)t * K + o] = acc + A[(size_t)t * K + o];
				}
			break;
		case SAC_DENSE_MHA: {
			int rc = f_mha(d, A, T, B, g->v[d->in[1]].rows, y, cal, e);
			if (rc) {
				free(scratch);
				return rc;
			}
			break;
		}
		case SAC_DENSE_GATE:
			for (int t = 0; t < T; t++) {
				double s = 0;
				for (int k = 0; k < K; k++)
					s += A[(size_t)t * K + k] * B[(size_t)t * K + k];
				if (cal)
					upd(&d->icur[0], s);
				y[t] = sac_dense_fn_eval(SAC_DENSE_FN_SIGMOID, s);
			}
			break;
		case SAC_DENSE_MIX: {
			const double *Q = x->f[d->in[2]];
			int F = d->cols;
			for (int t = 0; t < d->rows; t++)
				for (int k = 0; k < F; k++)
					y[(size_t)t * F + k] = A[t] * B[(size_t)t * F + k] +
						(1 - A[t]) * Q[(size_t)t * F + k];
			break;
		}
		case SAC_DENSE_TOPK: {
			int idx[SAC_DENSE_MAX_IN];
			double s = 0;
			sac_dense_topk_f(A, K, d->n, idx);
			for (int j = 0; j < d->n; j++)
				s += A[idx[j]];
			for (int j = 0; j < d->n; j++) {
				y[j] = idx[j];
				y[d->n + j] = s > 0 ? A[idx[j]] / s : 1.0 / d->n;
				sel[j] = idx[j];
			}
			nsel = d->n;
			break;
		}
		case SAC_DENSE_MOE_SUM: {
			int k = a->cols / 2;
			memset(y, 0, cnt * sizeof(double));
			for (int j = 0; j < k; j++) {
				int ex = (int)A[j];
				if (ex < 0 || ex >= d->nin - 1)
					continue;
				const double *o = x->f[d->in[1 + ex]];
				for (size_t c = 0; c < cnt; c++)
					y[c] += A[k + j] * o[c];
			}
			break;
		}
		case SAC_DENSE_RESHAPE:
			memcpy(y, A, cnt * sizeof(double));
			break;
		case SAC_DENSE_OP_COUNT:
			break;
		}
		if (cal)
			calib_fold(d, amax_of(y, cnt));
	}
	free(scratch);
	return SAC_OK;
}

void sac_dense_calib_reset(sac_dense_graph *g)
{
	for (int i = 0; i < g->n; i++) {
		node *d = &g->v[i];
		d->amax = 0;
		memset(d->imax, 0, sizeof d->imax);
		memset(d->icur, 0, sizeof d->icur);
		memset(d->lgn, 0, sizeof d->lgn);
		memset(d->lgs, 0, sizeof d->lgs);
		memset(d->lgs2, 0, sizeof d->lgs2);
	}
	g->quantized = 0;
}

/* ---- quantisation ------------------------------------------------------------ */

void sac_dense_qopts_init(sac_dense_qopts *o)
{
	o->per_channel = 1;
	o->state_bits = 24;
	o->wide_from = -1;
	o->wide_act_from = -1;
	o->headroom = 2;
	o->tail = 0.5;
}

static double rhaz(double v)
{
	return v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
}

/* A bias in the 48-bit accumulator's range (docs/MCOE.md). */
static int64_t sat48(double v)
{
	double hi = 140737488355327.0; /* 2^47 - 1 */
	return (int64_t)(v > hi ? hi : v < -hi ? -hi : v);
}

static double bmax(const int64_t *b, int n)
{
	double m = 0;
	for (int i = 0; i < n; i++)
		if (fabs((double)b[i]) > m)
			m = fabs((double)b[i]);
	return m;
}

/* The tail factor of range `slot` (docs/MCOE.md "Headroom"): exp(z sd)
 * with sd the standard deviation of the log of its per-input maxima over
 * the calibration inputs (1 with fewer than two). */
static double tail(const node *d, int slot, double z)
{
	int n = d->lgn[slot];
	if (n < 2)
		return 1;
	double mu = d->lgs[slot] / n;
	return exp(z * sqrt(fmax(0, d->lgs2[slot] / n - mu * mu)));
}

/* Scale of a symmetric int range of `qmax` steps for a range amax. */
static double sym_scale(double amax, double qmax)
{
	return amax > 1e-30 ? amax / qmax : 1.0 / qmax;
}

/* int8 weights of N rows of `len` values: per-row (per output channel) or
 * per-tensor scales into sw[N]. */
static int qweights(const float *w, int N, size_t len, int per_channel,
		    double qmax, int16_t **qw, double *sw, sac_err *e)
{
	*qw = malloc(sizeof(int16_t) * ((size_t)N * len + 1));
	if (!*qw)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	double all = 0;
	for (int o = 0; o < N; o++) {
		double m = 0;
		for (size_t k = 0; k < len; k++)
			if (fabs(w[o * len + k]) > m)
				m = fabs(w[o * len + k]);
		sw[o] = m;
		if (m > all)
			all = m;
	}
	for (int o = 0; o < N; o++) {
		sw[o] = sym_scale(per_channel ? sw[o] : all, qmax);
		for (size_t k = 0; k < len; k++) {
			double v = rhaz(w[o * len + k] / sw[o]);
			(*qw)[o * len + k] = (int16_t)(v > qmax ? qmax : v < -qmax ? -qmax : v);
		}
	}
	return SAC_OK;
}

/* Mantissa bits of a multiplier applied to accumulators up to accmax, so
 * that the product stays below 2^62. */
static int mbits(double accmax)
{
	int b = 62 - (int)ceil(log2(accmax + 1));
	return b > 31 ? 31 : b < 8 ? 8 : b;
}

/* Largest |value| of a declared width. */
static double vmax(int bits)
{
	return ldexp(1.0, bits - 1);
}

/* A quantised linear map: int8 weights, int32 biases at s_in s_w, and a
 * multiplier per output to s_out. */
static int qlinear(node *d, int slot, const float *w, const float *b, int N,
		   size_t len, double s_in, int in_bits, double s_out,
		   int per_channel, sac_err *e)
{
	double *sw = malloc(sizeof(double) * (size_t)N);
	d->qb[slot] = malloc(sizeof(int64_t) * (size_t)N);
	d->qm[slot] = malloc(sizeof(sac_dense_mult) * (size_t)N);
	if (!sw || !d->qb[slot] || !d->qm[slot]) {
		free(sw);
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	}
	int rc = qweights(w, N, len, per_channel, d->wmax, &d->qw[slot], sw, e);
	for (int o = 0; !rc && o < N; o++)
		d->qb[slot][o] = sat48(rhaz((b ? b[o] : 0) / (s_in * sw[o])));
	/* Mantissa bits from the accumulator's bound: |sum w x| + |bias|. */
	int mb = mbits((double)len * (d->wmax + 1) * vmax(in_bits) + bmax(d->qb[slot], N));
	for (int o = 0; !rc && o < N; o++)
		rc = sac_dense_mult_make(s_in * sw[o] / s_out, mb, &d->qm[slot][o], e);
	free(sw);
	return rc;
}

/* An exponent coefficient round(r 2^(24+g)) with the most fraction bits
 * g (0..30) that keep it below 2^30 (docs/MCOE.md "exp2"). */
static int expg(double r)
{
	int g = 0;
	while (g < 30 && rhaz(r * ldexp(1.0, 25 + g)) < 1073741824.0)
		g++;
	return g;
}

static int64_t expc(double r, int g)
{
	int64_t c = (int64_t)rhaz(r * ldexp(1.0, 24 + g));
	return c < 1 ? 1 : c;
}

static int mk(double r, int bits, sac_dense_mult *m, const node *d, sac_err *e)
{
	int rc = sac_dense_mult_make(r, bits, m, e);
	if (rc)
		return sac_errf(e, rc, "node '%s': %s", d->name, e->msg);
	return SAC_OK;
}

static int quant_node(sac_dense_graph *g, node *d, const sac_dense_qopts *o,
		      sac_err *e)
{
	const node *a = d->nin ? &g->v[d->in[0]] : NULL;
	const node *b = d->nin > 1 ? &g->v[d->in[1]] : NULL;
	double sa = a ? a->scale : 0, sb = b ? b->scale : 0, sy = d->scale;
	int K = a ? a->cols : 0, pc = o->per_channel, rc = SAC_OK;
	/* int16 weights from node o->wide_from on (docs/MCOE.md). */
	d->wmax = o->wide_from >= 0 && d - g->v >= o->wide_from ? 32767 : 127;
	switch (d->op) {
	case SAC_DENSE_LINEAR:
		return qlinear(d, 0, d->p[0], d->p[1], d->n, (size_t)K, sa, a->bits,
			       sy, pc, e);
	case SAC_DENSE_CONV1D:
		return qlinear(d, 0, d->p[0], d->p[1], d->n, (size_t)K * d->kernel,
			       sa, a->bits, sy, pc, e);
	case SAC_DENSE_DWCONV1D:
	case SAC_DENSE_DWCONV1D_CAUSAL:
		return qlinear(d, 0, d->p[0], d->p[1], K, (size_t)d->kernel, sa,
			       a->bits, sy, pc, e);
	case SAC_DENSE_ADD:
		rc = mk(d->coef[0] * sa / sy, 31, &d->mm[0], d, e);
		if (!rc) rc = mk(d->coef[1] * sb / sy, 31, &d->mm[1], d, e);
		if (d->coef[0] < 0 || d->coef[1] < 0)
			return sac_errf(e, SAC_ERR_UNSUPPORTED,
					"node '%s': negative add coefficients", d->name);
		return rc;
	case SAC_DENSE_MUL:
		return mk(sa * sb / sy, 31, &d->mm[0], d, e);
	case SAC_DENSE_SOFTPLUS: case SAC_DENSE_EXP: case SAC_DENSE_SIGMOID:
	case SAC_DENSE_SILU: case SAC_DENSE_GELU:
		if (a->bits == 16)
			sac_dense_lutw_build(lut_fn[d->op], sa, sy, d->bits, d->lut, &d->win);
		else if (a->bits == 8)
			sac_dense_lut_build(lut_fn[d->op], sa, sy, d->bits, d->lut);
		else
			return sac_errf(e, SAC_ERR_UNSUPPORTED, "node '%s': lookup "
					"needs an int8 or int16 input", d->name);
		return SAC_OK;
	case SAC_DENSE_LAYERNORM: {
		/* gamma int8 per tensor; z in Q12; beta at 2^-12 s_g. */
		double sg;
		d->qb[0] = malloc(sizeof(int64_t) * (size_t)K);
		if (!d->qb[0])
			return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		rc = qweights(d->p[0], 1, (size_t)K, 0, d->wmax, &d->qw[0], &sg, e);
		for (int k = 0; !rc && k < K; k++)
			d->qb[0][k] = sat48(rhaz(d->p[1][k] / (sg / 4096.0)));
		/* |z| <= sqrt(K) in Q12. */
		double zb = ceil(sqrt((double)K)) * 4096 * (d->wmax + 1);
		if (!rc) rc = mk(sg / 4096.0 / sy, mbits(zb + bmax(d->qb[0], K)), &d->mm[0], d, e);
		double eq = rhaz((double)K * K * d->eps / (sa * sa));
		d->eps_q = eq < 1 ? 1 : eq > 1e12 ? (int64_t)1e12 : (int64_t)eq;
		return rc;
	}
	case SAC_DENSE_SOFTMAX:
		d->cg = expg(sa * LOG2E);
		d->c = expc(sa * LOG2E, d->cg);
		return SAC_OK;
	case SAC_DENSE_SCAN: {
		const node *dl = b, *B = &g->v[d->in[2]], *C = &g->v[d->in[3]];
		int D = K, N = B->cols;
		double sh = sym_scale(d->imax[0], ldexp(1.0, o->state_bits));
		d->iscale[0] = sh;
		d->ae = malloc(sizeof(int64_t) * (size_t)D * N);
		if (!d->ae)
			return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		double amx = 0;
		for (int i = 0; i < D * N; i++)
			amx = fmax(amx, -d->p[0][i] * dl->scale * LOG2E);
		d->cg = expg(amx);
		for (int i = 0; i < D * N; i++)
			d->ae[i] = (int64_t)rhaz(-d->p[0][i] * dl->scale * LOG2E *
						 ldexp(1.0, 24 + d->cg));
		rc = mk(dl->scale * B->scale * sa / sh,
			mbits(vmax(dl->bits) * vmax(B->bits) * vmax(a->bits)), &d->mm[0], d, e);
		if (!rc) rc = mk(C->scale * sh / sy,
				 mbits(vmax(C->bits) * vmax(32) * N), &d->mm[1], d, e);
		double sd;
		if (!rc) rc = qweights(d->p[1], 1, (size_t)D, 0, 127, &d->qw[0], &sd, e);
		if (!rc) rc = mk(sa * sd / sy, 31, &d->mm[2], d, e);
		return rc;
	}
	case SAC_DENSE_MJOS: {
		/* Split the projection so that A and B may have their own
		 * scales: W_A a + b at s_a s_w, W_B b at s_b s_w, plus a. */
		/* One weight scale per output row over both halves, so that
		 * the halves stay one matrix of one step. */
		double *sw = malloc(sizeof(double) * (size_t)K);
		int16_t *qw = NULL;
		rc = sw ? qweights(d->p[0], K, (size_t)2 * K, pc, d->wmax, &qw, sw, e) :
			  sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		d->qw[0] = qw;
		d->qb[0] = malloc(sizeof(int64_t) * (size_t)K);
		d->qm[0] = malloc(sizeof(sac_dense_mult) * (size_t)K);
		d->qm[1] = malloc(sizeof(sac_dense_mult) * (size_t)K);
		if (!rc && (!d->qb[0] || !d->qm[0] || !d->qm[1]))
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		for (int r = 0; !rc && r < K; r++)
			d->qb[0][r] = sat48(rhaz(d->p[1][r] / (sa * sw[r])));
		double am = (d->wmax + 1) * K * vmax(a->bits > b->bits ? a->bits : b->bits);
		double bm = rc ? 0 : bmax(d->qb[0], K);
		for (int r = 0; !rc && r < K; r++) {
			rc = mk(sa * sw[r] / sy, mbits(am + bm), &d->qm[0][r], d, e);
			if (!rc) rc = mk(sb * sw[r] / sy, mbits(am), &d->qm[1][r], d, e);
		}
		if (!rc) rc = mk(sa / sy, 31, &d->mm[0], d, e);
		free(sw);
		return rc;
	}
	case SAC_DENSE_MHA: {
		int E = K, dk = E / d->heads;
		/* Q, K, V and the context have the node's width. */
		int ib = d->bits;
		for (int j = 0; j < 5; j++)
			d->iscale[j] = j == 3 || ib == 16 ?
				sym_scale(o->headroom * tail(d, j, o->tail) * d->imax[j], 32767) :
				sym_scale(d->imax[j], 127);
		rc = qlinear(d, 0, d->p[0], d->p[1], E, (size_t)E, sa, a->bits, d->iscale[0], pc, e);
		if (!rc) rc = qlinear(d, 1, d->p[2], d->p[3], E, (size_t)E, sb, b->bits, d->iscale[1], pc, e);
		if (!rc) rc = qlinear(d, 2, d->p[4], d->p[5], E, (size_t)E, sb, b->bits, d->iscale[2], pc, e);
		if (!rc) rc = qlinear(d, 3, d->p[6], d->p[7], E, (size_t)E, d->iscale[4], ib, sy, pc, e);
		if (!rc) rc = mk(d->iscale[0] * d->iscale[1] / sqrt((double)dk) / d->iscale[3],
				 mbits((double)dk * vmax(ib) * vmax(ib)), &d->mm[0], d, e);
		if (!rc) rc = mk(d->iscale[2] / Q14 / d->iscale[4],
				 mbits(2.0 * Q14 * vmax(ib)), &d->mm[1], d, e);
		d->cg = expg(d->iscale[3] * LOG2E);
		d->c = expc(d->iscale[3] * LOG2E, d->cg);
		return rc;
	}
	case SAC_DENSE_GATE:
		/* The row sum can span far more than 8 bits: no table, the
		 * sigmoid from the integer exp2 (docs/MCOE.md). */
		d->cg = expg(sa * sb * LOG2E);
		d->c = expc(sa * sb * LOG2E, d->cg);
		return SAC_OK;
	case SAC_DENSE_MIX: {
		double sq = g->v[d->in[2]].scale;
		rc = mk(sb / Q14 / sy, 31, &d->mm[0], d, e);
		if (!rc) rc = mk(sq / Q14 / sy, 31, &d->mm[1], d, e);
		return rc;
	}
	default:
		return SAC_OK;
	}
}

int sac_dense_quantize(sac_dense_graph *g, const sac_dense_qopts *o, sac_err *e)
{
	sac_dense_qopts def;
	if (!o) {
		sac_dense_qopts_init(&def);
		o = &def;
	}
	if (!(o->headroom >= 1 && o->headroom <= 256))
		return sac_errf(e, SAC_ERR_RANGE, "int16 headroom %g out of 1..256",
				o->headroom);
	if (!(o->tail >= 0 && o->tail <= 8))
		return sac_errf(e, SAC_ERR_RANGE, "tail factor z %g out of 0..8",
				o->tail);
	if (o->state_bits < 8 || o->state_bits > 28)
		return sac_errf(e, SAC_ERR_RANGE, "state bits %d out of 8..28",
				o->state_bits);
	/* Pass 1: output scales and widths. */
	for (int i = 0; i < g->n; i++) {
		node *d = &g->v[i];
		node_free_q(d);
		d->bits = d->obits ? d->obits : sac_dense_op_bits(d->op);
		if (o->wide_act_from >= 0 && i >= o->wide_act_from && d->bits == 8)
			d->bits = 16;
		switch (d->op) {
		case SAC_DENSE_SOFTMAX: case SAC_DENSE_GATE: case SAC_DENSE_TOPK:
			d->scale = 1.0 / Q14;
			break;
		case SAC_DENSE_RESHAPE:
			d->scale = g->v[d->in[0]].scale;
			d->bits = g->v[d->in[0]].bits;
			break;
		case SAC_DENSE_MOE_SUM:
			break; /* pass 2 */
		default:
			/* int16 has bits to spare: twice the calibrated range,
			 * more for heavy-tailed ranges, so that inputs beyond
			 * the calibration set do not clip. */
			d->scale = d->bits == 16 ?
				sym_scale(o->headroom * tail(d, 5, o->tail) * d->amax, 32767) :
				sym_scale(d->amax, 127);
		}
	}
	/* Pass 2: the experts feeding a moe_sum share one output scale, so
	 * that the weighted sum is one integer dot product. */
	for (int i = 0; i < g->n; i++) {
		node *d = &g->v[i];
		if (d->op != SAC_DENSE_MOE_SUM)
			continue;
		double s = 0;
		for (int j = 1; j < d->nin; j++)
			if (g->v[d->in[j]].scale > s)
				s = g->v[d->in[j]].scale;
		for (int j = 1; j < d->nin; j++) {
			node *x = &g->v[d->in[j]];
			if (x->op == SAC_DENSE_RESHAPE)
				return sac_errf(e, SAC_ERR_UNSUPPORTED,
						"node '%s': expert output is a reshape",
						d->name);
			x->scale = s;
		}
		d->scale = s / Q14;
	}
	/* Pass 3: integer parameters from the scales. */
	for (int i = 0; i < g->n; i++) {
		int rc = quant_node(g, &g->v[i], o, e);
		if (rc)
			return rc;
	}
	g->quantized = 1;
	return SAC_OK;
}

/* ---- the integer reference ---------------------------------------------------- */

static void qlin(const int32_t *x, int T, int K, const int16_t *w,
		 const int64_t *b, const sac_dense_mult *m, int N, int bits,
		 int32_t *y)
{
	for (int t = 0; t < T; t++)
		for (int o = 0; o < N; o++) {
			int64_t acc = b[o];
			const int16_t *wr = w + (size_t)o * K;
			const int32_t *xr = x + (size_t)t * K;
			for (int k = 0; k < K; k++)
				acc += (int32_t)wr[k] * xr[k];
			y[(size_t)t * N + o] = sac_dense_sat(sac_dense_rq(acc, m[o]), bits);
		}
}

static int q_mha(const node *d, const int32_t *qs, int Tq, const int32_t *kv,
		 int Tk, int32_t *y, sac_err *e)
{
	int E = d->cols, h = d->heads, dk = E / h;
	int32_t *Q = malloc(sizeof(int32_t) * ((size_t)Tq * E * 2 + (size_t)Tk * E * 2 + 2 * (size_t)Tk));
	if (!Q)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	int32_t *K = Q + (size_t)Tq * E, *V = K + (size_t)Tk * E;
	int32_t *ctx = V + (size_t)Tk * E, *s = ctx + (size_t)Tq * E, *p = s + Tk;
	qlin(qs, Tq, E, d->qw[0], d->qb[0], d->qm[0], E, d->bits, Q);
	qlin(kv, Tk, E, d->qw[1], d->qb[1], d->qm[1], E, d->bits, K);
	qlin(kv, Tk, E, d->qw[2], d->qb[2], d->qm[2], E, d->bits, V);
	for (int hh = 0; hh < h; hh++)
		for (int i = 0; i < Tq; i++) {
			for (int j = 0; j < Tk; j++) {
				int64_t acc = 0;
				for (int c = hh * dk; c < (hh + 1) * dk; c++)
					acc += (int64_t)Q[(size_t)i * E + c] * K[(size_t)j * E + c];
				s[j] = sac_dense_sat(sac_dense_rq(acc, d->mm[0]), 16);
			}
			sac_dense_softmax_rowg(s, Tk, d->c, d->cg, p);
			for (int c = hh * dk; c < (hh + 1) * dk; c++) {
				int64_t acc = 0;
				for (int j = 0; j < Tk; j++)
					acc += (int64_t)p[j] * V[(size_t)j * E + c];
				ctx[(size_t)i * E + c] = sac_dense_sat(sac_dense_rq(acc, d->mm[1]), d->bits);
			}
		}
	qlin(ctx, Tq, E, d->qw[3], d->qb[3], d->qm[3], E, d->bits, y);
	free(Q);
	return SAC_OK;
}

static int q_scan(const node *d, const int32_t *x, const int32_t *dl,
		  const int32_t *B, const int32_t *C, int32_t *y, int T, int D,
		  int N, sac_err *e)
{
	int32_t *h = calloc((size_t)D * N, sizeof *h);
	if (!h)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int s = 0; s < T; s++) {
		int t = d->reverse ? T - 1 - s : s;
		for (int c = 0; c < D; c++) {
			int32_t xv = x[(size_t)t * D + c], dv = dl[(size_t)t * D + c];
			int64_t acc = 0;
			for (int n = 0; n < N; n++) {
				int32_t *hv = &h[(size_t)c * N + n];
				/* The kernels the dense unit calls too (ops.c). */
				*hv = sac_dense_scan_state(*hv, dv, d->ae[(size_t)c * N + n],
							   d->cg, B[(size_t)t * N + n], xv,
							   d->mm[0]);
				acc += (int64_t)C[(size_t)t * N + n] * *hv;
			}
			y[(size_t)t * D + c] = sac_dense_scan_out(acc, xv, d->qw[0][c],
								  d->mm[1], d->mm[2], d->bits);
		}
	}
	free(h);
	return SAC_OK;
}

static void q_layernorm(const node *d, const int32_t *x, int T, int K,
			int32_t *y)
{
	for (int t = 0; t < T; t++) {
		const int32_t *r = x + (size_t)t * K;
		int64_t s1 = 0, s2 = 0;
		for (int k = 0; k < K; k++) {
			s1 += r[k];
			s2 += (int64_t)r[k] * r[k];
		}
		/* The kernels the dense unit calls too (ops.c): V = K^2 (var +
		 * eps), one square root and one division per row. */
		int64_t inv;
		int p;
		sac_dense_ln_row(s1, s2, K, d->eps_q, &inv, &p);
		for (int k = 0; k < K; k++)
			y[(size_t)t * K + k] = sac_dense_ln_elem(r[k], K, s1, inv, p,
								 d->qw[0][k], d->qb[0][k],
								 d->mm[0], d->bits);
	}
}

/* Node i of the integer reference: its inputs are src[input index], its
 * output y; qin and *nin feed the input nodes, sel and *nsel hold the
 * last topk's choice. */
static int qnode(const sac_dense_graph *g, int i, int32_t *const *src,
		 int32_t *y, const int32_t *const *qin, int *nin, int *sel,
		 int *nsel, sac_err *e)
{
	const node *d = &g->v[i];
	const node *a = d->nin ? &g->v[d->in[0]] : NULL;
	const int32_t *A = d->nin ? src[d->in[0]] : NULL;
	const int32_t *B = d->nin > 1 ? src[d->in[1]] : NULL;
	int T = a ? a->rows : d->rows, K = a ? a->cols : d->cols;
	size_t cnt = (size_t)d->rows * d->cols;
	switch (d->op) {
	case SAC_DENSE_INPUT:
		for (size_t k = 0; k < cnt; k++)
			y[k] = sac_dense_sat(qin[*nin][k], d->bits);
		(*nin)++;
		break;
	case SAC_DENSE_LINEAR:
		qlin(A, T, K, d->qw[0], d->qb[0], d->qm[0], d->n, d->bits, y);
		break;
	case SAC_DENSE_CONV1D: {
		int pad = (d->kernel - 1) / 2;
		for (int t = 0; t < T; t++)
			for (int o = 0; o < d->n; o++) {
				int64_t acc = d->qb[0][o];
				for (int j = 0; j < d->kernel; j++) {
					int tt = t - pad + j;
					if (tt < 0 || tt >= T)
						continue;
					for (int k = 0; k < K; k++)
						acc += (int32_t)d->qw[0][((size_t)o * K + k) * d->kernel + j] *
						       A[(size_t)tt * K + k];
				}
				y[(size_t)t * d->n + o] = sac_dense_sat(sac_dense_rq(acc, d->qm[0][o]), d->bits);
			}
		break;
	}
	case SAC_DENSE_DWCONV1D:
	case SAC_DENSE_DWCONV1D_CAUSAL: {
		int causal = d->op == SAC_DENSE_DWCONV1D_CAUSAL;
		int off = causal ? d->kernel - 1 : (d->kernel - 1) / 2;
		for (int t = 0; t < T; t++)
			for (int c = 0; c < K; c++) {
				int64_t acc = d->qb[0][c];
				for (int j = 0; j < d->kernel; j++) {
					int tt = causal && d->reverse ? t + off - j : t - off + j;
					if (tt >= 0 && tt < T)
						acc += (int32_t)d->qw[0][(size_t)c * d->kernel + j] *
						       A[(size_t)tt * K + c];
				}
				y[(size_t)t * K + c] = sac_dense_sat(sac_dense_rq(acc, d->qm[0][c]), d->bits);
			}
		break;
	}
	case SAC_DENSE_ADD:
		for (size_t k = 0; k < cnt; k++)
			y[k] = sac_dense_sat(sac_dense_rq(A[k], d->mm[0]) +
					     sac_dense_rq(B[k], d->mm[1]), d->bits);
		break;
	case SAC_DENSE_MUL:
		for (size_t k = 0; k < cnt; k++)
			y[k] = sac_dense_sat(sac_dense_rq((int64_t)A[k] * B[k], d->mm[0]), d->bits);
		break;
	case SAC_DENSE_SOFTPLUS: case SAC_DENSE_EXP: case SAC_DENSE_SIGMOID:
	case SAC_DENSE_SILU: case SAC_DENSE_GELU:
		if (a->bits == 16)
			for (size_t k = 0; k < cnt; k++)
				y[k] = sac_dense_lutw(d->lut, &d->win, A[k]);
		else
			for (size_t k = 0; k < cnt; k++)
				y[k] = d->lut[sac_dense_sat(A[k], 8) + 128];
		break;
	case SAC_DENSE_LAYERNORM:
		q_layernorm(d, A, T, K, y);
		break;
	case SAC_DENSE_SOFTMAX:
		for (int t = 0; t < T; t++)
			sac_dense_softmax_rowg(A + (size_t)t * K, K, d->c, d->cg,
					       y + (size_t)t * K);
		break;
	case SAC_DENSE_SCAN:
		return q_scan(d, A, B, src[d->in[2]], src[d->in[3]], y, T, K,
			    g->v[d->in[2]].cols, e);
		break;
	case SAC_DENSE_MJOS:
		for (int t = 0; t < T; t++)
			for (int o = 0; o < K; o++) {
				const int16_t *w = d->qw[0] + (size_t)o * 2 * K;
				int64_t aa = d->qb[0][o], bb = 0;
				for (int k = 0; k < K; k++) {
					aa += (int32_t)w[k] * A[(size_t)t * K + k];
					bb += (int32_t)w[K + k] * B[(size_t)t * K + k];
				}
				y[(size_t)t * K + o] = sac_dense_sat(
					sac_dense_rq(aa, d->qm[0][o]) +
					sac_dense_rq(bb, d->qm[1][o]) +
					sac_dense_rq(A[(size_t)t * K + o], d->mm[0]), d->bits);
			}
		break;
	case SAC_DENSE_MHA:
		return q_mha(d, A, T, B, g->v[d->in[1]].rows, y, e);
		break;
	case SAC_DENSE_GATE:
		for (int t = 0; t < T; t++) {
			int64_t s = 0;
			for (int k = 0; k < K; k++)
				s += (int64_t)A[(size_t)t * K + k] * B[(size_t)t * K + k];
			y[t] = sac_dense_sigmoid_q14g(s, d->c, d->cg);
		}
		break;
	case SAC_DENSE_MIX: {
		const int32_t *Q = src[d->in[2]];
		int F = d->cols;
		for (int t = 0; t < d->rows; t++)
			for (int k = 0; k < F; k++)
				y[(size_t)t * F + k] = sac_dense_sat(
					sac_dense_rq((int64_t)A[t] * B[(size_t)t * F + k], d->mm[0]) +
					sac_dense_rq((int64_t)(Q14 - A[t]) * Q[(size_t)t * F + k],
						     d->mm[1]), d->bits);
		break;
	}
	case SAC_DENSE_TOPK: {
		/* Indices, then Q14 weights renormalised to sum 2^14: the
		 * kernel the dense unit calls too (ops.c). */
		sac_dense_topk_weights(A, K, d->n, y);
		for (int j = 0; j < d->n; j++)
			sel[j] = y[j];
		*nsel = d->n;
		break;
	}
	case SAC_DENSE_MOE_SUM: {
		int k = a->cols / 2;
		for (size_t c = 0; c < cnt; c++) {
			int64_t acc = 0;
			for (int j = 0; j < k; j++) {
				int ex = A[j];
				if (ex >= 0 && ex < d->nin - 1)
					acc += (int64_t)A[k + j] * src[d->in[1 + ex]][c];
			}
			y[c] = sac_dense_sat(acc, 32);
		}
		break;
	}
	case SAC_DENSE_RESHAPE:
		memcpy(y, A, cnt * sizeof(int32_t));
		break;
	case SAC_DENSE_OP_COUNT:
		break;
	}
	return SAC_OK;
}

int sac_dense_forward_intq(const sac_dense_graph *g, sac_dense_exec *x,
			   const int32_t *const *qin, sac_err *e)
{
	if (!g->quantized)
		return sac_errf(e, SAC_ERR_STATE, "dense graph not quantised");
	if (x->n != g->n)
		return sac_errf(e, SAC_ERR_USAGE, "execution made for another graph");
	int sel[SAC_DENSE_MAX_IN], nsel = 0, nin = 0, rc = SAC_OK;
	for (int i = 0; i < g->n && !rc; i++) {
		x->ran[i] = 0;
		if (skipped(&g->v[i], sel, nsel, 0))
			continue;
		x->ran[i] = 1;
		rc = qnode(g, i, x->q, x->q[i], qin, &nin, sel, &nsel, e);
	}
	return rc;
}

int sac_dense_forward_int_local(const sac_dense_graph *g, sac_dense_exec *x,
				const sac_dense_exec *xf, sac_err *e)
{
	if (!g->quantized)
		return sac_errf(e, SAC_ERR_STATE, "dense graph not quantised");
	if (x->n != g->n || xf->n != g->n)
		return sac_errf(e, SAC_ERR_USAGE, "execution made for another graph");
	int32_t **src = calloc((size_t)g->n + 1, sizeof *src);
	if (!src)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	int rc = SAC_OK, sel[SAC_DENSE_MAX_IN], nsel = 0, nin = 0;
	/* The float outputs at each node's scale and width (a topk: its
	 * indices, and its weights in Q14). */
	for (int i = 0; i < g->n && !rc; i++) {
		const node *d = &g->v[i];
		size_t cnt = (size_t)d->rows * d->cols;
		src[i] = malloc(cnt * sizeof(int32_t));
		if (!src[i]) {
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			break;
		}
		for (size_t k = 0; k < cnt; k++) {
			double v = xf->f[i][k];
			if (d->op == SAC_DENSE_TOPK)
				v = (int)k < d->cols / 2 ? v : rhaz(v * Q14);
			else
				v = rhaz(v / d->scale);
			v = fmax(fmin(v, 2147483647.0), -2147483648.0);
			src[i][k] = sac_dense_sat((int64_t)v, d->bits);
		}
	}
	for (int i = 0; i < g->n && !rc; i++) {
		x->ran[i] = xf->ran[i];
		if (!x->ran[i])
			continue;
		const int32_t *qin[1] = {src[i]};
		nin = 0;
		rc = qnode(g, i, src, x->q[i], qin, &nin, sel, &nsel, e);
	}
	for (int i = 0; i < g->n; i++)
		free(src[i]);
	free(src);
	return rc;
}

int sac_dense_forward_int(const sac_dense_graph *g, sac_dense_exec *x,
			  const double *const *in, sac_err *e)
{
	if (!g->quantized)
		return sac_errf(e, SAC_ERR_STATE, "dense graph not quantised");
	int nin = 0;
	for (int i = 0; i < g->n; i++)
		nin += g->v[i].op == SAC_DENSE_INPUT;
	int32_t **q = calloc((size_t)nin + 1, sizeof *q);
	if (!q)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	int rc = SAC_OK, j = 0;
	for (int i = 0; i < g->n && !rc; i++) {
		const node *d = &g->v[i];
		if (d->op != SAC_DENSE_INPUT)
			continue;
		size_t cnt = (size_t)d->rows * d->cols;
		q[j] = malloc(cnt * sizeof(int32_t));
		if (!q[j]) {
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			break;
		}
		/* The boundary: float features to integers at the input's
		 * scale and width. */
		double hi = vmax(d->bits) - 1;
		for (size_t k = 0; k < cnt; k++) {
			double v = rhaz(in[j][k] / d->scale);
			q[j][k] = v > hi ? (int32_t)hi : v < -hi - 1 ? (int32_t)(-hi - 1) : (int32_t)v;
		}
		j++;
	}
	if (!rc)
		rc = sac_dense_forward_intq(g, x, (const int32_t *const *)q, e);
	for (int i = 0; i < nin; i++)
		free(q[i]);
	free(q);
	return rc;
}

/* ---- the integer parameters, for the lowering (dsim.h) ------------------ */

int sac_dense_node_qview(const sac_dense_graph *g, int i, sac_dense_qview *v,
			 sac_err *e)
{
	if (!g->quantized)
		return sac_errf(e, SAC_ERR_STATE, "dense graph not quantised");
	if (i < 0 || i >= g->n)
		return sac_errf(e, SAC_ERR_USAGE, "node %d out of range", i);
	const node *d = &g->v[i];
	memset(v, 0, sizeof *v);
	v->nin = d->nin;
	v->in = d->in;
	v->rows = d->rows;
	v->cols = d->cols;
	v->bits = d->bits;
	v->n = d->n;
	v->kernel = d->kernel;
	v->reverse = d->reverse;
	v->heads = d->heads;
	v->expert = d->expert;
	v->scale = d->scale;
	v->wbytes = d->wmax > 127 ? 2 : 1;
	for (int j = 0; j < NQ; j++) {
		v->qw[j] = d->qw[j];
		v->qm[j] = d->qm[j];
	}
	v->mm = d->mm;
	v->lut = d->lut;
	v->c = d->c;
	v->eps_q = d->eps_q;
	v->ae = d->ae;
	v->cg = d->cg;
	v->win = &d->win;
	v->node = d;
	return SAC_OK;
}

int64_t sac_dense_qview_bias(const sac_dense_qview *v, int slot, int o)
{
	const node *d = v->node;
	return slot >= 0 && slot < NQ && d->qb[slot] ? d->qb[slot][o] : 0;
}
