/* mcoe.c: the MCO-E head (seed 000) composed from the dense operators:
 * MJOS Mamba per modality (forward and backward scans, B and C coupled
 * across modalities), MCIB cross attention with its gate, the fusion
 * linear, the HCE-MoE router with attention and top-2 of 8 heterogeneous
 * experts (focal, attention, deep), and their weighted sum.
 *
 * One walk over the structure (walk) both lists the parameter members and
 * builds the graph, so the weight file, the generator in zoo/ and the
 * graph cannot disagree on a name or a shape.  The choices the paper and
 * MODELS.md leave open (how the 1024-vector is cut into tokens for
 * attention and the focal convolution, which tensors the gate uses, the
 * MCIB residual of the authors' code) are in docs/MCOE.md. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamlx.h"
#include "saccade/dense.h"
#include "saccade/npy.h"

void sac_mcoe_dims_full(sac_mcoe_dims *d)
{
	*d = (sac_mcoe_dims){
		.tokens = 500, .d_model = 4, .d_inner = 8, .d_conv = 4,
		.d_state = 16, .dt_rank = 1, .mcib_heads = 2, .fusion = 1024,
		.router_heads = 4, .router_hidden = 512, .experts = 8, .topk = 2,
		.moe_tokens = 16, .att_heads = 2, .focal_hidden = 512,
		.focal_kernel = 3, .deep_blocks = 5, .deep_expand = 4,
		.deep_res = 0.3, .classes = 7,
	};
}

void sac_mcoe_dims_small(sac_mcoe_dims *d)
{
	sac_mcoe_dims_full(d);
	d->tokens = 24;
	d->fusion = 64;
	d->router_hidden = 32;
	d->moe_tokens = 4;
	d->focal_hidden = 32;
	d->deep_blocks = 2;
}

int sac_mcoe_dims_check(const sac_mcoe_dims *d, sac_err *e)
{
	struct { const char *k; int v, lo, hi; } r[] = {
		{"tokens", d->tokens, 1, 100000}, {"d_model", d->d_model, 1, 4096},
		{"d_inner", d->d_inner, 1, 4096}, {"d_conv", d->d_conv, 1, 64},
		{"d_state", d->d_state, 1, 256}, {"dt_rank", d->dt_rank, 1, 4096},
		{"mcib_heads", d->mcib_heads, 1, 64}, {"fusion", d->fusion, 1, 65536},
		{"router_heads", d->router_heads, 1, 64},
		{"router_hidden", d->router_hidden, 1, 65536},
		{"experts", d->experts, 1, SAC_DENSE_MAX_IN - 1},
		{"topk", d->topk, 1, d->experts},
		{"moe_tokens", d->moe_tokens, 1, 65536},
		{"att_heads", d->att_heads, 1, 64},
		{"focal_hidden", d->focal_hidden, 1, 65536},
		{"focal_kernel", d->focal_kernel, 1, 63},
		{"deep_blocks", d->deep_blocks, 0, 64},
		{"deep_expand", d->deep_expand, 1, 64},
		{"classes", d->classes, 1, 4096},
	};
	for (size_t i = 0; i < sizeof r / sizeof *r; i++)
		if (r[i].v < r[i].lo || r[i].v > r[i].hi)
			return sac_errf(e, SAC_ERR_RANGE, "MCO-E dims: %s = %d out of "
					"%d..%d", r[i].k, r[i].v, r[i].lo, r[i].hi);
	if (d->d_model % d->mcib_heads)
		return sac_errf(e, SAC_ERR_SHAPE, "MCO-E dims: d_model %d is not a "
				"multiple of mcib_heads %d", d->d_model, d->mcib_heads);
	int dt = d->fusion / d->moe_tokens;
	if (d->fusion % d->moe_tokens || d->focal_hidden % d->moe_tokens)
		return sac_errf(e, SAC_ERR_SHAPE, "MCO-E dims: fusion %d and "
				"focal_hidden %d must be multiples of moe_tokens %d",
				d->fusion, d->focal_hidden, d->moe_tokens);
	if (dt % d->router_heads || dt % d->att_heads)
		return sac_errf(e, SAC_ERR_SHAPE, "MCO-E dims: token width %d "
				"(fusion / moe_tokens) is not a multiple of the heads "
				"(router %d, attention experts %d)", dt,
				d->router_heads, d->att_heads);
	if (d->focal_kernel % 2 == 0)
		return sac_errf(e, SAC_ERR_SHAPE, "MCO-E dims: focal_kernel %d "
				"must be odd", d->focal_kernel);
	if (!(d->deep_res >= 0 && d->deep_res <= 16))
		return sac_errf(e, SAC_ERR_RANGE, "MCO-E dims: deep_res %g out of "
				"0..16", d->deep_res);
	return SAC_OK;
}

/* ---- the walk ---------------------------------------------------------------- */

