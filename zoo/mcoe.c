/* mcoe.c: the MCO-E head (seed 000) as a zoo entry: mcoe.yaml, synthetic
 * float32 weights and synthetic backbone features.
 *
 * Every member is a pure function of (seed, member name) through a local
 * splitmix64 PRNG, and the member list comes from sac_mcoe_members (the
 * walk that also builds the graph), so the weights always fit the loader.
 * The initialisations follow the authors' code where it has one (A_log =
 * log(1..d_state), D = 1, delta bias = softplus^-1 of a log-uniform step
 * in [0.001, 0.1], dt projection uniform in +-dt_rank^-1/2) and are
 * 1/sqrt(fan_in) normal elsewhere, which keeps activations of order one
 * through the linear deep experts.  Inputs stand for ResNet-18 outputs:
 * a class prototype per modality plus noise, of unit-to-few scale.
 *
 * Unless random_readout, each expert's classifier (expertX.fc) is then
 * fitted by ridge regression on the float features that reach it for
 * training inputs (a third input stream, disjoint from the calibration
 * and sample streams), so that the head has the class margins of a
 * trained readout (docs/MCOE.md "Synthetic weights and inputs"); the fit
 * is in double, in a fixed order, hence deterministic too. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/files.h"
#include "saccade/dense.h"
#include "saccade/npy.h"
#include "saccade/zoo.h"

#define NCLASSES 7

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double unif(uint64_t *s) /* (0, 1] */
{
	return ((splitmix(s) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

static double normal(uint64_t *s)
{
	double u1 = unif(s), u2 = unif(s);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static uint64_t seed_for(uint64_t seed, const char *name, uint64_t salt)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ salt; /* FNV-1a */
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	uint64_t t = h ^ (seed * 0xd1342543de82ef95ULL);
	return splitmix(&t);
}

void sac_zoo_mcoe_opts_init(sac_zoo_mcoe_opts *o)
{
	memset(o, 0, sizeof *o);
	o->seed = 1;
	o->ncalib = 16;
	o->nsample = NCLASSES;
}

void sac_zoo_mcoe_fill(uint64_t seed, const char *name, char kind, int nd,
		       const int64_t *sh, float *dst)
{
	uint64_t s = seed_for(seed, name, 0x6d636f65);
	size_t cnt = 1;
	int64_t fan = 1;
	for (int i = 0; i < nd; i++)
		cnt *= (size_t)sh[i];
	for (int i = 1; i < nd; i++)
		fan *= sh[i];
	double sd = 1.0 / sqrt((double)fan);
	for (size_t i = 0; i < cnt; i++) {
		double v;
		switch (kind) {
		case 'w': case 'c': v = sd * normal(&s); break;
		case 'q': v = 0.25 * sd * normal(&s); break;
		case 'r': v = 4 * sd * normal(&s); break;
		case 'u': v = sd * (2 * unif(&s) - 1); break;
		case 'b': v = 0.1 * unif(&s) - 0.05; break;
		case 't': {
			double dt = exp(unif(&s) * (log(0.1) - log(0.001)) + log(0.001));
			v = dt + log(-expm1(-dt));
			break;
		}
		case 'A': v = log((double)(i % (size_t)sh[nd - 1]) + 1); break;
		case 'D': v = 1; break;
		case 'g': v = 1 + 0.1 * normal(&s); break;
		default: v = 0.05 * normal(&s); break; /* 'B' */
		}
		dst[i] = (float)v;
	}
}

void sac_zoo_mcoe_input(int tokens, int d_model, uint64_t seed, int i,
			int calib, float *dst)
{
	int cls = i % NCLASSES;
	char nm[64];
	size_t n = (size_t)tokens * d_model;
	for (int m = 0; m < 2; m++) {
		snprintf(nm, sizeof nm, "prototype.%d.%d", cls, m);
		uint64_t ps = seed_for(seed, nm, 0x70726f74);
		snprintf(nm, sizeof nm, "%s.%d.%d",
			 calib == 2 ? "train" : calib ? "calib" : "sample", i, m);
		uint64_t ns = seed_for(seed, nm, 0x6e6f6973);
		/* Events are sparser than frames: weaker prototype, more noise. */
		double a = m ? 1.0 : 1.5, b = m ? 1.0 : 0.7;
		for (size_t k = 0; k < n; k++)
			dst[m * n + k] = (float)(a * normal(&ps) + b * normal(&ns));
	}
}

/* ---- members -------------------------------------------------------------- */

typedef struct collect {
	uint64_t seed;
	int n, cap;
	char (*name)[96];
	sac_tensor *t;
	int64_t params;
	int count_only;
	sac_err *e;
} collect;

static int on_member(void *ctx, const char *name, int nd, const int64_t *sh,
		     char kind)
{
	collect *c = ctx;
	int64_t cnt = 1;
	for (int i = 0; i < nd; i++)
		cnt *= sh[i];
	c->params += cnt;
	if (c->count_only)
		return SAC_OK;
	if (c->n == c->cap) {
		int nc = c->cap ? 2 * c->cap : 256;
		void *a = realloc(c->name, (size_t)nc * sizeof *c->name);
		if (!a)
			return sac_errf(c->e, SAC_ERR_NOMEM, "out of memory");
		c->name = a;
		void *b = realloc(c->t, (size_t)nc * sizeof *c->t);
		if (!b)
			return sac_errf(c->e, SAC_ERR_NOMEM, "out of memory");
		c->t = b;
		c->cap = nc;
	}
	snprintf(c->name[c->n], sizeof c->name[c->n], "%s", name);
	sac_tensor *t = &c->t[c->n];
	memset(t, 0, sizeof *t);
	if (sac_tensor_alloc(t, SAC_F32, nd, sh, c->e))
		return c->e->code;
	c->n++;
	sac_zoo_mcoe_fill(c->seed, name, kind, nd, sh, t->data);
	return SAC_OK;
}

static void dims_of(const sac_zoo_mcoe_opts *o, sac_mcoe_dims *d)
{
	if (o && o->small)
		sac_mcoe_dims_small(d);
	else
		sac_mcoe_dims_full(d);
}

int64_t sac_zoo_mcoe_params(const sac_zoo_mcoe_opts *o)
{
	sac_mcoe_dims d;
	sac_err e = {0};
	dims_of(o, &d);
	collect c = {.count_only = 1, .e = &e};
	sac_mcoe_members(&d, on_member, &c);
	return c.params;
}

/* ---- the fitted readout ----------------------------------------------------- */

/* Training inputs (stream 2 of sac_zoo_mcoe_input, disjoint from the
 * calibration and sample streams): this many per class. */
#define TRAIN_PER_CLASS 8
/* Ridge: lambda = RIDGE times the mean squared norm of the centred
 * features. */
#define RIDGE 0.1

static const float *member(void *ctx, const char *name, size_t count)
{
	collect *c = ctx;
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name))
			return c->t[i].count == count ? c->t[i].data : NULL;
	return NULL;
}

static float *member_w(collect *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name))
			return c->t[i].data;
	return NULL;
}

