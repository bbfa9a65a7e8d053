/* tnas_er.c: the TNAS-ER search space (seed 004) as Saccade model files.
 *
 * A genome is parsed into a plan: a flat list of layers in topological
 * order, each with its node name, input, channels and kernel.  The plan is
 * the single source of the YAML graph, of the weight members and of the
 * parameter count, so the three cannot disagree.  The network:
 *
 *   stem     conv 4->32 3x3 pad 1 + bn + relu, conv 32->32 3x3 + bn + relu
 *   group g  width 32 * 2^g, two blocks; a conv-k block is
 *            conv(cur->width, k, pad k/2)+bn+relu, conv(width->width)+bn+relu;
 *            a skip block is one identity node and keeps the current width,
 *            so an all-skip group does not widen the network
 *   poolG    maxpool 2x2 stride 2 in front of every group G > 0
 *   head     flatten, linear to 7 classes, output
 *
 * Invariants: H and W are multiples of 2^(groups-1), so every pool halves
 * exactly and the head sees at least 1x1; every weight is a deterministic
 * function of (seed, member name): He-normal conv/linear weights, small
 * biases and batch norm far enough from identity that folding matters.
 * The PRNG is splitmix64 with Box-Muller, local to this file, so the
 * weights do not depend on the C library's rand().  Calibration and
 * sample inputs are synthetic eye-event streams framed like E4-S3. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/files.h"
#include "saccade/events.h"
#include "saccade/npy.h"
#include "saccade/zoo.h"

#define CANONICAL "3s-35-33"
#define STEM_WIDTH 32
#define NCLASSES 7
#define MAX_LAYERS (8 + 13 * SAC_ZOO_MAX_GROUPS + 4)
#define MAX_PARAMS ((int64_t)200 * 1000 * 1000)
#define LNAME 48

enum kind { L_INPUT, L_CONV, L_BN, L_RELU, L_SKIP, L_POOL, L_FLATTEN, L_FC,
	    L_OUTPUT };

typedef struct layer {
	enum kind kind;
	char name[LNAME];
	int in;             /* index of the input layer, -1 for the input */
	int cin, cout, k;   /* conv: channels and kernel; fc: features */
} layer;

typedef struct plan {
	char genome[SAC_ZOO_GENOME_MAX];
	int groups;
	int c, h, w;        /* input */
	int oc, oh, ow;     /* entering the head */
	int n;
	layer l[MAX_LAYERS];
} plan;