typedef struct walker {
	const sac_mcoe_dims *d;
	sac_dense_graph *g;     /* NULL: only list members */
	sac_mcoe_param_fn get;
	void *gctx;
	sac_mcoe_member_fn member;
	void *mctx;
	sac_err *e;
	int rc;
	float *tmp;             /* A = -exp(A_log) of the scan being built */
	int bits;               /* output width of the nodes being added */
} walker;

/* Parameter member `name` of the given shape: listed, or fetched. */
static const float *P(walker *w, const char *name, int nd, int64_t s0,
		      int64_t s1, int64_t s2, char kind)
{
	static const float dummy[1];
	if (w->rc)
		return NULL;
	int64_t sh[3] = {s0, s1, s2};
	if (!w->g) {
		if (w->member)
			w->rc = w->member(w->mctx, name, nd, sh, kind);
		return dummy;
	}
	size_t cnt = 1;
	for (int i = 0; i < nd; i++)
		cnt *= (size_t)sh[i];
	const float *p = w->get(w->gctx, name, cnt);
	if (!p && !w->e->code)
		w->rc = sac_errf(w->e, SAC_ERR_PARSE, "weights: member '%s' "
				 "missing or not %zu values", name, cnt);
	else if (!p)
		w->rc = w->e->code;
	return p;
}

static int add(walker *w, sac_dense_desc *d)
{
	if (w->rc)
		return -1;
	if (!w->g)
		return 0;
	sac_dense_op op = d->op;
	if (!d->bits && w->bits && op != SAC_DENSE_SOFTMAX && op != SAC_DENSE_GATE &&
	    op != SAC_DENSE_TOPK && op != SAC_DENSE_MOE_SUM && op != SAC_DENSE_RESHAPE)
		d->bits = w->bits;
	int r = sac_dense_add(w->g, d, w->e);
	if (r < 0)
		w->rc = r;
	return r;
}

static int node(walker *w, const char *name, sac_dense_op op, int expert,
		int nin, int i0, int i1, int i2)
{
	sac_dense_desc d = {0};
	d.name = name;
	d.op = op;
	d.expert = expert;
	d.nin = nin;
	d.in[0] = i0;
	d.in[1] = i1;
	d.in[2] = i2;
	return add(w, &d);
}

static int linear(walker *w, const char *name, int in, int K, int N,
		  int bias, int expert)
{
	char m[128];
	sac_dense_desc d = {0};
	d.name = name;
	d.op = SAC_DENSE_LINEAR;
	d.nin = 1;
	d.in[0] = in;
	d.n = N;
	d.expert = expert;
	snprintf(m, sizeof m, "%s.weight", name);
	d.p[0] = P(w, m, 2, N, K, 0, 'w');
	if (bias) {
		snprintf(m, sizeof m, "%s.bias", name);
		d.p[1] = P(w, m, 1, N, 0, 0, 'b');
	}
	return add(w, &d);
}

/* The router's last projection: its own kind, so that the generator can
 * give it the confidence of a trained router (zoo/mcoe.c). */