/* Solve (K + lambda I) A = T in place (K n x n symmetric positive
 * definite after the ridge, T n x m) by Cholesky, in double. */
static void ridge_solve(double *K, int n, double lambda, double *T, int m)
{
	for (int i = 0; i < n; i++)
		K[(size_t)i * n + i] += lambda;
	for (int j = 0; j < n; j++) {
		double d = K[(size_t)j * n + j];
		for (int k = 0; k < j; k++)
			d -= K[(size_t)j * n + k] * K[(size_t)j * n + k];
		d = sqrt(d);
		K[(size_t)j * n + j] = d;
		for (int i = j + 1; i < n; i++) {
			double v = K[(size_t)i * n + j];
			for (int k = 0; k < j; k++)
				v -= K[(size_t)i * n + k] * K[(size_t)j * n + k];
			K[(size_t)i * n + j] = v / d;
		}
	}
	for (int c = 0; c < m; c++) {
		for (int i = 0; i < n; i++) { /* L y = t */
			double v = T[(size_t)i * m + c];
			for (int k = 0; k < i; k++)
				v -= K[(size_t)i * n + k] * T[(size_t)k * m + c];
			T[(size_t)i * m + c] = v / K[(size_t)i * n + i];
		}
		for (int i = n - 1; i >= 0; i--) { /* L^T a = y */
			double v = T[(size_t)i * m + c];
			for (int k = i + 1; k < n; k++)
				v -= K[(size_t)k * n + i] * T[(size_t)k * m + c];
			T[(size_t)i * m + c] = v / K[(size_t)i * n + i];
		}
	}
}