/* ---- the PRNG: splitmix64, uniform doubles, Box-Muller normals ---------- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1]: never 0, so log() in Box-Muller is finite. */
static double unif(uint64_t *s)
{
	return ((splitmix(s) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

static double normal(uint64_t *s)
{
	double u1 = unif(s), u2 = unif(s);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* A seed for one purpose: seed and tag mixed so streams do not overlap. */
static uint64_t derive(uint64_t seed, uint64_t tag)
{
	uint64_t s = tag * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL;
	uint64_t t = splitmix(&s) ^ seed;
	return splitmix(&t);
}

static uint64_t hash_name(const char *p)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h;
}

/* ---- genome ----------------------------------------------------------------- */

const char *sac_zoo_tnas_er_canonical(void)
{
	return CANONICAL;
}

void sac_zoo_opts_init(sac_zoo_opts *o)
{
	memset(o, 0, sizeof *o);
	o->c = 4;
	o->h = 64;
	o->w = 64;
	o->seed = 1;
	o->ncalib = 16;
}

static int is_block(char ch)
{
	return ch == '3' || ch == '5' || ch == 's';
}

int sac_zoo_tnas_er_parse(const char *g, char *buf, size_t n, sac_err *e)
{
	if (!g || !strcmp(g, "see"))
		g = CANONICAL;
	size_t len = strlen(g);
	if (len == 0)
		return sac_errf(e, SAC_ERR_PARSE,
				"genome is empty (expected groups of two blocks "
				"from 3, 5, s separated by '-', e.g. '%s')", CANONICAL);
	char out[4 * SAC_ZOO_MAX_GROUPS];
	size_t o = 0;
	int groups = 0;
	int dashed = strchr(g, '-') != NULL;
	size_t i = 0;
	while (i < len) {
		/* One group: two blocks, then '-' or the end. */
		size_t start = i;
		int nb = 0;
		for (; i < len && g[i] != '-'; i++, nb++) {
			if (!is_block(g[i]))
				return sac_errf(e, SAC_ERR_PARSE,
						"genome '%s': bad block '%c' at position %zu "
						"(blocks are 3 = conv3x3, 5 = conv5x5, s = skip)",
						g, g[i], i + 1);
			if (!dashed && nb == 1) {
				nb++;
				i++;
				break;
			}
		}
		if (nb != 2) {
			if (nb == 0)
				return sac_errf(e, SAC_ERR_PARSE,
						"genome '%s': empty group at position %zu "
						"(each group is exactly two blocks)", g, start + 1);
			return sac_errf(e, SAC_ERR_PARSE,
					"genome '%s': group %d ('%.*s', position %zu) has %d "
					"block%s; each group is exactly two blocks from 3, 5, s",
					g, groups + 1, (int)nb, g + start, start + 1, nb,
					nb == 1 ? "" : "s");
		}
		if (groups == SAC_ZOO_MAX_GROUPS)
			return sac_errf(e, SAC_ERR_RANGE,
					"genome '%s': more than %d groups at position %zu",
					g, SAC_ZOO_MAX_GROUPS, start + 1);
		if (groups)
			out[o++] = '-';
		out[o++] = g[start];
		out[o++] = g[start + 1];
		groups++;
		if (dashed && i < len) { /* g[i] == '-' */
			if (i + 1 == len)
				return sac_errf(e, SAC_ERR_PARSE,
						"genome '%s': '-' at position %zu ends the "
						"genome (expected a group after it)", g, i + 1);
			i++;
		}
	}
	out[o] = 0;
	if (buf) {
		if (o + 1 > n)
			return sac_errf(e, SAC_ERR_USAGE, "genome buffer too small");
		memcpy(buf, out, o + 1);
	}
	return groups;
}

/* ---- the plan ------------------------------------------------------------------ */

static int add(plan *p, enum kind k, int in, int cin, int cout, int ks,
	       const char *name)
{
	layer *l = &p->l[p->n];
	l->kind = k;
	l->in = in;
	l->cin = cin;
	l->cout = cout;
	l->k = ks;
	snprintf(l->name, sizeof l->name, "%s", name);
	return p->n++;
}

/* <prefix>.conv<j> + .bn<j> + .relu<j> (no <j> when j < 0); returns the
 * index of the relu. */
static int conv_bn_relu(plan *p, int in, int cin, int cout, int k,
			const char *prefix, int j)
{
	char nm[LNAME], sfx[12] = "";
	if (j >= 0)
		snprintf(sfx, sizeof sfx, "%d", j);
	snprintf(nm, sizeof nm, "%s.conv%s", prefix, sfx);
	int c = add(p, L_CONV, in, cin, cout, k, nm);
	snprintf(nm, sizeof nm, "%s.bn%s", prefix, sfx);
	int n = add(p, L_BN, c, cout, cout, 0, nm);
	snprintf(nm, sizeof nm, "%s.relu%s", prefix, sfx);
	return add(p, L_RELU, n, cout, cout, 0, nm);
}

static int64_t plan_params(const plan *p, int64_t *bn)
{
	int64_t n = 0, b = 0;
	for (int i = 0; i < p->n; i++) {
		const layer *l = &p->l[i];
		if (l->kind == L_CONV)
			n += (int64_t)l->cout * l->cin * l->k * l->k + l->cout;
		else if (l->kind == L_FC)
			n += (int64_t)l->cout * l->cin + l->cout;
		else if (l->kind == L_BN)
			b += 4 * (int64_t)l->cout;
	}
	if (bn)
		*bn = b;
	return n;
}

static int build(const sac_zoo_opts *o, plan *p, sac_err *e)
{
	memset(p, 0, sizeof *p);
	int groups = sac_zoo_tnas_er_parse(o ? o->genome : NULL, p->genome,
					   sizeof p->genome, e);
	if (groups < 0)
		return groups;
	p->groups = groups;
	p->c = o && o->c ? o->c : 4;
	p->h = o && o->h ? o->h : 64;
	p->w = o && o->w ? o->w : 64;
	if (p->c < 1 || p->c > 64 || p->h < 1 || p->h > 4096 || p->w < 1 ||
	    p->w > 4096)
		return sac_errf(e, SAC_ERR_RANGE,
				"input %dx%dx%d out of range (channels 1..64, "
				"height and width 1..4096)", p->c, p->h, p->w);
	int div = 1 << (groups - 1);
	if (p->h % div || p->w % div)
		return sac_errf(e, SAC_ERR_SHAPE,
				"input %dx%dx%d does not fit genome '%s': %d group%s "
				"means %d max-pool%s 2x2/2, so height and width must be "
				"multiples of %d", p->c, p->h, p->w, p->genome, groups,
				groups == 1 ? "" : "s", groups - 1,
				groups == 2 ? "" : "s", div);

	int cur = add(p, L_INPUT, -1, 0, p->c, 0, "input");
	int ch = p->c;
	char pre[LNAME], nm[LNAME];
	for (int s = 0; s < 2; s++) {
		snprintf(pre, sizeof pre, "stem.%d", s);
		cur = conv_bn_relu(p, cur, ch, STEM_WIDTH, 3, pre, -1);
		ch = STEM_WIDTH;
	}
	for (int g = 0; g < groups; g++) {
		if (g > 0) {
			snprintf(nm, sizeof nm, "pool%d", g);
			cur = add(p, L_POOL, cur, ch, ch, 2, nm);
		}
		int width = STEM_WIDTH << g;
		for (int b = 0; b < 2; b++) {
			char blk = p->genome[3 * g + b];
			if (blk == 's') {
				snprintf(nm, sizeof nm, "g%d.b%d.skip", g, b);
				cur = add(p, L_SKIP, cur, ch, ch, 0, nm);
				continue;
			}
			snprintf(pre, sizeof pre, "g%d.b%d", g, b);
			for (int j = 0; j < 2; j++) {
				cur = conv_bn_relu(p, cur, ch, width, blk - '0', pre, j);
				ch = width;
			}
		}
	}
	p->oc = ch;
	p->oh = p->h >> (groups - 1);
	p->ow = p->w >> (groups - 1);
	cur = add(p, L_FLATTEN, cur, ch, ch, 0, "head.flatten");
	int feat = p->oc * p->oh * p->ow;
	cur = add(p, L_FC, cur, feat, NCLASSES, 0, "head.fc");
	add(p, L_OUTPUT, cur, NCLASSES, NCLASSES, 0, "logits");
	int64_t np = plan_params(p, NULL);
	if (np > MAX_PARAMS)
		return sac_errf(e, SAC_ERR_CAPACITY,
				"genome '%s' at %dx%dx%d has %lld parameters, more than "
				"the zoo's limit of %lld", p->genome, p->c, p->h, p->w,
				(long long)np, (long long)MAX_PARAMS);
	return SAC_OK;
}

int sac_zoo_tnas_er_info(const sac_zoo_opts *o, sac_zoo_info *info,
			 sac_err *e)
{
	plan *p = malloc(sizeof *p);
	if (!p)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	int rc = build(o, p, e);
	if (rc == SAC_OK && info) {
		memset(info, 0, sizeof *info);
		memcpy(info->genome, p->genome, sizeof info->genome);
		snprintf(info->name, sizeof info->name, "tnas-er-%s", p->genome);
		info->groups = p->groups;
		info->nodes = p->n;
		info->params = plan_params(p, &info->bn_params);
		info->out_c = p->oc;
		info->out_h = p->oh;
		info->out_w = p->ow;
		info->ncalib = o && o->ncalib ? o->ncalib : 16;
		info->nsample = NCLASSES;
	}
	free(p);
	return rc;
}

/* ---- model.yaml ------------------------------------------------------------------ */

static void emit_yaml(const plan *p, const sac_zoo_opts *o, FILE *f)
{
	fprintf(f,
		"# TNAS-ER genome %s (seed 004 search space), written by saccade zoo.\n"
		"# Synthetic weights: seed %llu; input [%d, %d, %d]; %lld parameters\n"
		"# (conv/linear weights and biases; batch norm folds into them).\n"
		"saccade: 1\nname: tnas-er-%s\ncalibration: calib.npy\nnodes:\n",
		p->genome, (unsigned long long)(o ? o->seed : 1), p->c, p->h, p->w,
		(long long)plan_params(p, NULL), p->genome);
	static const char *const opname[] = {
		[L_INPUT] = "input", [L_CONV] = "conv2d", [L_BN] = "batchnorm",
		[L_RELU] = "relu", [L_SKIP] = "identity", [L_POOL] = "maxpool",
		[L_FLATTEN] = "flatten", [L_FC] = "linear", [L_OUTPUT] = "output",
	};
	for (int i = 0; i < p->n; i++) {
		const layer *l = &p->l[i];
		fprintf(f, "  - name: %s\n    op: %s\n", l->name, opname[l->kind]);
		if (l->in >= 0)
			fprintf(f, "    inputs: [%s]\n", p->l[l->in].name);
		switch (l->kind) {
		case L_INPUT:
			fprintf(f, "    shape: [%d, %d, %d]\n", p->c, p->h, p->w);
			break;
		case L_CONV:
			fprintf(f, "    out_channels: %d\n    kernel: %d\n"
				"    padding: %d\n    weight: %s.weight\n"
				"    bias: %s.bias\n", l->cout, l->k, l->k / 2,
				l->name, l->name);
			break;
		case L_BN:
			fprintf(f, "    gamma: %s.gamma\n    beta: %s.beta\n"
				"    mean: %s.mean\n    var: %s.var\n",
				l->name, l->name, l->name, l->name);
			break;
		case L_POOL:
			fprintf(f, "    kernel: 2\n    stride: 2\n");
			break;
		case L_FC:
			fprintf(f, "    out_features: %d\n    weight: %s.weight\n"
				"    bias: %s.bias\n", l->cout, l->name, l->name);
			break;
		default:
			break;
		}
	}
}

int sac_zoo_tnas_er_yaml(const sac_zoo_opts *o, FILE *out, sac_err *e)
{
	plan *p = malloc(sizeof *p);
	if (!p)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	int rc = build(o, p, e);
	if (rc == SAC_OK) {
		emit_yaml(p, o, out);
		if (ferror(out))
			rc = sac_errf(e, SAC_ERR_IO, "cannot write the model YAML");
	}
	free(p);
	return rc;
}

/* ---- weights ------------------------------------------------------------------- */

typedef struct members {
	int n;
	char (*name)[LNAME + 8];
	sac_tensor *t;
} members;

/* Append member "<layer>.<suffix>" of the given shape, filled by kind:
 * 'w' He-normal with fan_in, 'b' small bias, 'g' 'B' 'm' 'v' batch norm. */
static int member(members *m, const char *layer, const char *suffix,
		  int ndim, const int64_t *shape, int kind, int64_t fan_in,
		  uint64_t seed, sac_err *e)
{
	snprintf(m->name[m->n], LNAME + 8, "%s.%s", layer, suffix);
	sac_tensor *t = &m->t[m->n];
	if (sac_tensor_alloc(t, SAC_F32, ndim, shape, e))
		return e->code ? e->code : SAC_ERR_NOMEM;
	m->n++;
	uint64_t s = derive(seed, hash_name(m->name[m->n - 1]));
	float *d = t->data;
	double std = fan_in > 0 ? sqrt(2.0 / (double)fan_in) : 0;
	for (size_t i = 0; i < t->count; i++) {
		double u = unif(&s), v;
		switch (kind) {
		case 'w': v = std * normal(&s); break;
		case 'b': v = -0.02 + 0.07 * u; break;  /* [-0.02, 0.05] */
		case 'g': v = 0.6 + 0.8 * u; break;     /* gamma [0.6, 1.4] */
		case 'B': v = -0.05 + 0.2 * u; break;   /* beta [-0.05, 0.15] */
		case 'm': v = -0.1 + 0.2 * u; break;    /* mean [-0.1, 0.1] */
		default: v = 0.5 + u; break;            /* var [0.5, 1.5] */
		}
		d[i] = (float)v;
	}
	return SAC_OK;
}

static int make_weights(const plan *p, uint64_t seed, members *m, sac_err *e)
{
	int cap = 0;
	for (int i = 0; i < p->n; i++)
		cap += p->l[i].kind == L_BN ? 4 :
		       (p->l[i].kind == L_CONV || p->l[i].kind == L_FC) ? 2 : 0;
	m->n = 0;
	m->name = calloc(cap ? cap : 1, sizeof *m->name);
	m->t = calloc(cap ? cap : 1, sizeof *m->t);
	if (!m->name || !m->t)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	for (int i = 0; i < p->n; i++) {
		const layer *l = &p->l[i];
		int64_t vec[1] = {l->cout};
		int rc = SAC_OK;
		if (l->kind == L_CONV) {
			int64_t sh[4] = {l->cout, l->cin, l->k, l->k};
			int64_t fan = (int64_t)l->cin * l->k * l->k;
			rc = member(m, l->name, "weight", 4, sh, 'w', fan, seed, e);
			if (!rc)
				rc = member(m, l->name, "bias", 1, vec, 'b', 0, seed, e);
		} else if (l->kind == L_FC) {
			int64_t sh[2] = {l->cout, l->cin};
			rc = member(m, l->name, "weight", 2, sh, 'w', l->cin, seed, e);
			if (!rc)
				rc = member(m, l->name, "bias", 1, vec, 'b', 0, seed, e);
		} else if (l->kind == L_BN) {
			static const char *const sfx[4] = {"gamma", "beta", "mean",
							   "var"};
			static const char kinds[4] = {'g', 'B', 'm', 'v'};
			for (int j = 0; j < 4 && !rc; j++)
				rc = member(m, l->name, sfx[j], 1, vec, kinds[j], 0,
					    seed, e);
		}
		if (rc)
			return rc;
	}
	return SAC_OK;
}

static void free_members(members *m)
{
	for (int i = 0; i < m->n; i++)
		sac_tensor_free(&m->t[i]);
	free(m->name);
	free(m->t);
	memset(m, 0, sizeof *m);
}

/* ---- inputs from synthetic events ----------------------------------------------- */

/* Frame one synthetic stream into dst ([c, h, w] floats). */
static int frame_one(const plan *p, uint64_t seed, int cls, int lighting,
		     float *dst, sac_err *e)
{
	sac_synth_opts so = {0};
	so.seed = seed;
	so.cls = cls;
	so.lighting = lighting;
	/* E4-S3: c frames of 3/30 s each; leave a little slack after them. */
	so.duration_s = p->c * 0.1 + 0.1 > 0.5 ? p->c * 0.1 + 0.1 : 0.5;
	sac_events ev = {0};
	int rc = sac_events_synth(&so, &ev, e);
	if (rc)
		return rc;
	sac_frame_opts fo = {0};
	fo.frames = p->c;
	fo.skip = 3;
	fo.width = p->w;
	fo.height = p->h;
	fo.start_s = 0;
	sac_tensor t = {0};
	rc = sac_events_frames(&ev, &fo, &t, e);
	sac_events_free(&ev);
	if (rc)
		return rc;
	size_t want = (size_t)p->c * p->h * p->w;
	if (t.dtype != SAC_F32 || t.count != want) {
		char d[96];
		rc = sac_errf(e, SAC_ERR_SHAPE,
			      "event framing gave %s, expected float32[%d,%d,%d]",
			      sac_tensor_desc(&t, d, sizeof d), p->c, p->h, p->w);
	} else {
		memcpy(dst, t.data, want * sizeof(float));
	}
	sac_tensor_free(&t);
	return rc;
}

/* calib: n inputs cycling classes (i mod 7) and lightings (i mod 4), so 16
 * cover every class and every lighting; sample: one per class, normal
 * lighting.  Tags keep the seeds of the two sets apart. */
static int make_inputs(const plan *p, uint64_t seed, int n, int calib,
		       sac_tensor *out, sac_err *e)
{
	int64_t sh[4] = {n, p->c, p->h, p->w};
	int rc = sac_tensor_alloc(out, SAC_F32, 4, sh, e);
	if (rc)
		return rc;
	size_t one = (size_t)p->c * p->h * p->w;
	for (int i = 0; i < n && !rc; i++) {
		int cls = i % NCLASSES;
		int light = calib ? i % SAC_NUM_LIGHTINGS : 0;
		uint64_t tag = (calib ? 0xca11b000ULL : 0x5a3b1e00ULL) + (uint64_t)i;
		rc = frame_one(p, derive(seed, tag), cls, light,
			       (float *)out->data + one * i, e);
	}
	if (rc)
		sac_tensor_free(out);
	return rc;
}

/* ---- files ------------------------------------------------------------------------- */


static int write_yaml(const plan *p, const sac_zoo_opts *o, const char *path,
		      sac_err *e)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return sac_errf(e, SAC_ERR_IO, "%s: cannot create: %s", path,
				strerror(errno));
	emit_yaml(p, o, f);
	int bad = ferror(f);
	if (fclose(f) || bad)
		return sac_errf(e, SAC_ERR_IO, "%s: write error", path);
	return SAC_OK;
}

int sac_zoo_tnas_er(const sac_zoo_opts *o, const char *dir,
		    sac_zoo_info *info, sac_err *e)
{
	int ncalib = o && o->ncalib ? o->ncalib : 16;
	uint64_t seed = o ? o->seed : 1;
	if (ncalib < 1 || ncalib > 4096)
		return sac_errf(e, SAC_ERR_RANGE,
				"calibration count %d out of range 1..4096", ncalib);
	if (!dir || !*dir)
		return sac_errf(e, SAC_ERR_USAGE, "no output directory");
	plan *p = malloc(sizeof *p);
	if (!p)
		return sac_errf(e, SAC_ERR_NOMEM, "out of memory");
	members m = {0};
	sac_tensor calib = {0}, sample = {0};
	char path[4200];
	int rc = build(o, p, e);
	if (!rc)
		rc = sac__mkdir_p(dir, e);
	if (!rc)
		rc = make_weights(p, seed, &m, e);
	if (!rc)
		rc = make_inputs(p, seed, ncalib, 1, &calib, e);
	if (!rc)
		rc = make_inputs(p, seed, NCLASSES, 0, &sample, e);
	if (!rc) {
		snprintf(path, sizeof path, "%s/model.yaml", dir);
		rc = write_yaml(p, o, path, e);
	}
	if (!rc) {
		const char **names = malloc((size_t)(m.n ? m.n : 1) * sizeof *names);
		const sac_tensor **ts = malloc((size_t)(m.n ? m.n : 1) * sizeof *ts);
		if (!names || !ts) {
			rc = sac_errf(e, SAC_ERR_NOMEM, "out of memory");
		} else {
			for (int i = 0; i < m.n; i++) {
				names[i] = m.name[i];
				ts[i] = &m.t[i];
			}
			snprintf(path, sizeof path, "%s/weights.npz", dir);
			rc = sac_npz_write(path, m.n, names, ts, e);
		}
		free(names);
		free(ts);
	}
	if (!rc) {
		snprintf(path, sizeof path, "%s/calib.npy", dir);
		rc = sac_npy_write(path, &calib, e);
	}
	if (!rc) {
		snprintf(path, sizeof path, "%s/sample.npy", dir);
		rc = sac_npy_write(path, &sample, e);
	}
	free_members(&m);
	sac_tensor_free(&calib);
	sac_tensor_free(&sample);
	free(p);
	if (!rc && info) {
		sac_zoo_opts oo;
		if (o)
			oo = *o;
		else
			sac_zoo_opts_init(&oo);
		rc = sac_zoo_tnas_er_info(&oo, info, e);
	}
	return rc;
}