static int linear_k(walker *w, const char *name, int in, int K, int N, char kind)
{
	char m[128];
	sac_dense_desc d = {0};
	d.name = name;
	d.op = SAC_DENSE_LINEAR;
	d.nin = 1;
	d.in[0] = in;
	d.n = N;
	d.expert = -1;
	snprintf(m, sizeof m, "%s.weight", name);
	d.p[0] = P(w, m, 2, N, K, 0, kind);
	snprintf(m, sizeof m, "%s.bias", name);
	d.p[1] = P(w, m, 1, N, 0, 0, 'b');
	return add(w, &d);
}

static int mha(walker *w, const char *name, int q, int kv, int E, int heads,
	       int expert)
{
	static const char *const pn[8] = {"wq", "bq", "wk", "bk", "wv", "bv",
					  "wo", "bo"};
	char m[128];
	sac_dense_desc d = {0};
	d.name = name;
	d.op = SAC_DENSE_MHA;
	d.nin = 2;
	d.in[0] = q;
	d.in[1] = kv;
	d.heads = heads;
	d.expert = expert;
	for (int j = 0; j < 8; j++) {
		snprintf(m, sizeof m, "%s.%s", name, pn[j]);
		d.p[j] = j % 2 ? P(w, m, 1, E, 0, 0, 'b') :
			 P(w, m, 2, E, E, 0, j < 4 ? 'q' : 'w');
	}
	return add(w, &d);
}

static int reshape(walker *w, const char *name, int in, int rows, int expert)
{
	sac_dense_desc d = {0};
	d.name = name;
	d.op = SAC_DENSE_RESHAPE;
	d.nin = 1;
	d.in[0] = in;
	d.n = rows;
	d.expert = expert;
	return add(w, &d);
}

static int addc(walker *w, const char *name, int a, int b, double ca,
		double cb, int expert)
{
	sac_dense_desc d = {0};
	d.name = name;
	d.op = SAC_DENSE_ADD;
	d.nin = 2;
	d.in[0] = a;
	d.in[1] = b;
	d.coef[0] = ca;
	d.coef[1] = cb;
	d.expert = expert;
	return add(w, &d);
}

static int layernorm(walker *w, const char *name, int in, int K, int expert)
{
	char m[128];
	sac_dense_desc d = {0};
	d.name = name;
	d.op = SAC_DENSE_LAYERNORM;
	d.nin = 1;
	d.in[0] = in;
	d.expert = expert;
	snprintf(m, sizeof m, "%s.gamma", name);
	d.p[0] = P(w, m, 1, K, 0, 0, 'g');
	snprintf(m, sizeof m, "%s.beta", name);
	d.p[1] = P(w, m, 1, K, 0, 0, 'B');
	return add(w, &d);
}

#define NM(...) (snprintf(nm, sizeof nm, __VA_ARGS__), nm)

static const char *const mod[2] = {"rgb", "event"};
static const char *const dirn[2] = {"fwd", "bwd"};

/* Per modality and direction: the nodes the coupling needs. */
typedef struct mamba_dir {
	int conv, dtin, B, C;
} mamba_dir;