/* Each expert's classifier (its last linear, expertX.fc) becomes the
 * ridge regression of the one-hot class on the float features that
 * reach it, over training inputs disjoint from the calibration and sample
 * inputs; the rest of the head keeps its random weights (docs/MCOE.md
 * "Synthetic weights and inputs").  Dual form: with F features and n < F
 * inputs, W = Xc^T (Xc Xc^T + lambda I)^-1 Tc, Xc and Tc centred, the
 * bias restoring the means. */
static int fit_readouts(const sac_mcoe_dims *d, collect *c, uint64_t seed,
			sac_err *e)
{
	sac_dense_graph *g = NULL;
	sac_dense_exec x = {0};
	int nc = d->classes, n = TRAIN_PER_CLASS * nc, E = d->experts;
	size_t per = (size_t)d->tokens * d->d_model;
	double *feat[SAC_DENSE_MAX_IN] = {0}, *in = NULL, *K = NULL, *T = NULL;
	double *mt = NULL;
	float *buf = NULL;
	int fin[SAC_DENSE_MAX_IN], F[SAC_DENSE_MAX_IN];
	char nm[96];
	int rc = sac_mcoe_build(d, member, c, &g, e);
	if (!rc)
		rc = sac_dense_exec_init(g, &x, e);
	if (rc)
		goto out;
	for (int k = 0; k < E; k++) {
		/* The node feeding expertX.fc (dense/mcoe.c). */
		if (k % 3 == 0)
			snprintf(nm, sizeof nm, "expert%d.flat", k);
		else if (k % 3 == 1)
			snprintf(nm, sizeof nm, "expert%d.ln", k);
		else
			snprintf(nm, sizeof nm, "expert%d.block%d.res", k, d->deep_blocks - 1);
		fin[k] = sac_dense_find(g, nm);
		assert(fin[k] >= 0);
		int r, cc;
		sac_dense_node_shape(g, fin[k], &r, &cc);
		F[k] = r * cc;
		feat[k] = malloc(sizeof(double) * (size_t)n * F[k]);
		if (!feat[k]) {
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	in = malloc(sizeof(double) * 2 * per);
	buf = malloc(sizeof(float) * 2 * per);
	K = malloc(sizeof(double) * (size_t)n * n);
	T = malloc(sizeof(double) * (size_t)n * nc);
	mt = malloc(sizeof(double) * (size_t)nc);
	if (!in || !buf || !K || !T || !mt) {
		rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		goto out;
	}
	const double *pin[2] = {in, in + per};
	for (int i = 0; i < n && !rc; i++) {
		sac_zoo_mcoe_input(d->tokens, d->d_model, seed, i, 2, buf);
		for (size_t k = 0; k < 2 * per; k++)
			in[k] = buf[k];
		/* Calibrating: every expert runs. */
		rc = sac_dense_forward_float(g, &x, pin, 1, e);
		for (int k = 0; k < E && !rc; k++)
			memcpy(feat[k] + (size_t)i * F[k], x.f[fin[k]], sizeof(double) * F[k]);
	}
	for (int k = 0; k < E && !rc; k++) {
		int f = F[k];
		double *X = feat[k], tr = 0;
		double *mx = calloc((size_t)f, sizeof *mx);
		memset(mt, 0, sizeof(double) * (size_t)nc);
		if (!mx) {
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
			break;
		}
		for (int i = 0; i < n; i++)
			for (int j = 0; j < f; j++)
				mx[j] += X[(size_t)i * f + j] / n;
		for (int i = 0; i < n; i++)
			for (int j = 0; j < f; j++)
				X[(size_t)i * f + j] -= mx[j];
		for (int i = 0; i < n; i++)
			for (int cl = 0; cl < nc; cl++) {
				T[(size_t)i * nc + cl] = cl == i % nc;
				mt[cl] += (double)(cl == i % nc) / n;
			}
		for (int i = 0; i < n; i++)
			for (int cl = 0; cl < nc; cl++)
				T[(size_t)i * nc + cl] -= mt[cl];
		for (int i = 0; i < n; i++)
			for (int j = 0; j <= i; j++) {
				double v = 0;
				for (int q = 0; q < f; q++)
					v += X[(size_t)i * f + q] * X[(size_t)j * f + q];
				K[(size_t)i * n + j] = K[(size_t)j * n + i] = v;
			}
		for (int i = 0; i < n; i++)
			tr += K[(size_t)i * n + i];
		ridge_solve(K, n, RIDGE * tr / n, T, nc);
		snprintf(nm, sizeof nm, "expert%d.fc.weight", k);
		float *w = member_w(c, nm);
		snprintf(nm, sizeof nm, "expert%d.fc.bias", k);
		float *b = member_w(c, nm);
		assert(w && b);
		for (int cl = 0; cl < nc; cl++) {
			double bias = mt[cl];
			for (int j = 0; j < f; j++) {
				double v = 0;
				for (int i = 0; i < n; i++)
					v += X[(size_t)i * f + j] * T[(size_t)i * nc + cl];
				w[(size_t)cl * f + j] = (float)v;
				bias -= v * mx[j];
			}
			b[cl] = (float)bias;
		}
		free(mx);
	}
out:
	for (int k = 0; k < E; k++)
		free(feat[k]);
	free(mt);
	free(in);
	free(buf);
	free(K);
	free(T);
	sac_dense_exec_free(&x);
	sac_dense_graph_free(g);
	return rc;
}

/* ---- files ------------------------------------------------------------------- */


static int write_yaml(const char *path, const sac_mcoe_dims *d, uint64_t seed,
		      int64_t params, sac_err *e)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot create: %s", path,
				strerror(errno));
	fprintf(f,
		"# MCO-E head (seed 000) after its four ResNet-18 backbones, written by\n"
		"# saccade zoo.  Synthetic weights: seed %llu, %lld parameters.  Inputs\n"
		"# are backbone features [2, %d, %d] (modality 0 RGB, 1 events).\n"
		"# The operators and the integer arithmetic: docs/MCOE.md.\n"
		"saccade: 1\nmodel: mco-e\nname: mco-e\nweights: weights.npz\n"
		"calibration: calib.npy\ndims:\n"
		"  tokens: %d          # M, sequence length per modality\n"
		"  d_model: %d          # E, features per token\n"
		"  d_inner: %d          # Mamba expansion 2\n"
		"  d_conv: %d           # causal depthwise conv kernel\n"
		"  d_state: %d         # N, SSM state per channel\n"
		"  dt_rank: %d          # ceil(d_model / 16)\n"
		"  mcib_heads: %d\n"
		"  fusion: %d        # linear (tokens * d_model) -> fusion, GELU\n"
		"  router_heads: %d\n"
		"  router_hidden: %d\n"
		"  experts: %d          # i mod 3: 0 focal, 1 attention, 2 deep\n"
		"  topk: %d\n"
		"  moe_tokens: %d      # the fusion vector as [moe_tokens, fusion / moe_tokens]\n"
		"  att_heads: %d\n"
		"  focal_hidden: %d\n"
		"  focal_kernel: %d\n"
		"  deep_blocks: %d\n"
		"  deep_expand: %d\n"
		"  deep_res: %g\n"
		"  classes: %d\n",
		(unsigned long long)seed, (long long)params, d->tokens, d->d_model,
		d->tokens, d->d_model, d->d_inner, d->d_conv, d->d_state,
		d->dt_rank, d->mcib_heads, d->fusion, d->router_heads,
		d->router_hidden, d->experts, d->topk, d->moe_tokens, d->att_heads,
		d->focal_hidden, d->focal_kernel, d->deep_blocks, d->deep_expand,
		d->deep_res, d->classes);
	int bad = ferror(f);
	if (fclose(f) || bad)
		return sac_errf(e, SAC_ERR_IO, "%s: write error", path);
	return SAC_OK;
}