static int walk(walker *w)
{
	const sac_mcoe_dims *D = w->d;
	char nm[128], m[160];
	int M = D->tokens, E = D->d_model, Di = D->d_inner, N = D->d_state;
	int R = D->dt_rank;
	sac_dense_desc d;

	int in[2], zs[2], inx[2], scan[2][2];
	mamba_dir md[2][2];
	/* Mamba and MCIB run on int16 activations: 500 x 4..16 values per
	 * tensor cost little, and int8 there loses the head (docs/MCOE.md). */
	w->bits = 16;
	for (int s = 0; s < 2; s++) {
		d = (sac_dense_desc){0};
		d.name = mod[s];
		d.op = SAC_DENSE_INPUT;
		d.rows = M;
		d.cols = E;
		d.expert = -1;
		in[s] = add(w, &d);
	}
	/* MJOS Mamba, part 1: projections, convolutions, B, C. */
	for (int s = 0; s < 2; s++) {
		inx[s] = linear(w, NM("mamba.%s.in_x", mod[s]), in[s], E, Di, 0, -1);
		int z = linear(w, NM("mamba.%s.in_z", mod[s]), in[s], E, Di, 0, -1);
		zs[s] = node(w, NM("mamba.%s.z_silu", mod[s]), SAC_DENSE_SILU, -1, 1, z, 0, 0);
		for (int o = 0; o < 2; o++) {
			d = (sac_dense_desc){0};
			d.name = NM("mamba.%s.%s.conv", mod[s], dirn[o]);
			d.op = SAC_DENSE_DWCONV1D_CAUSAL;
			d.nin = 1;
			d.in[0] = inx[s];
			d.kernel = D->d_conv;
			d.reverse = o;
			d.expert = -1;
			snprintf(m, sizeof m, "%s.weight", nm);
			d.p[0] = P(w, m, 2, Di, D->d_conv, 0, 'c');
			snprintf(m, sizeof m, "%s.bias", nm);
			d.p[1] = P(w, m, 1, Di, 0, 0, 'b');
			int cv = add(w, &d);
			cv = node(w, NM("mamba.%s.%s.conv_silu", mod[s], dirn[o]),
				  SAC_DENSE_SILU, -1, 1, cv, 0, 0);
			md[s][o].conv = cv;
			md[s][o].dtin = linear(w, NM("mamba.%s.%s.dt_in", mod[s], dirn[o]),
					       cv, Di, R, 0, -1);
			md[s][o].B = linear(w, NM("mamba.%s.%s.b", mod[s], dirn[o]), cv, Di, N, 0, -1);
			md[s][o].C = linear(w, NM("mamba.%s.%s.c", mod[s], dirn[o]), cv, Di, N, 0, -1);
		}
	}
	/* Part 2: coupling across modalities, delta, the scans. */
	for (int s = 0; s < 2; s++)
		for (int o = 0; o < 2; o++) {
			int cp[2];
			for (int bc = 0; bc < 2; bc++) {
				d = (sac_dense_desc){0};
				d.name = NM("mamba.%s.%s.mjos_%c", mod[s], dirn[o], "bc"[bc]);
				d.op = SAC_DENSE_MJOS;
				d.nin = 2;
				d.in[0] = bc ? md[s][o].C : md[s][o].B;
				d.in[1] = bc ? md[1 - s][o].C : md[1 - s][o].B;
				d.expert = -1;
				snprintf(m, sizeof m, "%s.weight", nm);
				d.p[0] = P(w, m, 2, N, 2 * N, 0, 'w');
				snprintf(m, sizeof m, "%s.bias", nm);
				d.p[1] = P(w, m, 1, N, 0, 0, 'b');
				cp[bc] = add(w, &d);
			}
			d = (sac_dense_desc){0};
			d.name = NM("mamba.%s.%s.dt", mod[s], dirn[o]);
			d.op = SAC_DENSE_LINEAR;
			d.nin = 1;
			d.in[0] = md[s][o].dtin;
			d.n = Di;
			d.expert = -1;
			d.bits = 16; /* softplus needs a fine input: docs/MCOE.md */
			snprintf(m, sizeof m, "%s.weight", nm);
			d.p[0] = P(w, m, 2, Di, R, 0, 'u');
			snprintf(m, sizeof m, "%s.bias", nm);
			d.p[1] = P(w, m, 1, Di, 0, 0, 't');
			int dt = add(w, &d);
			int delta = node(w, NM("mamba.%s.%s.delta", mod[s], dirn[o]),
					 SAC_DENSE_SOFTPLUS, -1, 1, dt, 0, 0);
			d = (sac_dense_desc){0};
			d.name = NM("mamba.%s.%s.scan", mod[s], dirn[o]);
			d.op = SAC_DENSE_SCAN;
			d.nin = 4;
			d.in[0] = md[s][o].conv;
			d.in[1] = delta;
			d.in[2] = cp[0];
			d.in[3] = cp[1];
			d.reverse = o;
			d.expert = -1;
			snprintf(m, sizeof m, "%s.A_log", nm);
			const float *al = P(w, m, 2, Di, N, 0, 'A');
			snprintf(m, sizeof m, "%s.D", nm);
			d.p[1] = P(w, m, 1, Di, 0, 0, 'D');
			if (w->g && al) {
				/* The weights hold log(-A) as the authors' code does. */
				for (int i = 0; i < Di * N; i++)
					w->tmp[i] = (float)-exp((double)al[i]);
				d.p[0] = w->tmp;
			}
			scan[s][o] = add(w, &d);
		}
	int res[2];
	for (int s = 0; s < 2; s++) {
		/* The authors' code averages the two directions. */
		int y = addc(w, NM("mamba.%s.ysum", mod[s]), scan[s][0], scan[s][1],
			     0.5, 0.5, -1);
		y = node(w, NM("mamba.%s.gated", mod[s]), SAC_DENSE_MUL, -1, 2, y, zs[s], 0);
		y = linear(w, NM("mamba.%s.out", mod[s]), y, Di, E, 0, -1);
		res[s] = addc(w, NM("mamba.%s.res", mod[s]), y, in[s], 1, 1, -1);
	}
	/* MCIB. */
	int pr = linear(w, "mcib.proj_rgb", res[0], E, E, 1, -1);
	int pe = linear(w, "mcib.proj_event", res[1], E, E, 1, -1);
	int ar = mha(w, "mcib.att_rgb", pe, pr, E, D->mcib_heads, -1);
	int ae = mha(w, "mcib.att_event", pr, pe, E, D->mcib_heads, -1);
	int al = node(w, "mcib.alpha", SAC_DENSE_GATE, -1, 2, pr, pe, 0);
	int mx = node(w, "mcib.mix", SAC_DENSE_MIX, -1, 3, al, ar, ae);
	int mean = addc(w, "mcib.mean", pr, pe, 0.5, 0.5, -1);
	int hm = addc(w, "mcib.out", mx, mean, 1, 1, -1);
	int flat = reshape(w, "mcib.flat", hm, 1, -1);
	w->bits = 0;
	/* Fusion. */
	int F = D->fusion, T2 = D->moe_tokens, dt2 = F / T2;
	int fu = linear(w, "fusion.fc", flat, M * E, F, 1, -1);
	fu = node(w, "fusion.gelu", SAC_DENSE_GELU, -1, 1, fu, 0, 0);
	int tok = reshape(w, "moe.tokens", fu, T2, -1);
	/* Router with attention. */
	int ra = mha(w, "router.mha", tok, tok, dt2, D->router_heads, -1);
	ra = addc(w, "router.res", ra, tok, 1, 1, -1);
	ra = reshape(w, "router.flat", ra, 1, -1);
	ra = layernorm(w, "router.ln", ra, F, -1);
	ra = linear(w, "router.p1", ra, F, D->router_hidden, 1, -1);
	ra = node(w, "router.gelu", SAC_DENSE_GELU, -1, 1, ra, 0, 0);
	ra = linear_k(w, "router.p2", ra, D->router_hidden, D->experts, 'r');
	ra = node(w, "router.softmax", SAC_DENSE_SOFTMAX, -1, 1, ra, 0, 0);
	d = (sac_dense_desc){0};
	d.name = "router.topk";
	d.op = SAC_DENSE_TOPK;
	d.nin = 1;
	d.in[0] = ra;
	d.n = D->topk;
	d.expert = -1;
	int topk = add(w, &d);
	/* Experts: i % 3 = 0 focal, 1 attention, 2 deep (the authors' order). */
	sac_dense_desc moe = {0};
	moe.name = "logits";
	moe.op = SAC_DENSE_MOE_SUM;
	moe.nin = 1 + D->experts;
	moe.in[0] = topk;
	moe.expert = -1;
	for (int x = 0; x < D->experts; x++) {
		int o;
		if (x % 3 == 0) {
			int ch = D->focal_hidden / T2;
			d = (sac_dense_desc){0};
			d.name = NM("expert%d.conv", x);
			d.op = SAC_DENSE_CONV1D;
			d.nin = 1;
			d.in[0] = tok;
			d.n = ch;
			d.kernel = D->focal_kernel;
			d.expert = x;
			snprintf(m, sizeof m, "%s.weight", nm);
			d.p[0] = P(w, m, 3, ch, dt2, D->focal_kernel, 'w');
			snprintf(m, sizeof m, "%s.bias", nm);
			d.p[1] = P(w, m, 1, ch, 0, 0, 'b');
			o = add(w, &d);
			o = node(w, NM("expert%d.gelu", x), SAC_DENSE_GELU, x, 1, o, 0, 0);
			o = reshape(w, NM("expert%d.flat", x), o, 1, x);
			o = linear(w, NM("expert%d.fc", x), o, D->focal_hidden, D->classes, 1, x);
		} else if (x % 3 == 1) {
			o = mha(w, NM("expert%d.mha", x), tok, tok, dt2, D->att_heads, x);
			o = addc(w, NM("expert%d.res", x), o, tok, 1, 1, x);
			o = reshape(w, NM("expert%d.flat", x), o, 1, x);
			o = layernorm(w, NM("expert%d.ln", x), o, F, x);
			o = linear(w, NM("expert%d.fc", x), o, F, D->classes, 1, x);
		} else {
			o = fu;
			for (int l = 0; l < D->deep_blocks; l++) {
				int h = linear(w, NM("expert%d.block%d.up", x, l), o, F,
					       D->deep_expand * F, 1, x);
				h = linear(w, NM("expert%d.block%d.down", x, l), h,
					   D->deep_expand * F, F, 1, x);
				o = addc(w, NM("expert%d.block%d.res", x, l), h, o, 1,
					 D->deep_res, x);
			}
			o = linear(w, NM("expert%d.fc", x), o, F, D->classes, 1, x);
		}
		moe.in[1 + x] = o;
	}
	add(w, &moe);
	return w->rc;
}

int sac_mcoe_members(const sac_mcoe_dims *d, sac_mcoe_member_fn fn, void *ctx)
{
	sac_err e = {0};
	walker w = {.d = d, .member = fn, .mctx = ctx, .e = &e};
	return walk(&w);
}

int sac_mcoe_build(const sac_mcoe_dims *d, sac_mcoe_param_fn get, void *ctx,
		   sac_dense_graph **out, sac_err *e)
{
	*out = NULL;
	int rc = sac_mcoe_dims_check(d, e);
	if (rc)
		return rc;
	walker w = {.d = d, .get = get, .gctx = ctx, .e = e};
	w.g = sac_dense_graph_new();
	w.tmp = malloc(sizeof(float) * (size_t)d->d_inner * d->d_state);
	if (!w.g || !w.tmp)
		rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	else
		rc = walk(&w);
	free(w.tmp);
	if (rc) {
		sac_dense_graph_free(w.g);
		return rc;
	}
	*out = w.g;
	return SAC_OK;
}

/* ---- mcoe.yaml -------------------------------------------------------------- */

#define YAML_CAP (1 << 20)

typedef struct dimkey {
	const char *k;
	size_t off;
} dimkey;

#define DK(f) {#f, offsetof(sac_mcoe_dims, f)}
static const dimkey dimkeys[] = {
	DK(tokens), DK(d_model), DK(d_inner), DK(d_conv), DK(d_state),
	DK(dt_rank), DK(mcib_heads), DK(fusion), DK(router_heads),
	DK(router_hidden), DK(experts), DK(topk), DK(moe_tokens),
	DK(att_heads), DK(focal_hidden), DK(focal_kernel), DK(deep_blocks),
	DK(deep_expand), DK(classes),
};