static int write_inputs(const char *path, const sac_mcoe_dims *d, uint64_t seed,
			int n, int calib, sac_err *e)
{
	sac_tensor t = {0};
	int64_t sh[4] = {n, 2, d->tokens, d->d_model};
	int rc = sac_tensor_alloc(&t, SAC_F32, 4, sh, e);
	if (rc)
		return rc;
	size_t per = (size_t)2 * d->tokens * d->d_model;
	for (int i = 0; i < n; i++)
		sac_zoo_mcoe_input(d->tokens, d->d_model, seed, i, calib,
				   (float *)t.data + (size_t)i * per);
	rc = sac_npy_write(path, &t, e);
	sac_tensor_free(&t);
	return rc;
}

int sac_zoo_mcoe(const sac_zoo_mcoe_opts *o, const char *dir, sac_err *e)
{
	sac_zoo_mcoe_opts def;
	if (!o) {
		sac_zoo_mcoe_opts_init(&def);
		o = &def;
	}
	if (o->ncalib < 1 || o->ncalib > 4096 || o->nsample < 1 || o->nsample > 65536)
		return sac_errf(e, SAC_ERR_RANGE, "MCO-E: %d calibration and %d sample "
				"inputs (1..4096 and 1..65536)", o->ncalib, o->nsample);
	if (!dir || !*dir)
		return sac_errf(e, SAC_ERR_USAGE, "no output directory");
	sac_mcoe_dims d;
	dims_of(o, &d);
	char path[4200];
	collect c = {.seed = o->seed, .e = e};
	int rc = sac__mkdir_p(dir, e);
	if (!rc)
		rc = sac_mcoe_members(&d, on_member, &c);
	if (!rc && !o->random_readout)
		rc = fit_readouts(&d, &c, o->seed, e);
	if (!rc) {
		snprintf(path, sizeof path, "%s/mcoe.yaml", dir);
		rc = write_yaml(path, &d, o->seed, c.params, e);
	}
	if (!rc) {
		const char **names = malloc((size_t)c.n * sizeof *names);
		const sac_tensor **ts = malloc((size_t)c.n * sizeof *ts);
		if (!names || !ts) {
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		} else {
			for (int i = 0; i < c.n; i++) {
				names[i] = c.name[i];
				ts[i] = &c.t[i];
			}
			snprintf(path, sizeof path, "%s/weights.npz", dir);
			rc = sac_npz_write(path, c.n, names, ts, e);
		}
		free(names);
		free(ts);
	}
	for (int i = 0; i < c.n; i++)
		sac_tensor_free(&c.t[i]);
	free(c.t);
	free(c.name);
	if (!rc) {
		snprintf(path, sizeof path, "%s/calib.npy", dir);
		rc = write_inputs(path, &d, o->seed, o->ncalib, 1, e);
	}
	if (!rc) {
		snprintf(path, sizeof path, "%s/sample.npy", dir);
		rc = write_inputs(path, &d, o->seed, o->nsample, 0, e);
	}
	return rc;
}