static int scalar_int(const char *f, yaml_node_t *n, int *v, sac_err *e)
{
	char *end;
	if (n->type != YAML_SCALAR_NODE)
		return sac__yaml_err(e, f, n, SAC_ERR_PARSE, "expected an integer, "
				     "got %s", sac__yaml_kind(n));
	long x = strtol((const char *)n->data.scalar.value, &end, 10);
	if (!n->data.scalar.length || *end || x < -1000000000L || x > 1000000000L)
		return sac__yaml_err(e, f, n, SAC_ERR_PARSE, "expected an integer, "
				     "got '%s'", (const char *)n->data.scalar.value);
	*v = (int)x;
	return SAC_OK;
}

int sac_mcoe_yaml_read(const char *path, sac_mcoe_dims *dims, char *weights,
		       size_t nw, char *calib, size_t ncal, sac_err *e)
{
	char *text = NULL;
	size_t len = 0;
	yaml_document_t doc;
	int rc = sac__read_file(path, YAML_CAP, "MCO-E description", &text, &len, e);
	if (rc)
		return rc;
	rc = sac__yaml_parse(text, len, path, &doc, e);
	free(text);
	if (rc)
		return rc;
	sac_mcoe_dims_full(dims);
	if (calib && ncal)
		calib[0] = 0;
	if (weights && nw)
		snprintf(weights, nw, "weights.npz");
	int have_version = 0, have_model = 0;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = root ? sac__yaml_err(e, path, root, SAC_ERR_PARSE,
					  "expected a mapping at the top") :
			    sac_errf(e, SAC_ERR_PARSE, "%s: empty file", path);
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     !rc && p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		const char *key = k->type == YAML_SCALAR_NODE ?
				  (const char *)k->data.scalar.value : "";
		const char *val = v->type == YAML_SCALAR_NODE ?
				  (const char *)v->data.scalar.value : NULL;
		if (!strcmp(key, "saccade")) {
			int ver;
			rc = scalar_int(path, v, &ver, e);
			if (!rc && ver != 1)
				rc = sac__yaml_err(e, path, v, SAC_ERR_UNSUPPORTED,
						   "format version %d (this saccade reads 1)",
						   ver);
			have_version = 1;
		} else if (!strcmp(key, "model")) {
			if (!val || strcmp(val, "mco-e"))
				rc = sac__yaml_err(e, path, v, SAC_ERR_UNSUPPORTED,
						   "model must be 'mco-e'");
			have_model = 1;
		} else if (!strcmp(key, "name") || !strcmp(key, "weights")) {
			if (!val)
				rc = sac__yaml_err(e, path, v, SAC_ERR_PARSE,
						   "'%s' must be a string", key);
			else if (!strcmp(key, "weights") && weights && nw)
				snprintf(weights, nw, "%s", val);
		} else if (!strcmp(key, "calibration")) {
			if (!val)
				rc = sac__yaml_err(e, path, v, SAC_ERR_PARSE,
						   "'calibration' must be a file name");
			else if (calib && ncal)
				snprintf(calib, ncal, "%s", val);
		} else if (!strcmp(key, "dims")) {
			if (v->type != YAML_MAPPING_NODE) {
				rc = sac__yaml_err(e, path, v, SAC_ERR_PARSE,
						   "'dims' must be a mapping");
				break;
			}
			for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
			     !rc && q < v->data.mapping.pairs.top; q++) {
				yaml_node_t *dk = yaml_document_get_node(&doc, q->key);
				yaml_node_t *dv = yaml_document_get_node(&doc, q->value);
				const char *dn = dk->type == YAML_SCALAR_NODE ?
						 (const char *)dk->data.scalar.value : "";
				if (!strcmp(dn, "deep_res")) {
					char *end;
					const char *s = dv->type == YAML_SCALAR_NODE ?
						(const char *)dv->data.scalar.value : "";
					dims->deep_res = strtod(s, &end);
					if (!*s || *end)
						rc = sac__yaml_err(e, path, dv, SAC_ERR_PARSE,
								   "deep_res must be a number");
					continue;
				}
				size_t j = 0;
				while (j < sizeof dimkeys / sizeof *dimkeys &&
				       strcmp(dimkeys[j].k, dn))
					j++;
				if (j == sizeof dimkeys / sizeof *dimkeys)
					rc = sac__yaml_err(e, path, dk, SAC_ERR_PARSE,
							   "unknown dimension '%s'", dn);
				else
					rc = scalar_int(path, dv, (int *)((char *)dims + dimkeys[j].off), e);
			}
		} else {
			rc = sac__yaml_err(e, path, k, SAC_ERR_PARSE,
					   "unknown key '%s'", key);
		}
	}
	if (!rc && !have_version)
		rc = sac_errf(e, SAC_ERR_PARSE, "%s: missing 'saccade: 1'", path);
	if (!rc && !have_model)
		rc = sac_errf(e, SAC_ERR_PARSE, "%s: missing 'model: mco-e'", path);
	if (!rc) {
		rc = sac_mcoe_dims_check(dims, e);
		if (rc) {
			char m[sizeof e->msg];
			snprintf(m, sizeof m, "%s", e->msg);
			e->code = 0;
			rc = sac_errf(e, rc, "%s: %s", path, m);
		}
	}
out:
	yaml_document_delete(&doc);
	return rc;
}

/* ---- a head directory -------------------------------------------------------- */

struct sac_mcoe {
	sac_mcoe_dims dims;
	sac_dense_graph *g;
};

typedef struct npz_get {
	sac_npz *z;
	const char *path;
	sac_tensor *t;
	int n, cap;
	sac_err *e;
} npz_get;

static const float *get_npz(void *ctx, const char *name, size_t count)
{
	npz_get *c = ctx;
	if (c->n == c->cap) {
		int nc = c->cap ? 2 * c->cap : 64;
		sac_tensor *nt = realloc(c->t, (size_t)nc * sizeof *nt);
		if (!nt) {
			sac_errf(c->e, SAC_ERR_NOMEM, "out of memory");
			return NULL;
		}
		c->t = nt;
		c->cap = nc;
	}
	sac_tensor *t = &c->t[c->n];
	memset(t, 0, sizeof *t);
	if (!sac_npz_has(c->z, name)) {
		sac_errf(c->e, SAC_ERR_PARSE, "%s: member '%s' missing", c->path, name);
		return NULL;
	}
	if (sac_npz_get(c->z, name, t, c->e))
		return NULL;
	c->n++;
	if (t->dtype != SAC_F32 || t->count != count) {
		char b[64];
		sac_errf(c->e, SAC_ERR_SHAPE, "%s:%s: is %s, expected float32 with "
			 "%zu values", c->path, name, sac_tensor_desc(t, b, sizeof b),
			 count);
		return NULL;
	}
	return t->data;
}

int sac_mcoe_load(const char *dir, sac_mcoe **out, sac_err *e)
{
	*out = NULL;
	char path[4200], wpath[8400], wname[4096];
	sac_mcoe *m = calloc(1, sizeof *m);
	if (!m)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	snprintf(path, sizeof path, "%s/mcoe.yaml", dir);
	int rc = sac_mcoe_yaml_read(path, &m->dims, wname, sizeof wname, NULL, 0, e);
	if (rc) {
		free(m);
		return rc;
	}
	if (wname[0] == '/')
		snprintf(wpath, sizeof wpath, "%s", wname);
	else
		snprintf(wpath, sizeof wpath, "%s/%s", dir, wname);
	npz_get c = {.path = wpath, .e = e};
	c.z = sac_npz_open(wpath, e);
	if (!c.z) {
		free(m);
		return e->code ? e->code : SAC_ERR_IO;
	}
	rc = sac_mcoe_build(&m->dims, get_npz, &c, &m->g, e);
	for (int i = 0; i < c.n; i++)
		sac_tensor_free(&c.t[i]);
	free(c.t);
	sac_npz_close(c.z);
	if (rc) {
		free(m);
		return rc;
	}
	*out = m;
	return SAC_OK;
}

void sac_mcoe_free(sac_mcoe *m)
{
	if (!m)
		return;
	sac_dense_graph_free(m->g);
	free(m);
}

sac_dense_graph *sac_mcoe_graph(sac_mcoe *m)
{
	return m->g;
}

const sac_mcoe_dims *sac_mcoe_get_dims(const sac_mcoe *m)
{
	return &m->dims;
}
